"""A message's text: what may be posted, and how it is shown (links clickable, the rest
as text)."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# every control character but line feed and tab: a NUL or an escape code is refused
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_LINK = re.compile(r"\bhttps?://[^\s<>\"']+", re.IGNORECASE)
_REL = "noopener noreferrer nofollow"  # a link in a message is the writer's, not the firm's
_TRAILING = ".,;:!?)]}'\""  # punctuation after a link ends the sentence, not the link


class MessageRefused(ValueError):
    """The text cannot be posted; ``reason`` is ``empty``, ``too_long`` or ``control``."""

    def __init__(self, reason: str, limit: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.limit = limit


def clean(text: str, max_length: int, *, allow_empty: bool = False) -> str:
    """The text as kept: line ends made ``\\n``, outer blank space trimmed; refused when
    empty (unless ``allow_empty``: a file alone), longer than ``max_length`` characters,
    or holding a control character."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text and not allow_empty:
        raise MessageRefused("empty")
    if len(text) > max_length:
        raise MessageRefused("too_long", max_length)
    if _CONTROL.search(text):
        raise MessageRefused("control")
    return text


def as_html(text: str) -> Markup:
    """Escaped text with http(s) links made clickable (opening apart, no referrer)."""
    parts: list[str] = []
    last = 0
    for match in _LINK.finditer(text):
        url = match.group(0)
        stripped = url.rstrip(_TRAILING)
        end = match.start() + len(stripped)
        parts.append(str(escape(text[last : match.start()])))
        safe = escape(stripped)
        parts.append(
            f'<a href="{safe}" rel="noopener noreferrer nofollow" target="_blank">{safe}</a>'
        )
        last = end
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))  # noqa: S704 - every piece above was escaped
