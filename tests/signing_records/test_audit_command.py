"""`taxportal audit verify`, run as a person runs it: in a subprocess, on a migrated database."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

from taxportal.services.signing import records
from tests.core.test_cli import run
from tests.signing_records.helpers import forge, signed_document
from tests.support import OPTIONAL_PLUGINS_OFF


async def audit(core: Any, database: str, *args: str) -> subprocess.CompletedProcess[str]:
    data_dir = core.config.data_dir
    return await asyncio.to_thread(
        run,
        data_dir.parent,
        "audit",
        "verify",
        "--data-dir",
        str(data_dir),
        *args,
        env={
            "TAXPORTAL_DATABASE__URL": database,
            "TAXPORTAL_PLUGINS__DISABLED": OPTIONAL_PLUGINS_OFF,  # as the test migrated it
        },
    )


async def test_an_intact_record_exits_0_with_a_summary(started: Any, database: str) -> None:
    core = await started()
    await signed_document(4)
    await signed_document(5)
    await records.append(6, "sent", role="preparer", actor="p@firm.test", ip="", user_agent="")
    result = await audit(core, database)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "3 documents, 11 events: every chain intact\n"
    assert (await audit(core, database, "--document", "6")).stdout == (
        "1 document, 1 event: every chain intact\n"
    )


async def test_a_broken_chain_exits_1_naming_document_and_seq_only(
    started: Any, database: str
) -> None:
    core = await started()
    for document_id in (4, 5, 6):
        await signed_document(document_id)
    await forge(
        database, "UPDATE signing_event SET ip = '10.66.66.66' WHERE document_id = 4 AND seq = 5"
    )
    await forge(database, "DELETE FROM signing_event WHERE document_id = 6 AND seq = 2")

    result = await audit(core, database)

    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("document 4, seq 5: hash mismatch")
    assert lines[1].startswith("document 6, seq 2: gap")
    assert lines[2] == "3 documents, 14 events: 2 broken chains"
    # ids, seqs and kinds of problem only: no address, user name, agent or detail value
    for secret in ("10.66.66.66", "203.0.113.7", "ann.lee", "iPhone", "drawn", "abab"):
        assert secret not in result.stdout + result.stderr
    assert (await audit(core, database, "--document", "5")).returncode == 0


def test_an_unmigrated_database_is_a_one_line_error_then_an_empty_record(tmp_path: Any) -> None:
    result = run(tmp_path, "audit", "verify", "--data-dir", "d")
    assert result.returncode == 2
    assert "not migrated" in result.stderr and "Traceback" not in result.stderr
    assert run(tmp_path, "migrate", "--data-dir", "d").returncode == 0
    empty = run(tmp_path, "audit", "verify", "--data-dir", "d")
    assert (empty.returncode, empty.stdout) == (0, "0 documents, 0 events: every chain intact\n")


def test_help_imports_nothing_of_the_server() -> None:
    probe = (
        "import sys\n"
        "from taxportal.cli import main\n"
        "for argv in (['--help'], ['audit', 'verify', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('tortoise', 'aiohttp', 'asyncpg', 'pydantic') or m.startswith('taxportal.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert "audit" in result.stdout
    assert result.stdout.splitlines()[-1] == "['taxportal.cli']"
