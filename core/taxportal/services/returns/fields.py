"""What a valid return looks like: one pydantic model shared by the API, CSV import and forms."""

from __future__ import annotations

import datetime
import re
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from taxportal.services.returns.fact_values import read_agi, read_date
from taxportal.text import CONTROL_CHARACTERS, InvalidValue, normalize_email, normalize_phone

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY "
    "PR VI GU AS MP AA AE AP".split()
)
LANGUAGES = {"en": "en", "english": "en", "es": "es", "spanish": "es", "español": "es"}
_ZIP = re.compile(r"^[0-9]{5}(-[0-9]{4})?$")  # ASCII digits only, as the schema says
_RETURN_TYPE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,15}$")


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(_strip)]
OLDEST_BIRTH_DATE = datetime.date(1900, 1, 1)


def _agi(value: object) -> int | None:
    """An AGI as given (text from a form or a file, a JSON number), or None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return read_agi(value)


Agi = Annotated[int | None, BeforeValidator(_agi)]


def has_spouse(spouse_first_name: str, spouse_last_name: str) -> bool:
    """A return is joint when it names a spouse (as the Signed Document Manager decides)."""
    return bool(spouse_first_name.strip() or spouse_last_name.strip())


def check_tin(raw: str) -> str:
    """Nine digits that can be an SSN or an ITIN; dashes and spaces are allowed in input."""
    digits = re.sub(r"[\s-]", "", raw)
    if not re.fullmatch(r"[0-9]{9}", digits):  # not \d: other scripts' digits are no SSN
        raise ValueError("SSN must be 9 digits (123-45-6789)")
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area.startswith("9"):
        if not (
            50 <= int(group) <= 65
            or 70 <= int(group) <= 88
            or int(group) in (90, 91, 92)
            or 94 <= int(group) <= 99
        ):
            raise ValueError("SSN is not a valid SSN or ITIN")
    elif area in ("000", "666") or group == "00" or serial == "0000":
        raise ValueError(
            "SSN is not a valid SSN (no SSN starts with 000 or 666, "
            "or has 00 or 0000 in its groups)"
        )
    return digits


class ReturnFields(BaseModel):
    """A return as a tax program or a preparer sends it. Normalises what it can."""

    model_config = ConfigDict(extra="forbid", str_max_length=254)

    tax_year: int = Field(ge=2000, le=datetime.date.today().year + 1)
    return_type: Text = "1040"
    efile_status: Text = Field("", max_length=64)
    first_name: Text = Field("", max_length=100)
    last_name: Text = Field(min_length=1, max_length=100)
    ssn: Text = ""
    primary_email: Text = ""
    secondary_email: Text = ""
    mobile_phone: Text = ""
    address: Text = Field("", max_length=200)
    city: Text = Field("", max_length=100)
    state: Text = ""
    zip_code: Text = ""
    spouse_first_name: Text = Field("", max_length=100)
    spouse_last_name: Text = Field("", max_length=100)
    spouse_ssn: Text = ""
    spouse_email: Text = ""
    spouse_mobile_phone: Text = ""
    language: Text = "en"
    # Identity facts for signing (issue 11): never printed on the documents signed, stored
    # encrypted; empty keeps the one on file, like the SSN. The AGI is per signer, as in
    # the IRS's own e-file check (spouses who filed apart last year have two).
    birth_date: Text = ""  # normalised to YYYY-MM-DD
    prior_year_agi: Agi = None  # whole dollars, may be negative
    spouse_birth_date: Text = ""
    spouse_prior_year_agi: Agi = None

    @field_validator("return_type")
    @classmethod
    def _return_type(cls, value: str) -> str:
        value = value.upper() or "1040"
        if not _RETURN_TYPE.match(value):
            raise ValueError("return type must be a form number such as 1040 or 1065")
        return value

    @field_validator("ssn", "spouse_ssn")
    @classmethod
    def _ssn(cls, value: str) -> str:
        return check_tin(value) if value else ""

    @field_validator("primary_email", "secondary_email", "spouse_email")
    @classmethod
    def _email(cls, value: str) -> str:
        return _wrap(normalize_email, value) if value else ""

    @field_validator("birth_date", "spouse_birth_date")
    @classmethod
    def _birth_date(cls, value: str) -> str:
        if not value:
            return ""
        born = read_date(value)
        if born >= datetime.date.today():
            raise ValueError("a date of birth must be in the past")
        if born < OLDEST_BIRTH_DATE:
            raise ValueError("a date of birth must be in 1900 or later")
        return born.isoformat()

    @field_validator(
        "spouse_email", "spouse_mobile_phone", "spouse_birth_date", "spouse_prior_year_agi"
    )
    @classmethod
    def _needs_spouse(cls, value: object, info: ValidationInfo) -> object:
        first, last = info.data.get("spouse_first_name"), info.data.get("spouse_last_name")
        if first is None or last is None:  # a name refused already: that error says enough
            return value
        if value not in ("", None) and not has_spouse(first, last):
            raise ValueError(
                "give the spouse's first or last name too: without one the return has no spouse"
            )
        return value

    @field_validator("mobile_phone", "spouse_mobile_phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return _wrap(normalize_phone, value) if value else ""

    @field_validator("state")
    @classmethod
    def _state(cls, value: str) -> str:
        value = value.upper()
        if value and value not in US_STATES:
            raise ValueError(f"'{value}' is not a US state or territory code")
        return value

    @field_validator("zip_code")
    @classmethod
    def _zip(cls, value: str) -> str:
        if value and not _ZIP.match(value):
            raise ValueError("zip code must be 12345 or 12345-6789")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        code = LANGUAGES.get(value.casefold() or "en")
        if code is None:
            raise ValueError("language must be en (English) or es (Spanish)")
        return code


def _wrap(normalise, value: str) -> str:  # type: ignore[no-untyped-def]
    try:
        return normalise(value)
    except InvalidValue as exc:
        raise ValueError(str(exc)) from None


# Nine digits shaped like an SSN (123-45-6789, 123 45 6789, 123456789), not a ZIP+4 (12345-6789)
# nor part of a longer number.
_SSN_LIKE = re.compile(r"(?<!\d)\d{3}([- ]?)\d{2}\1\d{4}(?!\d)")
_PLAIN_MESSAGES = {"missing": "required", "extra_forbidden": "unknown field"}


def redact_ssn_like(text: str) -> str:
    """Hide anything shaped like an SSN: an SSN typed in the wrong field is still an SSN.

    The one masking rule for every message that may quote input: the API, the CSV import
    (page and CLI) and the console's return form.
    """
    return _SSN_LIKE.sub("***-**-****", text)


def shown_name(name: str) -> str:
    """A name taken from the input (a column, a JSON key) as messages may repeat it: an SSN
    in it masked, control characters replaced and the whole cut to 40 characters."""
    return CONTROL_CHARACTERS.sub("?", redact_ssn_like(name))[:40]


def has_ssn_like(text: str) -> bool:
    """True when ``text`` holds something shaped like an SSN (never shown back as typed)."""
    return _SSN_LIKE.search(text) is not None


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Field name -> readable reason, for the API, the CSV import and the console's form;
    never echoes an SSN."""
    found: dict[str, list[str]] = {}
    for error in exc.errors():
        field = ".".join(shown_name(str(p)) for p in error["loc"]) or "row"
        message = _PLAIN_MESSAGES.get(error["type"]) or str(error["msg"])
        found.setdefault(field, []).append(redact_ssn_like(message.removeprefix("Value error, ")))
    return {field: "; ".join(messages) for field, messages in found.items()}
