"""The core's tortoise-orm models. Schema changes go through migrations/."""

from __future__ import annotations

from tortoise import fields
from tortoise.exceptions import OperationalError
from tortoise.models import Model


class StaffUser(Model):
    """A person of the firm: an admin or a preparer."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)  # stored lower-case
    name = fields.CharField(max_length=200, default="")
    password_hash = fields.CharField(max_length=255)
    role = fields.CharField(max_length=16, default="preparer")  # "admin" | "preparer"
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    totp_secret_encrypted = fields.CharField(max_length=200, default="")  # AES-GCM
    totp_enabled_at = fields.DatetimeField(null=True)
    totp_last_step = fields.BigIntField(default=0)  # a TOTP code is accepted once
    failed_sign_ins = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    notify_uploads = fields.BooleanField(default=True)  # hourly digest of clients' new uploads

    class Meta:
        table = "staff_user"


class StaffRecoveryCode(Model):
    """A single-use code that replaces the authenticator app once (stored as a hash)."""

    id = fields.IntField(primary_key=True)
    staff: fields.ForeignKeyRelation[StaffUser] = fields.ForeignKeyField(
        "taxportal.StaffUser", related_name="recovery_codes", on_delete=fields.CASCADE
    )
    code_hash = fields.CharField(max_length=64)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "staff_recovery_code"


class ApiToken(Model):
    """A bearer token a tax program uses for the REST API (stored as a hash)."""

    id = fields.IntField(primary_key=True)
    staff: fields.ForeignKeyRelation[StaffUser] = fields.ForeignKeyField(
        "taxportal.StaffUser", related_name="api_tokens", on_delete=fields.CASCADE
    )
    label = fields.CharField(max_length=100, default="")
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"


class WebSession(Model):
    """A server-side session (staff or taxpayer): revocable, so a copied cookie dies on sign-out."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    kind = fields.CharField(max_length=16)  # "staff" | "taxpayer"
    staff: fields.ForeignKeyNullableRelation[StaffUser] = fields.ForeignKeyField(
        "taxportal.StaffUser", related_name="sessions", null=True, on_delete=fields.CASCADE
    )
    account: fields.ForeignKeyNullableRelation[TaxpayerAccount] = fields.ForeignKeyField(
        "taxportal.TaxpayerAccount", related_name="sessions", null=True, on_delete=fields.CASCADE
    )
    csrf_token = fields.CharField(max_length=64)
    second_factor_at = fields.DatetimeField(null=True)  # staff TOTP / taxpayer code passed
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField(auto_now_add=True)
    address = fields.CharField(max_length=64, default="")

    class Meta:
        table = "web_session"


