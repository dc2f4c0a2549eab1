"""The import file's header: which field each column holds, and what messages call it.

A message about a column the file has names it as the file does ('E-mail', 'Cell Phone');
a message about a column the file lacks names it by its File Viewer caption ('Year',
'SSN'), never by the internal field name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from taxportal.services.returns.csv_file import UnusableFile
from taxportal.services.returns.fields import ReturnFields, shown_name

REQUIRED = ("tax_year", "last_name", "ssn")

# The File Viewer's caption of each field: the name messages use for a column not in the file.
DISPLAY = {
    "tax_year": "Year",
    "return_type": "Return Type",
    "efile_status": "E-File",
    "first_name": "First Name",
    "last_name": "Last Name",
    "ssn": "SSN",
    "primary_email": "Primary E-mail",
    "secondary_email": "Secondary E-mail",
    "mobile_phone": "Phone",
    "address": "Address",
    "city": "City",
    "state": "State",
    "zip_code": "Zip Code",
    "spouse_first_name": "Spouse First Name",
    "spouse_last_name": "Spouse Last Name",
    "spouse_ssn": "Spouse SSN",
    "spouse_email": "Spouse E-mail",
    "spouse_mobile_phone": "Spouse Phone",
    "language": "Language",
    "birth_date": "Date of Birth",
    "prior_year_agi": "Prior Year AGI",
    "spouse_birth_date": "Spouse Date of Birth",
    "spouse_prior_year_agi": "Spouse Prior Year AGI",
}
# Common spellings besides the captions and the field names themselves.
CAPTIONS = {
    "Year": "tax_year",
    "E-File": "efile_status",
    "Phone": "mobile_phone",
    "Mobile": "mobile_phone",
    "Cell Phone": "mobile_phone",
    "Email": "primary_email",
    "Secondary Email": "secondary_email",
    "Zip": "zip_code",
    "Preferred Language": "language",
    "Spouse Email": "spouse_email",
    "Spouse Mobile": "spouse_mobile_phone",
    "Spouse Cell Phone": "spouse_mobile_phone",
    "DOB": "birth_date",
    "Taxpayer DOB": "birth_date",
    "Taxpayer Date of Birth": "birth_date",
    "Birth Date": "birth_date",
    "Spouse DOB": "spouse_birth_date",
    "Spouse Birth Date": "spouse_birth_date",
    "AGI Prior Year": "prior_year_agi",
    "PY AGI": "prior_year_agi",
    "Taxpayer Prior Year AGI": "prior_year_agi",
    "Spouse PY AGI": "spouse_prior_year_agi",
    "Spouse AGI Prior Year": "spouse_prior_year_agi",
}
IGNORED = ("Email Sent",)  # the File Viewer's own column: the portal keeps it, not the file
NO_TAX_YEAR = (
    "the file has no Year column: add one, or give the tax year of the whole file "
    "(--tax-year YYYY on the command line, the Tax year field on the import page)"
)


def header_key(name: str) -> str:
    """Case, spaces, underscores and hyphens do not matter: 'Zip Code' == 'zip_code'."""
    return re.sub(r"[\s_-]+", "", name).casefold()


COLUMNS = {header_key(name): name for name in ReturnFields.model_fields}
COLUMNS.update({header_key(caption): name for caption, name in CAPTIONS.items()})
COLUMNS.update({header_key(caption): name for name, caption in DISPLAY.items()})
_IGNORED_KEYS = {header_key(name) for name in IGNORED}


@dataclass
class Header:
    columns: list[str | None]  # the field of each position; None for an ignored column
    captions: dict[str, str]  # field -> the name the file gives it (else DISPLAY's)
    unnamed: frozenset[int]  # positions with an empty header: they must stay empty
    present: frozenset[str]  # the fields the file has a column for
    tax_year: int | None  # the whole file's tax year, for rows without one

    def caption(self, name: str) -> str:
        return self.captions.get(name) or DISPLAY.get(name, name)


def read_header(names: list[str], tax_year: int | None = None) -> Header:
    """The fields of the columns; UnusableFile when the header cannot be used."""
    columns: list[str | None] = []
    captions: dict[str, str] = {}
    unknown: list[str] = []
    for raw in names:
        name = raw.strip()
        key = header_key(name)
        target = COLUMNS.get(key)
        if target is None and name and key not in _IGNORED_KEYS:
            unknown.append(shown_name(name))
        if target is not None and target in captions:
            raise UnusableFile(
                f"the columns '{captions[target]}' and '{shown_name(name)}' are "
                f"the same column ({DISPLAY[target]}): keep one of them"
            )
        if target is not None:
            captions[target] = shown_name(name)
        columns.append(target)
    if not captions:
        raise UnusableFile(
            "the first line must be a header with column names such as Year, Last Name, SSN"
        )
    if unknown:
        listed = ", ".join(f"'{name}'" for name in unknown[:10])
        raise UnusableFile(
            f"unknown column{'s' if len(unknown) > 1 else ''}: {listed}. "
            f"Known columns: {', '.join(DISPLAY.values())}"
        )
    if "tax_year" not in captions and tax_year is None:
        raise UnusableFile(NO_TAX_YEAR)
    missing = [DISPLAY[name] for name in REQUIRED if name not in captions and name != "tax_year"]
    if missing:
        raise UnusableFile(
            f"missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}"
        )
    unnamed = frozenset(i for i, raw in enumerate(names) if not raw.strip())
    present = frozenset(captions) | ({"tax_year"} if tax_year is not None else set())
    return Header(columns, captions, unnamed, present, tax_year)
