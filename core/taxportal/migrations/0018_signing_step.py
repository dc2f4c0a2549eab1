"""The sign step (issue 11): a document's in-flight signing (the key its sealed copy takes
and the lease's end: one signing at a time per document), what each signing used (the
image, address, browser, identity method) for the later passes' certificate, the last
reminder; and ``signed_copy``, one sealed PDF per signing pass, every one kept (RESTRICT:
a document with signed copies cannot be deleted).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("taxportal", "0017_identity_checks")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SignedCopy",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "document",
                    fields.ForeignKeyField(
                        "taxportal.PreparerDocument",
                        source_field="document_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="signed_copies",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("request_id", fields.IntField(unique=True)),
                ("storage_key", fields.CharField(unique=True, max_length=128)),
                ("size", fields.BigIntField()),
                ("sha256_before", fields.CharField(max_length=64)),
                ("sha256_after", fields.CharField(max_length=64)),
                ("certificate_fingerprint", fields.CharField(max_length=64)),
                ("validation", fields.CharField(max_length=64)),
                ("signers", fields.CharField(max_length=32)),
                ("complete", fields.BooleanField(default=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "signed_copy",
                "app": "taxportal",
                "indexes": [Index(fields=["document_id", "id"])],
                "pk_attr": "id",
                "table_description": "The sealed PDF of one signing pass over a sent document (bytes in storage).",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="PreparerDocument",
            name="signing_key",
            field=fields.CharField(null=True, max_length=128),
        ),
        ops.AddField(
            model_name="PreparerDocument",
            name="signing_until",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="SignatureRequest",
            name="identity_method",
            field=fields.CharField(default="", db_default="", max_length=128),
        ),
        ops.AddField(
            model_name="SignatureRequest",
            name="image_id",
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name="SignatureRequest",
            name="ip",
            field=fields.CharField(default="", db_default="", max_length=64),
        ),
        ops.AddField(
            model_name="SignatureRequest",
            name="viewed_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="SignatureRequest",
            name="reminded_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="SignatureRequest",
            name="user_agent",
            field=fields.CharField(default="", db_default="", max_length=512),
        ),
    ]
