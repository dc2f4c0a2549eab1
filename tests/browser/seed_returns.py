"""Seeds returns into a migrated data directory, through the services; run as a subprocess.

    python tests/browser/seed_returns.py < returns.json

The configuration comes from the TAXPORTAL_* environment (the data dir among it), exactly as
the server will read it. Returns are a JSON list of ReturnFields values. Run in its own
process so tortoise's global state never meets the rest of the suite's.
"""

from __future__ import annotations

import asyncio
import json
import sys

from taxportal.config import load_config
from taxportal.runtime import build_core, started
from taxportal.services.returns import records as returns_service
from taxportal.services.returns.fields import ReturnFields


async def seed(rows: list[dict[str, object]]) -> list[int]:
    async with started(build_core(load_config(path=None))) as core:
        ids = []
        for row in rows:
            tax_return, _ = await returns_service.upsert(core, ReturnFields(**row), actor="test")
            ids.append(tax_return.id)
        return ids


if __name__ == "__main__":
    print(json.dumps(asyncio.run(seed(json.load(sys.stdin)))))
