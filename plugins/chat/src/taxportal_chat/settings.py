"""``[chat]``: the limits and timings of the conversation."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

SECTION = "chat"


class ChatSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_length: int = Field(5000, ge=1, le=20000)  # characters of one message
    posts_per_minute: int = Field(20, ge=1, le=1000)  # per sender, across processes
    page_size: int = Field(50, ge=10, le=500)  # messages shown or sent at once
    notify_after_minutes: float = Field(5, ge=0, le=1440)  # still unread this long: tell them
    notify_every_minutes: float = Field(60, ge=1, le=10080)  # at most once per conversation
    poll_seconds: float = Field(3, ge=0.5, le=60)  # the page's polling where sockets fail
    recheck_seconds: float = Field(30, ge=0.2, le=600)  # an open socket re-checks its session
