"""`taxportal serve [--demo]`."""

from __future__ import annotations

import argparse
import asyncio
import logging

from aiohttp import web

from taxportal.app import create_app
from taxportal.config import AppConfig
from taxportal.db import apply_migrations
from taxportal.runtime import build_core, database_config, started
from taxportal.services import staff as staff_service

log = logging.getLogger("taxportal")


def run(args: argparse.Namespace, config: AppConfig) -> int:
    if args.demo:
        asyncio.run(_prepare_demo(config))
    app = create_app(config)
    app.on_startup.append(_greet(config))
    server = config.core.server
    web.run_app(app, host=server.host, port=server.port, print=None, access_log=None)
    return 0


def _greet(config: AppConfig):  # type: ignore[no-untyped-def]
    async def greet(app: web.Application) -> None:
        print(
            f"taxportal is running at {config.base_url}/  (data in {config.data_dir})", flush=True
        )
        if not await staff_service.any_admin():
            print(
                "No admin yet. Create the first one with:\n"
                f"  taxportal staff add you@example.com --role admin --data-dir {config.data_dir}",
                flush=True,
            )

    return greet


async def _prepare_demo(config: AppConfig) -> None:
    from taxportal.demo import seed

    core = build_core(config)
    await apply_migrations(database_config(core))
    async with started(core):
        email, password = await seed(core)
    if password:
        print(f"Demo admin: {email}  password: {password}", flush=True)
    else:
        print(f"Demo admin: {email} (created earlier; its password was printed then)", flush=True)
    print(f"Mail and text messages go to the outbox: {config.data_dir / 'outbox'}", flush=True)
