"""The ``[storage_local]`` configuration section."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

SECTION = "storage_local"


class LocalStorageSettings(BaseModel):
    """Where the files live, and when a left-over temporary file counts as stale."""

    model_config = ConfigDict(extra="forbid")

    directory: Path | None = None  # empty: <data_dir>/files; relative: under <data_dir>
    stale_minutes: float = Field(60, gt=0, le=7 * 24 * 60)  # for cleanup_partial()

    def resolve(self, data_dir: Path) -> Path:
        if self.directory is None:
            return data_dir / "files"
        return self.directory if self.directory.is_absolute() else data_dir / self.directory
