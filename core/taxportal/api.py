"""The public API of taxportal: the only names a plugin may import from the core.

Everything a plugin needs is here (a test fails when a first-party plugin imports any
other ``taxportal`` module; its tests may also use ``taxportal.testing``). The guards,
the access check and the frames are the core's own, so a plugin's page behaves exactly
as the core's pages do.

A portal page of a plugin, in the portal frame, with its own catalog and a sidebar item::

    from taxportal.api import NavItem, RouteSpec, Translations, hookimpl
    from taxportal.api import render_in_portal_frame, taxpayer_required

    catalog = Translations(Path(__file__).parent / "locale")  # <lang>/LC_MESSAGES/messages.po

    @taxpayer_required  # signed in and past the security code, as the core's pages
    async def page(request):
        return await render_in_portal_frame(request, "chat/page.html", {}, catalog=catalog)

    @hookimpl
    def taxportal_routes(config):
        return [RouteSpec("GET", "/portal/messages", page)]

    @hookimpl
    def taxportal_nav_items(audience, config):
        if audience == "taxpayer":
            return [NavItem("Messages", "/portal/messages", "taxpayer", 40, catalog=catalog)]
        return []

``chat/page.html`` starts with ``{% extends "portal/layout.html" %}`` (``PORTAL_LAYOUT``)
and fills ``{% block title %}`` and ``{% block content %}``; ``_()`` in it translates
through the plugin's catalog, then the core's.
"""

from __future__ import annotations

import gettext
from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp_jinja2
from aiohttp import web
from pydantic import BaseModel

from taxportal import i18n
from taxportal.bus import atomic
from taxportal.config import AppConfig, ConfigError
from taxportal.context import Core
from taxportal.contracts import (
    BackendOffer,
    BusBackend,
    Catalog,
    CertificateEntry,
    CertificateEvent,
    Challenge,
    CheckResult,
    ClientMark,
    Closable,
    DeliveryError,
    DeliveryReceipt,
    InvalidAddress,
    JobHandler,
    ModelModule,
    NavItem,
    Notifier,
    OutgoingMessage,
    Placement,
    PlacementBox,
    PluginSettings,
    Question,
    RegistrationAttempt,
    RemovesUnfinished,
    ReportsConnection,
    ReturnIdentity,
    RouteSpec,
    SealCheck,
    SignatureMark,
    Signer,
    SignerCheck,
    SignerCheckError,
    SignerFacts,
    SignerIdentity,
    SignerRole,
    SigningError,
    SigningResult,
    SigningTask,
    Startable,
    StorageBackend,
    VerificationResult,
    Warmable,
    check_storage_key,
)
from taxportal.crypto import FieldCipher, load_or_create_key
from taxportal.events import (
    AccountRegistered,
    AccountVerified,
    BusMessage,
    DocumentSigned,
    DocumentsSent,
    DocumentViewed,
    Event,
    EventError,
    FileUploaded,
    InvitationSent,
    MessagePosted,
    PortalCreated,
    ReturnImported,
    ReturnsImported,
    listens_to,
)
from taxportal.hookspecs import hookimpl
from taxportal.i18n import LANGUAGES, N_
from taxportal.jobs.schedule import schedule
from taxportal.private_files import make_private_dir
from taxportal.services import activity, notices
from taxportal.services.accounts import throttle
from taxportal.services.documents.access import Denied, Principal
from taxportal.services.documents.access import check as check_access
from taxportal.services.documents.access import portal_id_of as _portal_id_of
from taxportal.services.notices import Compose, Notice
from taxportal.services.returns import portal_clients
from taxportal.services.returns import records as returns_records
from taxportal.services.returns.fact_values import answer_matches
from taxportal.services.returns.portal_clients import PortalClient, PortalDocuments
from taxportal.services.signing import signer_codes
from taxportal.services.uploads import intake as _uploads
from taxportal.signature_image import SignatureImage, SignatureImageError, check_signature_png
from taxportal.text import InvalidValue, fold_name, mask_phone, normalize_phone
from taxportal.web import sockets as _sockets
from taxportal.web.access import api_principal, staff_principal, taxpayer_principal
from taxportal.web.api.body import json_object as _json_object
from taxportal.web.api.handling import ApiError
from taxportal.web.auth import (
    admin_required,
    api_token_required,
    client_address,
    staff_required,
)
from taxportal.web.keys import ACCOUNT, API_STAFF, CORE, LANG, STAFF, TAXPAYER_SESSION
from taxportal.web.rendering import render_portal_page
from taxportal.web.request_text import read_form as _read_form
from taxportal.web.taxpayer import portal_of as _portal_of
from taxportal.web.taxpayer import taxpayer_required
from taxportal.web.uploads import my_files_view as _my_files_view

