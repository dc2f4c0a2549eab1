"""The plugin manager: entry points + configuration -> the active plugins, behind a facade."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, TypeVar

import pluggy

from taxportal import hookspecs, metrics
from taxportal.bus import EventBus
from taxportal.config import DEFAULT_PLUGINS, AppConfig, ConfigError
from taxportal.contracts import (
    BackendOffer,
    BusBackend,
    ClientMark,
    Closable,
    DeliveryError,
    DeliveryReceipt,
    JobHandler,
    ModelModule,
    NavItem,
    Notifier,
    OutgoingMessage,
    RegistrationAttempt,
    ReturnIdentity,
    RouteSpec,
    Signer,
    SignerCheck,
    Startable,
    StorageBackend,
    VerificationResult,
    Warmable,
)
from taxportal.events import Event, wanted_by

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "taxportal"
CORE_DISTRIBUTION = "taxportal"
T = TypeVar("T")


class PluginError(ConfigError):
    """A plugin problem that stops the start-up, told in one line."""


async def await_me_maybe(value: Any) -> Any:
    """Hook implementations may return a value or an awaitable."""
    if inspect.isawaitable(value):
        return await value
    return value


@dataclass(frozen=True)
class InstalledPlugin:
    name: str
    distribution: str
    version: str
    builtin: bool


@functools.cache  # scanning every installed distribution costs ~20 ms; they are fixed per process
def _entry_points() -> tuple[EntryPoint, ...]:
    return tuple(entry_points(group=ENTRY_POINT_GROUP))


def installed_plugins() -> dict[str, InstalledPlugin]:
    """Every plugin registered in the entry-point group, loaded or not."""
    found: dict[str, InstalledPlugin] = {}
    for ep in _entry_points():
        found[ep.name] = _describe(ep)
    return found


def _describe(ep: EntryPoint) -> InstalledPlugin:
    dist = ep.dist
    name = dist.metadata["Name"] if dist else "?"
    version = dist.version if dist else "?"
    return InstalledPlugin(ep.name, name, version, builtin=name == CORE_DISTRIBUTION)


def enabled_names(config: AppConfig, installed: dict[str, InstalledPlugin]) -> set[str]:
    """Built-in plugins are on unless disabled; others only when listed in [plugins] enabled."""
    settings = config.core.plugins
    builtin = {name for name, p in installed.items() if p.builtin}
    return (builtin | set(settings.enabled)) - set(settings.disabled)


def build_plugin_manager(
    config: AppConfig, extra_plugins: Iterable[object] = ()
) -> pluggy.PluginManager:
    """A fresh plugin manager for one app: disabled plugins are never imported."""
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    installed = installed_plugins()
    wanted = enabled_names(config, installed)
    if "enabled" not in config.core.plugins.model_fields_set:
        # the default list names the first-party plugins: a core-only install lacks some
        wanted -= {name for name in DEFAULT_PLUGINS if name not in installed}
    for name in sorted(wanted - set(installed)):
        package = "taxportal-" + name.replace("_", "-")
        raise PluginError(
            f"plugin '{name}' is enabled in {config.source} [plugins] enabled but is not "
            f"installed: install it (pip install {package}) or remove it from the list"
        )
    for name in installed:
        if name not in wanted:
            pm.set_blocked(name)  # before loading: a blocked plugin's module is never imported
    for ep in _entry_points():
        if not pm.is_blocked(ep.name) and not pm.has_plugin(ep.name):
            pm.register(ep.load(), name=ep.name)
    for plugin in extra_plugins:
        pm.register(plugin)
    from taxportal.web import nav  # the core's own menu items, through the same hook

    pm.register(nav, name=nav.PLUGIN_NAME)
    pm.check_pending()
    return pm


class Plugins:
    """The core's typed facade over the hooks: the only place that calls ``pm.hook``."""

    def __init__(self, pm: pluggy.PluginManager, config: AppConfig) -> None:
        self.pm = pm
        self.config = config
        self.notifiers: dict[str, Notifier] = {}
        self.storage: StorageBackend | None = None
        self.signer: Signer | None = None
        self._settings_checked = False
        self._started_plugins: list[str] = []  # plugins whose start-up finished
        self._lifecycle = False
        self._nav_items: dict[str, list[NavItem]] = {}
        self._signer_checks: list[SignerCheck] | None = None
        self.bus = EventBus(self.deliver)
        self.bus_backend: BusBackend | None = None

    # start-up ------------------------------------------------------------------

    def validate_settings(self) -> None:
        """Check each plugin's configuration section against its model."""
        for declared in self.pm.hook.taxportal_settings_model():
            if declared is not None:
                self.config.validate_plugin_section(declared.section, declared.model)
        self._settings_checked = True

    async def resolve_backends(self) -> None:
        """Pick one notifier per channel, one storage backend, one signer."""
        if not self._settings_checked:
            self.validate_settings()
        offers: list[Any] = await self._collect("taxportal_notifiers")
        by_channel: dict[str, list[Any]] = {}
        for offer in offers:
            by_channel.setdefault(offer.channel, []).append(offer)
        chosen_names = dict(self.config.core.notify.model_extra or {})
        for channel in set(by_channel) | set(chosen_names):
            self.notifiers[channel] = await _build(
                _pick(f"[notify] {channel}", by_channel.get(channel, []), chosen_names.get(channel))
            )
        storages: list[Any] = await self._collect("taxportal_storage_backends")
        if storages or self.config.core.storage.backend:
            self.storage = await _build(
                _pick("[storage] backend", storages, self.config.core.storage.backend)
            )
        signers: list[Any] = await self._collect("taxportal_signers")
        if signers or self.config.core.signing.signer:
            self.signer = await _build(
                _pick("[signing] signer", signers, self.config.core.signing.signer)
            )
        buses: list[Any] = await self._collect("taxportal_bus_backends")
        self.bus_backend = await _build(_pick("[bus] backend", buses, self._bus_name()))

    def _bus_name(self) -> str:
        chosen = self.config.core.bus.backend
        if chosen:
            return chosen
        return "local" if self.config.database_url.startswith("sqlite") else "postgres"

    def _backends(self) -> list[Any]:
        chosen = [self.storage, self.signer, *self.notifiers.values()]
        return [b for b in chosen if b is not None]

    async def start_backends(self) -> None:
        """Await ``start()`` of every chosen backend that is ``Startable``."""
        for backend in self._backends():
            if isinstance(backend, Startable):
                await backend.start()

    async def warm_backends(self) -> None:
        """Await ``warm()`` of every chosen backend that is ``Warmable`` (servers only)."""
        for backend in self._backends():
            if isinstance(backend, Warmable):
                await backend.warm()

    async def close_backends(self) -> None:
        """Await ``close()`` of every chosen ``Closable`` backend; one failure stops none."""
        for backend in reversed(self._backends()):
            if isinstance(backend, Closable):
                try:
                    await backend.close()
                except Exception:  # shutting down: log and go on
                    log.exception("closing %s failed", getattr(backend, "name", backend))

    async def start_plugins(self) -> None:
        """Await each plugin's ``taxportal_startup`` in pluggy's call order; on a failure,
        shut down those already started, then raise."""
        self._lifecycle = True
        for impl in reversed(self.pm.hook.taxportal_startup.get_hookimpls()):
            try:
                await await_me_maybe(impl.function(config=self.config))
            except BaseException:
                await self.stop_plugins()
                raise
            self._started_plugins.append(impl.plugin_name)

    async def stop_plugins(self) -> None:
        """Await ``taxportal_shutdown`` in the reverse order, skipping a plugin whose
        start-up never finished; one failure stops none."""
        if not self._lifecycle:
            return
        self._lifecycle = False
        with_startup = {i.plugin_name for i in self.pm.hook.taxportal_startup.get_hookimpls()}
        started = set(self._started_plugins)
        self._started_plugins = []
        for impl in self.pm.hook.taxportal_shutdown.get_hookimpls():  # reverse of call order
            if impl.plugin_name in with_startup and impl.plugin_name not in started:
                continue
            try:
                await await_me_maybe(impl.function(config=self.config))
            except Exception:  # shutting down: log and go on with the others
                log.exception("shutting down plugin %s failed", impl.plugin_name)

    def job_handlers(self, core: Any) -> list[JobHandler]:
        return [
            h
            for result in self.pm.hook.taxportal_job_handlers(config=self.config, core=core)
            for h in result or []
        ]

    async def _collect(self, hook_name: str) -> list[Any]:
        results = getattr(self.pm.hook, hook_name)(config=self.config)
        collected: list[Any] = []
        for result in results:
            collected.extend(await await_me_maybe(result) or [])
        return collected

    def model_modules(self) -> list[ModelModule]:
        return [m for result in self.pm.hook.taxportal_model_modules() for m in result or []]

    # notification --------------------------------------------------------------

    def channels(self) -> list[str]:
        return sorted(self.notifiers)

    async def notify(self, message: OutgoingMessage) -> DeliveryReceipt:
        notifier = self.notifiers.get(message.channel)
        try:
            if notifier is None:
                raise DeliveryError(f"no plugin delivers {message.channel} messages")
            return await notifier.send(message)
        except DeliveryError:
            metrics.NOTIFICATIONS_FAILED.labels(message.channel).inc()
            raise

    # identity ------------------------------------------------------------------

    async def verify_registration(
        self, attempt: RegistrationAttempt, identity: ReturnIdentity
    ) -> list[VerificationResult]:
        results = self.pm.hook.taxportal_verify_registration(attempt=attempt, identity=identity)
        return [r for r in [await await_me_maybe(x) for x in results] if r is not None]

    def signer_checks(self, core: Any) -> list[SignerCheck]:
        """Every check offered, in pluggy's call order (asked once: plugins are fixed while
        the app runs); an offer that is not a ``SignerCheck`` is a ``PluginError``."""
        if self._signer_checks is not None:
            return list(self._signer_checks)
        checks: list[SignerCheck] = []
        for result in self.pm.hook.taxportal_signer_checks(config=self.config, core=core):
            for check in result or []:
                if not isinstance(check, SignerCheck):
                    raise PluginError(f"{check!r} is not a SignerCheck")
                checks.append(check)
        self._signer_checks = checks
        return list(checks)

    # web -----------------------------------------------------------------------

    def routes(self) -> list[RouteSpec]:
        return [
            r for result in self.pm.hook.taxportal_routes(config=self.config) for r in result or []
        ]

    def api_documents(self) -> list[dict[str, Any]]:
        """The plugins' parts of the OpenAPI document (``taxportal_api_document``)."""
        return [d for d in self.pm.hook.taxportal_api_document(config=self.config) if d]

    def template_dirs(self) -> list[str]:
        return [d for result in self.pm.hook.taxportal_template_dirs() for d in result or []]

    def static_dirs(self) -> list[tuple[str, str]]:
        return [d for result in self.pm.hook.taxportal_static_dirs() for d in result or []]

    def nav_items(self, audience: str) -> list[NavItem]:
        """Asked once per audience: plugins and config are fixed while the app runs, and
        every page's layout needs them."""
        cached = self._nav_items.get(audience)
        if cached is None:
            items = [
                item
                for result in self.pm.hook.taxportal_nav_items(
                    audience=audience, config=self.config
                )
                for item in result or []
            ]
            cached = self._nav_items[audience] = sorted(items, key=lambda item: item.order)
        return list(cached)

    async def client_marks(self, portal_ids: list[int]) -> dict[int, list[ClientMark]]:
        """Every plugin's marks for these portals, in call order; a plugin that fails is
        logged and left out (a mark must never break the client list)."""
        marks: dict[int, list[ClientMark]] = {}
        if not portal_ids:
            return marks
        for impl in reversed(self.pm.hook.taxportal_client_marks.get_hookimpls()):
            try:
                asked = {name: list(portal_ids) for name in impl.argnames}  # may leave it out
                found = await await_me_maybe(impl.function(**asked))
            except Exception:
                log.exception("client marks of %s failed", _label(impl))
                continue
            for portal_id, mark in (found or {}).items():
                if isinstance(mark, ClientMark):
                    marks.setdefault(portal_id, []).append(mark)
        return marks

    # events --------------------------------------------------------------------

    async def emit(self, event: Event) -> None:
        """Publish ``event`` on the bus: delivered here and in every other process once the
        enclosing ``bus.atomic()`` block commits (at once outside one)."""
        await self.bus.publish(event)

    async def deliver(self, event: Event) -> None:
        """Call each ``taxportal_event`` listener, each alone: a failure is logged with the
        plugin's name and the others still run (pluggy's own call stops at the first)."""
        for impl in reversed(self.pm.hook.taxportal_event.get_hookimpls()):
            if impl.hookwrapper or impl.wrapper or not wanted_by(impl.function, event):
                continue
            try:
                args = [event for _ in impl.argnames]
                await await_me_maybe(impl.function(*args))
            except Exception:  # one bad listener must not undo the event or stop the others
                log.exception("listener %s of %s failed", _label(impl), type(event).__name__)

    # introspection -------------------------------------------------------------

    def hooks_by_plugin(self) -> dict[str, list[str]]:
        implemented: dict[str, list[str]] = {}
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:
                continue
            hooks = [h.name for h in self.pm.get_hookcallers(plugin) or []]
            implemented[name] = sorted(hooks)
        return implemented


def _label(impl: Any) -> str:
    """The plugin's entry-point name, or its module or class for one registered in code."""
    if not impl.plugin_name.isdigit():
        return str(impl.plugin_name)
    plugin = impl.plugin
    return str(getattr(plugin, "__name__", None) or type(plugin).__qualname__)


async def _build(offer: Any) -> Any:
    """Build the chosen offer (a ready backend, from older plugins, is used as it is)."""
    if isinstance(offer, BackendOffer):
        return await await_me_maybe(offer.build())
    return offer


def _pick(role: str, offers: list[T], chosen: str | None) -> T:
    names = [getattr(o, "name", "?") for o in offers]
    if chosen:
        for offer in offers:
            if getattr(offer, "name", None) == chosen:
                return offer
        available = ", ".join(names) or "none"
        raise PluginError(
            f"{role} = '{chosen}' but no enabled plugin provides it (available: {available}); "
            "install and enable the plugin, or choose an available one"
        )
    if not offers:
        raise PluginError(f"{role}: no enabled plugin provides it; enable one")
    if len(offers) > 1:
        raise PluginError(
            f"{role}: several plugins claim this role ({', '.join(names)}); "
            f"choose one in the configuration, e.g. '{names[0]}'"
        )
    return offers[0]
