"""One appending process for the two-process test:
``python -m tests.signing_records.appender DATA_DIR URL DOCUMENT COUNT``.

Prints "ready" once the database is open, waits for a line on stdin, then appends COUNT
events to DOCUMENT's chain, two at a time, and exits."""

from __future__ import annotations

import asyncio
import sys

from taxportal.config import load_config
from taxportal.runtime import build_core, started
from taxportal.services.signing import records
from tests.support import OPTIONAL_PLUGINS_OFF


async def main(data_dir: str, url: str, document_id: int, count: int) -> None:
    config = load_config(
        path=None,
        env={
            "TAXPORTAL_SERVER__DATA_DIR": data_dir,
            "TAXPORTAL_DATABASE__URL": url,
            "TAXPORTAL_PLUGINS__DISABLED": OPTIONAL_PLUGINS_OFF,  # as the test migrated it
        },
    )
    async with started(build_core(config)):
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        who = {
            "role": "taxpayer",
            "actor": f"pid{__import__('os').getpid()}",
            "ip": "",
            "user_agent": "",
        }
        for _ in range(count // 2):
            await asyncio.gather(
                *(records.append(document_id, "reminded", **who) for _ in range(2))
            )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
