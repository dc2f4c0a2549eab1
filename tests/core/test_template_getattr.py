"""Templates read a dict's keys by a shorter path (``rendering._fast_getattr``), with the
same answers as Jinja's own ``getattr``: a method still wins over a key of its name, a
missing key is still undefined."""

from __future__ import annotations

import jinja2
import pytest

from taxportal.web.rendering import _fast_getattr

PAGE = (
    "{{ row.name }}|{{ row.items is callable }}|{{ row.get('name') }}|"
    "{% for k, v in row.items() %}{{ k }}={{ v }};{% endfor %}|"
    "{{ row.missing | default('none') }}|{{ ns.name }}|{{ row.nested.inner }}"
)


class Named:
    name = "attribute"


def render(fast: bool) -> str:
    env = jinja2.Environment(autoescape=True)
    if fast:
        _fast_getattr(env)
    row = {"name": "<W-2>", "items": "a key named like the method", "nested": {"inner": 1}}
    return env.from_string(PAGE).render(row=row, ns=Named())


def test_same_page_as_jinjas_own_getattr():
    assert render(fast=True) == render(fast=False)
    assert render(fast=True).startswith("&lt;W-2&gt;|True|&lt;W-2&gt;|name=&lt;W-2&gt;;")


def test_a_missing_key_is_still_strictly_undefined():
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    _fast_getattr(env)
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ row.missing }}").render(row={})
