"""taxportal-storage-local: keeps taxportal's file bytes on the local disk."""

__version__ = "0.1.0"
