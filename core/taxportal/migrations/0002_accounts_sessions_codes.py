from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('taxportal', '0001_initial')]

    initial = False

    operations = [
        # First: the old table's related name "sessions" is reused by WebSession.
        ops.DeleteModel(name='StaffSession'),
        ops.CreateModel(
            name='StaffRecoveryCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('staff', fields.ForeignKeyField('taxportal.StaffUser', source_field='staff_id', db_constraint=True, to_field='id', related_name='recovery_codes', on_delete=OnDelete.CASCADE)),
                ('code_hash', fields.CharField(max_length=64)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'staff_recovery_code', 'app': 'taxportal', 'pk_attr': 'id', 'table_description': 'A single-use code that replaces the authenticator app once (stored as a hash).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TaxpayerAccount',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('portal', fields.OneToOneField('taxportal.Portal', source_field='portal_id', db_constraint=True, to_field='id', related_name='account', on_delete=OnDelete.CASCADE)),
                ('username', fields.CharField(max_length=64)),
                ('username_key', fields.CharField(unique=True, max_length=64)),
                ('password_hash', fields.CharField(max_length=255)),
                ('email', fields.CharField(default='', max_length=254)),
                ('phone', fields.CharField(default='', max_length=20)),
                ('language', fields.CharField(default='', max_length=2)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('failed_codes', fields.IntField(default=0)),
                ('failed_sign_ins', fields.IntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('password_changed_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'taxpayer_account', 'app': 'taxportal', 'pk_attr': 'id', 'table_description': "The taxpayer's sign-in for one portal."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OneTimeCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('taxportal.TaxpayerAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='codes', on_delete=OnDelete.CASCADE)),
                ('purpose', fields.CharField(max_length=32)),
                ('channel', fields.CharField(max_length=16)),
                ('code_hash', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('voided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'one_time_code', 'app': 'taxportal', 'pk_attr': 'id', 'table_description': 'A 6-digit code sent to the taxpayer, bound to one account and purpose (stored hashed).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ThrottleHit',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(db_index=True, max_length=128)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'throttle_hit', 'app': 'taxportal', 'indexes': [Index(fields=['key', 'at'])], 'pk_attr': 'id', 'table_description': 'One attempt counted against a key ("sign_in:ip:1.2.3.4"): rate limits across processes.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TrustedDevice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('taxportal.TaxpayerAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='devices', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'trusted_device', 'app': 'taxportal', 'pk_attr': 'id', 'table_description': 'A browser that passed a code: sign-ins from it skip the code until it expires.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebSession',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('kind', fields.CharField(max_length=16)),
                ('staff', fields.ForeignKeyField('taxportal.StaffUser', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('taxportal.TaxpayerAccount', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('csrf_token', fields.CharField(max_length=64)),
                ('second_factor_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('address', fields.CharField(default='', max_length=64)),
            ],
            options={'table': 'web_session', 'app': 'taxportal', 'pk_attr': 'id', 'table_description': 'A server-side session (staff or taxpayer): revocable, so a copied cookie dies on sign-out.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='StaffUser',
            name='failed_sign_ins',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='StaffUser',
            name='locked_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='StaffUser',
            name='totp_enabled_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='StaffUser',
            name='totp_last_step',
            field=fields.BigIntField(default=0),
        ),
        ops.AddField(
            model_name='StaffUser',
            name='totp_secret_encrypted',
            field=fields.CharField(default='', max_length=200),
        ),
    ]
