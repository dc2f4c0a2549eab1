"""The ``[signing_pdf]`` configuration section."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

SECTION = "signing_pdf"


class SigningPdfSettings(BaseModel):
    """How documents are signed and sealed. Every field can also come from the environment
    as ``TAXPORTAL_SIGNING_PDF__<FIELD>``; the passphrase only from there."""

    model_config = ConfigDict(extra="forbid")

    # processes that place, certify, seal and validate (each about 60 MB once warm)
    pool_size: int = Field(1, ge=1, le=32)
    # an RFC 3161 time-stamp server: seals become PAdES B-T; empty: B-B
    timestamp_url: str = ""
    timestamp_timeout_seconds: float = Field(10, gt=0, le=120)
    # the firm's own key and certificate instead of the ones made on first start
    pkcs12_path: Path | None = None
    pkcs12_passphrase: SecretStr | None = None  # environment only
    # the line printed over a signature block, when a document has no place for the mark
    signature_block_text: str = Field("Signed electronically", max_length=120)
    reason: str = Field("Signed through the taxpayer portal", max_length=120)
    location: str = Field("", max_length=120)
