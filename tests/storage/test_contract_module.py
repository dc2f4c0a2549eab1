"""The contract suite is shipped in the core for third parties: it must stand alone."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_contract_loads_no_plugin():
    code = (
        "import sys, taxportal.testing.storage_contract as c; "
        "print(sorted(m for m in sys.modules if m.startswith('taxportal_')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
