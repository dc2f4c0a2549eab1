"""Plugin lifecycle: start-up and shut-down hooks in order, only the chosen backend built."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from taxportal import hookimpl
from taxportal.contracts import BackendOffer, Closable, Startable, StorageBackend
from taxportal.plugins import PluginError, Plugins, build_plugin_manager


@dataclass
class Log:
    events: list[str] = field(default_factory=list)


class RecordingStorage:
    """A storage backend with the optional start and close."""

    def __init__(self, name: str, log: Log) -> None:
        self.name = name
        self.log = log
        log.events.append(f"built {name}")

    async def start(self) -> None:
        self.log.events.append(f"start {self.name}")

    async def close(self) -> None:
        self.log.events.append(f"close {self.name}")

    async def put(self, key: str, chunks: AsyncIterator[bytes]) -> int:
        return 0

    async def get(self, key: str) -> AsyncIterator[bytes]:  # pragma: no cover
        yield b""

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool:
        return False

    async def size(self, key: str) -> int:
        return 0


class TwoStorages:
    """Offers two backends; building the unchosen one fails the test."""

    def __init__(self, log: Log) -> None:
        self.log = log

    @hookimpl
    def taxportal_storage_backends(self, config: Any) -> list[BackendOffer]:
        def never() -> Any:
            raise AssertionError("the unchosen backend was built")

        return [
            BackendOffer("chosen", lambda: RecordingStorage("chosen", self.log)),
            BackendOffer("unchosen", never),
        ]


@dataclass
class Lifecycle:
    name: str
    log: Log
    fail: bool = False

    @hookimpl
    async def taxportal_startup(self, config: Any) -> None:
        if self.fail:
            raise RuntimeError("cannot connect")
        self.log.events.append(f"startup {self.name}")

    @hookimpl
    def taxportal_shutdown(self, config: Any) -> None:
        self.log.events.append(f"shutdown {self.name}")


STORAGE_ENV = {
    "TAXPORTAL_PLUGINS__DISABLED": '["storage_local"]',
    "TAXPORTAL_STORAGE__BACKEND": "chosen",
}


def test_optional_methods_are_protocols() -> None:
    storage = RecordingStorage("x", Log())
    assert isinstance(storage, Startable) and isinstance(storage, Closable)
    assert isinstance(storage, StorageBackend)
    assert not isinstance(object(), Startable)


async def test_start_and_close_in_order_around_serving(build_app: Any, client_for: Any) -> None:
    log = Log()
    app = await build_app(
        TwoStorages(log), Lifecycle("first", log), Lifecycle("second", log), **STORAGE_ENV
    )
    client = await client_for(app)
    started = list(log.events)
    await client.close()

    assert started[:2] == ["built chosen", "start chosen"]  # backends, then plugins
    plugins = started[2:]
    assert sorted(plugins) == ["startup first", "startup second"]
    stopped = log.events[len(started) :]
    names = [e.split()[1] for e in plugins]
    assert stopped == [f"shutdown {n}" for n in reversed(names)] + ["close chosen"]


async def test_a_failing_startup_shuts_down_those_started(make_config: Any) -> None:
    log = Log()
    config = make_config()
    # pluggy calls the last registered first: "ok" starts, then "broken" fails
    plugins = Plugins(
        build_plugin_manager(config, [Lifecycle("broken", log, fail=True), Lifecycle("ok", log)]),
        config,
    )
    with pytest.raises(RuntimeError, match="cannot connect"):
        await plugins.start_plugins()
    assert log.events == ["startup ok", "shutdown ok"]


async def test_a_name_nobody_offers_is_named_in_the_error(make_config: Any) -> None:
    log = Log()
    config = make_config(**{**STORAGE_ENV, "TAXPORTAL_STORAGE__BACKEND": "missing"})
    plugins = Plugins(build_plugin_manager(config, [TwoStorages(log)]), config)
    with pytest.raises(PluginError, match=r"'missing'.*available: chosen, unchosen"):
        await plugins.resolve_backends()
    assert log.events == []  # nothing was built
