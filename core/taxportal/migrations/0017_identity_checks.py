"""The identity check at signing (issue 11): one row per signer (taxpayer or spouse) of a
portal, holding the live challenge's server-side state, the failure count and the lock."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("taxportal", "0016_signing_consent")]

    initial = False

    operations = [
        ops.CreateModel(
            name="IdentityCheck",
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
                        related_name="identity_checks",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("role", fields.CharField(max_length=16)),
                ("started_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("method", fields.CharField(default="", max_length=128)),
                ("state", fields.JSONField(default=dict)),
                ("failures", fields.IntField(default=0)),
                ("passed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("locked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "identity_check",
                "app": "taxportal",
                "unique_together": (("portal", "role"),),
                "pk_attr": "id",
                "table_description": "The identity check at signing of one signer (taxpayer or spouse) of one portal.",
            },
            bases=["Model"],
        ),
    ]
