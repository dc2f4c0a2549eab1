"""System lines: a portal event (documents sent, a document signed, a file uploaded) as a
line of that portal's conversation, shown in each reader's language (``i18n.system_text``).

Every server process hears each event, so the listener only schedules a job keyed by the
event (jobs run once across processes); the line's unique ``event_key`` keeps a late
second delivery, after that job is gone, from writing it again.
"""

from __future__ import annotations

import hashlib
from typing import Any

from taxportal.api import (
    Core,
    DocumentSigned,
    DocumentsSent,
    Event,
    FileUploaded,
    JobHandler,
    schedule,
)
from taxportal_chat import conversation

JOB_KIND = "chat.system_line"


def line_of(event: Event) -> tuple[str, str] | None:
    """The line's code and the event's key, for the events that make a line."""
    if isinstance(event, FileUploaded):
        return "file_uploaded", f"file_uploaded:{event.file_id}"
    if isinstance(event, DocumentSigned):
        return "document_signed", f"document_signed:{event.document_id}:{event.signer_role}"
    if isinstance(event, DocumentsSent):
        ids = ",".join(str(i) for i in sorted(event.document_ids))
        digest = hashlib.sha256(ids.encode()).hexdigest()[:40]  # any number of documents
        return f"documents_sent:{len(event.document_ids)}", f"documents_sent:{digest}"
    return None


async def heard(event: Event) -> None:
    """Schedule the event's line (once per event across processes, while the job waits)."""
    line = line_of(event)
    portal_id = getattr(event, "portal_id", None)
    if line is None or not isinstance(portal_id, int):
        return
    code, key = line
    payload = {"portal_id": portal_id, "code": code, "key": key}
    await schedule(JOB_KIND, payload, key=f"{JOB_KIND}:{key}")


def job_handler(core: Core) -> JobHandler:
    async def run(payload: dict[str, Any]) -> None:
        portal_id, code, key = payload.get("portal_id"), payload.get("code"), payload.get("key")
        if not (isinstance(portal_id, int) and isinstance(code, str) and isinstance(key, str)):
            return  # not a payload this plugin wrote: nothing to do, no retry
        await conversation.post_system(core, portal_id, code, key)

    return JobHandler(JOB_KIND, run)