__all__ = [
    "CONSOLE_LAYOUT",
    "LANGUAGES",
    "N_",
    "PORTAL_LAYOUT",
    "AccountRegistered",
    "AccountVerified",
    "ApiError",
    "AppConfig",
    "BackendOffer",
    "BusBackend",
    "BusMessage",
    "Catalog",
    "CertificateEntry",
    "CertificateEvent",
    "Challenge",
    "CheckResult",
    "ClientMark",
    "Closable",
    "Compose",
    "ConfigError",
    "Core",
    "DeliveryError",
    "DeliveryReceipt",
    "Denied",
    "DocumentSigned",
    "DocumentViewed",
    "DocumentsSent",
    "Event",
    "EventError",
    "FileUploaded",
    "InvalidAddress",
    "InvalidValue",
    "InvitationSent",
    "JobHandler",
    "MessagePosted",
    "ModelModule",
    "NavItem",
    "NoSuchReturn",
    "Notice",
    "Notifier",
    "OutgoingMessage",
    "Placement",
    "PlacementBox",
    "PluginSettings",
    "PortalClient",
    "PortalCreated",
    "PortalDocuments",
    "Principal",
    "Question",
    "RegistrationAttempt",
    "RemovesUnfinished",
    "ReportsConnection",
    "ReturnIdentity",
    "ReturnImported",
    "ReturnsImported",
    "RouteSpec",
    "SealCheck",
    "SignatureImage",
    "SignatureImageError",
    "SignatureMark",
    "Signer",
    "SignerCheck",
    "SignerCheckError",
    "SignerFacts",
    "SignerIdentity",
    "SignerRole",
    "SigningError",
    "SigningResult",
    "SigningTask",
    "Staff",
    "Startable",
    "StorageBackend",
    "StoredUpload",
    "Taxpayer",
    "TaxpayerPortal",
    "Translations",
    "UploadRefused",
    "VerificationResult",
    "Warmable",
    "admin_required",
    "answer_matches",
    "api_principal",
    "api_staff",
    "api_token_required",
    "atomic",
    "check_access",
    "check_signature_png",
    "check_signer_code",
    "check_storage_key",
    "client_documents",
    "clients_of_portals",
    "close_at_shutdown",
    "core_of",
    "current_staff",
    "current_taxpayer",
    "emit",
    "find_client_portals",
    "fold_name",
    "hookimpl",
    "listens_to",
    "make_private_dir",
    "mask_phone",
    "normalize_phone",
    "notify_staff",
    "notify_taxpayer",
    "page_language",
    "plugin_settings",
    "portal_of",
    "portal_of_return",
    "read_form",
    "read_json_object",
    "record_activity",
    "render_in_console_frame",
    "render_in_portal_frame",
    "same_origin",
    "schedule",
    "secret_cipher",
    "send_signer_code",
    "session_still_live",
    "staff_of_portal",
    "staff_principal",
    "staff_required",
    "store_upload",
    "taxpayer_principal",
    "taxpayer_required",
    "within_rate",
]

PORTAL_LAYOUT = "portal/layout.html"  # a portal page's template extends it
CONSOLE_LAYOUT = "staff/layout.html"  # a console page's template extends it
M = TypeVar("M", bound=BaseModel)


# --- who is asking -----------------------------------------------------------------


def core_of(request_or_app: web.Request | web.Application) -> Core:
    """The running core (configuration, plugins) of a request or an application."""
    app = request_or_app.app if isinstance(request_or_app, web.Request) else request_or_app
    return app[CORE]


