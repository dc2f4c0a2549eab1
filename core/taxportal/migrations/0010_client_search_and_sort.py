"""The client lists sort names as people read them, and find a client by SSN.

- ``last_name_key`` and ``first_name_key``: the names folded (case, accents, spaces and
  punctuation: "de la Cruz" sorts as "delacruz", before "Support"); written with every
  return (services/returns.py), filled here for the returns already stored. The name
  indexes move to them; ``ssn_last4`` rides in the covering name index, so SQLite's
  search by last four still reads only the index (0006).
- ``ssn_last4`` and ``ssn_digest`` alone: PostgreSQL finds a last four or a full SSN's
  keyed digest without reading every return ((tax_year, ssn_digest) cannot serve it).
"""

import unicodedata

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

BATCH = 1_000


def _fold(name: str) -> str:
    """text.fold_name as it was when this migration was written (kept here, frozen)."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in letters.casefold() if c.isalnum())[:100]


async def fill_name_keys(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    update = (
        "UPDATE tax_return SET last_name_key = $1, first_name_key = $2 WHERE id = $3"
        if postgres
        else "UPDATE tax_return SET last_name_key = ?, first_name_key = ? WHERE id = ?"
    )
    after = 0
    while True:
        select = (
            "SELECT id, last_name, first_name FROM tax_return WHERE id > {} ORDER BY id LIMIT {}"
        )
        rows = await client.execute_query_dict(select.format(int(after), BATCH))
        if not rows:
            return
        await client.execute_many(
            update,
            [[_fold(r["last_name"]), _fold(r["first_name"]), r["id"]] for r in rows],
        )
        after = rows[-1]["id"]


async def no_backward_fill(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    """Going back drops the columns: nothing to undo."""


class Migration(migrations.Migration):
    dependencies = [("taxportal", "0009_throttle_windows")]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name="TaxReturn",
            name=None,
            fields=["tax_year", "last_name", "first_name"],
        ),
        ops.RemoveIndex(
            model_name="TaxReturn",
            name=None,
            fields=["last_name", "first_name", "id", "search_text"],
        ),
        ops.AddField(
            model_name="TaxReturn",
            name="first_name_key",
            field=fields.CharField(default="", db_default="", max_length=100),
        ),
        ops.AddField(
            model_name="TaxReturn",
            name="last_name_key",
            field=fields.CharField(default="", db_default="", max_length=100),
        ),
        ops.RunPython(fill_name_keys, no_backward_fill),
        ops.AddIndex(
            model_name="TaxReturn",
            index=Index(fields=["tax_year", "last_name_key", "first_name_key"]),
        ),
        ops.AddIndex(
            model_name="TaxReturn",
            index=Index(
                fields=["last_name_key", "first_name_key", "id", "search_text", "ssn_last4"]
            ),
        ),
        ops.AddIndex(
            model_name="TaxReturn",
            index=Index(fields=["ssn_last4"]),
        ),
        ops.AddIndex(
            model_name="TaxReturn",
            index=Index(fields=["ssn_digest"]),
        ),
    ]
