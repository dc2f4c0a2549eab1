"""The plugin reference is generated from the hook docstrings and must not drift."""

from __future__ import annotations

from pathlib import Path

from taxportal import docgen
from taxportal.plugins import Plugins

ROOT = Path(__file__).resolve().parents[2]


def test_plugin_reference_matches_the_hook_specifications():
    written = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert written == docgen.render(), "run: python -m taxportal.docgen docs/plugins.md"


def test_every_hook_is_documented_with_a_contract():
    written = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    for name, fn in docgen.hook_specs():
        assert f"## `{name}`" in written
        assert fn.__doc__ and len(fn.__doc__.strip()) > 40, f"{name} needs a real docstring"


def test_the_core_calls_only_hooks_that_are_specified():
    import re

    source = "\n".join(p.read_text() for p in (ROOT / "core" / "taxportal").rglob("*.py"))
    called = set(re.findall(r"pm\.hook\.(taxportal_\w+)", source))
    called |= {f"taxportal_{e}" for e in re.findall(r'emit\(\s*"(\w+)"', source)}
    specified = {name for name, _ in docgen.hook_specs()}
    assert called, "the facade calls hooks"
    assert called <= specified, called - specified
    assert Plugins.__doc__


def test_every_name_of_the_public_api_is_documented():
    import inspect

    written = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    for name, value in docgen.api_names():
        assert f"## `{name}`" in written
        if inspect.isfunction(value) or inspect.isclass(value):
            assert inspect.getdoc(value), f"taxportal.api.{name} needs a docstring"
