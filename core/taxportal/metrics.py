"""Prometheus metrics of this process (``/metrics``, web/metrics_page.py).

One registry per process, not prometheus_client's global one: each server process answers
for itself (scrape each process, or each host's processes through the proxy in turn; the
job counts are the database's, the same from any). Labels are bounded: a route's pattern
(``/portal/files/{file_id}``), never a path; a status; a channel; a job state.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)

disable_created_metrics()  # a `_created` timestamp per series doubles the page, says little
REGISTRY = CollectorRegistry(auto_describe=True)
SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter(
    "taxportal_http_requests",
    "Requests answered, by route pattern, method and status.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "taxportal_http_request_seconds",
    "Time to answer a request (its handler and middlewares), by route pattern.",
    ["route"],
    buckets=SECONDS,
    registry=REGISTRY,
)
NOTIFICATIONS_FAILED = Counter(
    "taxportal_notifications_failed",
    "Emails and texts the notifier could not deliver, by channel.",
    ["channel"],
    registry=REGISTRY,
)
UPLOAD_SECONDS = Histogram(
    "taxportal_upload_seconds",
    "Uploads to My Files, from the first byte to stored, by outcome.",
    ["outcome"],
    buckets=SECONDS,
    registry=REGISTRY,
)
SIGNING_SECONDS = Histogram(
    "taxportal_signing_seconds",
    "Sign steps, from the click to the sealed copy committed, by outcome.",
    ["outcome"],
    buckets=SECONDS,
    registry=REGISTRY,
)
JOBS = Gauge(
    "taxportal_jobs",
    "Jobs in the database by state (queued, running, failed), read at each scrape.",
    ["state"],
    registry=REGISTRY,
)
JOBS_RETRYING = Gauge(
    "taxportal_jobs_retrying",
    "Queued jobs that already failed at least once, read at each scrape.",
    registry=REGISTRY,
)
BUS_LAG_SECONDS = Histogram(
    "taxportal_bus_lag_seconds",
    "From an event's publication in another process to its delivery in this one.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0),
    registry=REGISTRY,
)


@contextmanager
def timed(histogram: Histogram) -> Iterator[dict[str, str]]:
    """Observe the block's duration under the ``outcome`` the block sets (else "error")."""
    labels = {"outcome": "error"}
    start = time.perf_counter()
    try:
        yield labels
    finally:
        histogram.labels(**labels).observe(time.perf_counter() - start)
