"""Writes docs/plugins.md from the hook and API docstrings (`python -m taxportal.docgen`)."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

from taxportal import api, hookspecs

HEADER = """# Plugin hook reference

Generated from `core/taxportal/hookspecs.py` and `core/taxportal/api.py` by
`python -m taxportal.docgen docs/plugins.md`; do not edit by hand (a test fails when this file
and the specifications differ).

A plugin is a module or object with functions marked `@hookimpl` (`taxportal.api`), registered
in the `taxportal` entry-point group of its distribution:

```toml
[project.entry-points.taxportal]
my_plugin = "my_package.plugin"
```

and enabled in `taxportal.toml` under `[plugins] enabled = ["my_plugin", ...]`.
Hooks take keyword arguments only; an implementation may be `async`. A plugin imports
from the core only what `taxportal.api` offers (see "The public API" below).

## Events: listening and publishing

Every event reaches one hook, `taxportal_event(event)`. The events are frozen dataclasses
of ids (`ReturnImported`, `PortalCreated`, `InvitationSent`,
`AccountRegistered`, `AccountVerified`, `FileUploaded`, `DocumentsSent`,
`DocumentViewed`, `DocumentSigned`, `MessagePosted`), all in `taxportal.api`; pick yours
with `listens_to`:

```python
from taxportal.api import FileUploaded, PortalCreated, hookimpl, listens_to

@hookimpl
@listens_to(FileUploaded, PortalCreated)
async def taxportal_event(event: FileUploaded | PortalCreated) -> None:
    ...  # read what you need by id; a raise is logged and stops nobody
```

