"""Sample firm data for `taxportal serve --demo`: a few returns and an admin."""

from __future__ import annotations

import datetime as dt
import secrets

from taxportal.context import Core
from taxportal.models import StaffUser
from taxportal.services.accounts import staff as staff_service
from taxportal.services.returns import records as returns_service
from taxportal.services.returns.fields import ReturnFields

DEMO_ADMIN = "admin@demo-firm.example.com"
# the sample firm `serve --demo` presents, unless the configuration names one
DEMO_FIRM = {
    "name": "Evans Tax Service (demo)",
    "phone": "(706) 555-0100",
    "email": "office@demo-firm.example.com",
}
_SAMPLES = [
    (
        "ALISA",
        "Support",
        "400-12-1001",
        "alisa@example.com",
        "(706) 555-0101",
        "11 S Broad St",
        "EVANS",
        "GA",
        "30809",
        "en",
        "Direct Deposit",
    ),
    (
        "ANDREW",
        "Antrobus",
        "400-12-1002",
        "andrew@example.com",
        "(618) 555-0102",
        "22200 Columbia Rd",
        "EVANS",
        "GA",
        "30809",
        "en",
        "Direct Deposit",
    ),
    (
        "ANGELITA",
        "García",
        "400-12-1003",
        "angelita@example.com",
        "(409) 555-0103",
        "1714 2nd Ave",
        "Evans",
        "TX",
        "77001",
        "es",
        "",
    ),
    (
        "CAMERON",
        "Saunders",
        "400-12-1004",
        "",
        "(770) 555-0104",
        "8114 W Main St",
        "Evans",
        "GA",
        "30809",
        "en",
        "Email Check",
    ),
    ("AMY", "Nguyen", "", "amy@example.com", "", "2201 E 4th St", "Evans", "NM", "87001", "en", ""),
]


async def seed(core: Core) -> tuple[str, str]:
    """Create the demo admin (once) and the sample returns (idempotent)."""
    year = dt.date.today().year - 1
    for first, last, ssn, email, phone, address, city, state, zip_code, lang, efile in _SAMPLES:
        fields = ReturnFields(
            tax_year=year,
            first_name=first,
            last_name=last,
            ssn=ssn,
            primary_email=email,
            mobile_phone=phone,
            address=address,
            city=city,
            state=state,
            zip_code=zip_code,
            language=lang,
            efile_status=efile,
        )
        if ssn:
            await returns_service.upsert(core, fields, actor="demo")
        elif not await returns_service.TaxReturn.exists(last_name=last, tax_year=year):
            await returns_service.create(core, fields, actor="demo")
    if await StaffUser.exists(email=DEMO_ADMIN):
        return DEMO_ADMIN, ""
    password = secrets.token_urlsafe(12)
    await staff_service.add_staff(core, DEMO_ADMIN, password, "admin", "Demo Admin", actor="demo")
    return DEMO_ADMIN, password