class TaxReturn(Model):
    """One client's return for one year: the File Viewer's row."""

    id = fields.IntField(primary_key=True)
    tax_year = fields.IntField(db_index=True)
    return_type = fields.CharField(max_length=16, default="1040")
    efile_status = fields.CharField(max_length=64, default="")
    first_name = fields.CharField(max_length=100, default="")
    last_name = fields.CharField(max_length=100)
    # the names as they sort: case, accents, spaces and punctuation folded (text.fold_name)
    last_name_key = fields.CharField(max_length=100, default="", db_default="")
    first_name_key = fields.CharField(max_length=100, default="", db_default="")
    ssn_encrypted = fields.CharField(max_length=200, default="")  # AES-GCM, never the plain SSN
    ssn_digest = fields.CharField(max_length=64, null=True)  # keyed HMAC: the upsert key
    ssn_last4 = fields.CharField(max_length=4, default="")
    primary_email = fields.CharField(max_length=254, default="")
    secondary_email = fields.CharField(max_length=254, default="")
    mobile_phone = fields.CharField(max_length=20, default="")  # E.164
    address = fields.CharField(max_length=200, default="")
    city = fields.CharField(max_length=100, default="")
    state = fields.CharField(max_length=2, default="")
    zip_code = fields.CharField(max_length=10, default="")
    spouse_first_name = fields.CharField(max_length=100, default="")
    spouse_last_name = fields.CharField(max_length=100, default="")
    spouse_ssn_encrypted = fields.CharField(max_length=200, default="")
    spouse_ssn_last4 = fields.CharField(max_length=4, default="")
    spouse_email = fields.CharField(max_length=254, default="", db_default="")
    spouse_mobile_phone = fields.CharField(max_length=20, default="", db_default="")  # E.164
    language = fields.CharField(max_length=2, default="en")  # "en" | "es"
    # Identity facts asked at signing (services/returns/signing_facts.py): AES-GCM like the
    # SSN, never plain; "" when none is on file. Dates as YYYY-MM-DD, AGIs in whole dollars.
    birth_date_encrypted = fields.CharField(max_length=200, default="", db_default="")
    prior_year_agi_encrypted = fields.CharField(max_length=200, default="", db_default="")
    spouse_birth_date_encrypted = fields.CharField(max_length=200, default="", db_default="")
    spouse_prior_year_agi_encrypted = fields.CharField(max_length=200, default="", db_default="")
    search_text = fields.TextField(default="")  # lower-cased names, emails, phone digits
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "tax_return"
        unique_together = (("tax_year", "ssn_digest"),)
        # search_text and ssn_last4 ride in the name index: a search scans the index, not
        # the table; ssn_last4 and ssn_digest alone find a client by SSN (PostgreSQL)
        indexes = (
            ("tax_year", "last_name_key", "first_name_key"),
            ("last_name_key", "first_name_key", "id", "search_text", "ssn_last4"),
            ("ssn_last4",),
            ("ssn_digest",),
        )


class Portal(Model):
    """A taxpayer portal for one return."""

    id = fields.IntField(primary_key=True)
    tax_return: fields.OneToOneRelation[TaxReturn] = fields.OneToOneField(
        "taxportal.TaxReturn", related_name="portal", on_delete=fields.CASCADE
    )
    status = fields.CharField(max_length=16, default="invited")  # invited|registered|verified
    created_at = fields.DatetimeField(auto_now_add=True)
    created_by: fields.ForeignKeyNullableRelation[StaffUser] = fields.ForeignKeyField(
        "taxportal.StaffUser", related_name="portals_created", null=True, on_delete=fields.SET_NULL
    )
    failed_registrations = fields.IntField(default=0)
    locked_at = fields.DatetimeField(null=True)  # too many failed registrations: staff unlock
    link_requested = fields.BooleanField(default=False)  # the taxpayer asked for a new link
    upload_digest_at = fields.DatetimeField(null=True)  # last "new uploads" email: hourly at most

    class Meta:
        table = "portal"


class Invitation(Model):
    """A single-use link that lets the taxpayer register (stored as a hash)."""

    id = fields.IntField(primary_key=True)
    portal: fields.ForeignKeyRelation[Portal] = fields.ForeignKeyField(
        "taxportal.Portal", related_name="invitations", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    channel = fields.CharField(max_length=16)
    sent_to = fields.CharField(max_length=254)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)
    used_at = fields.DatetimeField(null=True)
    voided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "invitation"


class TaxpayerAccount(Model):
    """The taxpayer's sign-in for one portal."""

    id = fields.IntField(primary_key=True)
    portal: fields.OneToOneRelation[Portal] = fields.OneToOneField(
        "taxportal.Portal", related_name="account", on_delete=fields.CASCADE
    )
    username = fields.CharField(max_length=64)  # as typed
    username_key = fields.CharField(max_length=64, unique=True)  # case-folded: unique
    password_hash = fields.CharField(max_length=255)
    email = fields.CharField(max_length=254, default="")  # as typed at registration
    phone = fields.CharField(max_length=20, default="")  # E.164, as typed at registration
    language = fields.CharField(max_length=2, default="")  # the taxpayer's own choice
    notify_channel = fields.CharField(max_length=8, default="email")  # "email" | "sms"
    verified_at = fields.DatetimeField(null=True)
    failed_codes = fields.IntField(default=0)  # wrong codes since the last success
    failed_sign_ins = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    password_changed_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "taxpayer_account"


