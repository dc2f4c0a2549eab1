"""taxportal-notify-sms: delivers taxportal's "sms" channel (outbox files or Vonage)."""

__version__ = "0.1.0"
