"""A hostile-input test generated over every route of the real app: each route gets ids no
row can have in its path, NUL, control characters, non-UTF-8 and very long text in every
field and query name the web code reads, forged cookies, a missing or wrong CSRF token,
wrong content types and deep JSON; as an anonymous visitor, a signed-in taxpayer and a
signed-in staff member (console session and API token). No answer may be a 5xx.

One app per database serves every case (building one per case would take minutes)."""

from __future__ import annotations

import asyncio
import base64
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import DummyCookieJar
from aiohttp.test_utils import TestClient

from taxportal.models import TaxpayerAccount
from taxportal.services.accounts import sessions
from taxportal.services.accounts import staff as staff_service
from taxportal.web.keys import CORE
from tests.accounts.journey import registered_and_verified
from tests.hostile.routes import (
    BAD_TEXT_SEGMENTS,
    CONTROLS,
    DEEP_JSON,
    HOSTILE_VALUES,
    LONG,
    NUL,
    SURROGATE,
    Route,
    bad_path_values,
    form_body,
    multipart_body,
    query_string,
    read_names,
    routes_of,
)
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD

FORM = "application/x-www-form-urlencoded"
# crafted values for the cookies the app reads, kept to what a Cookie header may carry
FORGED_NOTES = base64.urlsafe_b64encode(b'[{"kind":["stored"]},' + b"[" * 2500).decode()
FORGED_COOKIES = {
    "tp_files_note": FORGED_NOTES,
    "tp_lang": "x" * 3000,
    "tp_device": "forged-device-token-0000000000000000000",
    "tp_csrf": "%00",
}
SIGNED_IN_PAGES = ("/staff/login", "/staff/2fa", "/portal/login", "/portal/verify")


@dataclass
class Identity:
    name: str
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""
    bearer: str = ""
    owner: Any = None  # the staff user or the taxpayer account of the session

    def cookie_header(self, extra: dict[str, str] | None = None) -> str:
        return "; ".join(f"{k}={v}" for k, v in {**self.cookies, **(extra or {})}.items())


