"""taxportal-bus-redis: taxportal's events between processes over Redis pub/sub."""

__version__ = "0.1.0"
