"""`taxportal returns import FILE.csv [--tax-year YYYY]`: the summary, then one line per
bad row. ``--tax-year`` is the year of the rows that have none (a year in the row wins).

Exit status: 0 every row imported, 1 some rows failed (the others were imported),
2 the file could not be used at all (nothing was imported).
"""

from __future__ import annotations

import argparse
import sys

from taxportal.config import AppConfig
from taxportal.runtime import build_core, started
from taxportal.services.returns import csv_file, csv_import


async def run(args: argparse.Namespace, config: AppConfig) -> int:
    try:
        data = csv_file.read_path(args.file)
        # Checked before the database opens: a wrong file needs no database to be told so.
        parsed = csv_import.parse(data, args.tax_year)
        async with started(build_core(config)) as core:
            report = await csv_import.import_parsed(core, parsed, actor="cli")
    except csv_file.UnusableFile as exc:
        print(f"taxportal: {args.file}: {exc}; nothing was imported", file=sys.stderr)
        return 2
    print(f"{args.file}: {report.summary()}")
    for error in report.errors:
        print(error)
    return 1 if report.errors else 0
