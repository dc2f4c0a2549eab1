"""Small text normalisers shared by services and plugins."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

# C0 and C1 controls, DEL, and lone surrogates (bytes that were not UTF-8): no database or
# page wants them. Text typed into a form may hold tab and line breaks; nothing else may.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control(text: str, lines_allowed: bool = False) -> bool:
    """True when ``text`` holds a control character or a lone surrogate; with
    ``lines_allowed``, tab, line feed and carriage return are text."""
    return (_CONTROL_BUT_LINES if lines_allowed else CONTROL_CHARACTERS).search(text) is not None


def whole_number(text: str, low: int, high: int) -> int | None:
    """``text`` as a whole number from ``low`` to ``high`` (ASCII digits only: "²" and "٣"
    are digits to Python), else None; never int() of thousands of digits."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)):
        return None
    value = int(text)
    return value if low <= value <= high else None


class InvalidValue(ValueError):
    """A value a person typed that cannot be used; the message says why."""


def fold_name(name: str) -> str:
    """Case, accents and spacing do not matter when names are compared."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in letters.casefold() if c.isalnum())


def normalize_phone(raw: str, region: str = "US") -> str:
    """E.164 form of a phone number, or InvalidValue when it cannot exist."""
    text = raw.strip()
    if not text:
        raise InvalidValue("phone number is empty")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidValue(f"'{text}' is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidValue(f"'{text}' is not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    """Lower-cased, syntax-checked email address (no DNS look-up)."""
    text = raw.strip()
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidValue(f"'{text}' is not a valid email address: {exc}") from None
    return checked.normalized.lower()


def mask_email(address: str) -> str:
    """'sherry@example.com' -> 'she****@com', the way the guide shows it."""
    local, _, domain = address.partition("@")
    tld = domain.rsplit(".", 1)[-1] if domain else ""
    return f"{local[:3]}****@{tld}"


def mask_phone(e164: str) -> str:
    """'+17065551297' -> '70****97': national digits, the middle hidden."""
    digits = "".join(c for c in e164 if c.isdigit())
    national = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    return f"{national[:2]}****{national[-2:]}"
