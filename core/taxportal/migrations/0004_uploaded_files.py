from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('taxportal', '0003_portal_lockout_name_index')]

    initial = False

    operations = [
        ops.CreateModel(
            name='UploadedFile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('portal', fields.ForeignKeyField('taxportal.Portal', source_field='portal_id', db_constraint=True, to_field='id', related_name='uploaded_files', on_delete=OnDelete.CASCADE)),
                ('storage_key', fields.CharField(unique=True, max_length=128)),
                ('file_name', fields.CharField(max_length=255)),
                ('content_type', fields.CharField(max_length=64)),
                ('size', fields.BigIntField()),
                ('sha256', fields.CharField(db_index=True, max_length=64)),
                ('uploaded_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('opened_by_preparer_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'uploaded_file', 'app': 'taxportal', 'pk_attr': 'id', 'table_description': 'A file the taxpayer put in "My Files": bytes in the storage plugin, under ``storage_key``.'},
            bases=['Model'],
        ),
    ]
