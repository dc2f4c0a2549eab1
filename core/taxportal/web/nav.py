"""The core's own sidebar and console menu items, contributed through the nav items hook
like any plugin's: a page's menu is whatever the enabled plugins and the core offer."""

from __future__ import annotations

from typing import Any

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
