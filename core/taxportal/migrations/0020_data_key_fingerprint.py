"""The data key's fingerprint: every process checks it shares the key the database uses."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('taxportal', '0019_signature_box')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DataKeyFingerprint',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slot', fields.CharField(unique=True, max_length=16)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'data_key_fingerprint', 'app': 'taxportal', 'pk_attr': 'id', 'table_description': "Which data-encryption key the database's secrets are sealed with: a keyed digest of"},
            bases=['Model'],
        ),
    ]
