"""Durable jobs: rows that survive restarts, run once across every process, retry with a
back-off and end 'failed' (shown to admins) when they keep failing.

``schedule`` queues a job; a ``JobHandler`` (``taxportal.contracts``) runs a kind; each
server process runs a ``Worker`` (``jobs.running``)."""

from taxportal.contracts import JobHandler
from taxportal.jobs.registry import DuplicateKind, JobHandlers
from taxportal.jobs.schedule import schedule
from taxportal.jobs.worker import Worker

__all__ = ["DuplicateKind", "JobHandler", "JobHandlers", "Worker", "schedule"]
