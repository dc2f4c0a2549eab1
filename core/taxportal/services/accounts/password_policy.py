"""Taxpayer password rules: the guide's composition rules or NIST's length rule; never common."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from taxportal.i18n import N_

SPECIALS = "@$!%*?&"


@dataclass(frozen=True)
class Rule:
    key: str  # used by the page's live checklist (data-rule)
    label: str  # English text; the page translates it
    pattern: str  # a JavaScript-compatible regex the page tests as the person types


COMPOSITION_RULES = (
    Rule("lower", N_("One lowercase character"), "[a-z]"),
    Rule("upper", N_("One uppercase character"), "[A-Z]"),
    Rule("special", N_("One special (@$!%%*?&)"), "[@$!%*?&]"),  # %% : labels go through gettext
    Rule("number", N_("One number"), "[0-9]"),
    Rule("min", N_("8 characters minimum"), "^.{8,}$"),
    Rule("max", N_("25 characters maximum"), "^.{0,25}$"),
)
LENGTH_RULES = (
    Rule("min", N_("15 characters minimum"), "^.{15,}$"),
    Rule("max", N_("64 characters maximum"), "^.{0,64}$"),
)
COMMON_RULE = Rule("common", N_("Not a common password"), "")


def rules_for(policy: str) -> tuple[Rule, ...]:
    return COMPOSITION_RULES if policy == "composition" else LENGTH_RULES


@cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # 30,000 most common passwords

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common(password: str, also_refuse: tuple[str, ...] = ()) -> bool:
    """True for a listed password, or one that only decorates a listed word ("Password1!")."""
    lowered = password.casefold()
    core = re.sub(rf"[0-9{re.escape(SPECIALS)}]+$", "", lowered)
    core = re.sub(rf"^[0-9{re.escape(SPECIALS)}]+", "", core)
    candidates = {lowered, core}
    banned = {word.casefold() for word in also_refuse if len(word) >= 3}
    return bool(candidates & _common_passwords()) or bool(candidates & banned)


def failed_rules(password: str, policy: str, also_refuse: tuple[str, ...] = ()) -> list[Rule]:
    """The rules a password breaks (empty when it is acceptable). Never truncates."""
    broken = [r for r in rules_for(policy) if not re.search(r.pattern, password)]
    if is_common(password, also_refuse):
        broken.append(COMMON_RULE)
    return broken
