"""`taxportal returns import FILE.csv`, run as a person runs it: in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.csv_import.conftest import HEADER, csv_file, row
from tests.support import OPTIONAL_PLUGINS_OFF, migrate


class Cli:
    def __init__(self, tmp_path: Path, database: str) -> None:
        self.cwd = tmp_path
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TAXPORTAL_")}
        self.env.update(
            TAXPORTAL_SERVER__DATA_DIR=str(tmp_path / "data"),
            TAXPORTAL_DATABASE__URL=database,
            TAXPORTAL_PLUGINS__DISABLED=OPTIONAL_PLUGINS_OFF,  # as the test migrated it
        )

    def write(self, name: str, content: bytes) -> Path:
        path = self.cwd / name
        path.write_bytes(content)
        return path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "taxportal.cli", *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def import_file(self, name: str) -> subprocess.CompletedProcess[str]:
        return self.run("returns", "import", name)


@pytest.fixture
async def cli(tmp_path: Path, database: str, make_config) -> Cli:  # type: ignore[no-untyped-def]
    runner = Cli(tmp_path, database)
    await migrate(make_config(database, TAXPORTAL_SERVER__DATA_DIR=str(tmp_path / "data")))
    return runner


def test_a_clean_file_exits_0_and_a_second_run_changes_nothing(cli: Cli):
    cli.write("returns.csv", csv_file(row("Evans", "400-12-0001"), row("Brown", "400-12-0002")))
    first = cli.import_file("returns.csv")
    assert first.returncode == 0, first.stderr
    assert "returns.csv: 2 created, 0 updated, 0 unchanged" in first.stdout
    again = cli.import_file("returns.csv")
    assert again.returncode == 0
    assert "returns.csv: 0 created, 0 updated, 2 unchanged" in again.stdout


def test_bad_rows_exit_1_with_one_line_each_and_the_good_rows_are_imported(cli: Cli):
    cli.write(
        "mixed.csv",
        csv_file(
            row("Evans", "400-12-0001"),  # line 2
            row("Brown", "400-12-9"),  # line 3
            row("Evans", "400120001"),  # line 4: duplicate of line 2
            row("Diaz", "400-12-0004", phone="12345"),  # line 5
            row("Lee", "400-12-0005", email="lee@"),  # line 6
            row("Kim", "400-12-0006", state="XX"),  # line 7
            row("", "400-12-0007"),  # line 8
            row("Ortiz", "400-12-0008"),  # line 9
        ),
    )
    result = cli.import_file("mixed.csv")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "mixed.csv: 2 created, 0 updated, 0 unchanged; 6 rows with errors (not imported)"
    )
    assert lines[1].startswith("line 3: SSN: SSN must be 9 digits")
    assert lines[2] == "line 4: duplicate of line 2 (same tax year and SSN)"
    assert lines[3].startswith("line 5: Phone: '12345' is not a")
    assert lines[4].startswith("line 6: Primary E-mail: 'lee@' is not a valid email address")
    assert lines[5] == "line 7: State: 'XX' is not a US state or territory code"
    assert lines[6] == "line 8: Last Name: required"
    assert len(lines) == 7
    for output in (result.stdout, result.stderr):
        assert "400-12-9" not in output and "400-12-0001" not in output

    rerun = cli.import_file("mixed.csv")
    assert rerun.returncode == 1
    assert "0 created, 0 updated, 2 unchanged; 6 rows with errors" in rerun.stdout


def test_an_unusable_file_exits_2_and_imports_nothing(cli: Cli):
    cli.write("scan.pdf", b"%PDF-1.4\n%\xc7\xec\x8f\xa2\n5 0 obj\n<</Length 6 0 R>>\nstream\n")
    result = cli.import_file("scan.pdf")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "taxportal: scan.pdf: this is not a CSV file (it looks like a PDF document); "
        "nothing was imported"
    )
    assert result.stdout == ""

    cli.write("columns.csv", csv_file(row("Evans", "400-12-0001"), header=HEADER + ",Fax"))
    result = cli.import_file("columns.csv")
    assert result.returncode == 2
    assert "unknown column: 'Fax'" in result.stderr

    missing = cli.import_file("nowhere.csv")
    assert missing.returncode == 2
    assert "nowhere.csv: cannot read the file: No such file or directory" in missing.stderr

    # Nothing of the refused files landed: a good file creates its row afresh.
    cli.write("good.csv", csv_file(row("Evans", "400-12-0001")))
    assert "1 created" in cli.import_file("good.csv").stdout


def test_a_50_mb_file_exits_2_without_being_read(cli: Cli, tmp_path: Path):
    big = tmp_path / "big.csv"
    with big.open("w") as handle:
        handle.write(HEADER + "\n")
        line = row("Evans", "400-12-0001") + "\n"
        handle.write(line * (50 * 1024 * 1024 // len(line) + 1))
    result = cli.import_file("big.csv")
    assert result.returncode == 2
    assert "the file is larger than 10 MB" in result.stderr


def test_tax_year_option_for_a_file_without_a_year_column(cli: Cli):
    cli.write("no-year.csv", b"Last Name,SSN\r\nEvans,400-12-0001\r\nBrown,400-12-0002\r\n")
    refused = cli.import_file("no-year.csv")
    assert refused.returncode == 2
    assert "no-year.csv: the file has no Year column" in refused.stderr
    assert "--tax-year YYYY" in refused.stderr and "nothing was imported" in refused.stderr

    wrong = cli.run("returns", "import", "no-year.csv", "--tax-year", "1999")
    assert wrong.returncode == 2 and "the tax year given for the file (1999)" in wrong.stderr

    done = cli.run("returns", "import", "no-year.csv", "--tax-year", "2023")
    assert done.returncode == 0, done.stderr
    assert "no-year.csv: 2 created, 0 updated, 0 unchanged" in done.stdout


def test_a_shift_jis_file_exits_2_naming_the_encodings_read(cli: Cli):
    content = "tax_year,last_name,ssn\r\n2024,山田,400-12-0001\r\n2024,鈴木,400-12-0002\r\n"
    cli.write("sjis.csv", content.encode("shift_jis"))
    result = cli.import_file("sjis.csv")
    assert result.returncode == 2
    assert "sjis.csv: the file's text encoding cannot be read" in result.stderr
    assert "UTF-8" in result.stderr and "Windows-1252" in result.stderr
