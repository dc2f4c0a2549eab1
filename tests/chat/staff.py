"""Helpers for the firm's side: staff members signed in on a chat app, and Send."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

from taxportal.jobs.worker import Worker
from taxportal.services.accounts import staff as staff_service
from tests.accounts import journey
from tests.chat.conftest import another_client
from tests.support import sign_in

PASSWORD = "correct horse battery"
INBOX = "/staff/messages"


async def staff_on(
    client: TestClient, email: str = "ana@firm.example.com", name: str = "Ana Ruiz"
) -> TestClient:
    """A second browser on the app, signed in to the console as a new preparer."""
    browser = await another_client(client)
    await staff_service.add_staff(journey.core(client), email, PASSWORD, "preparer", name)
    await sign_in(browser, email, PASSWORD)
    return browser


async def staff_send(browser: TestClient, portal_id: int, text: str) -> Any:
    page = f"{INBOX}/{portal_id}"
    token = await journey.form_token(browser, page)
    return await browser.post(page, data={"csrf_token": token, "body": text}, allow_redirects=False)


async def run_jobs(client: TestClient) -> int:
    return await Worker(journey.core(client).jobs).run_due()


def bodies(html: str) -> list[str]:
    return re.findall(r'<div class="chat-body">(.*?)</div>', html, re.S)


def system_lines(html: str) -> list[str]:
    return re.findall(r'<p class="chat-system">(.*?)</p>', html, re.S)


def states(html: str) -> list[str]:
    return re.findall(r'class="chat-state" data-state="(\w+)"', html)
