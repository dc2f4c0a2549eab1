"""Durable jobs: work to do later or again, claimed by one worker across every process."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("taxportal", "0011_event_log")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Job",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("kind", fields.CharField(max_length=64)),
                ("key", fields.CharField(max_length=128, null=True, unique=True)),
                ("payload", fields.JSONField(default=dict)),
                ("state", fields.CharField(max_length=16, default="queued")),
                ("run_after", fields.BigIntField()),
                ("attempts", fields.IntField(default=0)),
                ("max_attempts", fields.IntField(default=8)),
                ("every_ms", fields.BigIntField(null=True)),
                ("last_error", fields.CharField(max_length=300, default="")),
                ("locked_by", fields.CharField(max_length=64, null=True)),
                ("locked_until", fields.BigIntField(null=True)),
                ("created_at", fields.BigIntField()),
                ("updated_at", fields.BigIntField()),
            ],
            options={
                "table": "job",
                "app": "taxportal",
                "indexes": (("state", "run_after"),),
                "pk_attr": "id",
                "table_description": "Work to do later or again (``taxportal/jobs``): claimed by one worker at a time.",
            },
            bases=["Model"],
        ),
    ]
