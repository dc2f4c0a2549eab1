"""taxportal: a secure customer portal for tax-preparation firms."""

from taxportal.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["__version__", "hookimpl"]
