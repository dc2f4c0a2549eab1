"""A test plugin for server processes: publishes on the bus over HTTP and tells what its
listener heard (with the delay since publication, for bench/bus.py)."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from taxportal import hookimpl
from taxportal.app import CORE
from taxportal.contracts import RouteSpec
from taxportal.events import BusMessage, Event, FileUploaded

heard: list[dict[str, Any]] = []


async def publish(request: web.Request) -> web.Response:
    """``?n=100&kind=message|file``: publish n events, each stamped with its send time."""
    core = request.app[CORE]
    count = int(request.query.get("n", "1"))
    start = int(request.query.get("from", "0"))
    for seq in range(start, start + count):
        if request.query.get("kind") == "file":
            await core.plugins.emit(FileUploaded(portal_id=seq, file_id=seq))
        else:
            await core.plugins.emit(BusMessage("probe", {"seq": seq, "ns": time.time_ns()}))
    return web.json_response({"published": count})


async def seen(request: web.Request) -> web.Response:
    return web.json_response(heard)


async def forget(request: web.Request) -> web.Response:
    heard.clear()
    return web.json_response({})


@hookimpl
def taxportal_routes(config: Any) -> list[RouteSpec]:
    return [
        RouteSpec("GET", "/bus-probe/publish", publish, name="bus-probe-publish"),
        RouteSpec("GET", "/bus-probe/seen", seen, name="bus-probe-seen"),
        RouteSpec("GET", "/bus-probe/forget", forget, name="bus-probe-forget"),
    ]


@hookimpl
def taxportal_event(event: Event) -> None:
    now = time.time_ns()
    if isinstance(event, BusMessage) and event.name == "probe":
        values = event.values
        heard.append({"kind": "message", "seq": values["seq"], "delay_ns": now - values["ns"]})
    elif isinstance(event, FileUploaded):
        heard.append({"kind": "file", "seq": event.file_id})