class OneTimeCode(Model):
    """A 6-digit code sent to the taxpayer, bound to one account and purpose (stored hashed)."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[TaxpayerAccount] = fields.ForeignKeyField(
        "taxportal.TaxpayerAccount", related_name="codes", on_delete=fields.CASCADE
    )
    purpose = fields.CharField(max_length=32)  # "verify" | "sign_in" | "reset_password"
    channel = fields.CharField(max_length=16)
    code_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    used_at = fields.DatetimeField(null=True)
    voided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "one_time_code"


class TrustedDevice(Model):
    """A browser that passed a code: sign-ins from it skip the code until it expires."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[TaxpayerAccount] = fields.ForeignKeyField(
        "taxportal.TaxpayerAccount", related_name="devices", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "trusted_device"


class ThrottleWindow(Model):
    """Attempts of one key ("sign_in:ip:1.2.3.4") in one window: rate limits across processes.

    Counted by one conditional upsert (``services/accounts/throttle.py``), so requests in flight
    cannot overwrite each other's counts."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=128)
    window_start = fields.BigIntField(db_index=True)  # ms since the epoch, a multiple of the window
    hits = fields.IntField(default=0)

    class Meta:
        table = "throttle_window"
        unique_together = (("key", "window_start"),)


class EventLogEntry(Model):
    """Every event published on a durable bus (ids only, as JSON): what a process that
    missed a notification, or polls, reads. Written and read with SQL in ``bus.py``;
    pruned by size and age."""

    id = fields.BigIntField(primary_key=True)
    at = fields.BigIntField(db_index=True)  # seconds since the epoch
    origin = fields.CharField(max_length=40)  # the publishing process, which skips its own
    topic = fields.CharField(max_length=64)
    data = fields.TextField()

    class Meta:
        table = "event_log"


class Job(Model):
    """Work to do later or again (``taxportal/jobs``): claimed by one worker at a time.

    Times are epoch milliseconds, so the claim is the same plain SQL on both databases.
    ``payload`` holds ids, never secrets; ``last_error`` is a reason, never a secret."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=64)
    key = fields.CharField(max_length=128, null=True, unique=True)  # one live job per key
    payload = fields.JSONField(default=dict)
    state = fields.CharField(max_length=16, default="queued")  # queued, running, failed
    run_after = fields.BigIntField()
    attempts = fields.IntField(default=0)
    max_attempts = fields.IntField(default=8)
    every_ms = fields.BigIntField(null=True)  # periodic: run again this long after a success
    last_error = fields.CharField(max_length=300, default="")
    locked_by = fields.CharField(max_length=64, null=True)
    locked_until = fields.BigIntField(null=True)
    created_at = fields.BigIntField()
    updated_at = fields.BigIntField()

    class Meta:
        table = "job"
        indexes = (("state", "run_after"),)


class ActivityEntry(Model):
    """Append-only record of who did what, when, from where. Never secrets."""

    id = fields.IntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    actor = fields.CharField(max_length=100, default="system")  # "staff:3", "taxpayer:7", "api:2"
    action = fields.CharField(max_length=64)
    subject = fields.CharField(max_length=100, default="")  # "return:12", "portal:4"
    address = fields.CharField(max_length=64, default="")
    detail = fields.JSONField(default=dict)

    class Meta:
        table = "activity_log"

    async def save(self, *args, **kwargs) -> None:  # type: ignore[override]
        if self._saved_in_db:
            raise OperationalError("the activity log is append-only")
        await super().save(*args, **kwargs)

    async def delete(self, *args, **kwargs) -> None:  # type: ignore[override]
        raise OperationalError("the activity log is append-only")


