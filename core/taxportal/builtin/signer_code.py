"""The default identity check at signing: a fresh one-time code to the signer's own
contact, plus the date of birth and prior-year AGI the preparer holds (those on file; none
on file: the code alone). Neither fact is printed on Form 8879, the document signed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from taxportal.api import (
    N_,
    AppConfig,
    Challenge,
    CheckResult,
    Core,
    Question,
    SignerCheck,
    SignerIdentity,
    Translations,
    answer_matches,
    check_signer_code,
    hookimpl,
    send_signer_code,
)

NAME = "signer_code"
CODE_LABEL = N_("Security code we just sent")
BIRTH_LABEL = N_("Your date of birth (MM/DD/YYYY)")
AGI_LABEL = N_("Your adjusted gross income (AGI) on last year's return")
catalog = Translations(Path(__file__).parent.parent / "locale")  # the core's own catalog


class SignerCode:
    """A code to the signer's own contact and the knowledge questions the return allows."""

    name = NAME

    def __init__(self, core: Core) -> None:
        self.core = core

    async def challenge(self, who: SignerIdentity) -> Challenge:
        sent_to = await send_signer_code(self.core, who)  # SignerCheckError when it cannot

        def label(text: str) -> str:
            return catalog.gettext(who.language, text)

        questions = [Question("code", label(CODE_LABEL), "code")]
        if who.facts.birth_date is not None:
            questions.append(Question("birth_date", label(BIRTH_LABEL), "date"))
        if who.facts.prior_year_agi is not None:
            questions.append(Question("prior_year_agi", label(AGI_LABEL), "amount"))
        method = "code+kba" if len(questions) > 1 else "code"
        return Challenge(method, tuple(questions), {}, sent_to)

    async def verify(
        self, who: SignerIdentity, challenge: Challenge, answers: Mapping[str, str]
    ) -> CheckResult:
        # every question is judged, even after a wrong one: the time taken tells nothing
        asked = {q.key for q in challenge.questions}
        wrong = []
        if "birth_date" in asked and not answer_matches(
            who.facts.birth_date, answers["birth_date"]
        ):
            wrong.append("birth_date")
        if "prior_year_agi" in asked and not answer_matches(
            who.facts.prior_year_agi, answers["prior_year_agi"]
        ):
            wrong.append("agi")
        # the code is checked on every try too (a right one is used up, a wrong one counts)
        code = await check_signer_code(self.core, who, answers.get("code", ""))
        if code:
            wrong.insert(0, code)
        if wrong:
            detail = "wrong_" + "_".join(w.removeprefix("wrong_") for w in wrong)
            return CheckResult(False, challenge.method, detail)
        return CheckResult(True, challenge.method)


@hookimpl(tryfirst=True)  # first in the chain: a provider's checks come after the code
def taxportal_signer_checks(config: AppConfig, core: Core) -> list[SignerCheck]:
    return [SignerCode(core)]
