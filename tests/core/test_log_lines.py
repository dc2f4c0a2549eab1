"""Logs a collector can read: JSON lines when configured, each line of a request with the
id its error page shows; never a token (the redactions apply to either format)."""

from __future__ import annotations

import json
import logging
import re
import urllib.request
from pathlib import Path
from typing import Any

from aiohttp import web

from taxportal.api import RouteSpec, hookimpl
from taxportal.log_setup import JsonLines, RequestIdFilter
from tests.support import migrate
from tests.uploads.helpers import Server, process_env


class Broken:
    @hookimpl
    def taxportal_routes(self, config: Any) -> list[RouteSpec]:
        async def fails(request: web.Request) -> web.Response:
            raise RuntimeError("a bug")

        return [RouteSpec("GET", "/broken", fails)]


async def test_a_500_page_shows_the_id_its_log_lines_carry(
    build_app: Any, client_for: Any, caplog: Any
) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    client = await client_for(await build_app(Broken()))
    with caplog.at_level(logging.ERROR, logger="taxportal.web"):
        response = await client.get("/broken")
    assert response.status == 500
    shown = re.search(r"\b([0-9a-f]{8})\b", await response.text())
    assert shown is not None
    [record] = [r for r in caplog.records if "unhandled error" in r.getMessage()]
    assert record.request_id == shown.group(1)  # type: ignore[attr-defined]
    line = json.loads(JsonLines().format(record))
    assert line["request_id"] == shown.group(1) and line["exception"] == "RuntimeError"
    assert line["level"] == "ERROR" and "a bug" in line["traceback"]


async def test_a_server_told_json_writes_json_lines_without_tokens(
    make_config: Any, database: str, tmp_path: Path
) -> None:
    if not database.startswith("sqlite"):
        return  # the format does not depend on the database
    config = make_config(database)
    await migrate(config)
    (config.data_dir / "encryption.key").unlink()  # the server makes one, and says so
    server = Server(process_env(config, TAXPORTAL_SERVER__LOG_FORMAT="json"), tmp_path).start()
    try:
        with urllib.request.urlopen(f"{server.base}/healthz", timeout=30) as answer:  # noqa: S310
            assert answer.status == 200
        try:
            urllib.request.urlopen(f"{server.base}/invite/SECRET-TOKEN-123", timeout=30)  # noqa: S310
        except urllib.error.HTTPError:
            pass
    finally:
        server.stop()
    lines = [line for line in server.log.read_text().splitlines() if line.startswith("{")]
    entries = [json.loads(line) for line in lines]
    [made] = [e for e in entries if e["logger"] == "taxportal.crypto"]
    assert made["level"] == "WARNING" and "new data-encryption key" in made["message"]
    assert made["request_id"] == "-"  # logged outside any request
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", made["time"])
    assert "SECRET-TOKEN-123" not in server.log.read_text()
