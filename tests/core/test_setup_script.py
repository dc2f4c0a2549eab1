"""scripts/setup installs only when something pip reads has changed (restarts are quick)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# stands in for .venv/bin/python: real Python for `-c`, a log line for every pip run
FAKE_PYTHON = f"""#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo "$@" >> "$(dirname "$0")/../pip.log"; exit 0; fi
exec {sys.executable} "$@"
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "setup", tmp_path / "scripts" / "setup")
    for folder in ("core", "plugins/notify_email"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "requirements-test.txt").write_text("pytest\n")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    return tmp_path


def _pip_runs(project: Path, *args: str) -> int:
    subprocess.run(["bash", "scripts/setup", *args], cwd=project, check=True, timeout=60)
    log = project / ".venv" / "pip.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_setup_runs_pip_again_only_when_a_project_file_or_the_arguments_change(tmp_path):
    project = _project(tmp_path)
    first = _pip_runs(project, "-r", "requirements-test.txt")
    assert first > 0
    assert _pip_runs(project, "-r", "requirements-test.txt") == first  # a restart: no pip
    after_plain = _pip_runs(project)  # scripts/serve's plain setup is stamped on its own
    assert after_plain > first
    assert _pip_runs(project) == after_plain
    assert _pip_runs(project, "-r", "requirements-test.txt") == after_plain

    (project / "plugins" / "notify_email" / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["aiosmtplib"]\n'
    )
    assert _pip_runs(project) > after_plain
    changed = _pip_runs(project)
    (project / "requirements-test.txt").write_text("pytest\nhypothesis\n")
    assert _pip_runs(project, "-r", "requirements-test.txt") > changed
