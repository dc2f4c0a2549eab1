"""Helpers that walk a taxpayer through the portal over HTTP, the way a browser does."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
from pathlib import Path

from aiohttp.test_utils import TestClient

from taxportal.services.accounts import portals as portal_service
from taxportal.services.returns import records as returns_service
from taxportal.services.returns.fields import ReturnFields
from taxportal.web.keys import CORE

PASSWORD = "Tax-Season1!"  # meets the guide's composition rules
LAST_YEAR = dt.date.today().year - 1


def core(client: TestClient):  # type: ignore[no-untyped-def]
    return client.app[CORE]


def outbox(client: TestClient, channel: str) -> Path:
    return core(client).config.data_dir / "outbox" / ("email" if channel == "email" else "sms")


def newest_sms_text(client: TestClient) -> str:
    files = sorted(outbox(client, "sms").glob("*.json"))
    assert files, "no text message in the outbox"
    return json.loads(files[-1].read_text())["text"]


def newest_email(client: TestClient) -> email.message.EmailMessage:
    files = sorted(outbox(client, "email").glob("*.eml"))
    assert files, "no email in the outbox"
    return email.message_from_bytes(files[-1].read_bytes(), policy=email.policy.default)


def code_in(text: str) -> str:
    match = re.search(r"\b(\d{6})\b", text)
    assert match, text
    return match.group(1)


async def invited(client: TestClient, language: str = "en", **overrides: str) -> str:
    """A return with a portal whose invitation went out by email; returns the link's path."""
    values = {
        "tax_year": LAST_YEAR,
        "first_name": "Sherry",
        "last_name": "Núñez",
        "ssn": "400-12-3497",
        "primary_email": "sherry@example.com",
        "mobile_phone": "(706) 555-0197",
        "language": language,
    }
    values.update(overrides)
    tax_return, _ = await returns_service.upsert(core(client), ReturnFields(**values), "test")
    await portal_service.invite(core(client), tax_return.id, "email", "test")
    text = newest_email(client).get_body(("plain",)).get_content()
    return re.search(r"http://portal\.test(/invite/\S+)", text).group(1)  # type: ignore[union-attr]


async def form_token(client: TestClient, path: str) -> str:
    page = await (await client.get(path)).text()
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no form on {path}: {page[:300]}"
    return match.group(1)


async def register(client: TestClient, link: str, **fields: str):  # type: ignore[no-untyped-def]
    data = {
        "username": "sherry",
        "password": PASSWORD,
        "email": "sherry@example.com",
        "phone": "",
        "last_name": "nunez",
        "ssn_last4": "3497",
    }
    data.update(fields)
    data["csrf_token"] = await form_token(client, link)
    return await client.post(link, data=data, allow_redirects=False)


async def send_code(client: TestClient, channel: str = "sms"):  # type: ignore[no-untyped-def]
    token = await form_token(client, "/portal/verify")
    return await client.post(
        "/portal/verify/send", data={"csrf_token": token, "channel": channel}, allow_redirects=False
    )


async def enter_code(client: TestClient, code: str):  # type: ignore[no-untyped-def]
    token = await form_token(client, "/portal/verify")
    return await client.post(
        "/portal/verify/check", data={"csrf_token": token, "code": code}, allow_redirects=False
    )


async def sign_in(client: TestClient, username: str = "sherry", password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = await form_token(client, "/portal/login")
    return await client.post(
        "/portal/login",
        data={"csrf_token": token, "username": username, "password": password},
        allow_redirects=False,
    )


async def sign_out(client: TestClient):  # type: ignore[no-untyped-def]
    token = await form_token(client, "/portal/")
    return await client.post("/portal/logout", data={"csrf_token": token}, allow_redirects=False)


async def registered_and_verified(client: TestClient, language: str = "en") -> None:
    link = await invited(client, language)
    assert (await register(client, link)).status == 303
    assert (await send_code(client)).status == 303
    response = await enter_code(client, code_in(newest_sms_text(client)))
    assert response.status == 303 and response.headers["Location"] == "/portal/"