class UploadedFile(Model):
    """A file the taxpayer put in "My Files": bytes in the storage plugin, under ``storage_key``."""

    id = fields.IntField(primary_key=True)
    portal: fields.ForeignKeyRelation[Portal] = fields.ForeignKeyField(
        "taxportal.Portal", related_name="uploaded_files", on_delete=fields.CASCADE
    )
    storage_key = fields.CharField(max_length=128, unique=True)  # made by the core, never a name
    file_name = fields.CharField(max_length=255)  # as given: only ever displayed, escaped
    content_type = fields.CharField(max_length=64)  # sniffed from the bytes, not the name
    size = fields.BigIntField()
    sha256 = fields.CharField(max_length=64, db_index=True)
    uploaded_at = fields.DatetimeField(auto_now_add=True)
    # "uploading" until the bytes are stored: never listed; left over by a crash, the
    # start-up cleanup deletes the row and whatever bytes reached the storage
    state = fields.CharField(max_length=16, default="stored", db_index=True)
    opened_by_preparer_at = fields.DatetimeField(null=True)
    reviewed_at = fields.DatetimeField(null=True)
    notified_at = fields.DatetimeField(null=True)  # included in a digest email to the preparer
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "uploaded_file"


# tortoise copies a model's docstring into SQL: no apostrophe or semicolon in its first line
class PreparerDocument(Model):
    """A PDF the preparer put in the Signed Document Manager of a return.

    Once sent, the taxpayer sees it in "Files From My Preparer". A newer version of the
    same document (same name) supersedes the old one, whose signature requests are voided.
    """

    id = fields.IntField(primary_key=True)
    tax_return: fields.ForeignKeyRelation[TaxReturn] = fields.ForeignKeyField(
        "taxportal.TaxReturn", related_name="preparer_documents", on_delete=fields.CASCADE
    )
    storage_key = fields.CharField(max_length=128, unique=True)  # made by the core, never a name
    file_name = fields.CharField(max_length=255)  # as given: only ever displayed, escaped
    size = fields.BigIntField()
    sha256 = fields.CharField(max_length=64)
    pages = fields.IntField(default=0)
    added_at = fields.DatetimeField(auto_now_add=True)
    added_by = fields.CharField(max_length=100, default="")  # "staff:3", "api:2"
    sent_at = fields.DatetimeField(null=True, db_index=True)  # null: not sent yet
    sent_by = fields.CharField(max_length=100, default="")
    superseded_at = fields.DatetimeField(null=True)  # a newer version was sent
    replaced_by: fields.ForeignKeyNullableRelation[PreparerDocument] = fields.ForeignKeyField(
        "taxportal.PreparerDocument", related_name="replaces", null=True, on_delete=fields.SET_NULL
    )
    viewed_at = fields.DatetimeField(null=True)  # the taxpayer's first View
    deleted_at = fields.DatetimeField(null=True)
    # one signing at a time per document (each pass seals every mark so far): the storage
    # key its sealed copy takes and the lease's end; past it, the signing is taken as lost
    signing_key = fields.CharField(max_length=128, null=True)
    signing_until = fields.DatetimeField(null=True)

    class Meta:
        table = "preparer_document"
        indexes = (("tax_return_id", "sent_at"),)


