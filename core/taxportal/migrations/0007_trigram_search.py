"""PostgreSQL: a trigram index for the File Viewer's search (``search_text LIKE '%word%'``).

Without it PostgreSQL reads every return for each search (4 ms and more per 10,000
returns, twice per page); with it, only the rows that hold the word's trigrams. pg_trgm
ships with PostgreSQL and is a trusted extension (13+): the database owner may create it.
Where it cannot be created, search still works, unindexed, and the log says why.
SQLite needs nothing: its search reads the covering name index of migration 0006.
"""

import logging

from tortoise import migrations
from tortoise.migrations import operations as ops

log = logging.getLogger("taxportal")
INDEX = "tax_return_search_trgm"


async def create_trigram_index(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    client = schema_editor.client
    if client.capabilities.dialect != "postgres":
        return
    try:
        await client.execute_script("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as exc:  # no right to create it: search stays correct, only slower
        log.warning("pg_trgm is not available (%s): client search will not be indexed", exc)
        return
    await client.execute_script(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON tax_return USING gin (search_text gin_trgm_ops)"
    )


async def drop_trigram_index(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    if schema_editor.client.capabilities.dialect == "postgres":
        await schema_editor.client.execute_script(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("taxportal", "0006_search_in_name_index")]

    initial = False

    operations = [
        ops.RunPython(create_trigram_index, drop_trigram_index, atomic=False),
    ]
