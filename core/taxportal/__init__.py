"""taxportal: a secure customer portal for tax-preparation firms."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from taxportal.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["__version__", "hookimpl"]


def __getattr__(name: str) -> Any:
    # `hookimpl` imports pluggy and the contracts: not needed by `taxportal --help`
    if name == "hookimpl":
        from taxportal.hookspecs import hookimpl

        return hookimpl
    raise AttributeError(f"module 'taxportal' has no attribute {name!r}")
