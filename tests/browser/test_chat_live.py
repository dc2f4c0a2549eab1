"""Messages live in Chromium against real `taxportal serve` processes: a taxpayer on a
360 px phone and the firm exchange messages that appear without reloading ("Sent", then
"Seen"), in English and Spanish; a socket dropped by a server restart reconnects and
catches up; with WebSockets blocked the page polls the feed instead.

Here the preparer's side is played by tests/browser/chat_seed.py, another process, through
the service and the bus (the server polls SQLite's event log: `[bus] backend = "poll"`),
so a message crosses processes; a second device of the taxpayer shows that pages of the
same side follow each other live too. The console's own page, live against a phone, is
tests/browser/test_chat_console.py.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import VIEWPORTS
from tests.browser.harness import Client, PortalServer
from tests.browser.ui import horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

PAGE = "/portal/messages"
SEED = Path(__file__).with_name("chat_seed.py")
_SSNS = itertools.count(80)
WORDS = {
    "en": {"sent": "Sent", "seen": "Seen", "you": "You", "new": "New message from Ana Ruiz"},
    "es": {"sent": "Enviado", "seen": "Visto", "you": "Usted", "new": "Nuevo mensaje de Ana Ruiz"},
}
SERVE = (sys.executable, "-m", "taxportal.cli", "serve", "--host", "127.0.0.1")
LIVE = 15_000  # ms: a socket's news is instant; a reconnect after a restart takes seconds


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    work_dir = tmp_path_factory.mktemp("chat")
    server = PortalServer(
        data_dir=work_dir / "data",
        work_dir=work_dir,
        extra_env={"TAXPORTAL_BUS__BACKEND": "poll", "TAXPORTAL_CHAT__POLL_SECONDS": "1"},
    )
    try:
        server.start(clients=(), accounts=())
        yield server
    finally:
        server.stop()


def seed(server: PortalServer, command: str, spec: dict[str, Any]) -> Any:
    return json.loads(server._run([sys.executable, str(SEED), command], None, json.dumps(spec)))


def new_taxpayer(server: PortalServer, language: str = "en") -> dict[str, Any]:
    """A registered, verified taxpayer of their own: portal id and a live session."""
    n = next(_SSNS)
    client = Client("Rosa", f"Chat{n}", f"400-13-{n:04d}", f"rosa{n}@example.com", "", "1 Main St")
    return seed(server, "taxpayer", {"return": client.fields(), "language": language})


def firm_says(server: PortalServer, portal_id: int, text: str) -> int:
    return int(seed(server, "post", {"portal_id": portal_id, "text": text}))


def firm_reads(server: PortalServer, portal_id: int) -> None:
    seed(server, "read", {"portal_id": portal_id})


def restart(server: PortalServer) -> None:
    """Stop `taxportal serve` and start it again on the same port and data."""
    server.stop()
    with server.log_path.open("ab") as log:
        server.process = subprocess.Popen(
            [*SERVE, "--port", str(server.port), "--data-dir", str(server.data_dir)],
            cwd=server.work_dir,
            env=server.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server._wait_until_up(server.start_seconds)


@contextlib.asynccontextmanager
async def signed_in(
    browser: Any, server: PortalServer, token: str, kind: str = "phone", tolerate: str = ""
) -> AsyncIterator[Page]:
    """A fresh browser context holding the taxpayer's session; its console is checked at
    the end (``tolerate``: a console error that starts so is expected, e.g. while the
    server restarts)."""
    cookie = {"name": "tp_taxpayer", "value": token, "domain": "127.0.0.1", "path": "/"}
    context = await browser.new_context(base_url=server.base_url, **VIEWPORTS[kind])
    await context.add_cookies([{**cookie, "httpOnly": True, "sameSite": "Lax"}])
    context.set_default_timeout(10_000)
    page = await context.new_page()
    problems: list[str] = []

    def console(message: Any) -> None:
        text = message.text
        if message.type == "error" and not text.startswith("Failed to load resource"):
            if not (tolerate and text.startswith(tolerate)):
                problems.append(text)

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    try:
        yield page
    finally:
        await context.close()
    assert not problems, f"browser problems: {problems}"


def message(page: Page, text: str) -> Any:
    return page.locator("#chat-messages > li").filter(has_text=text)


async def live_by(page: Page, how: str) -> None:
    await expect(page.locator("#chat")).to_have_attribute("data-live", how, timeout=LIVE)


async def write(page: Page, text: str) -> None:
    box = page.locator("#chat-body")
    await box.click()
    lines = text.split("\n")
    for i, line in enumerate(lines):
        await box.press_sequentially(line)
        if i < len(lines) - 1:
            await box.press("Shift+Enter")  # a line break, not Send
    await box.press("Enter")


@pytest.mark.parametrize("language", ["en", "es"])
async def test_taxpayer_and_firm_exchange_messages_live(
    browser: Any, chat_server: PortalServer, language: str
) -> None:
    words = WORDS[language]
    taxpayer = new_taxpayer(chat_server, language)
    async with (
        signed_in(browser, chat_server, taxpayer["token"]) as phone,
        signed_in(browser, chat_server, taxpayer["token"], "desktop") as laptop,
    ):
        for page in (phone, laptop):
            await page.goto(PAGE)
            await live_by(page, "socket")
        await phone.evaluate("window.sameDocument = true")

        await write(phone, "Did you get my W-2?\nIt is the one from Acme.")
        mine = message(phone, "Did you get my W-2?")
        await expect(mine.locator(".chat-state")).to_have_text(words["sent"])
        await expect(mine.locator(".chat-body")).to_have_text(
            "Did you get my W-2?\nIt is the one from Acme."
        )
        await expect(phone.locator("#chat-body")).to_have_value("")
        assert await phone.evaluate("window.sameDocument === true")  # no reload
        assert phone.url.endswith(PAGE)
        # the taxpayer's other device shows it too, as theirs
        other_copy = message(laptop, "Did you get my W-2?")
        await expect(other_copy.locator(".chat-who")).to_have_text(words["you"])

        firm_reads(chat_server, taxpayer["portal_id"])  # the preparer opens it: "Seen"
        await expect(mine.locator(".chat-state")).to_have_text(words["seen"])
        await expect(other_copy.locator(".chat-state")).to_have_text(words["seen"])

        firm_says(chat_server, taxpayer["portal_id"], "Yes, we have it. Thanks!")
        answer = message(phone, "Yes, we have it. Thanks!")
        await expect(answer.locator(".chat-who")).to_have_text("Ana Ruiz")
        await expect(phone.locator("#chat-announce")).to_contain_text(words["new"])
        await expect(message(laptop, "Yes, we have it.")).to_be_visible()

        await write(phone, "Great")  # answered at once: its "Seen" comes with the answer
        great = message(phone, "Great")
        await expect(great.locator(".chat-state")).to_have_text(words["sent"])
        firm_says(chat_server, taxpayer["portal_id"], "You're welcome")
        await expect(great.locator(".chat-state")).to_have_text(words["seen"])
        assert await horizontal_overflow(phone) == 0

    # the page, reloaded, shows the same conversation, in order, the phone's reads counted
    async with signed_in(browser, chat_server, taxpayer["token"]) as again:
        await again.goto(PAGE)
        bodies = await again.locator("#chat-messages .chat-body").all_inner_texts()
        assert [b.split("\n")[0] for b in bodies] == [
            "Did you get my W-2?",
            "Yes, we have it. Thanks!",
            "Great",
            "You're welcome",
        ]


async def test_a_dropped_socket_reconnects_and_catches_up(
    browser: Any, chat_server: PortalServer
) -> None:
    taxpayer = new_taxpayer(chat_server)
    async with signed_in(
        browser, chat_server, taxpayer["token"], tolerate="WebSocket connection to"
    ) as phone:
        await phone.goto(PAGE)
        await live_by(phone, "socket")
        chat_server.stop()  # the server closes the socket (1001, going away) and stops
        await live_by(phone, "polling")
        firm_says(chat_server, taxpayer["portal_id"], "Sent while you were away")
        restart(chat_server)
        await live_by(phone, "socket")
        await expect(message(phone, "Sent while you were away")).to_be_visible(timeout=LIVE)
        firm_says(chat_server, taxpayer["portal_id"], "And this one live")
        await expect(message(phone, "And this one live")).to_be_visible()
        ids = await phone.locator("#chat-messages > li").evaluate_all(
            "items => items.map(li => Number(li.dataset.id))"
        )
        assert ids == sorted(ids) and len(ids) == 2  # once each, in order


@pytest.mark.parametrize("blocked", ["no WebSocket", "socket refused"])
async def test_without_websockets_the_page_polls(
    browser: Any, chat_server: PortalServer, blocked: str
) -> None:
    taxpayer = new_taxpayer(chat_server, "es")
    async with signed_in(browser, chat_server, taxpayer["token"]) as phone:
        if blocked == "no WebSocket":
            await phone.add_init_script("delete window.WebSocket")
        else:  # the browser has WebSocket, but every connection is closed at once
            await phone.route_web_socket("**/socket", lambda socket: socket.close())
        await phone.goto(PAGE)
        await live_by(phone, "polling")
        await write(phone, "¿Me oyen sin sockets?")
        mine = message(phone, "¿Me oyen sin sockets?")
        await expect(mine.locator(".chat-state")).to_have_text("Enviado")
        firm_says(chat_server, taxpayer["portal_id"], "Sí, por la consulta periódica.")
        await expect(message(phone, "Sí, por la consulta")).to_be_visible()
        await expect(phone.locator("#chat-announce")).to_contain_text("Nuevo mensaje de")
        firm_reads(chat_server, taxpayer["portal_id"])
        await expect(mine.locator(".chat-state")).to_have_text("Visto")
        assert await phone.locator("#chat").get_attribute("data-live") == "polling"
