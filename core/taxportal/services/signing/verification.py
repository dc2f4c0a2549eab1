"""Walking signing chains: the first broken link of each document's chain, and a summary.

Pure: it is fed stored events in order of document and seq (``records.verify`` reads them)
and never touches the database. A report names documents, seqs and what is wrong, never a
detail value, an actor or an address: it is printed and may be pasted into a ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from taxportal.services.signing.chain import genesis, hash_of_row

HASH_MISMATCH = "hash mismatch"  # the row's columns do not give its stored hash: edited
PREV_HASH_MISMATCH = "prev_hash mismatch"  # it does not link to the event before it
GAP = "gap"  # a seq is missing: an event was removed
MISSING_GENESIS = "missing genesis"  # the chain does not start at seq 1 on the genesis value


@dataclass(frozen=True)
class BrokenLink:
    document_id: int
    seq: int  # the first seq that does not hold (for a gap, the missing one)
    problem: str  # one of the four constants above
    explanation: str

    def __str__(self) -> str:
        return f"document {self.document_id}, seq {self.seq}: {self.problem} ({self.explanation})"


@dataclass
class VerifyReport:
    documents: int = 0
    events: int = 0
    broken: list[BrokenLink] = field(default_factory=list)  # at most one per document

    @property
    def intact(self) -> bool:
        return not self.broken


class ChainWalker:
    """Feed every event ordered by (document_id, seq); ``report`` holds the result."""

    def __init__(self) -> None:
        self.report = VerifyReport()
        self._document: int | None = None
        self._expected = 1
        self._prev = ""
        self._broken = False

    def feed(self, event: Any) -> None:
        if event.document_id != self._document:
            self._document = event.document_id
            self._expected, self._prev, self._broken = 1, genesis(event.document_id), False
            self.report.documents += 1
        self.report.events += 1
        if self._broken:
            return  # only the first broken link of a chain: the rest hang on it
        problem = self._problem(event)
        if problem is not None:
            self.report.broken.append(problem)
            self._broken = True
            return
        self._prev = event.hash
        self._expected += 1

    def _problem(self, event: Any) -> BrokenLink | None:
        document, expected = event.document_id, self._expected
        if event.seq != expected:
            if expected == 1:
                return BrokenLink(
                    document, 1, MISSING_GENESIS, f"the chain starts at seq {event.seq}"
                )
            return BrokenLink(
                document, expected, GAP, f"seq {expected} is missing; the next is {event.seq}"
            )
        if hash_of_row(event) != event.hash:
            return BrokenLink(
                document, event.seq, HASH_MISMATCH, "its columns do not give its stored hash"
            )
        if event.prev_hash != self._prev:
            if expected == 1:
                return BrokenLink(
                    document, 1, MISSING_GENESIS, "seq 1 does not link to the genesis value"
                )
            return BrokenLink(
                document,
                event.seq,
                PREV_HASH_MISMATCH,
                f"it does not link to the hash of seq {expected - 1}",
            )
        return None
