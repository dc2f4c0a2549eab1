"""A third-party knowledge-based-authentication provider, as a firm would plug one in: it
imports only ``taxportal.api``, asks its own question and passes or fails on its own."""

from __future__ import annotations

from collections.abc import Mapping

from taxportal.api import (
    AppConfig,
    Challenge,
    CheckResult,
    Question,
    SignerCheck,
    SignerIdentity,
    hookimpl,
)

RIGHT_ANSWER = "maple street"  # what the fake "bureau" holds for every signer


class FakeKba:
    name = "fake_kba"

    def __init__(self) -> None:
        self.asked: list[SignerIdentity] = []

    async def challenge(self, who: SignerIdentity) -> Challenge:
        self.asked.append(who)
        label = "¿En qué calle vivió?" if who.language == "es" else "Which street did you live on?"
        # the provider's own session id: opaque to the core, kept on its server
        return Challenge("fake_kba", (Question("street", label, "text"),), {"session": "s-1"})

    async def verify(
        self, who: SignerIdentity, challenge: Challenge, answers: Mapping[str, str]
    ) -> CheckResult:
        if challenge.state.get("session") != "s-1":
            return CheckResult(False, "fake_kba", "lost_session")
        right = answers.get("street", "").strip().casefold() == RIGHT_ANSWER
        return CheckResult(right, "fake_kba", "" if right else "wrong_street")


class FakeKbaPlugin:
    def __init__(self) -> None:
        self.check = FakeKba()

    @hookimpl
    def taxportal_signer_checks(self, config: AppConfig) -> list[SignerCheck]:
        return [self.check]
