"""Facts for the identity check at signing (issue 11), kept on the return.

- ``spouse_email`` and ``spouse_mobile_phone``: the spouse's own contact, plain like the
  taxpayer's.
- ``birth_date_encrypted``, ``prior_year_agi_encrypted`` and the spouse's two: AES-GCM
  under the field cipher, like the SSN (``services/returns/signing_facts.py``); "" when
  none is on file, which is every return stored before this migration (the database's
  own default "" fills them: SQLite adds no NOT NULL column without one).
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("taxportal", "0012_jobs")]

    initial = False

    operations = [
        ops.AddField(
            model_name="TaxReturn",
            name="spouse_email",
            field=fields.CharField(default="", db_default="", max_length=254),
        ),
        ops.AddField(
            model_name="TaxReturn",
            name="spouse_mobile_phone",
            field=fields.CharField(default="", db_default="", max_length=20),
        ),
        ops.AddField(
            model_name="TaxReturn",
            name="birth_date_encrypted",
            field=fields.CharField(default="", db_default="", max_length=200),
        ),
        ops.AddField(
            model_name="TaxReturn",
            name="prior_year_agi_encrypted",
            field=fields.CharField(default="", db_default="", max_length=200),
        ),
        ops.AddField(
            model_name="TaxReturn",
            name="spouse_birth_date_encrypted",
            field=fields.CharField(default="", db_default="", max_length=200),
        ),
        ops.AddField(
            model_name="TaxReturn",
            name="spouse_prior_year_agi_encrypted",
            field=fields.CharField(default="", db_default="", max_length=200),
        ),
    ]
