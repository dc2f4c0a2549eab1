"""One module per group of `taxportal` sub-commands."""
