from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='ActivityEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('actor', fields.CharField(default='system', max_length=100)),
                ('action', fields.CharField(max_length=64)),
                ('subject', fields.CharField(default='', max_length=100)),
                ('address', fields.CharField(default='', max_length=64)),
                ('detail', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'activity_log', 'app': 'taxportal', 'pk_attr': 'id', 'table_description': 'Append-only record of who did what, when, from where. Never secrets.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StaffUser',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('name', fields.CharField(default='', max_length=200)),
                ('password_hash', fields.CharField(max_length=255)),
                ('role', fields.CharField(default='preparer', max_length=16)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'staff_user', 'app': 'taxportal', 'pk_attr': 'id', 'table_description': 'A person of the firm: an admin or a preparer.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('staff', fields.ForeignKeyField('taxportal.StaffUser', source_field='staff_id', db_constraint=True, to_field='id', related_name='api_tokens', on_delete=OnDelete.CASCADE)),
                ('label', fields.CharField(default='', max_length=100)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_token', 'app': 'taxportal', 'pk_attr': 'id', 'table_description': 'A bearer token a tax program uses for the REST API (stored as a hash).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StaffSession',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('staff', fields.ForeignKeyField('taxportal.StaffUser', source_field='staff_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('csrf_token', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'staff_session', 'app': 'taxportal', 'pk_attr': 'id', 'table_description': 'A server-side session of the console: revocable, so a copied cookie dies on sign-out.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TaxReturn',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tax_year', fields.IntField(db_index=True)),
                ('return_type', fields.CharField(default='1040', max_length=16)),
                ('efile_status', fields.CharField(default='', max_length=64)),
                ('first_name', fields.CharField(default='', max_length=100)),
                ('last_name', fields.CharField(max_length=100)),
                ('ssn_encrypted', fields.CharField(default='', max_length=200)),
                ('ssn_digest', fields.CharField(null=True, max_length=64)),
                ('ssn_last4', fields.CharField(default='', max_length=4)),
                ('primary_email', fields.CharField(default='', max_length=254)),
                ('secondary_email', fields.CharField(default='', max_length=254)),
                ('mobile_phone', fields.CharField(default='', max_length=20)),
                ('address', fields.CharField(default='', max_length=200)),
                ('city', fields.CharField(default='', max_length=100)),
                ('state', fields.CharField(default='', max_length=2)),
                ('zip_code', fields.CharField(default='', max_length=10)),
                ('spouse_first_name', fields.CharField(default='', max_length=100)),
                ('spouse_last_name', fields.CharField(default='', max_length=100)),
                ('spouse_ssn_encrypted', fields.CharField(default='', max_length=200)),
                ('spouse_ssn_last4', fields.CharField(default='', max_length=4)),
                ('language', fields.CharField(default='en', max_length=2)),
                ('search_text', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'tax_return', 'app': 'taxportal', 'unique_together': (('tax_year', 'ssn_digest'),), 'indexes': [Index(fields=['tax_year', 'last_name', 'first_name'])], 'pk_attr': 'id', 'table_description': "One client's return for one year: the File Viewer's row."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Portal',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tax_return', fields.OneToOneField('taxportal.TaxReturn', source_field='tax_return_id', db_constraint=True, to_field='id', related_name='portal', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(default='invited', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('created_by', fields.ForeignKeyField('taxportal.StaffUser', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='portals_created', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'portal', 'app': 'taxportal', 'pk_attr': 'id', 'table_description': 'A taxpayer portal for one return.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Invitation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('portal', fields.ForeignKeyField('taxportal.Portal', source_field='portal_id', db_constraint=True, to_field='id', related_name='invitations', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('channel', fields.CharField(max_length=16)),
                ('sent_to', fields.CharField(max_length=254)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('voided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'invitation', 'app': 'taxportal', 'pk_attr': 'id', 'table_description': 'A single-use link that lets the taxpayer register (stored as a hash).'},
            bases=['Model'],
        ),
    ]
