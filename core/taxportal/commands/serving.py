"""The app as a server process runs it: greeting, memory settled, uvloop."""

from __future__ import annotations

import asyncio
import gc

from aiohttp import web

from taxportal.app import create_app
from taxportal.config import AppConfig
from taxportal.services.accounts import staff as staff_service


def served_app(config: AppConfig, greet: bool) -> web.Application:
    """The app of one server process; ``greet``: this one prints the URL once started."""
    app = create_app(config)
    if greet:
        app.on_startup.append(_greet(config))
    app.on_startup.append(_settle_memory)
    return app


async def _settle_memory(app: web.Application) -> None:
    """Last start-up step: what start-up built (~90,000 objects: modules, templates, plugins)
    lives as long as the process, so the garbage collector's full passes stop scanning it."""
    gc.collect()
    gc.freeze()


def use_uvloop() -> None:
    """uvloop's event loop (libuv) when installed: the same server, less CPU per request."""
    try:
        import uvloop
    except ImportError:  # optional: Windows has none
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def _greet(config: AppConfig):  # type: ignore[no-untyped-def]
    async def greet(app: web.Application) -> None:
        print(
            f"taxportal is running for {config.core.firm.name} (data in {config.data_dir})\n"
            f"  Preparer console: {config.base_url}/staff/login\n"
            f"  Taxpayer portal:  {config.base_url}/portal/login",
            flush=True,
        )
        if not await staff_service.any_admin():
            print(
                "No admin yet. Create the first one with:\n"
                f"  taxportal staff add you@example.com --role admin --data-dir {config.data_dir}",
                flush=True,
            )

    return greet
