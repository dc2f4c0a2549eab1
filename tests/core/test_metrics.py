"""``/metrics`` for Prometheus: off without a token, refused without the right one, and
counting what an operator watches with bounded labels (a route's pattern, never a path)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from taxportal.config import ConfigError, load_config

TOKEN = "scrape-token-0123456789"


def value(text: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


async def scrape(client: Any) -> str:
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return await response.text()


async def test_metrics_are_off_until_a_token_is_set(build_app: Any, client_for: Any) -> None:
    client = await client_for(await build_app())
    assert (await client.get("/metrics")).status == 404


async def test_only_the_token_reads_the_metrics(build_app: Any, client_for: Any) -> None:
    client = await client_for(await build_app(TAXPORTAL_METRICS__TOKEN=TOKEN))
    assert (await client.get("/metrics")).status == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401 and TOKEN not in await wrong.text()


async def test_requests_are_counted_by_route_pattern_and_status(
    build_app: Any, client_for: Any
) -> None:
    client = await client_for(await build_app(TAXPORTAL_METRICS__TOKEN=TOKEN))
    healthz = 'taxportal_http_requests_total{method="GET",route="/healthz",status="200"}'
    missing = 'taxportal_http_requests_total{method="GET",route="unmatched",status="404"}'
    before = await scrape(client)
    for _ in range(3):
        await client.get("/healthz")
    await client.get("/no/such/page/123")
    await client.get("/no/such/page/456")
    after = await scrape(client)
    assert value(after, healthz) == value(before, healthz) + 3
    assert value(after, missing) == value(before, missing) + 2  # one series, not a path each
    routes = set(re.findall(r'route="([^"]*)"', after))
    assert "unmatched" in routes and not any("/no/such" in r for r in routes)
    assert 'taxportal_http_request_seconds_bucket{le="0.005",route="/healthz"}' in after
    assert "taxportal_jobs{state=" in after and "taxportal_jobs_retrying " in after


def test_the_token_may_not_be_written_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "taxportal.toml"
    path.write_text(f'[metrics]\ntoken = "{TOKEN}"\n')
    with pytest.raises(ConfigError, match="secrets may not be written in the file"):
        load_config(path, env={})
