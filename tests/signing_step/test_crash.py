"""A real `taxportal serve` SIGKILLed in the middle of a Sign (SQLite and PostgreSQL).

The moment chosen is the worst one: the sealed copy's bytes are already in the storage and
the process waits to commit the request's change and the copy's row. The test holds it
there deterministically: the server seals with a time-stamp server on loopback that keeps
the first request until the test has taken the database's write lock (SQLite) or the
request's row (PostgreSQL); then the seal finishes, the bytes land, the commit waits, and
the server is killed. After the restart nothing of it is visible anywhere; the lease (of
``[signing] lease_seconds``) keeps a second Sign out; once it has run out, the server's
sweep job removes the stray bytes, and Sign works.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import re
import signal
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from asn1crypto import tsp

from taxportal.jobs import store
from taxportal.models import (
    Job,
    PreparerDocument,
    SignatureRequest,
    SignedCopy,
    StaffUser,
    TaxpayerAccount,
)
from taxportal.services.accounts import sessions
from taxportal.services.accounts import staff as staff_service
from taxportal.services.signing import sweep
from tests.signing_pdf.conftest import PASSPHRASE
from tests.signing_pdf.documents import form_8879
from tests.signing_pdf.test_timestamp import tsa_stamper
from tests.signing_step.conftest import ready_portal, ready_to_sign, send
from tests.uploads.helpers import Server, process_env

LEASE_SECONDS = 90  # the restarted server is up well within it, however busy the machine
FILES = "/portal/preparer-files"


class HeldTsa:
    """An RFC 3161 server on loopback whose first request waits for ``go``."""

    def __init__(self) -> None:
        self.stamper = tsa_stamper()
        self.arrived, self.go = asyncio.Event(), asyncio.Event()
        self.url = ""

    async def answer(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not self.arrived.is_set():
            self.arrived.set()
            await self.go.wait()
        response = await self.stamper.async_request_tsa_response(tsp.TimeStampReq.load(body))
        return web.Response(body=response.dump(), content_type="application/timestamp-reply")


@pytest.fixture
async def held_tsa() -> AsyncIterator[HeldTsa]:
    tsa = HeldTsa()
    app = web.Application()
    app.router.add_post("/tsa", tsa.answer)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    tsa.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/tsa"  # type: ignore[union-attr]
    yield tsa
    tsa.go.set()
    await runner.cleanup()


def descendants(pid: int) -> list[int]:
    """The processes under ``pid`` (the signer's forkserver and pool), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = [], [pid]
    while todo:
        pid = todo.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        found += children
        todo += children
    return found


def end_leftovers(pids: list[int], grace: float) -> None:
    """End the server's pool processes still there after ``grace`` seconds."""
    deadline = time.monotonic() + grace
    for pid in pids:
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@contextlib.asynccontextmanager
async def commits_held(database: str, request_id: int) -> AsyncIterator[None]:
    """No commit that marks the request signed gets through while this is open."""
    if database.startswith("sqlite://"):
        lock = sqlite3.connect(database.removeprefix("sqlite://"), isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # the write lock: readers go on (WAL), writers wait
        try:
            yield
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        return
    conn = await asyncpg.connect(database)
    try:
        async with conn.transaction():
            await conn.execute(
                "SELECT id FROM signature_request WHERE id = $1 FOR UPDATE", request_id
            )
            yield
    finally:
        await conn.close()


async def until(check: Callable[[], Any], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


class Taxpayer:
    """The taxpayer's browser and the preparer's API client, against one server."""

    def __init__(self, server: Server, token: str, csrf: str, api_token: str, path: str):
        self.server, self.token, self.csrf = server, token, csrf
        self.api = {"Authorization": f"Bearer {api_token}"}
        self.api_path = path

    def session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            self.server.base, cookies={"tp_taxpayer": self.token}, cookie_jar=_jar()
        )

    async def sign(self, document_id: int) -> tuple[int, str, str]:
        async with self.session() as http:
            response = await http.post(
                f"{FILES}/{document_id}/sign/taxpayer",
                data={"csrf_token": self.csrf},
                allow_redirects=False,
            )
            return response.status, response.headers.get("Location", ""), await response.text()

    async def files_page(self) -> str:
        async with self.session() as http:
            response = await http.get(FILES)
            assert response.status == 200
            return await response.text()

    async def get(self, path: str, api: bool = False) -> tuple[int, bytes]:
        async with self.session() as http:
            response = await http.get(path, headers=self.api if api else {})
            return response.status, await response.read()

    async def listed(self, document_id: int) -> dict[str, Any]:
        async with self.session() as http:
            response = await http.get(self.api_path, headers=self.api)
            assert response.status == 200
            body = await response.json()
        return next(d for d in body["items"] if d["id"] == document_id)


def _jar() -> aiohttp.CookieJar:
    return aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1


def sign_link(page: str, document_id: int) -> bool:
    return f'href="{FILES}/{document_id}/sign/taxpayer"' in page


async def test_a_server_killed_mid_signing_leaves_nothing_half_signed(
    database: str, signing_client: Any, pkcs12_path: Path, held_tsa: HeldTsa, tmp_path: Path
) -> None:
    r = await ready_portal(await signing_client(TAXPORTAL_JOBS__WORKER="false"))
    form = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    await ready_to_sign(r, "taxpayer", form.id)
    request = await SignatureRequest.get(document_id=form.id, signer="taxpayer")
    account = await TaxpayerAccount.get(portal_id=r.signers.portal_id)
    token, session = await sessions.start(r.core, account=account, second_factor=True)
    api_token = await staff_service.issue_api_token(await StaffUser.get(id=r.staff.id), "t")
    env = process_env(
        r.core.config,
        TAXPORTAL_SIGNING_PDF__PKCS12_PATH=str(pkcs12_path),
        TAXPORTAL_SIGNING_PDF__PKCS12_PASSPHRASE=PASSPHRASE,
        TAXPORTAL_SIGNING_PDF__TIMESTAMP_URL=held_tsa.url,
        TAXPORTAL_SIGNING__LEASE_SECONDS=str(LEASE_SECONDS),
        TAXPORTAL_JOBS__POLL_SECONDS="0.2",
    )
    storage = r.core.plugins.storage  # the same data directory as the server's
    server = Server(env, tmp_path).start()
    taxpayer = Taxpayer(
        server, token, session.csrf_token, api_token, f"/api/v1/returns/{r.return_id}/documents"
    )

    # Sign; the seal waits at the time-stamp server: the document is claimed
    pressed = dt.datetime.now(dt.UTC)
    signing = asyncio.create_task(taxpayer.sign(form.id))
    leftovers: list[int] = []
    try:
        await asyncio.wait_for(held_tsa.arrived.wait(), 30)
        claimed = await PreparerDocument.get(id=form.id)
        key = claimed.signing_key
        assert key is not None and claimed.signing_until is not None
        lease = (claimed.signing_until - pressed).total_seconds()
        assert LEASE_SECONDS <= lease < LEASE_SECONDS + 20  # [signing] lease_seconds
        async with commits_held(database, request.id):
            held_tsa.go.set()  # the seal finishes, the copy is stored, the commit waits
            await until(lambda: storage.exists(key), "the sealed copy's bytes")
            assert not signing.done()
            leftovers = descendants(server.process.pid)  # type: ignore[union-attr]
            server.kill()
    finally:
        server.kill()
        end_leftovers(leftovers, grace=0)  # a killed server's pool is not waited for
    with pytest.raises(aiohttp.ClientError):
        await signing

    # what the killed process left: its lease and the copy's bytes, nothing else
    assert (await SignatureRequest.get(id=request.id)).status == "pending"
    assert not await SignedCopy.filter(document_id=form.id).exists()
    assert await storage.exists(key)
    assert (await PreparerDocument.get(id=form.id)).signing_key == key

    again = taxpayer.server = Server(env, tmp_path).start()
    try:
        # nothing half-signed anywhere: the taxpayer's list offers Sign, the API lists no
        # copy, and no signed download is handed out
        page = await taxpayer.files_page()
        assert sign_link(page, form.id) and "Signed!" not in page
        listed = await taxpayer.listed(form.id)
        assert listed["signature_requests"]["taxpayer"]["status"] == "pending"
        assert listed["signed_copies"] == [] and listed["complete"] is False
        assert (await taxpayer.get(f"{taxpayer.api_path}/{form.id}/signed", api=True))[0] == 404
        assert (await taxpayer.get(f"{FILES}/{form.id}/signed"))[0] == 404

        # the lost signing's lease still holds the document: a second Sign waits
        status, _, text = await taxpayer.sign(form.id)
        assert status == 409 and "This document is being signed right now" in text, (status, _)
        assert (await PreparerDocument.get(id=form.id)).signing_key == key

        # the lease runs out (its end moved to the past, as its time passing would); the
        # server's sweep job, made due now, removes the bytes and the lease
        lapsed = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        await PreparerDocument.filter(id=form.id, signing_key=key).update(signing_until=lapsed)
        assert await Job.filter(key=sweep.KIND).update(run_after=store.now_ms()) == 1
        await until(
            lambda: PreparerDocument.filter(id=form.id, signing_key__isnull=True).exists(),
            "the sweep job",
        )
        assert not await storage.exists(key)

        # and Sign works: one copy, the taxpayer's list says Signed!
        status, where, _ = await taxpayer.sign(form.id)
        assert status == 303 and where == f"{FILES}?signed={form.id}#doc-{form.id}"
        [copy] = await SignedCopy.filter(document_id=form.id)
        assert copy.storage_key != key and copy.complete
        page = await taxpayer.files_page()
        assert "Signed!" in page and not sign_link(page, form.id)
        listed = await taxpayer.listed(form.id)
        assert [c["id"] for c in listed["signed_copies"]] == [copy.id]
        status, pdf = await taxpayer.get(f"{taxpayer.api_path}/{form.id}/signed", api=True)
        assert status == 200 and (await r.core.plugins.signer.validate(pdf)).passed
        assert re.search(rb"/SubFilter\s*/ETSI\.CAdES\.detached", pdf)
    finally:
        pool = descendants(again.process.pid)  # type: ignore[union-attr]
        again.stop()
        end_leftovers(pool, grace=5)
