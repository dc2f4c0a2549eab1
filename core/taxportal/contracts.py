"""Types shared between the core and plugins: the public vocabulary of the hooks."""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Protocol, runtime_checkable


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to deliver over one channel.

    ``to`` is already normalised by the core: a lower-case email address for
    ``email``, an E.164 number (``+15551112222``) for ``sms``.
    """

    channel: str
    to: str
    text: str
    subject: str = ""
    html: str | None = None
    sender_name: str = ""
    purpose: str = ""  # e.g. "invitation": safe to log, never the content
    language: str = "en"


@dataclass(frozen=True)
class DeliveryReceipt:
    """What a notifier reports after a successful hand-off."""

    channel: str
    notifier: str
    reference: str = ""  # provider message id, or the outbox file name


class DeliveryError(Exception):
    """Raised by a notifier when a message could not be handed off.

    The message text is shown to the preparer, so it must explain the reason
    ("SMTP server refused the recipient", "Vonage: Invalid number") and must
    never contain a password, key, token or the message body.
    """


class InvalidAddress(DeliveryError):
    """The address itself is impossible (bad email, impossible phone number)."""


@runtime_checkable
class Startable(Protocol):
    """A chosen backend with work to do before serving (open a client, clear leftovers)."""

    async def start(self) -> None: ...


@runtime_checkable
class ReportsConnection(Protocol):
    """A chosen backend that holds a connection of its own (the bus's LISTEN, a Redis
    subscription) and can say, without any I/O, whether it is up now (``/readyz``)."""

    def connected(self) -> bool: ...


@runtime_checkable
class Warmable(Protocol):
    """A chosen backend with work worth doing before the first request of a server (start
    worker processes, fill a cache), skipped by one-off commands (``taxportal staff add``).
    Awaited once per server process, after ``start()``; without it the work happens on
    first use."""

    async def warm(self) -> None: ...


@runtime_checkable
class Closable(Protocol):
    """A chosen backend holding something to release at shutdown (a client, a pool)."""

    async def close(self) -> None: ...


@runtime_checkable
class RemovesUnfinished(Protocol):
    """A storage backend that can remove what puts begun before ``before`` left behind
    (temporary files, multipart uploads), touching only keys the core could have made;
    ``taxportal serve`` calls it once before any worker serves. Returns how many."""

    async def remove_unfinished(self, before: datetime) -> int: ...


@dataclass(frozen=True)
class BackendOffer:
    """A backend a plugin can build: only the one configuration chooses is ever built.

    ``build()`` (may be async) returns the backend; ``channel`` is the notification channel
    for notifiers ("email", "sms"), empty otherwise; ``description`` is for people."""

    name: str
    build: Callable[[], Any]
    channel: str = ""
    description: str = ""


@runtime_checkable
class Notifier(Protocol):
    """Delivers messages over one channel ("email", "sms", ...)."""

    name: str
    channel: str

    async def send(self, message: OutgoingMessage) -> DeliveryReceipt: ...


STORAGE_KEY = re.compile(r"[a-z0-9][a-z0-9/_-]{0,200}")


def check_storage_key(key: str) -> str:
    """The key itself if it has the shape the core makes; ValueError otherwise.

    Backends call it so a key like ``../x`` can never reach a path or an object name.
    """
    if (
        not isinstance(key, str)
        or not STORAGE_KEY.fullmatch(key)
        or "//" in key
        or key.endswith("/")
    ):
        raise ValueError(f"not a valid storage key: {key!r}")
    return key


@runtime_checkable
class StorageBackend(Protocol):
    """Keeps file bytes under opaque keys chosen by the core.

    A backend (like a notifier or a signer) may also implement :class:`Startable`
    (awaited once after the database opens and before serving) and :class:`Closable`
    (awaited at shutdown); a storage backend also :class:`RemovesUnfinished`.
    """

    name: str

    async def put(self, key: str, chunks: AsyncIterator[bytes]) -> int: ...

    def get(self, key: str) -> AsyncIterator[bytes]: ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...

    async def size(self, key: str) -> int: ...


SignerRole = Literal["taxpayer", "spouse"]


@dataclass(frozen=True)
class PlacementBox:
    """Where the preparer chose to put a signature: ``page`` is 0-based; ``x``, ``y`` (the
    lower-left corner), ``width`` and ``height`` are PDF points in the page's default user
    space (the coordinates of its ``/MediaBox``, before any ``/Rotate``)."""

    page: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class SignatureMark:
    """One signer's drawn signature, to place on the document.

    ``png`` is the drawing as the signer saved it (check it with
    ``taxportal.api.check_signature_png``); ``signed_at`` is when they pressed Sign (an
    aware datetime; a naive one is taken as UTC), printed beside the drawing as the date;
    ``box`` is the preparer's choice, used only when the PDF has neither a signature field
    nor a printed signature line for ``role``.
    """

    role: SignerRole
    name: str
    png: bytes
    signed_at: datetime
    box: PlacementBox | None = None


@dataclass(frozen=True)
class CertificateEntry:
    """One signer's line of the completion certificate (COMPLIANCE item 9).

    ``masked_contact`` is already masked by the core (``j***@example.com``); ``ip`` and
    ``user_agent`` are those of the request that signed; ``identity_method`` says how the
    signer was verified right before signing (e.g. "one-time code by email + 2 questions")
    and ``identity_result`` its outcome ("passed"). Never an SSN or a code.
    """

    role: SignerRole
    name: str
    masked_contact: str
    viewed_at: datetime | None
    signed_at: datetime
    ip: str
    user_agent: str
    identity_method: str
    identity_result: str


@dataclass(frozen=True)
class CertificateEvent:
    """One line of the completion certificate's event list: ``what`` happened ("sent",
    "opened", "identity verified", "viewed", "signed", "completed"), ``at`` what moment,
    and ``who`` did it ("preparer", "taxpayer", "spouse"; empty for the system)."""

    at: datetime
    what: str
    who: str = ""


@dataclass(frozen=True)
class SigningTask:
    """One signing pass over one document.

    ``pdf`` is always the document **as sent** (never an earlier signed copy) and ``marks``
    every signature collected so far, so each pass draws all of them at once and seals the
    whole file last: the output of the last pass is the final file, with every signature
    and one seal over all of it. The core keeps the sealed copy of each earlier pass.
    ``certificate`` has one entry per mark; ``sha256_as_sent`` is the hex SHA-256 of
    ``pdf``, printed on the certificate (the signer refuses a task where it does not
    match). ``document_id`` (the core's reference for the document) and ``events`` (the
    document's history so far, oldest first) are printed on the certificate too.
    """

    document_name: str
    pdf: bytes
    marks: list[SignatureMark]
    certificate: list[CertificateEntry]
    sha256_as_sent: str
    document_id: str = ""
    events: list[CertificateEvent] = field(default_factory=list)


@dataclass(frozen=True)
class SealCheck:
    """A seal's validation: ``intact`` (the signed bytes are unchanged), ``valid`` (the
    signature is mathematically correct), ``trusted`` (its certificate chains to the firm's
    root), ``whole_file`` (it covers every byte: nothing was appended after it).
    ``summary`` is a short sentence for people (safe to show and to log)."""

    intact: bool
    valid: bool
    trusted: bool
    whole_file: bool
    summary: str
    timestamped: bool = False  # an RFC 3161 time-stamp token is attached (PAdES B-T)

    @property
    def passed(self) -> bool:
        """Intact, valid, trusted and covering the whole file."""
        return self.intact and self.valid and self.trusted and self.whole_file


@dataclass(frozen=True)
class Placement:
    """Where a signer's mark was drawn and why there: ``how`` is ``"field"`` (the PDF's
    signature field for that role), ``"label"`` (a printed signature line, e.g. Form 8879's
    "Your signature"), ``"chosen"`` (the preparer's :class:`PlacementBox`) or ``"block"`` (a
    signature block at the foot of the last page). ``box`` is in PDF points, 0-based page."""

    role: SignerRole
    page: int
    box: PlacementBox
    how: Literal["field", "label", "chosen", "block"]


@dataclass(frozen=True)
class SigningResult:
    """The record of one signing pass: the sealed ``pdf``, the hex SHA-256 of the input
    (``sha256_before``) and of the output (``sha256_after``), the hex SHA-256 of the DER of
    the certificate that sealed it (``certificate_fingerprint``), where each mark went and
    the validation of the output (``check.passed`` is always true: a signer raises instead
    of returning a file that does not validate)."""

    pdf: bytes
    sha256_before: str
    sha256_after: str
    certificate_fingerprint: str
    placements: list[Placement]
    check: SealCheck


class SigningError(Exception):
    """A signer could not sign: a PDF that is not one, encrypted, broken, a mark it cannot
    place, or its own output did not validate. The message is safe to show the preparer
    and the taxpayer (never a key, a path or the document's content)."""


@runtime_checkable
class Signer(Protocol):
    """Places drawn signatures on a PDF, adds a completion certificate and seals it.

    A signer is usually also :class:`Startable` (its keys, its process pool) and
    :class:`Closable`. CPU work runs in a process pool, never on the event loop.
    """

    name: str

    async def sign(self, task: SigningTask) -> SigningResult:
        """Sign ``task``; raises :class:`SigningError` on a PDF it cannot sign and when its
        own output does not validate."""
        ...

    async def validate(self, pdf: bytes) -> SealCheck:
        """Check the last seal of ``pdf`` against the firm's root (never raises for a bad
        file: the check says what failed)."""
        ...

    def root_certificate_pem(self) -> bytes:
        """The firm's root certificate (PEM), for the firm to trust in its PDF readers."""
        ...


@runtime_checkable
class BusBackend(Protocol):
    """Carries events between server processes (see ``taxportal_bus_backends``)."""

    name: str
    # True: every event is also a row of ``event_log`` and reaches the other processes
    durable: bool
    # the core reads new rows this often anyway (polling, or a safety net)
    poll_seconds: float

    async def start(self, received: Callable[[str], None], reconnected: Callable[[], None]) -> None:
        """Subscribe: call ``received(payload)`` per notification and ``reconnected()``
        after every (re)subscription, so the core reads what was missed."""

    async def announce(self, payloads: list[str]) -> None:
        """Tell every process (this one included; the core skips its own) these payloads."""

    async def close(self) -> None: ...


@dataclass(frozen=True)
class RegistrationAttempt:
    """What a taxpayer typed on "Register Your Account" (never logged)."""

    last_name: str
    ssn_last4: str
    email: str
    phone: str


@dataclass(frozen=True)
class ReturnIdentity:
    """What the return says about the taxpayer, for identity checks."""

    last_name: str
    ssn_last4: str
    emails: tuple[str, ...]
    phone: str


@dataclass(frozen=True)
class VerificationResult:
    """One verifier's verdict. ``reason`` goes to the log, never to the taxpayer."""

    verifier: str
    passed: bool
    reason: str = ""


class Catalog(Protocol):
    """A gettext catalog by language (``taxportal.api.Translations`` is one)."""

    def gettext(self, language: str, message: str) -> str: ...


@functools.cache  # imported when first needed: babel stays out of the command line's start
def _core_gettext() -> Callable[[str, str], str]:
    from taxportal.i18n import gettext_for

    return gettext_for


@dataclass(frozen=True)
class NavItem:
    """A link in the portal's sidebar (``audience`` "taxpayer") or the console's menu
    ("staff"), sorted by ``order``.

    ``label`` is English source text, shown translated into the page's language through
    ``catalog`` (the plugin's own) or else the core's. ``match`` says when the link is the
    current page: ``"exact"`` path, or ``"prefix"`` (any path under ``href``).
    ``admin_only`` shows it to admins only.
    """

    label: str
    href: str
    audience: str = "staff"
    order: int = 100
    match: Literal["exact", "prefix"] = "exact"
    admin_only: bool = False
    catalog: Catalog | None = None

    def text(self, language: str) -> str:
        """The label in ``language``."""
        if self.catalog is not None:
            return self.catalog.gettext(language, self.label)
        if language == "en":  # English is the source text
            return self.label
        return _core_gettext()(language, self.label)

    def is_current(self, path: str) -> bool:
        if self.match == "prefix":
            return path == self.href or path.startswith(self.href.rstrip("/") + "/")
        return path == self.href


@dataclass(frozen=True)
class ClientMark:
    """A plugin's mark beside a client in the console's client list (chat: "2 unread").

    ``text`` is shown as a badge linking to ``href`` (a console page); ``label`` is what a
    screen reader says instead (``text`` when empty). All three are escaped: plain text.
    """

    text: str
    href: str
    label: str = ""


@dataclass(frozen=True)
class RouteSpec:
    """An HTTP route a plugin contributes."""

    method: str
    path: str
    handler: Any
    name: str | None = None


@dataclass(frozen=True)
class ModelModule:
    """A plugin's own tortoise app: its model modules and migrations package."""

    app_label: str
    models: tuple[str, ...]
    migrations: str


@dataclass(frozen=True)
class PluginSettings:
    """A plugin's configuration section and the pydantic model that checks it."""

    section: str
    model: type


@dataclass(frozen=True)
class JobHandler:
    """Runs the jobs of one ``kind`` (see ``taxportal.jobs.schedule``).

    ``run(payload)`` gets the job's JSON payload (ids, never secrets). Raising retries the
    job with a back-off; after ``max_attempts`` it is marked failed and shown to admins.
    The message of a :class:`DeliveryError` becomes the job's last error; any other
    exception is recorded by its type only (its text might hold a secret). A job may run
    again after a crash, so ``run`` must be safe to repeat.
    """

    kind: str
    run: Callable[[dict[str, Any]], Awaitable[None]]
    max_attempts: int = 8


# --- identity at signing ------------------------------------------------------------

QuestionKind = Literal["code", "date", "amount", "text"]


@dataclass(frozen=True)
class SignerFacts:
    """What the preparer holds about one signer, for a check that asks about it. Dates and
    amounts stay out of ``repr``, so a stray log line shows none of them."""

    birth_date: date | None = field(default=None, repr=False)
    prior_year_agi: int | None = field(default=None, repr=False)  # whole dollars


@dataclass(frozen=True)
class SignerIdentity:
    """Who is about to sign: one signer (``role``) of one return, as the core knows them.

    ``masked_contact`` (e.g. ``"(***) ***-0197"``) is the signer's OWN email or phone as
    the return holds it, masked; ``channel`` is ``"email"``, ``"sms"`` or ``""`` when the
    return has neither. ``language`` is the signer's (``"en"`` or ``"es"``): write labels
    in it. ``facts`` are for a check that asks about them; a provider may ignore them."""

    portal_id: int
    return_id: int
    role: SignerRole
    name: str
    channel: str
    masked_contact: str
    language: str
    facts: SignerFacts = field(default_factory=SignerFacts, repr=False)


@dataclass(frozen=True)
class Question:
    """One field the signer fills in: ``key`` (letters, digits, ``_``; unique within the
    check), ``label`` in the signer's language, ``kind`` (how the page shows it: ``code``
    a one-time code, ``date`` MM/DD/YYYY, ``amount`` dollars, ``text``)."""

    key: str
    label: str
    kind: QuestionKind


@dataclass(frozen=True)
class Challenge:
    """What one check asks: ``method`` (a short lowercase word such as ``"code"``,
    ``"code+kba"`` or ``"acme_kba"``), its ``questions``, and ``state``: opaque strings the
    check needs again in ``verify`` (an id, a digest; never an answer, a fact or a code in
    clear). The core keeps ``state`` on the server between the two steps, never in a
    cookie or a form. ``sent_to`` is the masked contact a code went to ("" if none)."""

    method: str
    questions: tuple[Question, ...] = ()
    state: dict[str, str] = field(default_factory=dict)
    sent_to: str = ""


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict. ``detail`` is a short lowercase code for the activity log
    (``"wrong_code"``, ``"wrong_birth_date"``, ``"provider_down"``), never an answer or a
    fact; ``method`` is what was checked (as in the challenge)."""

    passed: bool
    method: str
    detail: str = ""


class SignerCheckError(Exception):
    """A check could not start (a code could not be sent, a provider is down). ``kind`` is
    a short code for the log; the signer sees a generic message, or ``seconds`` to wait."""

    def __init__(self, kind: str, seconds: int = 0) -> None:
        super().__init__(kind)
        self.kind = kind
        self.seconds = seconds


@runtime_checkable
class SignerCheck(Protocol):
    """One identity check at signing (``taxportal_signer_checks``). Every check offered
    runs; the signer passes only when all of them pass."""

    name: str

    async def challenge(self, who: SignerIdentity) -> Challenge:
        """Start a check for ``who``: send a code, pick questions. Raise
        ``SignerCheckError`` when it cannot start."""
        ...

    async def verify(
        self, who: SignerIdentity, challenge: Challenge, answers: Mapping[str, str]
    ) -> CheckResult:
        """Judge ``answers`` (question key -> the signer's text, at most 200 characters,
        "" when left empty) against ``challenge`` (as returned, ``state`` included)."""
        ...
