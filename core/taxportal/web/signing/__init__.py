"""The taxpayer's signing pages: thin handlers over ``services/signing``."""
