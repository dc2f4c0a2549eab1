"""The data directory is its owner's only: folders 0700, files 0600, whatever the umask.

It holds the SQLite database (SSN digests and ciphertexts, sessions), the encryption key,
the outbox (invitation links) and the taxpayers' files. Each place that creates a folder
or file there gives the mode itself; the `taxportal` command also sets the process umask
to 0077, which covers what others create for it (SQLite's -wal and -shm take the
database file's mode anyway). Plugins may use ``make_private_dir``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("taxportal")
PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600
SHOWN_WARNINGS = 20  # lines at most; the rest are counted in one more line


def restrict_umask() -> None:
    """Whatever this process creates is its owner's only (set once, at command start)."""
    os.umask(PRIVATE_UMASK)


def make_private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents 0700 (``Path.mkdir`` gives the parents the
    default mode and the umask cuts the one asked for); an existing folder is left as is."""
    missing = []
    folder = Path(path)
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, DIR_MODE)
        except FileExistsError:  # another process made it meanwhile: its mode is its own
            continue
        os.chmod(folder, DIR_MODE)
    return path


def create_private_file(path: Path) -> None:
    """Create an empty file 0600 when it does not exist yet (SQLite then keeps that mode
    for the database and gives it to its -wal and -shm files)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


def too_open(data_dir: Path) -> list[tuple[Path, int]]:
    """Paths under ``data_dir`` (itself, two levels of entries) that others may read, enter
    or write, with their modes. Deeper files (taxpayers' uploads) are always made 0600."""
    found: list[tuple[Path, int]] = []
    _check(data_dir, found)
    for entry in _entries(data_dir):
        _check(entry, found)
        if entry.is_dir() and not entry.is_symlink():
            for inner in _entries(entry):
                _check(inner, found)
    return found


def warn_if_too_open(data_dir: Path) -> int:
    """One warning line per path that is wider than 0700/0600 (never fails); returns the
    number of such paths."""
    found = too_open(data_dir)
    for path, mode in found[:SHOWN_WARNINGS]:
        wanted = DIR_MODE if stat.S_ISDIR(mode) else FILE_MODE
        log.warning(
            "%s is open to other users (mode %04o, expected %04o): chmod %04o %s",
            path,
            stat.S_IMODE(mode),
            wanted,
            wanted,
            path,
        )
    if len(found) > SHOWN_WARNINGS:
        log.warning(
            "%d more paths in %s are open to other users: chmod -R go= %s",
            len(found) - SHOWN_WARNINGS,
            data_dir,
            data_dir,
        )
    return len(found)


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:  # missing or unreadable: nothing to say about it here
        return []


def _check(path: Path, found: list[tuple[Path, int]]) -> None:
    try:
        mode = path.lstat().st_mode
    except OSError:
        return
    if stat.S_ISLNK(mode):
        return
    if stat.S_IMODE(mode) & 0o077:
        found.append((path, mode))
