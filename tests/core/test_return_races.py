"""One return added several times at the same instant, from the console form and from the
API: one is created, the others are told so (console) or update it (API), never a 500 and
never a second row."""

from __future__ import annotations

from taxportal.models import StaffUser, TaxReturn
from taxportal.services.accounts import staff as staff_service
from tests.guessing import at_once
from tests.support import ADMIN_EMAIL, csrf_from

AT_ONCE = 6
RETURN = {
    "tax_year": 2025,
    "return_type": "1040",
    "first_name": "Ana",
    "last_name": "Núñez",
    "ssn": "400-55-1234",
    "primary_email": "ana@example.com",
}


async def test_the_same_return_added_at_once_in_the_console(staff_client):
    token = await csrf_from(staff_client, "/staff/returns/new")

    async def add(_: int) -> tuple[int, str]:
        data = {"csrf_token": token, **{k: str(v) for k, v in RETURN.items()}}
        response = await staff_client.post("/staff/returns/new", data=data, allow_redirects=False)
        return response.status, await response.text()

    answers = await at_once(AT_ONCE, add)

    statuses = sorted(status for status, _ in answers)
    assert statuses == [303] + [400] * (AT_ONCE - 1)
    for status, page in answers:
        assert status == 303 or "a 2025 return with this SSN already exists" in page
    assert await TaxReturn.all().count() == 1


async def test_the_same_return_sent_at_once_through_the_api(staff_client):
    user = await StaffUser.get(email=ADMIN_EMAIL)
    headers = {"Authorization": f"Bearer {await staff_service.issue_api_token(user, 'races')}"}

    async def send(_: int) -> tuple[int, str]:
        response = await staff_client.post("/api/v1/returns", json=RETURN, headers=headers)
        return response.status, (await response.json()).get("outcome", "")

    answers = await at_once(AT_ONCE, send)

    assert sorted(answers) == [(200, "unchanged")] * (AT_ONCE - 1) + [(201, "created")]
    assert await TaxReturn.all().count() == 1