class SignatureRequest(Model):
    """A signature asked of one signer ("taxpayer" or "spouse") on one sent document."""

    id = fields.IntField(primary_key=True)
    document: fields.ForeignKeyRelation[PreparerDocument] = fields.ForeignKeyField(
        "taxportal.PreparerDocument", related_name="signature_requests", on_delete=fields.CASCADE
    )
    signer = fields.CharField(max_length=16)  # "taxpayer" | "spouse"
    # pending -> signed in one conditional UPDATE, once the sealed copy is stored; or voided
    status = fields.CharField(max_length=16, default="pending")
    created_at = fields.DatetimeField(auto_now_add=True)
    signed_at = fields.DatetimeField(null=True)
    voided_at = fields.DatetimeField(null=True)
    viewed_at = fields.DatetimeField(null=True)  # this signer's first View (a gate of Sign)
    # what the signing used, for the next passes' marks and certificate: never a secret
    image_id = fields.IntField(null=True)  # the signature_image drawn on the document
    ip = fields.CharField(max_length=64, default="", db_default="")
    user_agent = fields.CharField(max_length=512, default="", db_default="")
    identity_method = fields.CharField(max_length=128, default="", db_default="")
    reminded_at = fields.DatetimeField(null=True)  # the last reminder sent to this signer
    # where the preparer chose to put this signature (contracts.PlacementBox: page 0-based,
    # PDF points, lower-left corner); all NULL for the automatic place. Checked against the
    # page when sent (services/documents/placement.py); used when the PDF has neither a
    # signature field nor a printed line for this signer
    box_page = fields.IntField(null=True)
    box_x = fields.FloatField(null=True)
    box_y = fields.FloatField(null=True)
    box_width = fields.FloatField(null=True)
    box_height = fields.FloatField(null=True)

    class Meta:
        table = "signature_request"
        unique_together = (("document", "signer"),)


class SignedCopy(Model):
    """The sealed PDF of one signing pass over a sent document (bytes in storage).

    Each pass seals the document as sent with every signature so far, so the copy of the
    last pass (``complete``) holds them all; every earlier copy is kept as it was handed
    out. Written only by ``services/signing/sign.py``, in the transaction that marks its
    request signed."""

    id = fields.IntField(primary_key=True)
    document: fields.ForeignKeyRelation[PreparerDocument] = fields.ForeignKeyField(
        "taxportal.PreparerDocument", related_name="signed_copies", on_delete=fields.RESTRICT
    )
    request_id = fields.IntField(unique=True)  # the signature_request this pass completed
    storage_key = fields.CharField(max_length=128, unique=True)
    size = fields.BigIntField()
    sha256_before = fields.CharField(max_length=64)  # the document as sent
    sha256_after = fields.CharField(max_length=64)
    certificate_fingerprint = fields.CharField(max_length=64)
    validation = fields.CharField(max_length=64)  # "intact valid trusted whole_file"
    signers = fields.CharField(max_length=32)  # "taxpayer", "taxpayer+spouse"
    complete = fields.BooleanField(default=False)  # every requested signer is on it
    created_at = fields.DatetimeField()

    class Meta:
        table = "signed_copy"
        indexes = (("document_id", "id"),)


class SignatureImage(Model):
    """A signature a signer drew (the checked PNG), kept on file for one portal and role.

    Exactly one row per (portal, role) is on file, ``replaced_at`` NULL: a partial unique
    index (migration 0015) holds that whatever the writers do. A redrawing marks the old row
    replaced and adds the new one in one transaction; replaced rows are kept, since a
    signing points at the exact image it used."""

    id = fields.IntField(primary_key=True)
    portal: fields.ForeignKeyRelation[Portal] = fields.ForeignKeyField(
        "taxportal.Portal", related_name="signature_images", on_delete=fields.CASCADE
    )
    role = fields.CharField(max_length=16)  # "taxpayer" | "spouse"
    png = fields.BinaryField()  # re-encoded by the check: no chunk the drawing did not need
    sha256 = fields.CharField(max_length=64)
    width = fields.IntField()
    height = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)
    replaced_at = fields.DatetimeField(null=True)

    class Meta:
        table = "signature_image"


