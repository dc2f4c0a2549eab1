"""The taxpayer's signing pages: the signature drawn once and kept on file."""
