from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('taxportal', '0004_uploaded_files')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PreparerDocument',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tax_return', fields.ForeignKeyField('taxportal.TaxReturn', source_field='tax_return_id', db_constraint=True, to_field='id', related_name='preparer_documents', on_delete=OnDelete.CASCADE)),
                ('storage_key', fields.CharField(unique=True, max_length=128)),
                ('file_name', fields.CharField(max_length=255)),
                ('size', fields.BigIntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('pages', fields.IntField(default=0)),
                ('added_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('added_by', fields.CharField(default='', max_length=100)),
                ('sent_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('sent_by', fields.CharField(default='', max_length=100)),
                ('superseded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('replaced_by', fields.ForeignKeyField('taxportal.PreparerDocument', source_field='replaced_by_id', null=True, db_constraint=True, to_field='id', related_name='replaces', on_delete=OnDelete.SET_NULL)),
                ('viewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'preparer_document', 'app': 'taxportal', 'indexes': [Index(fields=['tax_return_id', 'sent_at'])], 'pk_attr': 'id', 'table_description': 'A PDF the preparer put in the Signed Document Manager of a return.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SignatureRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('document', fields.ForeignKeyField('taxportal.PreparerDocument', source_field='document_id', db_constraint=True, to_field='id', related_name='signature_requests', on_delete=OnDelete.CASCADE)),
                ('signer', fields.CharField(max_length=16)),
                ('status', fields.CharField(default='pending', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('signed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('voided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'signature_request', 'app': 'taxportal', 'unique_together': (('document', 'signer'),), 'pk_attr': 'id', 'table_description': 'A signature asked of one signer ("taxpayer" or "spouse") on one sent document.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Portal',
            name='upload_digest_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='StaffUser',
            name='notify_uploads',
            field=fields.BooleanField(default=True),
        ),
        ops.AddField(
            model_name='TaxpayerAccount',
            name='notify_channel',
            field=fields.CharField(default='email', max_length=8),
        ),
        ops.AddField(
            model_name='UploadedFile',
            name='notified_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='UploadedFile',
            name='state',
            field=fields.CharField(default='stored', db_index=True, max_length=16),
        ),
    ]
