"""Tortoise configuration for developers' `tortoise makemigrations` (see docs/development.md)."""

TORTOISE_ORM = {
    "connections": {"default": "sqlite://:memory:"},
    "apps": {
        "taxportal": {
            "models": ["taxportal.models"],
            "migrations": "taxportal.migrations",
            "default_connection": "default",
        }
    },
}
