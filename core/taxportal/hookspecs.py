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
    BackendOffer,
    BusBackend,
    ClientMark,
    JobHandler,
    ModelModule,
    NavItem,
    Notifier,
    PluginSettings,
    RegistrationAttempt,
    ReturnIdentity,
    RouteSpec,
    Signer,
    SignerCheck,
    StorageBackend,
    VerificationResult,
)

if TYPE_CHECKING:
    from taxportal.config import AppConfig
    from taxportal.context import Core
    from taxportal.events import Event

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
def taxportal_notifiers(config: AppConfig) -> list[BackendOffer | Notifier] | None:
    """Offer notifiers: objects that deliver messages over one channel each.

    Offer each as a :class:`~taxportal.contracts.BackendOffer` (``name``, ``channel`` and
    a ``build`` factory): only the notifier configuration chooses is built, so an unused
    one never opens a client or reads its secrets. A built notifier is still accepted.

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
def taxportal_storage_backends(config: AppConfig) -> list[BackendOffer | StorageBackend] | None:
    """Offer storage backends for file bytes, each under a ``name``.

    Offer each as a :class:`~taxportal.contracts.BackendOffer`: only the chosen one's
    ``build`` is called.

    Exactly one backend is active: the one named by ``[storage] backend``.
    Keys are opaque strings made by the core (never a user's file name).
    ``put`` consumes an async iterator of chunks and returns the byte count;
    it either stores the whole object or nothing: on error no partial object is
    ever visible, a new key stays absent and an existing key keeps its previous
    object. ``get`` returns an async iterator of chunks and raises ``KeyError``
    for a missing key. ``taxportal.testing.storage_contract`` is the test suite
    every backend must pass. Optional abilities are typed Protocols of
    ``taxportal.contracts``: ``Startable`` (``async def start()``, awaited once before
    serving), ``Closable`` (``async def close()``, awaited at shutdown) and
    ``RemovesUnfinished`` (``async def remove_unfinished(before)``, called once by
    ``taxportal serve`` before any worker serves).

    :param config: the validated configuration.
    :return: a list of storage backends, or ``None``.

    Since 0.1.
    """


# --- lifecycle and jobs -----------------------------------------------------


@hookspec
def taxportal_startup(config: AppConfig) -> Any:
    """Start what the plugin needs while the server runs (open a connection, start a task).

    Awaited once per server process (and per CLI command), one plugin after another in
    pluggy's call order, after the database opened and the chosen backends started and
    before any request is served. An exception stops the start-up (the plugins already
    started are shut down first).

    :param config: the validated configuration.

    Since 0.2.
    """


@hookspec
def taxportal_shutdown(config: AppConfig) -> Any:
    """Release what ``taxportal_startup`` opened.

    Awaited at shutdown in the reverse order of start-up, only for plugins whose start-up
    finished, before the backends close and the database closes. A failure is logged and
    the other plugins still shut down.

    Since 0.2.
    """


@hookspec
def taxportal_job_handlers(config: AppConfig, core: Core) -> list[JobHandler] | None:
    """Register handlers for kinds of durable jobs (``taxportal.jobs.schedule``).

    Each :class:`~taxportal.contracts.JobHandler` runs the jobs of one ``kind`` (prefix
    kinds with the plugin's name). Jobs are rows: they survive restarts, run once across
    every process and host, are retried with a back-off when ``run`` raises, and end
    failed (shown on the console's Jobs page) after ``max_attempts``. Two handlers for
    one kind stop the start-up.

    :param core: the running core, for a handler that calls ``notify_taxpayer``, ``emit``
        and the like (an implementation may leave this parameter out).
    :return: a list of handlers, or ``None``.

    Since 0.2.
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


@hookspec
def taxportal_signer_checks(config: AppConfig, core: Core) -> list[SignerCheck] | None:
    """Offer identity checks for the moment a taxpayer or spouse is about to sign.

    Checks are chained: every check offered by every enabled plugin runs, in pluggy's call
    order (the built-in ``signer_code`` is marked ``tryfirst``, so it runs first and a
    provider's checks after it), and the signer passes only when ALL of them pass.
    Each :class:`~taxportal.contracts.SignerCheck` gets a
    :class:`~taxportal.contracts.SignerIdentity` (portal, return, role ``taxpayer`` or
    ``spouse``, name, the signer's own masked contact, language, and the facts the
    preparer holds, which a third-party provider may ignore). ``challenge(who)`` returns a
    :class:`~taxportal.contracts.Challenge` (method, questions with labels in the signer's
    language, opaque ``state`` the core keeps on the server, never in a cookie or form)
    or raises :class:`~taxportal.contracts.SignerCheckError`; ``verify(who, challenge,
    answers)`` returns a :class:`~taxportal.contracts.CheckResult` whose ``detail`` is a
    short code, never an answer or a fact. The core records each attempt's result, the
    methods (joined with ``+``) and the attempt number in the activity log, counts failed
    attempts per signer (``[signing] identity_attempts``, 3) and then stops e-signing for
    that signer. A pass for one signer never counts for the other.

    The built-in check sends a fresh one-time code to the signer's own contact
    (``taxportal.api.send_signer_code`` / ``check_signer_code``) and asks the date of
    birth and prior-year AGI the return holds. A knowledge-based-authentication provider
    is one more check (docs/architecture.md, "Identity at signing").

    :param config: the validated configuration.
    :param core: the running core, for ``send_signer_code`` and the like (an
        implementation may leave this parameter out).
    :return: a list of checks, or ``None``.

    Since 0.3.
    """


# --- signing -----------------------------------------------------------------


@hookspec
def taxportal_signers(config: AppConfig) -> list[BackendOffer | Signer] | None:
    """Offer signers: they place drawn signatures on a PDF, add a completion certificate
    and seal the whole file (see :class:`~taxportal.contracts.Signer`).

    Offer each as a :class:`~taxportal.contracts.BackendOffer`: only the chosen one's
    ``build`` is called.

    One signer is active: the one named by ``[signing] signer``, or the only
    one offered. ``sign`` receives a :class:`~taxportal.contracts.SigningTask` (the
    document as sent and every mark collected so far) and returns a
    :class:`~taxportal.contracts.SigningResult` (the sealed PDF, SHA-256 before and after,
    the sealing certificate's fingerprint, where each mark went, the validation of the
    output); it raises :class:`~taxportal.contracts.SigningError` with a message safe to
    show on a PDF it cannot sign and when its own output does not validate. ``validate``
    checks a sealed file again; ``root_certificate_pem`` is the root the firm trusts. CPU
    work runs in a process pool, never on the event loop. A signer that holds keys or a
    pool is :class:`~taxportal.contracts.Startable` (load the keys),
    :class:`~taxportal.contracts.Warmable` (start the pool before the first request of a
    server; a one-off command never pays for it) and :class:`~taxportal.contracts.Closable`.

    :param config: the validated configuration.
    :return: a list of signers, or ``None``.

    Since 0.1; the signing contract was reshaped in 0.3 (``SigningTask`` replaced the
    one-shot ``SignatureRequest``).
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
def taxportal_api_document(config: AppConfig) -> dict[str, Any] | None:
    """Describe the plugin's REST routes in the served ``/api/openapi.json``.

    Return ``{"paths": {...}, "components": {"schemas": {...}}}`` in OpenAPI 3.1: every
    path under ``/api/v1/``, none the core or another plugin already describes, schema
    names of the plugin's own (a ``$ref`` may name the core's, e.g. ``Error``). The core
    merges them into its document when the app is built; a collision stops the start.

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
    """Contribute menu links for ``audience``: ``"taxpayer"`` (the portal's sidebar) or
    ``"staff"`` (the console's menu).

    The core contributes its own items through this hook too (orders 10 to 90; a
    plugin's default is 100), and items from all plugins are merged and sorted by
    ``order``. A section exists in the menu only when a plugin contributes it: the
    portal's "Messages" appears when a messaging plugin returns
    ``NavItem("Messages", "/portal/messages", "taxpayer", order=40)``. See
    :class:`~taxportal.contracts.NavItem` for translation, current-page matching and
    admin-only items.

    Since 0.1.
    """


@hookspec
def taxportal_client_marks(portal_ids: list[int]) -> dict[int, ClientMark] | None:
    """Marks beside clients in the console's client list (the File Viewer).

    Awaited once per page with the portal ids of the page's clients (at most 50; clients
    without a portal are left out): return a :class:`~taxportal.contracts.ClientMark` for
    each portal that needs one (chat: its unread count). The page waits for every plugin,
    so answer in one indexed statement (the client list's latency target is in
    docs/benchmarks.md). A plugin that raises is logged and the page shows no mark of it.

    :param portal_ids: the page's portals.
    :return: marks by portal id, or ``None``.

    Since 0.4.
    """


# --- events ------------------------------------------------------------------


@hookspec
def taxportal_event(event: Event) -> Any:
    """Hear an event: one of :mod:`taxportal.events` (``FileUploaded``, ``PortalCreated``,
    ...) or a plugin's own ``BusMessage``, from this server process or any other.

    Every event reaches this one hook, so adding an event changes no specification.
    Decorate the implementation with ``@listens_to(FileUploaded, ...)`` (from
    ``taxportal.events``) to be called only for those types, or test ``isinstance``.
    An event arrives once its transaction has committed, never for work that rolled
    back; a listener may be async; one that raises is logged with its plugin's name and
    stops neither the request nor the other listeners. Events hold ids only: read what
    you need from the database.

    Since 0.2.
    """


@hookspec
def taxportal_bus_backends(config: AppConfig) -> list[BusBackend] | None:
    """Offer bus backends (:class:`~taxportal.contracts.BusBackend`), each under a ``name``.

    The core uses the one named by ``[bus] backend``; by default ``postgres`` on
    PostgreSQL and ``local`` (one process) on SQLite. A backend must be cheap to build: it
    connects in ``start``. A ``durable`` backend's events are rows of ``event_log``; the
    backend only carries their payloads (ids, never text) and calls ``reconnected()``
    after every (re)subscription so the core reads the rows it missed.

    Since 0.2.
    """
