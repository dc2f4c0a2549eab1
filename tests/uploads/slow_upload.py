"""Run by the tests as a process of its own: one upload through the service, slowly.

    python tests/uploads/slow_upload.py PORTAL_ID SIZE SEED [--gate FILE] [--delay S]

Settings come from the TAXPORTAL_* environment. Prints "streaming" once the first chunk is
in (the test may then SIGKILL it, or hold it at ``--gate`` until that file exists), then
the outcome as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
from collections.abc import AsyncIterator
from pathlib import Path

from taxportal.config import load_config
from taxportal.runtime import build_core, started
from taxportal.services.documents.access import Principal
from taxportal.services.uploads import intake as uploads

CHUNK = 256 * 1024


async def chunks(size: int, seed: int, gate: Path | None, delay: float) -> AsyncIterator[bytes]:
    rng = random.Random(seed)
    first = b"%PDF-1.7\n" + rng.randbytes(min(size, CHUNK) - 9)
    yield first
    print("streaming", flush=True)
    while gate is not None and not gate.exists():
        await asyncio.sleep(0.02)
    sent = len(first)
    while sent < size:
        await asyncio.sleep(delay)
        piece = rng.randbytes(min(CHUNK, size - sent))
        sent += len(piece)
        yield piece


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("portal_id", type=int)
    parser.add_argument("size", type=int)
    parser.add_argument("seed", type=int)
    parser.add_argument("--gate", type=Path)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    async with started(build_core(load_config(None))) as core:
        who = Principal("taxpayer", 500 + args.portal_id, "127.0.0.1", portal_id=args.portal_id)
        stream = chunks(args.size, args.seed, args.gate, args.delay)
        try:
            result = await uploads.upload(core, who, args.portal_id, "w2.pdf", stream)
            outcome = {"status": result.status, "file_id": result.file.id}
        except uploads.UploadError as refusal:
            outcome = {"status": "refused", "kind": refusal.kind}
    print(json.dumps(outcome), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