class SigningEvent(Model):
    """One link of the signing record of a document: append-only, hash-chained per document.

    Written only by ``services/signing/records.py``; database triggers refuse UPDATE and
    DELETE (and TRUNCATE on PostgreSQL). ``document_id`` is a plain integer, not a foreign
    key: the record must outlive the document, its return and any cascade."""

    id = fields.BigIntField(primary_key=True)
    # indexed by the unique (document_id, seq) index, whose first column it is
    document_id = fields.IntField()
    seq = fields.IntField()  # 1, 2, 3, ... per document
    at = fields.DatetimeField()  # UTC, to the microsecond; hashed as written
    kind = fields.CharField(max_length=32)  # services/signing/kinds.py
    role = fields.CharField(max_length=16, default="")  # "taxpayer", "spouse", "preparer" or ""
    actor = fields.CharField(max_length=254, default="")  # the login user name or staff email
    ip = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=512, default="")
    details = fields.JSONField(default=dict)  # allow-listed keys only (services/signing/details.py)
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64)

    class Meta:
        table = "signing_event"
        unique_together = (("document_id", "seq"),)

    async def save(self, *args, **kwargs) -> None:  # type: ignore[override]
        if self._saved_in_db:
            raise OperationalError("signing_event is append-only")
        await super().save(*args, **kwargs)

    async def delete(self, *args, **kwargs) -> None:  # type: ignore[override]
        raise OperationalError("signing_event is append-only")


class SigningConsent(Model):
    """One decision of one signer of a portal on the electronic-records disclosure (ESIGN).

    A new row per decision, never an update: the signer's current decision is their newest
    row (the highest id), and the earlier ones stay as the record. Written only by
    ``services/signing/consent.py``. ``text_sha256`` is the SHA-256 of the exact disclosure
    shown, in the language shown; the signing flow copies it into each document's chain."""

    id = fields.IntField(primary_key=True)
    # a plain integer, as signing_event's document_id: the record outlives the portal
    portal_id = fields.IntField()
    role = fields.CharField(max_length=16)  # "taxpayer" | "spouse"
    decision = fields.CharField(max_length=16)  # "accepted" | "declined" | "withdrawn"
    text_version = fields.CharField(max_length=32)
    text_sha256 = fields.CharField(max_length=64)
    language = fields.CharField(max_length=8)
    at = fields.DatetimeField()  # UTC
    ip = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=512, default="")

    class Meta:
        table = "signing_consent"
        indexes = (("portal_id", "role", "id"),)  # the newest row of a signer: one index seek


class IdentityCheck(Model):
    """The identity check at signing of one signer (taxpayer or spouse) of one portal.

    ``state`` is what the checks keep between asking and answering (ids and digests, never
    a code, an answer or a fact: the code's HMAC lives in ``one_time_code``); ``failures``
    moves only in conditional UPDATEs (``services/signing/identity.py``), and ``locked_at``
    stops e-signing for this signer."""

    id = fields.IntField(primary_key=True)
    portal: fields.ForeignKeyRelation[Portal] = fields.ForeignKeyField(
        "taxportal.Portal", related_name="identity_checks", on_delete=fields.CASCADE
    )
    role = fields.CharField(max_length=16)  # "taxpayer" | "spouse"
    started_at = fields.DatetimeField(null=True)  # the live challenge's; None: none live
    method = fields.CharField(max_length=128, default="")  # the live challenge's, or the pass's
    state = fields.JSONField(default=dict)
    failures = fields.IntField(default=0)
    passed_at = fields.DatetimeField(null=True)
    locked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "identity_check"
        unique_together = (("portal", "role"),)


class DataKeyFingerprint(Model):
    """Which data-encryption key the database's secrets are sealed with: a keyed digest of
    the key, never the key. Every process compares its own at start (hosts must share one
    key: a second key would seal SSNs nobody else can read)."""

    id = fields.IntField(primary_key=True)
    slot = fields.CharField(max_length=16, unique=True)  # one row: "data_key"
    fingerprint = fields.CharField(max_length=64)
    recorded_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "data_key_fingerprint"
