"""The HTTP layer: handlers parse and check, call a service, render."""
