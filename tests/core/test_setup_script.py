"""scripts/setup installs only when something pip (or npm) reads has changed (restarts are
quick), and says what to install when npm is missing."""

from __future__ import annotations

import os
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
# stands in for npm: a log line for every run, and the folder npm ci makes
FAKE_NPM = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/../npm.log"; mkdir -p node_modules; exit 0
"""
# the commands setup needs besides npm, for a PATH where npm is missing
TOOLS = ("bash", "cat", "sha256sum", "cut", "dirname", "find", "sort", "mkdir", "touch")


def _project(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "setup", tmp_path / "scripts" / "setup")
    for folder in ("core", "plugins/notify_email"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "requirements-test.txt").write_text("pytest\n")
    (tmp_path / "package.json").write_text('{"dependencies": {"signature_pad": "5.1.4"}}\n')
    (tmp_path / "package-lock.json").write_text('{"lockfileVersion": 3}\n')
    npm = tmp_path / "bin" / "npm"
    npm.parent.mkdir()
    npm.write_text(FAKE_NPM)
    npm.chmod(0o755)
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    return tmp_path


def _run(project: Path, *args: str, path: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path or f"{project / 'bin'}:{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", "scripts/setup", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _runs(project: Path, log: str) -> int:
    path = project / log
    return len(path.read_text().splitlines()) if path.exists() else 0


def _pip_runs(project: Path, *args: str) -> int:
    _run(project, *args).check_returncode()
    return _runs(project, ".venv/pip.log")


def test_setup_runs_npm_ci_once_until_the_lock_file_changes(tmp_path):
    project = _project(tmp_path)
    _pip_runs(project)
    assert _runs(project, "npm.log") == 1
    assert "ci --ignore-scripts" in (project / "npm.log").read_text()
    _pip_runs(project, "-r", "requirements-test.txt")
    assert _runs(project, "npm.log") == 1  # nothing npm reads changed
    (project / "package-lock.json").write_text('{"lockfileVersion": 3, "packages": {}}\n')
    _pip_runs(project)
    assert _runs(project, "npm.log") == 2


def test_setup_without_npm_stops_and_says_what_to_install(tmp_path):
    project = _project(tmp_path)
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in TOOLS:
        (tools / tool).symlink_to(shutil.which(tool) or tool)
    result = _run(project, path=str(tools))
    assert result.returncode == 1
    assert "npm is missing" in result.stderr and "apt-get install npm" in result.stderr
    assert _runs(project, ".venv/pip.log") == 0  # stopped before installing anything


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
