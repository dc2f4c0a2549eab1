"""What services need from the running app, gathered in one object (no singletons)."""

from __future__ import annotations

from dataclasses import dataclass

from taxportal.config import AppConfig
from taxportal.crypto import FieldCipher
from taxportal.plugins import Plugins
from taxportal.services.passwords import PasswordHasher


@dataclass
class Core:
    config: AppConfig
    plugins: Plugins
    cipher: FieldCipher
    passwords: PasswordHasher
