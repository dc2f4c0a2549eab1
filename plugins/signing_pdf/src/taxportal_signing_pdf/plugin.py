"""The hook implementations: settings, the key table, the ``signing_pdf`` signer, and the
console's download of the firm's root certificate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from taxportal.api import (
    BackendOffer,
    ModelModule,
    PluginSettings,
    RouteSpec,
    admin_required,
    core_of,
    hookimpl,
)
from taxportal_signing_pdf.settings import SECTION, SigningPdfSettings
from taxportal_signing_pdf.signer import NAME, PdfSealSigner

if TYPE_CHECKING:
    from taxportal.api import AppConfig

ROOT_PATH = "/staff/signing/root.pem"


@hookimpl
def taxportal_settings_model() -> PluginSettings:
    return PluginSettings(section=SECTION, model=SigningPdfSettings)


@hookimpl
def taxportal_model_modules() -> list[ModelModule]:
    return [
        ModelModule(
            "signing_pdf", ("taxportal_signing_pdf.models",), "taxportal_signing_pdf.migrations"
        )
    ]


@hookimpl
def taxportal_signers(config: AppConfig) -> list[BackendOffer]:
    return [
        BackendOffer(
            NAME,
            lambda: PdfSealSigner(config, config.plugin_settings(SECTION)),
            description="drawn signatures placed, a completion certificate, a PAdES seal",
        )
    ]


@hookimpl
def taxportal_routes(config: AppConfig) -> list[RouteSpec]:
    return [RouteSpec("GET", ROOT_PATH, root_certificate, name="signing-pdf-root")]


@admin_required
async def root_certificate(request: web.Request) -> web.Response:
    """The firm's root certificate, for the firm to trust in its PDF readers (admins)."""
    signer = core_of(request).plugins.signer
    if not isinstance(signer, PdfSealSigner):
        raise web.HTTPNotFound()
    return web.Response(
        body=signer.root_certificate_pem(),
        content_type="application/x-pem-file",
        headers={"Content-Disposition": 'attachment; filename="taxportal-signing-root.pem"'},
    )
