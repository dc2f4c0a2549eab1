"""The signatures on file: one drawn PNG per portal and role, the replaced ones kept.

"On file" is the row whose ``replaced_at`` is NULL. A partial unique index on
(portal_id, role) WHERE replaced_at IS NULL (SQLite and PostgreSQL both have them) makes a
second one impossible whatever the writers do, and is the index ``on_file`` reads through.
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

INDEX = "signature_image_one_on_file"


async def create_index(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    await schema_editor.client.execute_script(
        f"CREATE UNIQUE INDEX {INDEX} ON signature_image (portal_id, role)"
        " WHERE replaced_at IS NULL"
    )


async def drop_index(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    await schema_editor.client.execute_script(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("taxportal", "0014_signing_events")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SignatureImage",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "portal",
                    fields.ForeignKeyField(
                        "taxportal.Portal",
                        source_field="portal_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="signature_images",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("role", fields.CharField(max_length=16)),
                ("png", fields.BinaryField()),
                ("sha256", fields.CharField(max_length=64)),
                ("width", fields.IntField()),
                ("height", fields.IntField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "replaced_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "signature_image",
                "app": "taxportal",
                "pk_attr": "id",
                "table_description": "A signature a signer drew (the checked PNG), kept on file for one portal and role.",
            },
            bases=["Model"],
        ),
        ops.RunPython(create_index, drop_index),
    ]
