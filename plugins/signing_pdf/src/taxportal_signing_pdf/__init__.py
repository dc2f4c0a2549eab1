"""taxportal-signing-pdf: places drawn signatures, adds a completion certificate and seals PDFs."""

__version__ = "0.1.0"
