"""The gettext catalog as the tests see it: extraction like pybabel, the Spanish .po, page text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "core" / "taxportal"
BABEL_CFG = ROOT / "babel.cfg"
POT = PACKAGE / "locale" / "messages.pot"
SPANISH_PO = PACKAGE / "locale" / "es" / "LC_MESSAGES" / "messages.po"
TEMPLATES = PACKAGE / "web" / "templates"
MESSAGE_TEMPLATES = PACKAGE / "services" / "message_templates"  # staff/ is English
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}  # `pybabel extract -k N_`
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")

MsgId = str | tuple[str, ...]


def taxpayer_templates() -> list[Path]:
    """What a taxpayer sees: the portal pages, the shared base and error pages, the messages."""
    found = [TEMPLATES / "base.html", TEMPLATES / "error.html"]
    found += sorted((TEMPLATES / "portal").glob("*.html"))
    found += sorted(MESSAGE_TEMPLATES.glob("*.*"))
    return found


def is_taxpayer_source(relative: str) -> bool:
    """A path relative to core/taxportal. Every N_() string is for taxpayers (the console is
    English and marks nothing), so all Python modules count, and the taxpayer templates."""
    if relative.endswith(".py"):
        return True
    return PACKAGE / relative in taxpayer_templates()


@dataclass(frozen=True)
class Extracted:
    msgid: MsgId
    where: str  # file:line, for the failure message


def extract() -> Iterator[Extracted]:
    """Every message in the sources, with babel.cfg's mapping, as `pybabel extract -k N_`."""
    with BABEL_CFG.open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message if isinstance(message, str) else tuple(message)
        yield Extracted(msgid, f"{filename}:{lineno}")


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def msgids(catalog: Catalog) -> set[MsgId]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog if m.id}


def key(msgid: MsgId) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def strings(message: Message) -> list[str]:
    return [message.string] if isinstance(message.string, str) else list(message.string)


def placeholders(texts: MsgId | list[str]) -> set[str]:
    items = [texts] if isinstance(texts, str) else list(texts)
    return {name for text in items for name in PLACEHOLDER.findall(text)}


def tags(texts: MsgId | list[str]) -> list[str]:
    items = [texts] if isinstance(texts, str) else list(texts)
    return sorted(tag for text in items for tag in HTML_TAG.findall(text))


def english_pattern(msgid: str) -> re.Pattern[str]:
    """A msgid as it shows on a page: placeholders filled with anything, %% as %."""
    parts = PLACEHOLDER.split(msgid)[::2]  # the literal text between placeholders
    return re.compile(".+?".join(re.escape(part.replace("%%", "%")) for part in parts))


class _VisibleText(HTMLParser):
    SHOWN_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")
    INLINE = frozenset(("a", "abbr", "b", "code", "em", "i", "small", "span", "strong"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        if tag not in self.INLINE:
            self.parts.append(" ")
        for name, value in attrs:
            if name in self.SHOWN_ATTRIBUTES:
                self.parts.append(f" {value or ''} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1
        if tag not in self.INLINE:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(page: str) -> str:
    """What a person reads (or hears) on a page, whitespace collapsed."""
    parser = _VisibleText()
    parser.feed(page)
    return " ".join("".join(parser.parts).split())


_JINJA_COMMENT = re.compile(r"{#.*?#}", re.S)
_TRANS_BLOCK = re.compile(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}", re.S)
_STATEMENT = re.compile(r"{%.*?%}", re.S)
_EXPRESSION = re.compile(r"{{.*?}}", re.S)
_ATTRIBUTE = re.compile(r'\b(aria-label|title|placeholder|alt)="([^"]*)"')
_NOT_WORDS = re.compile(r"[\s·:;.,!?()\[\]|/\-–—*]+")


def unmarked_text(source: str) -> list[str]:
    """Literal words in a template that no gettext call or {% trans %} block covers."""
    source = _TRANS_BLOCK.sub(" ", _JINJA_COMMENT.sub(" ", source))
    source = _STATEMENT.sub(" ", source)
    found = []
    for tag in HTML_TAG.findall(source):
        for _name, value in _ATTRIBUTE.findall(tag):
            if _EXPRESSION.sub("", value).strip():
                found.append(value)
    text = unescape(HTML_TAG.sub(" ", _EXPRESSION.sub(" ", source)).replace("<!doctype html>", ""))
    found += [word for word in _NOT_WORDS.split(text) if word]
    return found
