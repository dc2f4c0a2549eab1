"""Dates of birth and prior-year AGIs as people write them, and the signer's answer checked.

One reading serves what the preparer stores (``fields``) and what a signer answers at
signing (``answer_matches``), so "$12,345" typed at signing is the 12345 stored from
"12,345.00". Messages never repeat the value: these are identity facts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
from decimal import ROUND_HALF_UP, Decimal

MAX_TEXT = 40  # longer is no date or amount: refused before any pattern runs
AGI_LIMIT = 10**12  # dollars either way: above the largest AGI ever filed, below overflow
DATE_FORMS = "MM/DD/YYYY or YYYY-MM-DD"
AGI_FORMS = "an amount in dollars such as 12345, $12,345 or -1,234.50"

_US_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")  # ASCII digits only
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
# -$1,234.50, $-1,234.50, (1,234.50), 1234: commas only in groups of three
_AMOUNT = re.compile(r"(-?)\$?(-?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]{1,2}))?")


def read_date(text: str) -> dt.date:
    """A calendar date from MM/DD/YYYY (M/D/YYYY too) or YYYY-MM-DD; ValueError otherwise."""
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise ValueError(f"a date is {DATE_FORMS}")
    if match := _US_DATE.fullmatch(text):
        month, day, year = match.groups()
    elif match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    else:
        raise ValueError(f"a date is {DATE_FORMS}")
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"not a real date (check the month and the day: {DATE_FORMS})") from None


def read_agi(value: object) -> int:
    """Whole dollars from an amount (text or a JSON number); cents round as on the 1040
    (50 cents and up to the next dollar). ValueError for anything else or out of bounds."""
    if isinstance(value, bool):
        raise ValueError(f"the AGI must be {AGI_FORMS}")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"the AGI must be {AGI_FORMS}")
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        amount = _amount(value)
    else:
        raise ValueError(f"the AGI must be {AGI_FORMS}")
    # bounded before rounding: quantize refuses numbers past the context's 28 digits
    if abs(amount) >= AGI_LIMIT - Decimal("0.5"):
        raise ValueError("the AGI is out of range (under a trillion dollars either way)")
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))  # ties away from zero


def _amount(text: str) -> Decimal:
    text = text.strip().replace(" ", "")
    if len(text) > MAX_TEXT:
        raise ValueError(f"the AGI must be {AGI_FORMS}")
    negative = text.startswith("(") and text.endswith(")")  # accountants' negative
    if negative:
        text = text[1:-1]
    match = _AMOUNT.fullmatch(text)
    if match is None or (match[1] and match[2]) or (negative and (match[1] or match[2])):
        raise ValueError(f"the AGI must be {AGI_FORMS}")
    sign, _, digits, cents = match.groups()
    amount = Decimal(digits.replace(",", "") + "." + (cents or "0"))
    return -amount if negative or sign or match[2] else amount


def _canonical(fact: dt.date | int) -> bytes:
    return fact.isoformat().encode() if isinstance(fact, dt.date) else str(fact).encode()


def answer_matches(fact: dt.date | int | None, answer: str) -> bool:
    """Whether a signer's answer states ``fact`` (a date of birth or whole-dollar AGI).

    Both sides are brought to one form first (dates as YYYY-MM-DD, amounts as whole
    dollars), then compared as SHA-256 digests with ``hmac.compare_digest``: the time taken
    does not depend on how much of the answer was right. No fact on file never matches.
    """
    expected = _canonical(fact) if fact is not None else b"\x00no fact"
    given = b"\x00unreadable"
    if isinstance(answer, str) and len(answer) <= MAX_TEXT:
        try:
            read = read_date(answer) if isinstance(fact, dt.date) else read_agi(answer)
            given = _canonical(read)
        except ValueError:
            pass
    same = hmac.compare_digest(hashlib.sha256(expected).digest(), hashlib.sha256(given).digest())
    return same and fact is not None
