"""`taxportal serve [--demo]`."""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web

from taxportal.commands.serving import served_app, use_uvloop
from taxportal.config import AppConfig
from taxportal.db import apply_migrations
from taxportal.private_files import warn_if_too_open
from taxportal.runtime import build_core, database_config, started
from taxportal.services.uploads import cleanup as upload_cleanup


def run(args: argparse.Namespace, config: AppConfig) -> int:
    warn_if_too_open(config.data_dir)  # made before this version, or chmod-ed since
    if args.demo:
        asyncio.run(_prepare_demo(config))
    # Here, once, before any worker serves, rather than in each worker's start-up: a worker
    # starting late would take another worker's upload in flight for a crash's leftover.
    asyncio.run(upload_cleanup.at_server_start(config))
    workers = max(1, args.workers or 1)
    if workers > 1 and config.database_url.startswith("sqlite") and not config.core.bus.backend:
        config.core.bus.backend = "poll"  # several processes on one SQLite file: they poll
    if workers > 1:
        from taxportal.commands.workers import serve_balanced  # Linux only: imported here

        return serve_balanced(config, workers, served_app)
    use_uvloop()
    server = config.core.server
    web.run_app(
        served_app(config, greet=True),
        host=server.host,
        port=server.port,
        print=None,
        access_log=None,
    )
    return 0


async def _prepare_demo(config: AppConfig) -> None:
    from taxportal.demo import seed

    core = build_core(config)
    await apply_migrations(database_config(core))
    async with started(core):
        email, password = await seed(core)
    if password:
        print(f"Demo admin: {email}  password: {password}", flush=True)
        print(
            "At the first sign-in, set up an authenticator app from the QR code shown.", flush=True
        )
    else:
        print(f"Demo admin: {email} (created earlier; its password was printed then)", flush=True)
    print(f"Mail and text messages go to the outbox: {config.data_dir / 'outbox'}", flush=True)
