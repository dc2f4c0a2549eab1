"""What the product does. No HTTP in here; plugins are reached through ``core.plugins``."""
