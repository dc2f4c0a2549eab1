"""`taxportal serve [--demo]`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import multiprocessing
import signal

from aiohttp import web

from taxportal.app import create_app
from taxportal.config import AppConfig
from taxportal.db import apply_migrations
from taxportal.runtime import build_core, database_config, started
from taxportal.services import staff as staff_service
from taxportal.services import upload_cleanup

log = logging.getLogger("taxportal")


def run(args: argparse.Namespace, config: AppConfig) -> int:
    if args.demo:
        asyncio.run(_prepare_demo(config))
    # Here, once, before any worker serves, rather than in each worker's start-up: a worker
    # starting late would take another worker's upload in flight for a crash's leftover.
    asyncio.run(upload_cleanup.at_server_start(config))
    workers = max(1, args.workers or 1)
    if workers == 1:
        _serve(config, greet=True)
        return 0
    # No state lives in a process (sessions, codes, limits are in the database), so N
    # processes share one port (SO_REUSEPORT) and the kernel spreads the connections.
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(target=_serve, args=(config, index == 0), daemon=True)
        for index in range(workers)
    ]
    for child in children:
        child.start()
    signal.signal(signal.SIGTERM, lambda *_: [c.terminate() for c in children])
    for child in children:
        child.join()
    return max((c.exitcode or 0) for c in children)


def _serve(config: AppConfig, greet: bool) -> None:
    _use_uvloop()
    app = create_app(config)
    if greet:
        app.on_startup.append(_greet(config))
    app.on_startup.append(_settle_memory)
    server = config.core.server
    web.run_app(
        app, host=server.host, port=server.port, print=None, access_log=None, reuse_port=True
    )


async def _settle_memory(app: web.Application) -> None:
    """Last start-up step: what start-up built (~90,000 objects: modules, templates, plugins)
    lives as long as the process, so the garbage collector's full passes stop scanning it."""
    gc.collect()
    gc.freeze()


def _use_uvloop() -> None:
    """uvloop's event loop (libuv) when installed: the same server, less CPU per request."""
    try:
        import uvloop
    except ImportError:  # optional: Windows has none
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


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
        print(
            "At the first sign-in, set up an authenticator app from the QR code shown.", flush=True
        )
    else:
        print(f"Demo admin: {email} (created earlier; its password was printed then)", flush=True)
    print(f"Mail and text messages go to the outbox: {config.data_dir / 'outbox'}", flush=True)
