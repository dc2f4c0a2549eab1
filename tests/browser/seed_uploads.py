"""Seeds a client who has uploaded files: return, portal, account and uploads, through the
services; run as a subprocess while the server runs (same TAXPORTAL_* environment).

    python tests/browser/seed_uploads.py < '{"return": {...}, "files": [["w2.pdf", "<base64>"]]}'

Prints the return's id. Run in its own process so tortoise's global state never meets the
rest of the suite's.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from collections.abc import AsyncIterator

from taxportal.config import load_config
from taxportal.models import Portal, TaxpayerAccount
from taxportal.runtime import build_core, started
from taxportal.services.documents.access import Principal
from taxportal.services.returns import records as returns_service
from taxportal.services.returns.fields import ReturnFields
from taxportal.services.uploads import intake as uploads


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 64 * 1024):
        yield data[start : start + 64 * 1024]


async def seed(spec: dict[str, object]) -> int:
    async with started(build_core(load_config(path=None))) as core:
        fields = ReturnFields(**spec["return"])  # type: ignore[arg-type]
        tax_return, _ = await returns_service.upsert(core, fields, actor="test")
        portal = await Portal.create(tax_return=tax_return, status="verified")
        username = f"seeded{tax_return.id}"
        account = await TaxpayerAccount.create(
            portal=portal, username=username, username_key=username, password_hash="x"
        )
        taxpayer = Principal("taxpayer", account.id, "127.0.0.1", portal_id=portal.id)
        for name, encoded in spec["files"]:  # type: ignore[attr-defined]
            data = base64.b64decode(encoded)
            result = await uploads.upload(core, taxpayer, portal.id, name, _chunks(data))
            assert result.status == "stored", result
        return tax_return.id


if __name__ == "__main__":
    print(json.dumps(asyncio.run(seed(json.load(sys.stdin)))))
