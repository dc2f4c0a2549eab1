"""The core's own sidebar and console menu items, contributed through the nav items hook
like any plugin's: a page's menu is whatever the enabled plugins and the core offer."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape

from taxportal.contracts import NavItem
from taxportal.hookspecs import hookimpl
from taxportal.i18n import N_

PLUGIN_NAME = "taxportal_core"

TAXPAYER = [
    NavItem(N_("Home"), "/portal/", "taxpayer", order=10),
    NavItem(N_("My Files"), "/portal/files", "taxpayer", order=20),
    NavItem(N_("Preparer Files"), "/portal/preparer-files", "taxpayer", order=30),
    # 40-80: room for plugins (Messages, signing, ...)
    NavItem(N_("Change password"), "/portal/account/password", "taxpayer", order=90),
]

STAFF = [  # the console is English only
    NavItem("File Viewer", "/staff/", order=10),
    NavItem("Manage Portals", "/staff/portals", order=20, match="prefix"),
    NavItem("Add return", "/staff/returns/new", order=30),
    NavItem("Import CSV", "/staff/import", order=40),
    NavItem("Staff", "/staff/users", order=50, admin_only=True),
    NavItem("Jobs", "/staff/jobs", order=55, admin_only=True),
    NavItem("API tokens", "/staff/tokens", order=60),
    NavItem("My settings", "/staff/settings", order=70),
]


@hookimpl
def taxportal_nav_items(audience: str, config: Any) -> list[NavItem]:
    return list(TAXPAYER if audience == "taxpayer" else STAFF)


def menu_html(items: Sequence[NavItem], language: str, path: str) -> Markup:
    """The menu's links, the current page's marked: one call from a layout instead of two
    per link, and each language's links written once per process."""
    current = frozenset(i for i, item in enumerate(items) if item.is_current(path))
    return _menu(tuple(items), language, current)


@functools.lru_cache(maxsize=512)  # (menu, language, current page): a few dozen in practice
def _menu(items: tuple[NavItem, ...], language: str, current: frozenset[int]) -> Markup:
    links = []
    for i, item in enumerate(items):
        mark = ' aria-current="page"' if i in current else ""
        links.append(f'<a href="{escape(item.href)}"{mark}>{escape(item.text(language))}</a>')
    return Markup("\n    ".join(links))  # noqa: S704 - every value above is escaped
