"""Fill Spanish translations into the catalog from a JSON file of {msgid: msgstr}.

python scripts/po_fill.py translations.json [catalog.po]   # translated entries are kept

Without a catalog it fills the core's; a plugin names its own es/LC_MESSAGES/messages.po.

A plural entry is keyed by its singular msgid and takes a list of the catalog's plural
forms (Spanish has three in CLDR: one, many, other). Obsolete (#~) entries are dropped.
Every %(name)s placeholder of a msgid must appear in its msgstr, and no other.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parents[1] / "core/taxportal/locale/es/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def placeholders(text: str | tuple[str, ...] | list[str]) -> set[str]:
    texts = [text] if isinstance(text, str) else list(text)
    return {name for item in texts for name in PLACEHOLDER.findall(item)}


def untranslated(message) -> bool:  # type: ignore[no-untyped-def]
    strings = [message.string] if isinstance(message.string, str) else list(message.string)
    return message.fuzzy or not all(strings)


def main(source: str) -> int:
    wanted = json.loads(Path(source).read_text(encoding="utf-8"))
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="es")
    catalog.obsolete.clear()
    filled = 0
    problems = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key not in wanted:
            continue
        value = wanted[key]
        if isinstance(message.id, str) != isinstance(value, str):
            problems.append(f"{key!r}: plural entries take a list, others a string")
            continue
        if not isinstance(value, str) and len(value) != catalog.num_plurals:
            problems.append(f"{key!r}: needs {catalog.num_plurals} plural forms")
            continue
        if placeholders(message.id) != placeholders(value):
            problems.append(f"{key!r}: placeholders differ in {value!r}")
            continue
        message.string = value if isinstance(value, str) else tuple(value)
        message.flags.discard("fuzzy")
        filled += 1
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=76, include_previous=False)  # as pybabel update
    missing = [m.id for m in catalog if m.id and untranslated(m)]
    print(f"filled {filled}; still untranslated or fuzzy: {len(missing)}")
    for item in missing:
        print("  -", item)
    for problem in problems:
        print("  !", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) > 2:
        PO = Path(sys.argv[2])
    sys.exit(main(sys.argv[1]))
