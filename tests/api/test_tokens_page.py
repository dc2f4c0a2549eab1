"""The API tokens page: create a token (shown once), use it, revoke it."""

from __future__ import annotations

import re

from taxportal.models import StaffUser
from taxportal.services.accounts import staff as staff_service
from tests.support import csrf_from, sign_in


async def create_token(client, label: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    csrf = await csrf_from(client, "/staff/tokens")
    response = await client.post("/staff/tokens", data={"csrf_token": csrf, "label": label})
    return response.status, await response.text()


def shown_token(page: str) -> str:
    match = re.search(r'id="new-token" type="text" readonly value="(tp_[A-Za-z0-9_-]+)"', page)
    assert match, page
    return match.group(1)


async def test_a_created_token_is_shown_once_and_works_on_the_api(staff_client):
    empty = await (await staff_client.get("/staff/tokens")).text()
    assert "You have no API tokens yet." in empty

    status, page = await create_token(staff_client, "Drake <Tax> 2025")
    assert status == 201
    token = shown_token(page)
    assert "it is shown only this once" in page
    assert "Drake &lt;Tax&gt; 2025" in page and "<Tax>" not in page

    listing = await (await staff_client.get("/staff/tokens")).text()
    assert token not in listing
    assert "Drake &lt;Tax&gt; 2025" in listing and "Active" in listing

    response = await staff_client.get(
        "/api/v1/returns", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200


async def test_revoking_a_token_locks_the_program_out(staff_client):
    _, page = await create_token(staff_client, "old laptop")
    token = shown_token(page)
    token_id = re.search(r'action="/staff/tokens/(\d+)/revoke"', page).group(1)  # type: ignore[union-attr]

    csrf = await csrf_from(staff_client, "/staff/tokens")
    response = await staff_client.post(
        f"/staff/tokens/{token_id}/revoke", data={"csrf_token": csrf}, allow_redirects=False
    )
    assert response.status == 303
    after = await (await staff_client.get(response.headers["Location"])).text()
    assert "Token revoked." in after and "Revoked " in after
    assert f"/staff/tokens/{token_id}/revoke" not in after

    api = await staff_client.get("/api/v1/returns", headers={"Authorization": f"Bearer {token}"})
    assert api.status == 401


async def test_tokens_of_another_person_are_neither_listed_nor_revocable(
    staff_client, client_for, core_of
):
    other = await staff_service.add_staff(
        core_of(staff_client), "preparer@firm.example.com", "another long password", "preparer"
    )
    theirs = await staff_service.issue_api_token(other, "their program")
    [their_token] = await staff_service.list_api_tokens(other)

    page = await (await staff_client.get("/staff/tokens")).text()
    assert "their program" not in page
    csrf = await csrf_from(staff_client, "/staff/tokens")
    response = await staff_client.post(
        f"/staff/tokens/{their_token.id}/revoke", data={"csrf_token": csrf}
    )
    assert response.status == 404
    assert "No such active token of yours." in await response.text()
    still = await staff_client.get("/api/v1/returns", headers={"Authorization": f"Bearer {theirs}"})
    assert still.status == 200

    # The preparer sees their own token on their own page.
    preparer = await client_for(staff_client.app)
    await sign_in(preparer, "preparer@firm.example.com", "another long password")
    assert "their program" in await (await preparer.get("/staff/tokens")).text()


async def test_the_tokens_page_needs_a_signed_in_user_and_a_csrf_token(staff_client, client_for):
    anonymous = await client_for(staff_client.app)
    response = await anonymous.get("/staff/tokens", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/staff/login")

    forged = await staff_client.post("/staff/tokens", data={"label": "forged"})
    assert forged.status == 403
    user = await StaffUser.get(email="admin@firm.example.com")
    assert await staff_service.list_api_tokens(user) == []
