"""The portal's fixed text translated once per language, when a template compiles.

Every ``_("...")`` of a core template costs a page five Python calls through Jinja's
new-style gettext (My Files has 26). The portal's pages are rendered by one environment
per language (``rendering.portal_environment``); in those, this extension replaces each
``_("a constant")`` of the core's own templates by the translated text, marked safe as
the runtime call would have made it. Calls with values (``_("%(n)s files", n=n)``),
``{% trans %}`` blocks, and plugins' templates (which bring their own catalog) stay
translated at render time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

from taxportal import i18n

GETTEXT_NAMES = ("_", "gettext")


class FoldedTranslations(Extension):
    """Needs ``environment.folded_language`` (a language code) and ``folded_root`` (the
    folder whose templates are folded)."""

    def __init__(self, environment):  # type: ignore[no-untyped-def]
        super().__init__(environment)
        environment.extend(folded_language=None, folded_root=None)

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        language = self.environment.folded_language  # type: ignore[attr-defined]
        root = self.environment.folded_root  # type: ignore[attr-defined]
        if not language or not root or not _under(stream.filename, root):
            yield from stream
            return
        catalog = i18n.translations(language)
        window: list[Token] = []
        previous = ""  # the type of the last token let through: `x._("a")` is not gettext
        for token in stream:
            window.append(token)
            if len(window) < 4:
                continue
            if previous != "dot" and (folded := _folded(window, catalog)) is not None:
                yield from folded
                window.clear()
                previous = "rparen"
            else:
                passed = window.pop(0)
                previous = passed.type
                yield passed
        yield from window


def _under(filename: str | None, root: str) -> bool:
    return filename is not None and Path(filename).resolve().is_relative_to(root)


def _folded(window: list[Token], catalog) -> list[Token] | None:  # type: ignore[no-untyped-def]
    """``_ ( "text" )`` -> ``( "translated" | safe )``, else None."""
    name, open_, text, close = window
    if not (
        name.type == "name"
        and name.value in GETTEXT_NAMES
        and open_.type == "lparen"
        and text.type == "string"
        and close.type == "rparen"
    ):
        return None
    try:
        # what the runtime call gives (its Markup(translation) % {}): "%%" -> "%"
        translated = catalog.gettext(text.value) % {}
    except (KeyError, TypeError, ValueError):  # a placeholder without its value: leave it
        return None
    line = name.lineno
    return [
        Token(line, "lparen", "("),
        Token(line, "string", translated),
        Token(line, "pipe", "|"),
        Token(line, "name", "safe"),
        Token(line, "rparen", ")"),
    ]
