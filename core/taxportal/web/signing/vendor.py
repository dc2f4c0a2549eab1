"""Browser modules from npm (package-lock.json, installed by scripts/setup into node_modules/,
not committed), served under /static/vendor/ like the app's own static files.

Only the files named here are served, each from its package's ``dist``: a request cannot
walk node_modules. A checkout without them (setup not run) answers 404, and the page that
needs one says what to run (``available``).
"""

from __future__ import annotations

import os
from pathlib import Path

from aiohttp import web

PREFIX = "/static/vendor/"
# the repository's node_modules next to core/ (an editable install, as scripts/setup makes);
# TAXPORTAL_NODE_MODULES points elsewhere for a packaged install
NODE_MODULES = Path(
    os.environ.get("TAXPORTAL_NODE_MODULES") or Path(__file__).resolve().parents[4] / "node_modules"
)
MODULES = {"signature_pad.js": "signature_pad/dist/signature_pad.js"}


def routes() -> list[web.RouteDef]:
    return [web.get(PREFIX + "{name}", vendor_module)]


def path_of(name: str) -> Path | None:
    relative = MODULES.get(name)
    if relative is None:
        return None
    path = NODE_MODULES / relative
    return path if path.is_file() else None


def available(name: str) -> bool:
    return path_of(name) is not None


async def vendor_module(request: web.Request) -> web.StreamResponse:
    path = path_of(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound()
    # an ES module must come as JavaScript; nosniff (security.py) makes browsers insist
    return web.FileResponse(path, headers={"Content-Type": "text/javascript; charset=utf-8"})