@dataclass(frozen=True)
class Taxpayer:
    """The signed-in taxpayer of a request.

    ``verified`` is true once they passed a security code on this device (what
    ``taxpayer_required`` demands); ``language`` is the language of the page.
    """

    account_id: int
    portal_id: int
    username: str
    verified: bool
    language: str
    address: str

    @property
    def principal(self) -> Principal:
        """The principal the access check takes."""
        return Principal("taxpayer", self.account_id, self.address, portal_id=self.portal_id)


@dataclass(frozen=True)
class Staff:
    """The signed-in console user of a request (password and second factor passed)."""

    staff_id: int
    email: str
    name: str
    role: str  # "admin" | "preparer"
    address: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def principal(self) -> Principal:
        """The principal the access check takes."""
        return Principal("staff", self.staff_id, self.address)


def current_taxpayer(request: web.Request) -> Taxpayer | None:
    """The taxpayer signed in on this request, verified or not; ``None`` when nobody is.

    Read from what the core's session middleware loaded for the request: no query.
    """
    session = request.get(TAXPAYER_SESSION)
    account = request.get(ACCOUNT)
    if session is None or account is None:
        return None
    return Taxpayer(
        account_id=account.id,
        portal_id=account.portal_id,  # type: ignore[attr-defined]
        username=account.username,
        verified=session.second_factor_at is not None,
        language=page_language(request),
        address=client_address(request),
    )


def current_staff(request: web.Request) -> Staff | None:
    """The console user signed in on this request with both factors; else ``None``.

    A browser may hold a taxpayer and a console session at once: a portal page acts for
    ``current_taxpayer``, a console page for ``current_staff``, never a guess between them.
    """
    user = request.get(STAFF)
    if user is None:
        return None
    return Staff(user.id, user.email, user.name, user.role, client_address(request))


def api_staff(request: web.Request) -> Staff:
    """The owner of the API token of a request behind ``api_token_required`` (the actor in
    the activity log is ``api_principal(request)``)."""
    user = request[API_STAFF]
    return Staff(user.id, user.email, user.name, user.role, client_address(request))


def page_language(request: web.Request) -> str:
    """The language the page is shown in (``"en"`` or ``"es"``; the console is English)."""
    return request.get(LANG, i18n.DEFAULT_LANGUAGE)


@dataclass(frozen=True)
class TaxpayerPortal:
    """The signed-in taxpayer's portal and return, as a plugin may see them."""

    portal_id: int
    status: str
    return_id: int
    tax_year: int
    first_name: str
    last_name: str
    spouse_first_name: str
    spouse_last_name: str
    return_language: str


async def portal_of(request: web.Request) -> TaxpayerPortal:
    """The portal and return of the taxpayer signed in on a page behind
    ``taxpayer_required`` (one query)."""
    portal = await _portal_of(request[TAXPAYER_SESSION])
    tax_return = portal.tax_return
    return TaxpayerPortal(
        portal.id,
        portal.status,
        tax_return.id,
        tax_return.tax_year,
        tax_return.first_name,
        tax_return.last_name,
        tax_return.spouse_first_name,
        tax_return.spouse_last_name,
        tax_return.language,
    )


# --- the firm's clients, for console pages --------------------------------------------


async def clients_of_portals(portal_ids: list[int]) -> dict[int, PortalClient]:
    """The clients of these portals by portal id (name, return id and tax year, portal
    state), unknown ids left out: one statement. For console pages (an inbox)."""
    return await portal_clients.of_portals(list(portal_ids))


async def client_documents(portal_id: int) -> PortalDocuments:
    """The portal's documents in numbers (current sent documents, signatures given and
    asked, uploads and new uploads): one statement; zeros for an unknown portal. The
    console's pages for them: ``/staff/returns/{return_id}/documents`` and ``/uploads``."""
    return await portal_clients.documents(portal_id)


async def find_client_portals(core: Core, search: str, limit: int = 1000) -> list[int]:
    """The portals whose client a console search finds, by the File Viewer's rules
    (every word in the names, emails or phone numbers, case-folded; a last four or a full
    SSN), at most ``limit``, newest portal first."""
    digest = returns_records.ssn_digester(core)
    return await portal_clients.matching(search, digest, max(0, limit))


