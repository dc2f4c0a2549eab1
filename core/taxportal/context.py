"""What services need from the running app, gathered in one object (no singletons)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from taxportal.config import AppConfig
from taxportal.crypto import FieldCipher
from taxportal.jobs.registry import JobHandlers
from taxportal.plugins import Plugins
from taxportal.services.accounts.passwords import PasswordHasher


@dataclass
class Core:
    """The running core: ``config``, ``plugins`` (the notifiers, storage and signer
    chosen), the field cipher and the password hasher. Services take it; a plugin gets it
    from ``core_of(request)`` and passes it to ``notify_taxpayer`` and the like."""

    config: AppConfig
    plugins: Plugins
    cipher: FieldCipher
    passwords: PasswordHasher
    # seconds since the epoch for time-step checks (TOTP); tests move it instead of waiting
    clock: Callable[[], float] = field(default=time.time)
    # the handlers of every kind of job this process can run (filled by runtime.started)
    jobs: JobHandlers = field(default_factory=JobHandlers)
