"""English and Spanish ship complete: every taxpayer string is marked, extracted and translated."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface

from tests.i18n.catalog import (
    BABEL_CFG,
    PACKAGE,
    POT,
    SPANISH_PO,
    MsgId,
    extract,
    is_taxpayer_source,
    key,
    msgids,
    placeholders,
    read_catalog,
    strings,
    tags,
    taxpayer_templates,
    unmarked_text,
)


def taxpayer_messages() -> dict[MsgId, list[str]]:
    found: dict[MsgId, list[str]] = defaultdict(list)
    for item in extract():
        if is_taxpayer_source(item.where.rsplit(":", 1)[0]):
            found[item.msgid].append(item.where)
    return found


def test_the_taxpayer_sources_have_strings_to_translate():
    found = taxpayer_messages()
    places = {where.rsplit(":", 1)[0] for wheres in found.values() for where in wheres}
    for expected in (
        "web/templates/base.html",
        "web/templates/error.html",
        "web/templates/portal/register.html",
        "services/message_templates/code.sms.txt",
        "web/accounts/register.py",
        "web/accounts/verify.py",
        "services/accounts/password_policy.py",
        "services/messages.py",
    ):
        assert expected in places
    assert len(found) > 100


def test_every_taxpayer_string_has_a_spanish_translation():
    catalog = read_catalog(SPANISH_PO, "es")
    problems = []
    for msgid, wheres in sorted(taxpayer_messages().items(), key=lambda item: key(item[0])):
        message = catalog.get(msgid)
        where = ", ".join(wheres)
        if message is None:
            problems.append(f"not in the Spanish catalog: {msgid!r} ({where})")
        elif message.fuzzy or not all(strings(message)):
            problems.append(f"no Spanish translation: {msgid!r} ({where})")
        elif len(strings(message)) != (1 if isinstance(msgid, str) else catalog.num_plurals):
            problems.append(f"wrong number of plural forms: {msgid!r} ({where})")
        else:
            translation = strings(message)
            if placeholders(msgid) != placeholders(translation):
                problems.append(f"placeholders differ: {msgid!r} -> {translation!r}")
            if tags(msgid) and set(tags(msgid)) != set(tags(translation)):
                problems.append(f"HTML tags differ: {msgid!r} -> {translation!r}")
    assert not problems, "\n".join(problems)


def test_every_translation_formats_like_its_english():
    """`_()` and {% trans %} are newstyle gettext: msgstr % values must work, %% included."""
    catalog = read_catalog(SPANISH_PO, "es")
    problems = []
    for message in catalog:
        if not message.id:
            continue
        english = [message.id] if isinstance(message.id, str) else list(message.id)
        values = {name: 1 for name in placeholders(english)}
        for text in strings(message):
            try:
                text % values
            except (KeyError, ValueError, TypeError) as exc:
                problems.append(f"{text!r}: {exc}")
        if any("%" in text.replace("%%", "") and not placeholders(text) for text in english):
            problems.append(f"{message.id!r}: a lone % (write %% in gettext strings)")
    assert not problems, "\n".join(problems)


def test_the_spanish_catalog_has_nothing_fuzzy_or_obsolete():
    catalog = read_catalog(SPANISH_PO, "es")
    assert not catalog.obsolete, list(catalog.obsolete)
    assert not [m.id for m in catalog if m.id and m.fuzzy]
    assert catalog.num_plurals == 3  # one, many (un millón de), other


def test_the_pot_and_the_spanish_catalog_are_up_to_date_with_the_sources(tmp_path: Path):
    """Adding a string without re-extracting, updating and translating fails here."""
    fresh = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(BABEL_CFG),
            "-k",
            "N_",
            "-o",
            str(fresh),
            "--project",
            "taxportal",
            "--version",
            "0.1",
            str(PACKAGE),
        ]
    )
    extracted = msgids(read_catalog(fresh))
    committed = msgids(read_catalog(POT))
    assert extracted == committed, (
        f"run pybabel extract (see babel.cfg): new {sorted(map(key, extracted - committed))}, "
        f"gone {sorted(map(key, committed - extracted))}"
    )
    spanish = msgids(read_catalog(SPANISH_PO, "es"))
    assert spanish == committed, (
        f"run pybabel update: missing {sorted(map(key, committed - spanish))}, "
        f"stale {sorted(map(key, spanish - committed))}"
    )


@pytest.mark.parametrize("template", taxpayer_templates(), ids=lambda p: p.name)
def test_taxpayer_templates_have_no_unmarked_text(template: Path):
    """Text a taxpayer reads goes through _() or {% trans %}, or it stays English in Spanish."""
    relative = template.relative_to(PACKAGE)
    assert unmarked_text(template.read_text(encoding="utf-8")) == [], relative


def test_the_unmarked_text_check_finds_text():
    source = (
        '<p>{{ _("Fine") }} Hello <b>{{ name }}</b></p><nav aria-label="Portal"></nav>'
        "<nav aria-label=\"{{ _('Portal') }}\">{% trans %}Also fine{% endtrans %} · </nav>"
    )
    assert unmarked_text(source) == ["Portal", "Hello"]
