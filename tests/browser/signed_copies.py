"""The sealed copies of one sent document, as the firm holds them; run as a subprocess.

    python tests/browser/signed_copies.py <document id>

Prints JSON: per copy, oldest first, its signers, whether it is complete, the check the
signing plugin's own `validate` makes of the stored bytes, and those bytes (base64).
The configuration comes from the TAXPORTAL_* environment, as the server reads it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys

from taxportal.config import load_config
from taxportal.models import SignedCopy
from taxportal.runtime import build_core, started


async def copies(document_id: int) -> list[dict[str, object]]:
    async with started(build_core(load_config(path=None))) as core:
        storage, signer = core.plugins.storage, core.plugins.signer
        assert storage is not None and signer is not None, "the signing_pdf plugin is not on"
        found = []
        for copy in await SignedCopy.filter(document_id=document_id).order_by("id"):
            pdf = b"".join([chunk async for chunk in storage.get(copy.storage_key)])
            check = await signer.validate(pdf)
            found.append(
                {
                    "signers": copy.signers,
                    "complete": copy.complete,
                    "validation": copy.validation,
                    "passed": check.passed,
                    "sha256_after": copy.sha256_after,
                    "pdf": base64.b64encode(pdf).decode(),
                }
            )
        return found


if __name__ == "__main__":
    print(json.dumps(asyncio.run(copies(int(sys.argv[1])))))
