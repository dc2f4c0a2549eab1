from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('taxportal', '0002_accounts_sessions_codes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Portal',
            name='failed_registrations',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='Portal',
            name='link_requested',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Portal',
            name='locked_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='TaxReturn',
            index=Index(fields=['last_name', 'first_name', 'id']),
        ),
    ]
