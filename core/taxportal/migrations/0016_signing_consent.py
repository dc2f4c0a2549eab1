"""The electronic-records consent (ESIGN): one row per decision of a portal's signer.

The current decision of a (portal, role) is its newest row, found through the index on
(portal_id, role, id).
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("taxportal", "0015_signature_images")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SigningConsent",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("portal_id", fields.IntField()),
                ("role", fields.CharField(max_length=16)),
                ("decision", fields.CharField(max_length=16)),
                ("text_version", fields.CharField(max_length=32)),
                ("text_sha256", fields.CharField(max_length=64)),
                ("language", fields.CharField(max_length=8)),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("ip", fields.CharField(default="", max_length=64)),
                ("user_agent", fields.CharField(default="", max_length=512)),
            ],
            options={
                "table": "signing_consent",
                "app": "taxportal",
                "indexes": (("portal_id", "role", "id"),),
                "pk_attr": "id",
                "table_description": "One decision of one signer of a portal on the electronic-records disclosure (ESIGN).",
            },
            bases=["Model"],
        ),
    ]