An event reaches the listeners of every server process sharing the database, once each,
after the transaction that caused it commits. To publish, call `await emit(core, event)`:
inside `async with atomic():` (the core's transactions) it waits for the commit and is
dropped by a rollback. A plugin's own message is
`BusMessage("chat.posted", {"portal_id": 4, "message_id": 9})`: a name (lowercase,
digits, `_.:-`) and ids or short codes (`"email"`), never text; anything else raises
`EventError`. A plugin may also define its own event classes (subclass
`taxportal.api.Event`, a frozen dataclass with a unique `topic`). Listeners in
processes where the class is not installed receive it as a `BusMessage`.

### Backends, their optional methods, and the plugin lifecycle

Offer a backend (notifier, storage, signer) as a `taxportal.api.BackendOffer(name,
build, channel=..., description=...)`: the core calls `build()` only for the backend the
configuration chose, so an unchosen one never opens a client. Optional methods are typed
Protocols of `taxportal.api`, checked with `isinstance`: `Startable` (`async def
start()`), `Warmable` (`async def warm()`, awaited by a server after `start()` and
never by a one-off command: start worker processes there), `Closable` (`async def
close()`), `RemovesUnfinished` (`async def remove_unfinished(before)`). A plugin that
must open something while the server runs (a connection, a task) implements
`taxportal_startup` and `taxportal_shutdown` (below): they are awaited in order after the
database and the backends started, and in reverse before they close, in every server
process and CLI command.

### Durable jobs

Work to do later, or again after a failure, is a job: a row that survives restarts and
runs once across every process and host. Register a handler and schedule jobs:

```python
from taxportal.api import JobHandler, hookimpl, notify_taxpayer, schedule

@hookimpl
def taxportal_job_handlers(config, core):  # `core` for notify_taxpayer, emit, ...
    async def send_reminder(payload: dict) -> None:  # raise to retry with a back-off
        ...  # read what you need by the ids in payload

    return [JobHandler("my_plugin.reminder", send_reminder, max_attempts=5)]

# anywhere (inside a transaction: the job exists only if it commits)
await schedule("my_plugin.reminder", {"request_id": 12}, run_after=when)
```

Payloads hold ids, never secrets. A `DeliveryError`'s message becomes the job's last
error (shown to admins on the console's Jobs page once the job has failed); any other
exception is recorded by its type only. A handler may run again after a crash, so it
must be safe to repeat.

## Testing your plugin

`taxportal.testing.portal` runs a real app with your plugin objects registered, on a
migrated SQLite database in a temporary directory (migrated once per process, then
copied), with fast password hashing, the outbox notifiers and no job worker:

```python
from taxportal.testing.portal import portal_app

async def test_an_upload_is_acknowledged(tmp_path):
    async with portal_app(tmp_path, MyPlugin(), TAXPORTAL_MY_PLUGIN__GREETING="Hi") as portal:
        browser = await portal.signed_in_taxpayer("es", notify_by="sms")
        assert "Recibos" in await (await browser.get("/portal/")).text()
        file_id = await portal.upload(browser, "W-2.pdf")  # FileUploaded is heard
        assert [j["payload"] for j in await portal.jobs("my_plugin.ack")]
        await portal.run_jobs()  # every due job, as a server's worker would
        assert "Recibimos" in portal.newest_text()
        assert await portal.activity("my_plugin_acknowledged")
```

`portal_app(tmp_path, *plugins, **env)` yields a `PortalApp`: `core` (for `emit`,
`notify_taxpayer`); `browser()` (a client with its own cookies); `invite_taxpayer(language)`
(a return and its portal, so `PortalCreated`; returns the portal id and invitation link);
`signed_in_taxpayer(language, notify_by=)` (invited, registered and past the security code
over HTTP, the way a browser does); `upload(browser, name, data)`; the outbox as
`emails()`, `texts()`, `newest_email()`, `newest_text()`; `run_jobs()`, `jobs(kind)`,
`activity(action)`. Events are delivered in the process before the request that emitted
them answers; `eventually(condition)` waits for what another task does. A plugin's tests
import from the core only `taxportal.testing` (`tests/example_plugin` is a whole example).
"""

API_HEADER = """
# The public API: `taxportal.api`

"""


def hook_specs() -> list[tuple[str, object]]:
    return [
        (name, fn)
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("taxportal_")
    ]


def render() -> str:
    parts = [HEADER]
    for name, fn in sorted(hook_specs(), key=lambda item: inspect.getsourcelines(item[1])[1]):  # type: ignore[arg-type]
        signature = str(inspect.signature(fn)).replace("'", "")  # type: ignore[arg-type]
        options = getattr(fn, "taxportal_spec", {}) or {}
        flags = " (firstresult)" if options.get("firstresult") else ""
        doc = inspect.cleandoc(fn.__doc__ or "")
        parts.append(f"\n## `{name}`{flags}\n\n```python\n{name}{signature}\n```\n\n{doc}\n")
    return "".join(parts) + render_api()


def api_names() -> list[tuple[str, object]]:
    return [(name, getattr(api, name)) for name in api.__all__]


def _api_entry(name: str, value: object) -> str:
    own = inspect.getdoc(value) if inspect.isfunction(value) or inspect.isclass(value) else None
    if inspect.isfunction(value) or (inspect.isclass(value) and own):
        kind = "class " if inspect.isclass(value) else ""
        signature = _signature(value)
        origin = getattr(value, "__module__", "")
        source = "" if origin == api.__name__ else f"\n\nFrom `{origin}`."
        body = f"```python\n{kind}{name}{signature}\n```\n\n{own}{source}"
        return f"\n## `{name}`\n\n{body}\n"
    if name == "hookimpl":
        return f"\n## `{name}`\n\nMarks a hook implementation: `@hookimpl` (see the hooks above).\n"
    return f"\n## `{name}`\n\n`{value!r}`\n"


class _Written(str):
    """An annotation kept as the source wrote it (``from __future__ import annotations``)."""

    def __repr__(self) -> str:
        return str(self)


def _signature(value: object) -> str:
    try:
        signature = inspect.signature(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""

    def written(annotation: object) -> object:
        return _Written(annotation) if isinstance(annotation, str) else annotation

    parameters = [
        p.replace(annotation=written(p.annotation)) for p in signature.parameters.values()
    ]
    returns = written(signature.return_annotation)
    text = str(signature.replace(parameters=parameters, return_annotation=returns))
    return text.removesuffix(" -> None") if inspect.isclass(value) else text


def render_api() -> str:
    intro = inspect.cleandoc(api.__doc__ or "")
    parts = [API_HEADER, intro, "\n"]
    for name, value in api_names():
        parts.append(_api_entry(name, value))
    return "".join(parts)


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else Path("docs/plugins.md")
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
