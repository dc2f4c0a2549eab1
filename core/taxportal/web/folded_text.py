"""The portal's fixed text translated once per language, when a template compiles.

Every ``_("...")`` of a core template costs a page five Python calls through Jinja's
new-style gettext (My Files has 26). The portal's pages are rendered by one environment
per language (``rendering.portal_environment``); in those, this extension replaces each
``_("a constant")`` of the core's own templates by the translated text, marked safe as
the runtime call would have made it; a call with values (``_("Remove %(name)s",
name=file.name)``) becomes the translated text formatted with them, escaped as the runtime
call escapes them. ``_(a_variable)``, ``{% trans %}`` blocks, and plugins' templates (which
bring their own catalog) stay translated at render time.
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
        tokens = list(stream)  # one template's tokens: a few thousand at most
        i = 0
        while i < len(tokens):
            # `x._("a")` is some object's method, not gettext
            after_dot = i > 0 and tokens[i - 1].type == "dot"
            folded = None if after_dot else _folded(tokens, i, catalog)
            if folded is None:
                yield tokens[i]
                i += 1
            else:
                replacement, i = folded
                yield from replacement


def _under(filename: str | None, root: str) -> bool:
    return filename is not None and Path(filename).resolve().is_relative_to(root)


def _folded(tokens: list[Token], i: int, catalog) -> tuple[list[Token], int] | None:  # type: ignore[no-untyped-def]
    """At ``tokens[i]``: ``_ ( "text" )`` -> ``( "translated" | safe )``, and
    ``_ ( "text" , a = x , ... )`` -> ``( ( "translated" | safe ) % { "a" : x , ... } )``
    (what the runtime call does: ``Markup(translation) % values``, each value escaped);
    with the index after the call. None when the tokens are not such a call."""
    head = tokens[i : i + 4]
    if not (
        len(head) == 4
        and head[0].type == "name"
        and head[0].value in GETTEXT_NAMES
        and head[1].type == "lparen"
        and head[2].type == "string"
        and head[3].type in ("rparen", "comma")
    ):
        return None
    if head[3].type == "rparen":
        named: dict[str, list[Token]] = {}
        end = i + 4
    else:
        keywords = _keywords(tokens, i + 4)
        if keywords is None:
            return None
        named, end = keywords
    try:
        # the runtime formats the translation even without values: "%%" -> "%"
        translated = catalog.gettext(head[2].value)
        checked = translated % {name: "" for name in named}
    except (KeyError, TypeError, ValueError):  # a placeholder without its value: leave it
        return None
    line = head[0].lineno
    if not named:
        return _text(line, checked), end
    out = [Token(line, "lparen", "("), *_text(line, translated), Token(line, "mod", "%")]
    out.append(Token(line, "lbrace", "{"))
    for name, expression in named.items():
        out += [Token(line, "string", name), Token(line, "colon", ":"), *expression]
        out.append(Token(line, "comma", ","))
    out += [Token(line, "rbrace", "}"), Token(line, "rparen", ")")]
    return out, end


def _text(line: int, text: str) -> list[Token]:
    return [
        Token(line, "lparen", "("),
        Token(line, "string", text),
        Token(line, "pipe", "|"),
        Token(line, "name", "safe"),
        Token(line, "rparen", ")"),
    ]


OPENING = frozenset({"lparen", "lbracket", "lbrace"})
CLOSING = frozenset({"rparen", "rbracket", "rbrace"})


def _keywords(tokens: list[Token], i: int) -> tuple[dict[str, list[Token]], int] | None:
    """``a = x , b = y )`` from ``tokens[i]``: each name's expression tokens, and the index
    after the closing parenthesis; None for anything else (a positional value, ``**kw``)."""
    named: dict[str, list[Token]] = {}
    while i + 1 < len(tokens):
        if tokens[i].type == "rparen" and named:  # after a trailing comma
            return named, i + 1
        name, assign = tokens[i], tokens[i + 1]
        if name.type != "name" or assign.type != "assign" or name.value in named:
            return None
        i += 2
        expression: list[Token] = []
        depth = 0
        while i < len(tokens):
            token = tokens[i]
            if depth == 0 and token.type in ("comma", "rparen"):
                break
            depth += (token.type in OPENING) - (token.type in CLOSING)
            expression.append(token)
            i += 1
        if i >= len(tokens) or not expression:
            return None
        named[name.value] = [Token(t.lineno, t.type, t.value) for t in expression]
        if tokens[i].type == "rparen":
            return named, i + 1
        i += 1  # the comma
    return None
