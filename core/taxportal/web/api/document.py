"""The served OpenAPI document: the core's ``openapi.json`` with the plugins' parts merged in
(``taxportal_api_document``), built once with the app."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from taxportal.config import ConfigError

OPENAPI = Path(__file__).resolve().parent / "openapi.json"
PREFIX = "/api/v1/"


def core_document() -> dict[str, Any]:
    return json.loads(OPENAPI.read_text())


def merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The core's document plus each plugin part's paths and schemas; a path outside
    ``/api/v1/`` or a name already taken is a ``ConfigError`` (the app does not start)."""
    document = core_document()
    paths, schemas = document["paths"], document["components"]["schemas"]
    for part in parts:
        for path, item in part.get("paths", {}).items():
            if not path.startswith(PREFIX) or path in paths:
                raise ConfigError(f"a plugin's API path {path!r} is taken or not under {PREFIX}")
            paths[path] = copy.deepcopy(item)
        for name, schema in part.get("components", {}).get("schemas", {}).items():
            if name in schemas:
                raise ConfigError(f"a plugin's API schema {name!r} is already the core's")
            schemas[name] = copy.deepcopy(schema)
    return document
