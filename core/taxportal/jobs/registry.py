"""Which code runs which kind of job: the core's handlers and the plugins' (hook
``taxportal_job_handlers``), gathered once per app."""

from __future__ import annotations

from collections.abc import Iterable

from taxportal.contracts import JobHandler


class DuplicateKind(ValueError):
    """Two handlers claim one kind of job."""


class JobHandlers:
    """The handlers of one app, by kind; a worker claims only the kinds it can run."""

    def __init__(self, handlers: Iterable[JobHandler] = ()) -> None:
        self._by_kind: dict[str, JobHandler] = {}
        for handler in handlers:
            self.register(handler)

    def register(self, handler: JobHandler) -> None:
        if handler.kind in self._by_kind:
            raise DuplicateKind(f"two handlers for jobs of kind '{handler.kind}'")
        self._by_kind[handler.kind] = handler

    def get(self, kind: str) -> JobHandler | None:
        return self._by_kind.get(kind)

    def kinds(self) -> list[str]:
        return sorted(self._by_kind)