async def read_form(request: web.Request) -> Any:
    """The posted form (url-encoded or multipart) as the core's handlers read theirs: a
    control character in any field (tab and line breaks allowed), a body that does not
    decode or a broken multipart body is refused with the core's 400 page, never a 500.
    Returns a multidict of ``str`` values (``web.FileField`` for files)."""
    return await _read_form(request)


# --- pages -------------------------------------------------------------------------


async def render_in_portal_frame(
    request: web.Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    catalog: Translations | None = None,
) -> web.Response:
    """Render ``template`` (which extends ``PORTAL_LAYOUT``) for the signed-in taxpayer.

    The context already holds the page language ``lang``, ``csrf_field`` and
    ``csrf_token`` for forms, the sidebar (``portal_nav_items``, built from the nav
    items hook) and the taxpayer's ``tax_return`` for the header. With ``catalog``,
    ``_()`` in the template translates through the plugin's catalog first. Use behind
    ``taxpayer_required``.
    """
    portal = await _portal_of(request[TAXPAYER_SESSION])
    values = {"tax_return": portal.tax_return, "plugin_catalog": catalog, **(context or {})}
    return render_portal_page(request, template, values, status=status)


def render_in_console_frame(
    request: web.Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    catalog: Translations | None = None,
) -> web.Response:
    """Render ``template`` (which extends ``CONSOLE_LAYOUT``) for the signed-in staff user,
    with ``csrf_field``, ``csrf_token``, ``staff`` and the console menu (``nav_items``) in
    the context. Use behind ``staff_required`` or ``admin_required``."""
    values = {"plugin_catalog": catalog, **(context or {})}
    return aiohttp_jinja2.render_template(template, request, values, status=status)


# --- the REST API ------------------------------------------------------------------


async def read_json_object(
    request: web.Request, *, multiline: Collection[str] = ()
) -> dict[str, Any]:
    """An API request's body as a JSON object, checked as the core's API checks it: JSON
    content type, at most 1 MB, nested at most 16 deep, UTF-8, no control character in
    any string (but line feeds, returns and tabs in the top-level text fields named in
    ``multiline``, e.g. a message); else raises :class:`ApiError` (415, 413, 400 or 422).

    Raise ``ApiError(status, "what went wrong", {"field": "why"})`` in a view under
    ``/api/`` (behind ``api_token_required``): the caller gets the API's JSON error shape.
    A route's ``{..._id}`` that no row can have is a JSON 404 before the view runs."""
    return await _json_object(request, multiline)


class NoSuchReturn(LookupError):
    """No return has this id."""


async def portal_of_return(return_id: int) -> int | None:
    """The portal of a return (the API keys clients by return id); ``None`` while the
    return has none. Raises :class:`NoSuchReturn`."""
    try:
        await returns_records.get(return_id)
    except returns_records.ReturnNotFound:
        raise NoSuchReturn(return_id) from None
    return await _portal_id_of(return_id)


# --- long-lived requests (WebSockets) ---------------------------------------------


def same_origin(request: web.Request) -> bool:
    """Whether the request's ``Origin`` header is this site (the configured base URL's
    origin, or the request's own scheme and host). Check it before a WebSocket upgrade:
    the upgrade is a GET, which the CSRF check does not cover, and browsers send cookies
    with a cross-site socket."""
    return _sockets.same_origin(request)


async def session_still_live(request: web.Request, side: str) -> bool:
    """Whether the ``side`` (``"taxpayer"`` or ``"staff"``) session this request came with
    is still live: not signed out, not idle or too old, the second factor passed, a staff
    member still active. One read; it does not extend the session (an open socket is not
    activity). A long-lived request re-checks with it as it runs.

    A page's script that polls should send ``X-Taxportal-Passive: 1`` with each poll: the
    core then does not count the request as activity, so an open page left alone still
    lets the session go idle."""
    return await _sockets.session_live(request, side)


