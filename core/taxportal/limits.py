"""Limits the database sets and the input checks repeat, in one place."""

MAX_ID = 2**31 - 1  # every id column is a 32-bit INTEGER: a larger id is never a row
