"""`taxportal audit verify`: check every signing chain and name the first broken link of each."""

from __future__ import annotations

import argparse

from taxportal.config import AppConfig
from taxportal.db import close_database, open_database, tortoise_config
from taxportal.plugins import Plugins, build_plugin_manager
from taxportal.services.signing import records


async def verify(args: argparse.Namespace, config: AppConfig) -> int:
    """Exit 0 when every chain holds, 1 when one does not. Prints ids, seqs and what is
    wrong, never an event's details, actor or address (the output may be pasted anywhere)."""
    # only the database: no backend, plugin start-up or key is needed to read the record
    plugins = Plugins(build_plugin_manager(config), config)
    await open_database(tortoise_config(config, plugins.model_modules()))
    try:
        report = await records.verify(args.document)
    finally:
        await close_database()
    counted = f"{_many(report.documents, 'document')}, {_many(report.events, 'event')}"
    if report.intact:
        print(f"{counted}: every chain intact")
        return 0
    for link in report.broken:
        print(link)
    print(f"{counted}: {_many(len(report.broken), 'broken chain')}")
    return 1


def _many(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
