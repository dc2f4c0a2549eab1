"""`taxportal signing export-root`: the firm's root certificate, for its PDF readers to trust.

Adobe Reader and others show a sealed copy as signed by a trusted party only once the
firm's root is among their trusted certificates; this writes it (PEM, public: no key)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from taxportal.config import AppConfig, ConfigError
from taxportal.runtime import build_core, started


async def export_root(args: argparse.Namespace, config: AppConfig) -> int:
    """Print the root (or write it to ``--out``, replacing the file)."""
    async with started(build_core(config)) as core:
        signer = core.plugins.signer
        if signer is None:
            raise ConfigError("no signer is enabled: enable signing_pdf in [plugins] enabled")
        pem = signer.root_certificate_pem()
    if not args.out:
        sys.stdout.write(pem.decode())
        return 0
    target = Path(args.out)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_bytes(pem)
    os.replace(temporary, target)  # never a half-written certificate
    print(f"Wrote the firm's root certificate to {target}")
    return 0
