"""`taxportal returns import FILE.csv` (the import itself lives in services.csv_import)."""

from __future__ import annotations

import argparse

from taxportal.config import AppConfig, ConfigError


async def run(args: argparse.Namespace, config: AppConfig) -> int:
    raise ConfigError("CSV import is not built yet")
