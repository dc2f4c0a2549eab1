"""The event log: every event published on a durable bus is a row, read by processes that
missed a notification (NOTIFY has no replay) or poll (SQLite)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('taxportal', '0010_client_search_and_sort')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EventLogEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.BigIntField(db_index=True)),
                ('origin', fields.CharField(max_length=40)),
                ('topic', fields.CharField(max_length=64)),
                ('data', fields.TextField(unique=False)),
            ],
            options={'table': 'event_log', 'app': 'taxportal', 'pk_attr': 'id', 'table_description': 'Every event published on a durable bus (ids only, as JSON): what a process that'},
            bases=['Model'],
        ),
    ]
