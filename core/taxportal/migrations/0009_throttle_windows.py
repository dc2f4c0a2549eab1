"""The throttle counts one row per key and window (bumped by a conditional upsert), not a
row per attempt counted afterwards, which requests in flight could outrun."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('taxportal', '0008_return_count_counter')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ThrottleWindow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(max_length=128)),
                ('window_start', fields.BigIntField(db_index=True)),
                ('hits', fields.IntField(default=0)),
            ],
            options={'table': 'throttle_window', 'app': 'taxportal', 'unique_together': (('key', 'window_start'),), 'pk_attr': 'id', 'table_description': 'Attempts of one key ("sign_in:ip:1.2.3.4") in one window: rate limits across processes.'},
            bases=['Model'],
        ),
        ops.DeleteModel(name='ThrottleHit'),
    ]
