"""The completion certificate (COMPLIANCE item 9), a page appended to the document before
the seal, so the seal covers it: the document (name, id), its SHA-256 as sent, the sealing
certificate, per signer their name, masked contact, times, IP address, user agent, how
their identity was verified and the result, and their drawn signature; then the event
list."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Mapping, Sequence

from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from taxportal.api import CertificateEntry, CertificateEvent
from taxportal_signing_pdf.pdf_text import font_resources, show

WIDTH, HEIGHT = 612.0, 792.0  # US Letter
LEFT, TOP = 54.0, 738.0
PREFIX = "TpCert"
ROLE_TITLES = {"taxpayer": "Taxpayer", "spouse": "Spouse"}
THUMB = (160.0, 40.0)
MAX_EVENTS = 30  # what fits under two signers on one page


def when(moment: dt.datetime | None) -> str:
    """A moment with its zone, in UTC ("2026-04-15 17:03:22 UTC"); naive counts as UTC."""
    if moment is None:
        return "-"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class _Page:
    """A top-down writer of lines on one page."""

    def __init__(self) -> None:
        self.y = TOP
        self.ops: list[bytes] = [b"0 g\n"]

    def line(self, text: str, *, font: str = "Helv", size: float = 9.0, gap: float = 3.0) -> None:
        self.y -= size
        self.ops.append(show(PREFIX + font, size, LEFT, self.y, text))
        self.y -= gap

    def field(self, label: str, value: str, *, mono: bool = False, width: int = 96) -> None:
        """``label: value``, the value wrapped under itself when long."""
        size = 8.0 if mono else 9.0
        chunks = textwrap.wrap(value, width, break_long_words=True) or ["-"]
        self.y -= size
        self.ops.append(show(PREFIX + "HelvB", 9, LEFT, self.y, label))
        font = "Cour" if mono else "Helv"
        for index, chunk in enumerate(chunks):
            if index:
                self.y -= size + 2
            self.ops.append(show(PREFIX + font, size, LEFT + 150, self.y, chunk))
        self.y -= 4


def add_certificate_page(
    writer: IncrementalPdfFileWriter,
    *,
    document_name: str,
    document_id: str,
    sha256_as_sent: str,
    events: Sequence[CertificateEvent],
    entries: Sequence[CertificateEntry],
    images: Mapping[str, tuple[generic.IndirectObject, Image.Image]],
    sealed_by: str,
    certificate_fingerprint: str,
    made_at: dt.datetime,
) -> int:
    """Append the certificate as the last page; returns its 0-based index."""
    page = _Page()
    page.line("Certificate of completion", font="HelvB", size=16, gap=10)
    page.field("Document", document_name or "-", width=80)
    if document_id:
        page.field("Document id", document_id)
    page.field("SHA-256 as sent", sha256_as_sent, mono=True)
    page.field("Sealed by", sealed_by)
    page.field("Seal certificate SHA-256", certificate_fingerprint, mono=True)
    page.field("Certificate made", when(made_at))
    page.line(
        "The seal on this file covers every page, this one included: "
        "a change after sealing breaks it.",
        size=8,
        gap=12,
    )
    xobjects: dict[str, generic.IndirectObject] = {}
    for entry in entries:
        page.line(f"{ROLE_TITLES.get(entry.role, entry.role)}: {entry.name}", font="HelvB", size=11)
        page.field("Contact", entry.masked_contact or "-")
        page.field("Viewed", when(entry.viewed_at))
        page.field("Signed", when(entry.signed_at))
        page.field("IP address", entry.ip or "-")
        page.field("User agent", entry.user_agent or "-", width=90)
        page.field("Identity verified by", entry.identity_method or "-")
        page.field("Identity check result", entry.identity_result or "-")
        drawn = images.get(entry.role)
        if drawn is not None:
            image_ref, image = drawn  # the XObject drawn on the page: stored once
            name = f"{PREFIX}Sig{entry.role.capitalize()}"
            xobjects[name] = image_ref
            scale = min(THUMB[0] / image.width, THUMB[1] / image.height)
            width, height = image.width * scale, image.height * scale
            top = page.y
            page.ops.append(show(PREFIX + "HelvB", 9, LEFT, top - 9, "Signature"))
            page.ops.append(
                b"q %.3f 0 0 %.3f %.3f %.3f cm /%s Do Q\n"
                % (width, height, LEFT + 150, top - height, name.encode())
            )
            page.y = top - height - 4
        page.y -= 10
    if events:
        page.line("Events", font="HelvB", size=11)
        shown = events[:MAX_EVENTS]
        for event in shown:
            who = f" ({event.who})" if event.who else ""
            page.line(f"{when(event.at)}   {event.what}{who}", size=8, gap=2)
        if len(events) > len(shown):
            page.line(f"... and {len(events) - len(shown)} more in the portal's record", size=8)
    resources = generic.DictionaryObject(
        {
            pdf_name("/Font"): font_resources(PREFIX),
            pdf_name("/XObject"): generic.DictionaryObject(
                {pdf_name(f"/{name}"): ref for name, ref in xobjects.items()}
            ),
        }
    )
    contents = generic.StreamObject(stream_data=b"".join(page.ops))
    contents.compress()
    new_page = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): generic.ArrayObject(
                [generic.FloatObject(v) for v in (0, 0, WIDTH, HEIGHT)]
            ),
            pdf_name("/Resources"): resources,
            pdf_name("/Contents"): writer.add_object(contents),
        }
    )
    return _append_page(writer, new_page)


def _append_page(writer: IncrementalPdfFileWriter, page: generic.DictionaryObject) -> int:
    """Make ``page`` the document's last page: a kid of the page tree's root (pyHanko's
    ``insert_page`` walks the tree to find the last page's parent: a parse of every page)."""
    root_ref = writer.root.raw_get("/Pages")
    root = root_ref.get_object()
    count = int(root["/Count"])
    page[pdf_name("/Parent")] = root_ref
    kids = root["/Kids"]
    kids.append(writer.add_object(page))
    root[pdf_name("/Count")] = generic.NumberObject(count + 1)
    writer.update_container(kids)
    writer.update_container(root)
    return count
