"""Events: small frozen dataclasses of ids, delivered through the one ``taxportal_event`` hook.

Adding an event is adding a class here (or in a plugin): the hook specifications do not
change. Fields hold ids and short codes (``"email"``, ``"taxpayer"``), never a name, an
SSN or a message's text: events cross processes and are kept as rows (``event_log``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

_TOPIC = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")
_CODE = re.compile(r"^[A-Za-z0-9_.:-]{0,64}$")  # a short code, never free text
_TOPICS: dict[str, type[Event]] = {}
F = TypeVar("F", bound=Callable[..., Any])


class EventError(ValueError):
    """An event that may not travel: a field that is not an id or a short code."""


@dataclass(frozen=True)
class Event:
    """Base of every event; a subclass names its ``topic`` (unique) and holds only ids."""

    topic: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        topic = cls.__dict__.get("topic")
        if isinstance(topic, str) and topic:
            if not _TOPIC.match(topic):
                raise EventError(f"bad event topic {topic!r}")
            _TOPICS[topic] = cls

    def data(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class ReturnImported(Event):
    """A tax program created or updated one return (the API's upsert, or a CSV row written
    on its own); an unchanged return is no event."""

    topic: ClassVar[str] = "return_imported"
    return_id: int
    created: bool


@dataclass(frozen=True)
class ReturnsImported(Event):
    """A CSV import wrote a batch of rows in one transaction (up to ``CHUNK_ROWS``): the
    returns it created and those it changed. One event per batch, not one per row."""

    topic: ClassVar[str] = "returns_imported"
    created_ids: tuple[int, ...]
    updated_ids: tuple[int, ...]


@dataclass(frozen=True)
class PortalCreated(Event):
    topic: ClassVar[str] = "portal_created"
    portal_id: int
    return_id: int
    channel: str


@dataclass(frozen=True)
class InvitationSent(Event):
    topic: ClassVar[str] = "invitation_sent"
    portal_id: int
    invitation_id: int
    channel: str


@dataclass(frozen=True)
class AccountRegistered(Event):
    topic: ClassVar[str] = "account_registered"
    portal_id: int
    account_id: int


@dataclass(frozen=True)
class AccountVerified(Event):
    topic: ClassVar[str] = "account_verified"
    portal_id: int
    account_id: int


@dataclass(frozen=True)
class FileUploaded(Event):
    topic: ClassVar[str] = "file_uploaded"
    portal_id: int
    file_id: int


@dataclass(frozen=True)
class DocumentsSent(Event):
    topic: ClassVar[str] = "documents_sent"
    portal_id: int
    document_ids: tuple[int, ...]


@dataclass(frozen=True)
class DocumentViewed(Event):
    topic: ClassVar[str] = "document_viewed"
    portal_id: int
    document_id: int


@dataclass(frozen=True)
class DocumentSigned(Event):
    topic: ClassVar[str] = "document_signed"
    portal_id: int
    document_id: int
    signer_role: str


@dataclass(frozen=True)
class MessagePosted(Event):
    topic: ClassVar[str] = "message_posted"
    portal_id: int
    message_id: int
    author: str


@dataclass(frozen=True)
class BusMessage(Event):
    """A plugin's own message on the bus (chat: "portal 4 has a new message"): a
    ``name`` of the plugin's choosing and a small JSON object of ids."""

    name: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def data(self) -> dict[str, Any]:
        return {"name": self.name, "values": dict(self.values)}


def listens_to(*types: type[Event]) -> Callable[[F], F]:
    """Make a ``taxportal_event`` implementation see only events of ``types``.

    Put it under ``@hookimpl``; the core skips the listener for other events without
    calling it."""

    def decorate(function: F) -> F:
        if _is_coroutine(function):

            @functools.wraps(function)
            async def only(*args: Any, **kwargs: Any) -> Any:
                if isinstance(_event_of(args, kwargs), types):
                    return await function(*args, **kwargs)
                return None

        else:

            @functools.wraps(function)
            def only(*args: Any, **kwargs: Any) -> Any:
                if isinstance(_event_of(args, kwargs), types):
                    return function(*args, **kwargs)
                return None

        only.taxportal_listens_to = types  # type: ignore[attr-defined]
        return only  # type: ignore[return-value]

    return decorate


def wanted_by(function: Callable[..., Any], event: Event) -> bool:
    types = getattr(function, "taxportal_listens_to", None)
    return types is None or isinstance(event, types)


def _is_coroutine(function: Callable[..., Any]) -> bool:
    import inspect

    return inspect.iscoroutinefunction(function)


def _event_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return kwargs["event"] if "event" in kwargs else args[-1]


# --- the wire: what a row and a notification hold ------------------------------------


def topic_of(event: Event) -> str:
    return event.name if isinstance(event, BusMessage) else event.topic


def encode(event: Event) -> str:
    """The event as compact JSON, refusing anything but ids and short codes."""
    topic = topic_of(event)
    if not _TOPIC.match(topic):
        raise EventError(f"bad topic {topic!r}: lowercase letters, digits and _.:- only")
    values = dict(event.values) if isinstance(event, BusMessage) else event.data()
    for key, value in values.items():
        _check(key, value)
    return json.dumps(values, separators=(",", ":"))


def decode(topic: str, data: str) -> Event:
    values = json.loads(data)
    cls = _TOPICS.get(topic)
    if cls is None:
        return BusMessage(topic, values)
    # JSON has no tuples: a list of ids comes back as the tuple the dataclass declares
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def _check(key: str, value: Any) -> None:
    if isinstance(value, bool | int) or value is None:
        return
    if isinstance(value, str) and _CODE.match(value):
        return
    if isinstance(value, list | tuple) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        return
    raise EventError(f"event field {key!r} must be an id, a list of ids or a short code")