def close_at_shutdown(request: web.Request, socket: web.WebSocketResponse) -> None:
    """Have the server close ``socket`` with 1001 (going away) when it shuts down, before it
    waits for handlers to finish. Held weakly: a closed socket is simply forgotten."""
    _sockets.keep_until_shutdown(request.app, socket)


# --- events --------------------------------------------------------------------------


async def emit(core: Core, event: Event) -> None:
    """Publish ``event`` to the ``taxportal_event`` listeners of every server process.

    Inside ``async with atomic():`` it waits for that transaction to commit and is dropped
    if it rolls back; outside one it goes at once. An event holds ids, never text."""
    await core.plugins.emit(event)


# --- activity and notification -----------------------------------------------------


async def record_activity(
    action: str, *, principal: Principal | None = None, subject: str = "", **detail: Any
) -> None:
    """Write an activity log entry: who (``principal``, else ``"system"``), what, about
    which ``subject`` (e.g. ``"portal:12"``), from where. ``detail`` must never hold a
    secret, an SSN or a message's content."""
    await activity.record(
        action,
        actor=principal.actor if principal else "system",
        subject=subject,
        address=principal.address if principal else "",
        **detail,
    )


async def notify_taxpayer(
    core: Core, portal_id: int, compose: Compose, *, purpose: str
) -> DeliveryReceipt:
    """Tell the taxpayer of ``portal_id`` something, as the core tells them of documents.

    ``compose(language, channel)`` returns the :class:`Notice` in the taxpayer's language
    (their own choice, else their return's) for the channel their account chose
    (``"email"`` or ``"sms"``; the other one when the return lacks that contact). It goes
    through the configured notifier to the contact on the return. ``purpose`` (e.g.
    ``"chat_unread"``) is safe to log. Raises ``DeliveryError`` when it cannot be sent.
    """
    return await notices.notify_taxpayer(core, portal_id, compose, purpose=purpose)


async def notify_staff(
    core: Core, staff_id: int, compose: Compose, *, purpose: str
) -> DeliveryReceipt:
    """Tell an active staff member something by email, in English (the console's
    language): ``compose("en", "email")``. Raises ``DeliveryError`` when it cannot."""
    return await notices.notify_staff(core, staff_id, compose, purpose=purpose)


async def staff_of_portal(portal_id: int) -> list[int]:
    """The staff to tell about a client's portal (for ``notify_staff``): the one who
    created it while their account is active, else every active admin."""
    return await notices.staff_of_portal(portal_id)


async def within_rate(key: str, limit: int, per_seconds: float) -> bool:
    """Count one use of ``key`` (e.g. ``"chat_post:taxpayer:12"``) and say whether it is
    within ``limit`` uses per window of ``per_seconds``: ``False`` once the window is full.

    Counted in the database in one conditional statement, so requests in flight in every
    process and host share one count. Windows are fixed (aligned on the epoch)."""
    return await throttle.take(key, limit, per_seconds)


# --- My Files -----------------------------------------------------------------------


@dataclass(frozen=True)
class StoredUpload:
    """A file in My Files: the new upload, or (``duplicate``) the earlier upload of the
    same bytes, whose id and name these are."""

    id: int
    file_name: str
    duplicate: bool


