"""The plugin's own table: the firm's keys made on first start, kept encrypted."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

FIRM_SLOT = "firm"


class FirmSigningKey(Model):
    """The firm's root and signing certificate made on first start (one row, ``slot`` is
    unique: racing first starts on several hosts insert once and all read the same row).
    Private keys are PKCS#8 PEM encrypted with the core's data-encryption key."""

    id = fields.IntField(primary_key=True)
    slot = fields.CharField(max_length=16, unique=True)
    root_certificate = fields.TextField()
    signing_certificate = fields.TextField()
    signing_key = fields.TextField()  # encrypted (context "signing_pdf:signing_key")
    root_key = fields.TextField()  # encrypted; kept to issue the next signing certificate
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "signing_pdf_firm_key"
