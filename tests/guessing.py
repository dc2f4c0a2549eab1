"""Helpers for the tests that guess in parallel: fire many requests at once, and count how
many guesses the server really checked (not by reading the counter under test)."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from taxportal.services.accounts.passwords import PasswordHasher

LIMIT_FACTOR = 5  # each limit of N is attacked with 5 x N requests at once
NO_THROTTLE = {"TAXPORTAL_THROTTLE__PER_ADDRESS": "10000"}  # only the limit under test acts


class CountingHasher(PasswordHasher):
    """The tests' fast argon2id, counting each verification by the hash it was checked against."""

    def __init__(self) -> None:
        super().__init__(fast_for_tests=True)
        self.checked: Counter[str] = Counter()

    async def _check(self, stored_hash: str, password: str) -> bool:
        self.checked[stored_hash] += 1
        return await super()._check(stored_hash, password)

    def against(self, stored_hash: str) -> int:
        """How many passwords were checked against this (real) hash."""
        return self.checked[stored_hash]

    def total(self) -> int:
        """Every verification, the dummy ones of unknown and locked accounts included."""
        return sum(self.checked.values())


def counting_passwords(core: Any) -> CountingHasher:
    hasher = CountingHasher()
    core.passwords = hasher
    return hasher


async def at_once(count: int, request: Callable[[int], Awaitable[Any]]) -> list[Any]:
    """``count`` requests in flight together (request(i) for each i)."""
    return list(await asyncio.gather(*(request(i) for i in range(count))))


def same_page(html: str, *typed: str) -> str:
    """A page with its CSRF token and what the visitor typed taken out, to compare answers."""
    html = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', html)
    for text in typed:
        html = html.replace(text, "")
    return html
