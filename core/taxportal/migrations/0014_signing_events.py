"""The signing record: an append-only, hash-chained table of signing events per document.

Whoever writes (the ORM, plain SQL, a database tool, another process), the database itself
refuses to change or remove an event: triggers raise on UPDATE and DELETE, and on
PostgreSQL also on TRUNCATE (a statement that fires no row trigger). Only dropping the
triggers, which takes the table owner's rights, lets a row change, and then the hash chain
shows it (``taxportal audit verify``).

Tests reset PostgreSQL with ``session_replication_role = replica`` (tests/postgres_spare.py),
under which these triggers, like foreign keys, do not fire; SQLite tests copy a file.
"""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

REFUSAL = "signing_event is append-only"

SQLITE = [
    "CREATE TRIGGER signing_event_no_update BEFORE UPDATE ON signing_event"
    f" BEGIN SELECT RAISE(ABORT, '{REFUSAL}: UPDATE refused'); END",
    "CREATE TRIGGER signing_event_no_delete BEFORE DELETE ON signing_event"
    f" BEGIN SELECT RAISE(ABORT, '{REFUSAL}: DELETE refused'); END",
]
POSTGRES = [
    f"""
CREATE FUNCTION taxportal_signing_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{REFUSAL}: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END $$
""",
    "CREATE TRIGGER signing_event_append_only BEFORE UPDATE OR DELETE ON signing_event"
    " FOR EACH ROW EXECUTE FUNCTION taxportal_signing_event_append_only()",
    "CREATE TRIGGER signing_event_no_truncate BEFORE TRUNCATE ON signing_event"
    " FOR EACH STATEMENT EXECUTE FUNCTION taxportal_signing_event_append_only()",
]


async def create_triggers(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    client = schema_editor.client
    for statement in POSTGRES if client.capabilities.dialect == "postgres" else SQLITE:
        await client.execute_script(statement)


async def drop_triggers(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script(
            "DROP TRIGGER IF EXISTS signing_event_append_only ON signing_event;"
            " DROP TRIGGER IF EXISTS signing_event_no_truncate ON signing_event;"
            " DROP FUNCTION IF EXISTS taxportal_signing_event_append_only()"
        )
    else:
        for name in ("signing_event_no_update", "signing_event_no_delete"):
            await client.execute_script(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("taxportal", "0013_return_signing_facts")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SigningEvent",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("document_id", fields.IntField()),
                ("seq", fields.IntField()),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("kind", fields.CharField(max_length=32)),
                ("role", fields.CharField(default="", max_length=16)),
                ("actor", fields.CharField(default="", max_length=254)),
                ("ip", fields.CharField(default="", max_length=64)),
                ("user_agent", fields.CharField(default="", max_length=512)),
                (
                    "details",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("prev_hash", fields.CharField(max_length=64)),
                ("hash", fields.CharField(max_length=64)),
            ],
            options={
                "table": "signing_event",
                "app": "taxportal",
                "unique_together": (("document_id", "seq"),),
                "pk_attr": "id",
                "table_description": "One link of the signing record of a document: append-only, hash-chained per document.",
            },
            bases=["Model"],
        ),
        ops.RunPython(create_triggers, drop_triggers),
    ]
