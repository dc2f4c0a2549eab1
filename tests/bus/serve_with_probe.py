"""`taxportal serve` with tests/bus/probe.py registered as an installed plugin named
``bus_probe`` (enable it with TAXPORTAL_PLUGINS__ENABLED)."""

from __future__ import annotations

import sys
from importlib.metadata import EntryPoint

from taxportal import plugins

installed = plugins._entry_points()
probe = EntryPoint(name="bus_probe", value="tests.bus.probe", group=plugins.ENTRY_POINT_GROUP)
plugins._entry_points = lambda: (*installed, probe)  # type: ignore[assignment]

if __name__ == "__main__":
    from taxportal.cli import main

    sys.exit(main(["serve"]))
