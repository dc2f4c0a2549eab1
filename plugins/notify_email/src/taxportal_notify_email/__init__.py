"""taxportal-notify-email: delivers taxportal's email messages to an outbox or over SMTP."""

__version__ = "0.1.0"
