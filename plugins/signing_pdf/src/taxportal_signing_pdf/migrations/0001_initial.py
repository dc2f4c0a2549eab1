"""The firm's keys made on first start (taxportal_signing_pdf.models)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="FirmSigningKey",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("slot", fields.CharField(max_length=16, unique=True)),
                ("root_certificate", fields.TextField()),
                ("signing_certificate", fields.TextField()),
                ("signing_key", fields.TextField()),
                ("root_key", fields.TextField()),
                ("created_at", fields.DatetimeField(auto_now_add=True)),
            ],
            options={
                "table": "signing_pdf_firm_key",
                "app": "signing_pdf",
                "pk_attr": "id",
                "table_description": "The firm's root and signing certificate made on first start (keys encrypted).",
            },
            bases=["Model"],
        ),
    ]
