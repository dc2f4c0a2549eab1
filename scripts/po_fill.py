"""Fill Spanish translations into the catalog from a JSON file of {msgid: msgstr}.

python scripts/po_fill.py translations.json   # entries already translated are kept
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parents[1] / "core/taxportal/locale/es/LC_MESSAGES/messages.po"


def main(source: str) -> int:
    wanted = json.loads(Path(source).read_text(encoding="utf-8"))
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="es")
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in wanted:
            message.string = wanted[key]
            message.flags.discard("fuzzy")
            filled += 1
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=100)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"filled {filled}; still untranslated: {len(missing)}")
    for item in missing:
        print("  -", item)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
