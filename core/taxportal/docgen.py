"""Writes docs/plugins.md from the hook docstrings (`python -m taxportal.docgen`)."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

from taxportal import hookspecs

HEADER = """# Plugin hook reference

Generated from `core/taxportal/hookspecs.py` by `python -m taxportal.docgen docs/plugins.md`;
do not edit by hand (a test fails when this file and the specifications differ).

A plugin is a module or object with functions marked `@taxportal.hookimpl`, registered
in the `taxportal` entry-point group of its distribution:

```toml
[project.entry-points.taxportal]
my_plugin = "my_package.plugin"
```

and enabled in `taxportal.toml` under `[plugins] enabled = ["my_plugin", ...]`.
Hooks take keyword arguments only; an implementation may be `async`.

### Backends, their optional methods, and the plugin lifecycle

Offer a backend (notifier, storage, signer) as a `taxportal.contracts.BackendOffer(name,
build, channel=..., description=...)`: the core calls `build()` only for the backend the
configuration chose, so an unchosen one never opens a client. Optional methods are typed
Protocols of `taxportal.contracts`, checked with `isinstance`: `Startable` (`async def
start()`), `Closable` (`async def close()`), `RemovesUnfinished` (`async def
remove_unfinished(before)`). A plugin that must open something while the server runs (a
connection, a task) implements `taxportal_startup` and `taxportal_shutdown` (below): they
are awaited in order after the database and the backends started, and in reverse before
they close, in every server process and CLI command.

### Durable jobs

Work to do later, or again after a failure, is a job: a row that survives restarts and
runs once across every process and host. Register a handler and schedule jobs:

```python
from taxportal import hookimpl
from taxportal.contracts import JobHandler
from taxportal.jobs import schedule

async def send_reminder(payload: dict) -> None:  # raise to retry with a back-off
    ...  # read what you need by the ids in payload

@hookimpl
def taxportal_job_handlers(config):
    return [JobHandler("my_plugin.reminder", send_reminder, max_attempts=5)]

# anywhere (inside a transaction: the job exists only if it commits)
await schedule("my_plugin.reminder", {"request_id": 12}, run_after=when)
```

Payloads hold ids, never secrets. A `DeliveryError`'s message becomes the job's last
error (shown to admins on the console's Jobs page once the job has failed); any other
exception is recorded by its type only. A handler may run again after a crash, so it
must be safe to repeat.
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
    return "".join(parts)


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else Path("docs/plugins.md")
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
