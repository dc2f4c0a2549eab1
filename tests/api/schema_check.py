"""A tiny JSON Schema checker for the subset openapi.json uses (no new dependency)."""

from __future__ import annotations

from typing import Any

TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
}


def problems(value: Any, schema: dict[str, Any], spec: dict[str, Any], at: str = "$") -> list[str]:
    """Every way `value` breaks `schema` ($ref, allOf, type, enum, required, properties,
    additionalProperties, items, minimum, maximum); an empty list when it conforms."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        return problems(value, spec["components"]["schemas"][name], spec, at)
    found: list[str] = []
    for part in schema.get("allOf", []):
        found += problems(value, part, spec, at)
    expected = schema.get("type")
    if expected:
        ok = isinstance(value, TYPES[expected]) and not (
            expected == "integer" and isinstance(value, bool)
        )
        if not ok:
            return [*found, f"{at}: expected {expected}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{at}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, int) and "minimum" in schema and value < schema["minimum"]:
        found.append(f"{at}: {value} < {schema['minimum']}")
    if isinstance(value, int) and "maximum" in schema and value > schema["maximum"]:
        found.append(f"{at}: {value} > {schema['maximum']}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{at}: missing {name}")
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in properties:
                found += problems(item, properties[name], spec, f"{at}.{name}")
            elif extra is False:
                found.append(f"{at}: undocumented property {name}")
            elif isinstance(extra, dict):
                found += problems(item, extra, spec, f"{at}.{name}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += problems(item, schema["items"], spec, f"{at}[{index}]")
    return found
