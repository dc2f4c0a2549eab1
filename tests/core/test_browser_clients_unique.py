"""The browser tests share one server: two test clients with the same SSN or mobile phone
are one return there (the import upserts by SSN), so whichever test runs second finds the
other's name. It happened twice; this keeps every literal SSN in tests/browser
to one file."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

BROWSER = Path(__file__).resolve().parents[1] / "browser"
SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")


def literals(pattern: re.Pattern[str]) -> Counter[str]:
    found: Counter[str] = Counter()
    for path in sorted(BROWSER.glob("*.py")):
        # a Client(...) or a seeded return's fields: the literal as written
        found.update(set(pattern.findall(path.read_text(encoding="utf-8"))))
    return found


def test_no_two_browser_test_files_share_an_ssn() -> None:
    shared = {ssn: n for ssn, n in literals(SSN).items() if n > 1}
    assert shared == {}, f"SSNs used by more than one file in tests/browser: {shared}"
