"""Schemathesis fuzzes the served /api/openapi.json against the app under test: every answer
must be what the schema says (status, media type, body, headers), with every check on."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from taxportal.services.documents import preparer
from taxportal.services.documents.access import Principal
from taxportal.web.api.returns import OPENAPI
from tests.api.conftest import Api
from tests.preparer_documents.pdfs import pdf
from tests.view_documents.conftest import JPEG, PDF, seed_client

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")

# Bounded so a run stays well under a minute per database on a small machine; raise it
# locally (TAXPORTAL_SCHEMATHESIS_EXAMPLES=200) to fuzz harder.
EXAMPLES = int(os.environ.get("TAXPORTAL_SCHEMATHESIS_EXAMPLES", "10"))
TIMEOUT = 300  # seconds: a hung run fails instead of blocking the suite


async def run_schemathesis(api: Api, report_dir: Path) -> tuple[int, str]:
    """(exit status, output) of `schemathesis run` against the test server on loopback."""
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        f"--config-file={CONFIG}",
        "run",
        str(api.client.make_url("/api/openapi.json")),
        "--checks=all",
        "--mode=all",
        f"--max-examples={EXAMPLES}",
        "--seed=20261201",
        "--request-timeout=20",
        "--no-color",
        "--suppress-health-check=all",
        f"--header=Authorization: Bearer {api.token}",
        f"--report-dir={report_dir}",
    ]
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=report_dir,  # its crash cache goes there, not into the checkout
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # hooks: tests.api.schemathesis_hooks
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return process.returncode or 0, output.decode(errors="replace")


async def test_every_api_answer_keeps_to_the_schema(api: Api, core_of, tmp_path: Path):
    # Return 1 with a portal, uploads 1 and 2 and document 1: the smallest ids, which the
    # fuzzer tries first, exist, so downloads (a PDF, a JPEG) are exercised as well as 404s.
    client = await seed_client()
    assert client.tax_return.id == 1
    assert [
        await client.upload(core_of(api.client), name, data)
        for name, data in (("W-2.pdf", PDF), ("1099.jpg", JPEG))
    ] == [1, 2]
    # document 1 of return 1, so a download of a document as sent is exercised too
    document = await preparer.add(
        core_of(api.client), Principal("api", api.user.id), 1, "Return.pdf", _one(pdf())
    )
    assert document.id == 1
    returncode, output = await run_schemathesis(api, tmp_path)
    assert returncode == 0, output
    operations = sum(
        method != "parameters"
        for item in json.loads(OPENAPI.read_text())["paths"].values()
        for method in item
    )
    assert f"Tested: {operations}" in output, output  # every operation was reached


async def _one(data: bytes):
    yield data