class UploadRefused(Exception):
    """The upload was refused; ``kind`` is the core's (``type``, ``too_large``, ``quota``,
    ``empty``, ``name``, ``storage``, ``no_storage``), ``reason`` the sentence to show."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(kind)
        self.kind = kind
        self.reason = reason


async def store_upload(
    core: Core,
    principal: Principal,
    portal_id: int,
    file_name: str,
    chunks: AsyncIterator[bytes],
    *,
    language: str = "en",
) -> StoredUpload:
    """Put a file in the portal's My Files exactly as the My Files page does: streamed to
    the storage backend, its type judged by its bytes, the size and per-portal caps, the
    same bytes uploaded earlier kept once, the activity log and ``FileUploaded``.

    Raises :class:`UploadRefused` with the reason in ``language`` (nothing is kept), or
    ``LookupError`` when ``principal`` may not upload to that portal."""
    try:
        result = await _uploads.upload(core, principal, portal_id, file_name, chunks)
    except _uploads.UploadError as refusal:
        reason = _my_files_view.message(core.config, language, refusal.kind)
        raise UploadRefused(refusal.kind, reason) from None
    return StoredUpload(result.file.id, result.file.file_name, result.status == "duplicate")


# --- identity at signing ------------------------------------------------------------


async def send_signer_code(core: Core, who: SignerIdentity, address: str = "") -> str:
    """Send a fresh one-time code to the signer's OWN contact, as the return holds it (the
    spouse's email or phone for the spouse, never the taxpayer's), in ``who.language``;
    returns the masked contact it went to. The code is 6 digits, lasts 10 minutes, is used
    once and is bound to signing and to ``who.role``. Raises ``SignerCheckError`` with
    ``kind`` ``cooldown`` (and ``seconds``), ``delivery``, ``locked`` or ``no_contact``.
    """
    return await signer_codes.send(
        core, who.portal_id, who.return_id, who.role, who.language, address
    )


async def check_signer_code(core: Core, who: SignerIdentity, typed: str, address: str = "") -> str:
    """Check ``typed`` against the signer's live code (a right one is used up; a wrong one
    counts towards the account's code lock): ``""`` when right, else ``"wrong_code"``,
    ``"expired_code"`` or ``"code_locked"``."""
    return await signer_codes.check(core, who.portal_id, who.return_id, who.role, typed, address)


# --- configuration and translations ------------------------------------------------


def plugin_settings(config: AppConfig, section: str, model: type[M]) -> M:
    """The plugin's own ``[section]``, validated at start-up against ``model`` (the one
    its ``taxportal_settings_model`` declared); ``ConfigError`` if it was not declared."""
    try:
        settings = config.plugin_settings(section)
    except KeyError:
        raise ConfigError(f"[{section}] was not declared by taxportal_settings_model") from None
    if not isinstance(settings, model):
        raise ConfigError(f"[{section}] is validated by {type(settings).__name__}")
    return settings


def secret_cipher(config: AppConfig) -> FieldCipher:
    """The core's field cipher, for a plugin that keeps a secret in the database (a key).

    AES-256-GCM under the core's data-encryption key (``TAXPORTAL_SECURITY__ENCRYPTION_KEY``,
    else the data directory's key file), as the SSNs are kept: ``encrypt(plain, context)``
    returns text to store, ``decrypt(token, context)`` the plain text (raises on a wrong
    key or a tampered value). ``context`` (e.g. ``"signing_pdf:signing_key"``) is bound to
    the value, so it cannot be moved to another use; name it after your plugin.
    """
    secret = config.core.security.encryption_key
    key = load_or_create_key(secret.get_secret_value() if secret else None, config.data_dir)
    return FieldCipher(key)


class Translations:
    """A plugin's own gettext catalog: ``<locale_dir>/<language>/LC_MESSAGES/<domain>.po``
    (compiled when first used; a message it lacks falls back to the core's catalog).

    Pass it as ``catalog`` to the frames (templates' ``_()``) and to ``NavItem``, and
    call ``gettext`` in code, e.g. inside a ``compose`` for ``notify_taxpayer``.
    """

    def __init__(self, locale_dir: str | Path, domain: str = "messages") -> None:
        self.locale_dir = Path(locale_dir)
        self.domain = domain
        self._loaded: dict[str, gettext.NullTranslations] = {}

    def translations(self, language: str) -> gettext.NullTranslations:
        """The catalog object of ``language``."""
        loaded = self._loaded.get(language)
        if loaded is None:
            loaded = i18n.compile_catalog(self.locale_dir, self.domain, language)
            loaded.add_fallback(i18n.translations(language))
            self._loaded[language] = loaded
        return loaded

    def gettext(self, language: str, message: str, **values: Any) -> str:
        """``message`` in ``language``, with ``%(name)s`` values filled in."""
        text = self.translations(language).gettext(message)
        return text % values if values else text

    def ngettext(self, language: str, singular: str, plural: str, n: int, **values: Any) -> str:
        """The singular or plural form for ``n`` (``%(num)d`` is ``n``)."""
        values.setdefault("num", n)
        return self.translations(language).ngettext(singular, plural, n) % values
