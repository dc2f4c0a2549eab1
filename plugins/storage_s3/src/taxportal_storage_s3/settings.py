"""The ``[storage_s3]`` configuration section."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    FilePath,
    SecretStr,
    field_validator,
    model_validator,
)

SECTION = "storage_s3"
ENV = "TAXPORTAL_STORAGE_S3__"


class S3StorageSettings(BaseModel):
    """Which bucket, where, with which credentials and encryption."""

    model_config = ConfigDict(extra="forbid")

    bucket: str = Field(min_length=3, max_length=63)
    endpoint_url: str | None = None  # empty: AWS; e.g. "https://minio.example:9000"
    region: str = "us-east-1"
    prefix: str = ""  # e.g. "taxportal/": every key is stored under it
    access_key_id: SecretStr | None = None  # environment only; none: the AWS default chain
    secret_access_key: SecretStr | None = None  # environment only
    server_side_encryption: Literal["none", "AES256", "aws:kms"] = "none"
    kms_key_id: str | None = None  # only with "aws:kms"; none: the bucket's default key
    # S3 wants parts of at least 5 MiB; each upload in flight holds one part in memory,
    # so the cap keeps "a few MB per upload" true (64 MiB parts still allow 640 GB files)
    part_size_mib: int = Field(8, ge=5, le=64)
    ca_file: FilePath | None = None  # extra CA certificates, e.g. a MinIO with its own
    # none: "path" when endpoint_url is set (MinIO and most others), else "auto"
    addressing_style: Literal["auto", "path", "virtual"] | None = None
    connect_timeout: float = Field(10, gt=0, le=300)
    read_timeout: float = Field(60, gt=0, le=3600)
    max_attempts: int = Field(3, ge=1, le=10)  # tries per request, with backoff

    @field_validator("endpoint_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        value = (value or "").strip().rstrip("/")
        if not value:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("prefix")
    @classmethod
    def _folder_prefix(cls, value: str) -> str:
        value = value.strip().strip("/")
        return f"{value}/" if value else ""

    @model_validator(mode="after")
    def _pairs(self) -> Self:
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError(
                f"set both {ENV}ACCESS_KEY_ID and {ENV}SECRET_ACCESS_KEY, or neither "
                "(to use the AWS default credential chain)"
            )
        if self.kms_key_id and self.server_side_encryption != "aws:kms":
            raise ValueError('kms_key_id needs server_side_encryption = "aws:kms"')
        return self

    @property
    def part_size(self) -> int:
        return self.part_size_mib * 1024 * 1024

    @property
    def endpoint_label(self) -> str:
        """Where the bytes go, for error messages (never a credential)."""
        return self.endpoint_url or f"AWS S3 ({self.region})"

    def encryption_args(self) -> dict[str, str]:
        if self.server_side_encryption == "none":
            return {}
        args = {"ServerSideEncryption": self.server_side_encryption}
        if self.kms_key_id:
            args["SSEKMSKeyId"] = self.kms_key_id
        return args
