"""Every hook specification of taxportal. Each docstring is the hook's contract.

Hooks take keyword arguments only. A hook implementation may return a value
or an awaitable; the core awaits it (see ``taxportal.plugins.await_me_maybe``).
The reference in docs/plugins.md is generated from these docstrings
(``python -m taxportal.docgen``) and a test fails when they drift apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

from taxportal.contracts import (
    ModelModule,
    NavItem,
    Notifier,
    PluginSettings,
    RegistrationAttempt,
    ReturnIdentity,
    RouteSpec,
    Signer,
    StorageBackend,
    VerificationResult,
)

if TYPE_CHECKING:
    from taxportal.config import AppConfig

PROJECT_NAME = "taxportal"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# --- settings and data -------------------------------------------------------


@hookspec
def taxportal_settings_model() -> PluginSettings | None:
    """Declare this plugin's configuration section and its pydantic model.

    The core validates ``[<section>]`` of the TOML file (and the
    ``TAXPORTAL_<SECTION>__<FIELD>`` environment variables) against ``model``
    at start-up and refuses to start when a field is wrong. Fields typed
    ``pydantic.SecretStr`` are secrets: they may only come from the
    environment. The validated object is then available as
    ``config.plugin_settings(section)``.

    :return: a :class:`~taxportal.contracts.PluginSettings`, or ``None`` when
        the plugin has no settings.

    Since 0.1.
    """


@hookspec
def taxportal_model_modules() -> list[ModelModule] | None:
    """Contribute tortoise-orm model modules of the plugin's own app.

    Each :class:`~taxportal.contracts.ModelModule` is registered as its own
    tortoise app with its own migrations package, so ``taxportal migrate``
    applies the plugin's migrations beside the core's.

    :return: a list of model modules, or ``None``.

    Since 0.1.
    """


# --- notification ------------------------------------------------------------


@hookspec
def taxportal_notifiers(config: AppConfig) -> list[Notifier] | None:
    """Offer notifiers: objects that deliver messages over one channel each.

    Every :class:`~taxportal.contracts.Notifier` has a ``name`` and a
    ``channel`` (``"email"``, ``"sms"``...). At start-up the core picks one
    notifier per channel: the one named by ``[notify] <channel> = "<name>"``,
    or the only one offered. Two offers for one channel with no choice in the
    configuration stop the start-up; so does a configured name nobody offers.

    ``send`` must raise :class:`~taxportal.contracts.DeliveryError` (or its
    subclass ``InvalidAddress``) with a reason a preparer can act on; any
    other exception is reported as an internal error. Blocking client
    libraries must run off the event loop. ``taxportal.testing.notifier_contract``
    is the test suite every notifier must pass.

    :param config: the validated configuration (use
        ``config.plugin_settings(section)`` for the plugin's own section, and
        ``config.data_dir`` for files).
    :return: a list of notifiers, or ``None``.

    Since 0.1.
    """


# --- storage -----------------------------------------------------------------


@hookspec
def taxportal_storage_backends(config: AppConfig) -> list[StorageBackend] | None:
    """Offer storage backends for file bytes, each under a ``name``.

    Exactly one backend is active: the one named by ``[storage] backend``.
    Keys are opaque strings made by the core (never a user's file name).
    ``put`` consumes an async iterator of chunks and returns the byte count;
    it either stores the whole object or nothing: on error no partial object is
    ever visible, a new key stays absent and an existing key keeps its previous
    object. ``get`` returns an async iterator of chunks and raises ``KeyError``
    for a missing key. ``taxportal.testing.storage_contract`` is the test suite
    every backend must pass. A backend may define ``async def start()`` (awaited once before
    serving, e.g. to clear what a crash left) and ``async def close()`` (awaited at
    shutdown).

    :param config: the validated configuration.
    :return: a list of storage backends, or ``None``.

    Since 0.1.
    """


# --- identity verification ---------------------------------------------------


@hookspec
def taxportal_verify_registration(
    attempt: RegistrationAttempt, identity: ReturnIdentity
) -> VerificationResult | None:
    """Check a taxpayer's registration against their return.

    Every enabled verifier is called; registration succeeds only when none
    returns ``passed=False`` and at least one returned a result. The built-in
    matcher (last name, last four of the SSN, phone or email) ships with the
    core. ``reason`` is written to the activity log and never shown to the
    taxpayer (who only ever sees one generic message).

    :param attempt: what the taxpayer typed.
    :param identity: what the return says.
    :return: a verdict, or ``None`` to abstain.

    Since 0.1.
    """


# --- signing -----------------------------------------------------------------


@hookspec
def taxportal_signers(config: AppConfig) -> list[Signer] | None:
    """Offer signers that apply a drawn signature to a PDF and seal it.

    One signer is active: the one named by ``[signing] signer``, or the only
    one offered. ``sign`` receives a
    :class:`~taxportal.contracts.SignatureRequest` and returns the signed PDF
    bytes; it runs CPU-heavy work off the event loop.

    :param config: the validated configuration.
    :return: a list of signers, or ``None``.

    Since 0.1.
    """


# --- messaging ---------------------------------------------------------------


@hookspec(firstresult=True)
def taxportal_messaging_enabled() -> bool | None:
    """Tell the core that a messaging plugin serves the "Messages" pages.

    Stops at the first non-``None`` result. ``True`` makes the core show the
    Messages entry in the taxpayer's sidebar as live; ``None`` (no messaging
    plugin) shows it as coming soon.

    Since 0.1.
    """


# --- web ---------------------------------------------------------------------


@hookspec
def taxportal_routes(config: AppConfig) -> list[RouteSpec] | None:
    """Contribute HTTP routes. Paths must not collide with the core's.

    Handlers receive an ``aiohttp.web.Request``; the core's middlewares
    (sessions, CSRF, security headers, error pages) apply to them too.

    :return: a list of :class:`~taxportal.contracts.RouteSpec`, or ``None``.

    Since 0.1.
    """


@hookspec
def taxportal_template_dirs() -> list[str] | None:
    """Contribute Jinja2 template directories (searched after the core's).

    Since 0.1.
    """


@hookspec
def taxportal_static_dirs() -> list[tuple[str, str]] | None:
    """Contribute static files as ``(url_prefix_name, directory)`` pairs.

    Files are served under ``/static/plugins/<url_prefix_name>/``.

    Since 0.1.
    """


@hookspec
def taxportal_nav_items(audience: str, config: AppConfig) -> list[NavItem] | None:
    """Contribute sidebar links for ``audience`` (``"staff"`` or ``"taxpayer"``).

    Items from all plugins are merged and sorted by ``order``.

    Since 0.1.
    """


# --- events ------------------------------------------------------------------


@hookspec
def taxportal_portal_created(portal_id: int, return_id: int, channel: str) -> Any:
    """A portal was created and its first invitation delivered.

    :param channel: the channel the invitation went out on.

    Listeners may be async; their failure is logged and never undoes the event.

    Since 0.1.
    """


@hookspec
def taxportal_invitation_sent(portal_id: int, invitation_id: int, channel: str) -> Any:
    """An invitation (first or resent) was delivered.

    Since 0.1.
    """


@hookspec
def taxportal_file_uploaded(portal_id: int, file_id: int) -> Any:
    """A taxpayer finished uploading a file to "My Files".

    Since 0.1.
    """


@hookspec
def taxportal_documents_sent(portal_id: int, document_ids: list[int]) -> Any:
    """A preparer sent documents to a taxpayer's "Files From My Preparer".

    Since 0.1.
    """


@hookspec
def taxportal_document_signed(portal_id: int, document_id: int, signer_role: str) -> Any:
    """A document was signed by the taxpayer or the spouse.

    Since 0.1.
    """


@hookspec
def taxportal_message_posted(portal_id: int, message_id: int, author: str) -> Any:
    """A chat message was posted (``author`` is ``"taxpayer"`` or ``"staff"``).

    Since 0.1.
    """