@dataclass
class Run:
    client: TestClient
    failures: list[str] = field(default_factory=list)
    sent: int = 0

    async def send(
        self,
        who: Identity,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str | None = None,
        cookies: dict[str, str] | None = None,
        csrf_header: bool = False,
    ) -> int:
        headers = {"Cookie": who.cookie_header(cookies), "Accept-Language": "es;q=x, *"}
        if who.bearer:
            headers["Authorization"] = f"Bearer {who.bearer}"
        if content_type:
            headers["Content-Type"] = content_type
        if csrf_header:
            headers["X-CSRF-Token"] = who.csrf
        response = await self.client.request(
            method, path, data=body, headers=headers, allow_redirects=False
        )
        await response.read()
        self.sent += 1
        if response.status >= 500:
            self.failures.append(
                f"{who.name}: {method} {path[:120]} {(content_type or '')[:60]}"
                f"{' forged cookies' if cookies else ''} -> {response.status}"
            )
        return response.status

    async def send_raw(self, who: Identity, method: str, path: str, extra: bytes) -> None:
        """A request no HTTP client library writes: header bytes that are not UTF-8."""
        server = self.client.server
        reader, writer = await asyncio.open_connection(server.host, server.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: portal.test\r\nConnection: close\r\n"
        cookie = who.cookie_header().encode()
        writer.write(
            head.encode() + b"Cookie: " + cookie + extra + b"\r\nContent-Length: 0\r\n\r\n"
        )
        await writer.drain()
        status_line = await reader.readline()
        await reader.read()
        writer.close()
        self.sent += 1
        status = int(status_line.split()[1])
        if status >= 500:
            self.failures.append(f"{who.name}: {method} {path} raw non-UTF-8 headers -> {status}")


async def identities(client: TestClient, aiohttp_client: Any) -> list[Identity]:
    """Anonymous (with a pre-sign-in CSRF cookie), a taxpayer who passed a code, an admin
    with both factors and an API token: sessions made by the service, the way sign-in does."""
    core = client.app[CORE]
    other = await aiohttp_client(client.server)
    await registered_and_verified(other)  # a return, a portal and an account, over HTTP
    account = await TaxpayerAccount.first()
    assert account is not None
    admin = await staff_service.add_staff(core, ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
    token, staff_session = await sessions.start(core, staff=admin, second_factor=True)
    taxpayer_token, taxpayer_session = await sessions.start(
        core, account=account, second_factor=True
    )
    anonymous_csrf = secrets.token_urlsafe(32)
    return [
        Identity("anonymous", {"tp_csrf": anonymous_csrf}, anonymous_csrf),
        Identity(
            "taxpayer",
            {"tp_taxpayer": taxpayer_token},
            str(taxpayer_session.csrf_token),
            owner=account,
        ),
        Identity(
            "staff",
            {"tp_staff": token},
            str(staff_session.csrf_token),
            await staff_service.issue_api_token(admin, "hostile"),
            owner=admin,
        ),
    ]


async def hit_route(run: Run, who: Identity, route: Route, names: list[str]) -> None:
    method = route.method
    for variable in route.variables:  # every path variable, one at a time
        for value in bad_path_values(variable):
            await run.send(who, method, route.path(**{variable: value}), csrf_header=True)
    path = route.path()
    await run.send(who, method, f"{path}?{query_string(names, NUL)}")
    await run.send(who, method, path, cookies=FORGED_COOKIES)
    if route.takes_body:
        await run.send(who, method, path, form_body(names, NUL, who.csrf), FORM)
    if method == "HEAD" or not await _reaches_handler(run, who, method, path):
        return  # the rest would only meet the same redirect to a sign-in page (or GET's code)
    if not route.takes_body:
        for value in (CONTROLS, SURROGATE, "9" * 100):  # a URL holds 8 KB at most
            await run.send(who, method, f"{path}?{query_string(names, value)}")
        await run.send(who, method, f"{path}?q={LONG[:3000]}&page={LONG[:4400]}")  # > int()'s 4300
        await run.send(who, method, path, cookies={"tp_staff": "x" * 3000, "tp_taxpayer": "\\x00"})
        await run.send_raw(
            who, method, path, b"\r\nX-Forwarded-For: \xff\r\nAuthorization: Bearer \xff\xfe"
        )
        await run.send_raw(who, method, path + "?q=%00", b"; tp_lang=\xff; tp_staff=\xfe\xff")
        return
    for value in HOSTILE_VALUES[1:]:  # the first, NUL, was sent above
        await run.send(who, method, path, form_body(names, value, who.csrf), FORM)
    for value in (HOSTILE_VALUES[0], HOSTILE_VALUES[3]):
        await run.send(who, method, path, *multipart_body(names, value, who.csrf))
    await run.send(
        who,
        method,
        f"{path}?csrf_token={who.csrf}",
        *multipart_body(names, HOSTILE_VALUES[0], who.csrf),
    )
    await run.send(who, method, path, b"csrf_token=" + who.csrf.encode() + b"&q=\xff\xfe", FORM)
    await run.send(who, method, path, b"q=1", FORM + "; charset=no-such-charset")
    await run.send(who, method, path, b"q=1")  # no CSRF token at all
    await run.send(who, method, path, b"csrf_token=%00garbage&q=1", FORM)
    await run.send(who, method, path, DEEP_JSON, "application/json", csrf_header=True)
    await run.send(who, method, path, b'{"q": "a\\u0000b"}', "application/json", csrf_header=True)
    await run.send(who, method, path, b"\x00\xff" * 100, "text/plain", csrf_header=True)
    await run.send(who, method, path, b"--x\r\n\r\n", "multipart/form-data", csrf_header=True)
    await run.send(
        who, method, path, b"", "multipart/form-data; boundary=" + "b" * 100, csrf_header=True
    )
    await run.send(
        who,
        method,
        f"{path}?{query_string(names, HOSTILE_VALUES[0])}",
        b"",
        FORM,
        cookies=FORGED_COOKIES,
    )


async def _reaches_handler(run: Run, who: Identity, method: str, path: str) -> bool:
    """Whether a plain request of ``who`` gets past the sign-in checks (an API route always
    answers in JSON: its handler is reached or its token refused, either way it is tried)."""
    headers = {"Cookie": who.cookie_header(), "X-CSRF-Token": who.csrf}
    response = await run.client.request(method, path, headers=headers, allow_redirects=False)
    await response.read()
    location = response.headers.get("Location", "").split("?")[0]
    return not (response.status == 303 and location in SIGNED_IN_PAGES)


async def test_no_route_answers_a_5xx_to_hostile_input(
    build_app: Any, client_for: Any, aiohttp_client: Any
) -> None:
    # chat on too (the tests leave it off unless asked): a firm runs it by default
    plugins = '["notify_email", "notify_sms", "storage_local", "chat"]'
    app = await build_app(
        TAXPORTAL_THROTTLE__PER_ADDRESS="10000", TAXPORTAL_PLUGINS__ENABLED=plugins
    )
    client = await aiohttp_client(app, cookie_jar=DummyCookieJar())
    people = await identities(client, aiohttp_client)
    names = read_names()
    run = Run(client)
    for route in routes_of(app):
        for who in people:
            await _renew(client, who)
            await hit_route(run, who, route, names)
    for segment in BAD_TEXT_SEGMENTS:  # paths no route has
        await run.send(people[0], "GET", f"/api/v1/{segment}")
        await run.send(people[0], "DELETE", f"/staff/{segment}")
    assert run.sent > 2000
    assert run.failures == [], f"{len(run.failures)} of {run.sent} answers were 5xx:\n" + "\n".join(
        run.failures[:60]
    )


async def _renew(client: TestClient, who: Identity) -> None:
    """A route may end the session (sign out, cancel): each route starts with a live one."""
    core = client.app[CORE]
    cookie = {"staff": "tp_staff", "taxpayer": "tp_taxpayer"}.get(who.name)
    if cookie and await sessions.lookup(core, who.cookies[cookie], who.name) is None:
        owner = {"staff": who.owner} if who.name == "staff" else {"account": who.owner}
        token, session = await sessions.start(core, second_factor=True, **owner)
        who.cookies[cookie], who.csrf = token, str(session.csrf_token)
