"""``manifest.json``: what a backup holds. Written last, so a backup without one is
unfinished and restore refuses it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from taxportal.services.backup.stored_files import CopiedFile

NAME = "manifest.json"
FORMAT = 1
SEALED_KEY = "data-key.sealed"


class BadBackup(Exception):
    """Not a finished backup of a format this version reads."""


@dataclass
class Manifest:
    created_at: str
    database: str  # "sqlite" | "postgres"
    database_file: str
    migrations: list[str]
    key: str  # "sealed" | "absent"
    files: list[CopiedFile] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # named by the database, gone from storage
    format: int = FORMAT

    def write(self, dest: Path) -> None:
        body = asdict(self)
        (dest / NAME).write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, source: Path) -> Manifest:
        path = source / NAME
        if not path.is_file():
            raise BadBackup(f"{source} holds no {NAME}: not a finished backup")
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
            if body.get("format") != FORMAT:
                raise BadBackup(
                    f"backup format {body.get('format')!r}; this version reads {FORMAT}"
                )
            body["files"] = [CopiedFile(**f) for f in body["files"]]
            return cls(**body)
        except (ValueError, TypeError, KeyError) as exc:
            raise BadBackup(f"{path} cannot be read: {type(exc).__name__}") from None
