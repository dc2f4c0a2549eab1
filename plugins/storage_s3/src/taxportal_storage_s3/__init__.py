"""taxportal-storage-s3: keeps taxportal's file bytes in an S3-compatible object store."""

__version__ = "0.1.0"
