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

## Events: listening and publishing

Every event reaches one hook, `taxportal_event(event)`. The events are frozen dataclasses
of ids in `taxportal.events` (`ReturnImported`, `PortalCreated`, `InvitationSent`,
`AccountRegistered`, `AccountVerified`, `FileUploaded`, `DocumentsSent`,
`DocumentViewed`, `DocumentSigned`, `MessagePosted`); pick yours with `listens_to`:

```python
from taxportal import hookimpl
from taxportal.events import FileUploaded, PortalCreated, listens_to

@hookimpl
@listens_to(FileUploaded, PortalCreated)
async def taxportal_event(event: FileUploaded | PortalCreated) -> None:
    ...  # read what you need by id; a raise is logged and stops nobody
```

An event reaches the listeners of every server process sharing the database, once each,
after the transaction that caused it commits. To publish, call
`await core.plugins.emit(event)`: inside `async with taxportal.bus.atomic():` (the
core's transactions) it waits for the commit and is dropped by a rollback. A plugin's own
message is `BusMessage("chat.posted", {"portal_id": 4, "message_id": 9})`: a name
(lowercase, digits, `_.:-`) and ids or short codes (`"email"`), never text; anything else
raises `EventError`. A plugin may also define its own event classes (subclass
`taxportal.events.Event`, a frozen dataclass with a unique `topic`). Listeners in
processes where the class is not installed receive it as a `BusMessage`.
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
