"""What a client-list search matches (File Viewer, Manage Portals, the API's list).

Every word must match (at most five words). A word matches a return when it is found in
the return's ``search_text`` (names, emails, phone digits; case-folded), except:

- four digits ("6789") also match the SSN's stored last four: a preparer on the phone is
  given the last four more often than anything, and the phone numbers that hold those
  digits still show (a last four and the end of a phone number look the same);
- a full SSN ("123-45-6789" or "123456789") matches only the return whose keyed SSN digest
  is that SSN's (crypto.FieldCipher.digest, the upsert key): no SSN is ever decrypted to
  search, and nine digits never match part of a phone number. The pages show such a search
  back masked (``masked``: "***-**-6789"), and a masked SSN searches its last four.

The SQL list (client_list) and the model list (returns.list_clients) both build their
filters from ``parse``; tests/core/test_client_list.py holds them to one another.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_WORDS = 5
_FULL_SSN = re.compile(r"\d{3}(-?)\d{2}\1\d{4}")
_LAST_FOUR = re.compile(r"(?:\*{3}-\*{2}-)?(\d{4})")
_PHONE_MARKS = "()-.+"

Digest = Callable[[str], str]  # nine SSN digits -> the keyed digest stored with the return


@dataclass(frozen=True)
class SearchTerm:
    text: str = ""  # found in search_text (LIKE '%text%'); "" for a full SSN
    ssn_last4: str = ""  # ...or the return's stored last four is this
    ssn_digest: str = ""  # instead of text: the return's SSN digest is this

    @property
    def reads_ssn(self) -> bool:
        """True when the term reads SSN columns, which the returns' change counter does not
        watch (migration 0008): its count must not be remembered."""
        return bool(self.ssn_last4 or self.ssn_digest)


def search_terms(search: str) -> list[str]:
    """What each word of a search must be found as in ``search_text`` (all of them): the
    word case-folded, or its digits when it is written like a phone number."""
    terms = []
    for word in search.casefold().split()[:MAX_WORDS]:
        digits = "".join(c for c in word if c.isdigit())
        phone_like = bool(digits) and all(c.isdigit() or c in _PHONE_MARKS for c in word)
        terms.append(digits if phone_like else word)
    return terms


def parse(search: str, digest: Digest | None) -> list[SearchTerm]:
    """The terms of ``search``; without ``digest`` (no key at hand) a full SSN is searched
    as the digits it is."""
    words = search.casefold().split()[:MAX_WORDS]
    terms = []
    for word, text in zip(words, search_terms(search), strict=True):
        if digest is not None and _FULL_SSN.fullmatch(word):
            terms.append(SearchTerm(ssn_digest=digest(text)))
        elif last_four := _LAST_FOUR.fullmatch(word):
            digits = last_four.group(1)
            terms.append(SearchTerm(text=digits, ssn_last4=digits))
        else:
            terms.append(SearchTerm(text=text))
    return terms


def masked(search: str) -> str:
    """The search as a page may show it (search box, links): a full SSN as ***-**-6789."""
    return " ".join(
        f"***-**-{word[-4:]}" if _FULL_SSN.fullmatch(word) else word for word in search.split()
    )
