"""What the pool runs, named so the server process never imports pyHanko: each entry point
imports its module inside the pool process (already loaded there by the forkserver's
preload), so a server, and every one-off command, starts seconds sooner and smaller."""

from __future__ import annotations

from typing import Any

SEAL_MODULE = "taxportal_signing_pdf.seal"  # the forkserver's preload


def sign(*args: Any) -> Any:
    from taxportal_signing_pdf import seal

    return seal.sign(*args)


def check(*args: Any) -> Any:
    from taxportal_signing_pdf import validation

    return validation.check(*args)


def warm(*args: Any) -> None:
    from taxportal_signing_pdf import pool_signer

    pool_signer.warm(*args)
