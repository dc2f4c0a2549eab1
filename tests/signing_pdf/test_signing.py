"""The signing plugin through its signer, as the core calls it: marks placed where a reader
sees them, the completion certificate, one seal over the whole file that pyHanko and
poppler accept and that breaks when anything changes."""

from __future__ import annotations

import asyncio
import hashlib
import io
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import load_pem_x509_certificate
from PIL import ImageChops
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfWriter

from taxportal.api import PlacementBox, SigningError
from taxportal_signing_pdf.keys import NewFirmKeys
from tests.signing_pdf import documents, drawings
from tests.signing_pdf.conftest import (
    dark_pixels,
    mark,
    needs_poppler,
    pdf_text,
    render,
    task,
)

PAGE_HEIGHT = documents.LETTER[1]
SPOUSE_LINE_AREA = PlacementBox(2, 160, documents.SPOUSE_LINE[1] - 4, 260, 30)
TAXPAYER_PNG = drawings.drawn_signature(seed=1)
SPOUSE_PNG = drawings.drawn_signature(seed=4)


async def pyhanko_status(pdf: bytes, root_pem: bytes) -> Any:
    """An independent check with pyHanko against the firm's root."""
    reader = PdfFileReader(io.BytesIO(pdf))
    assert len(reader.embedded_signatures) == 1
    roots = list(load_certs_from_pemder_data(root_pem))
    return await async_validate_pdf_signature(
        reader.embedded_signatures[0], ValidationContext(trust_roots=roots, allow_fetching=False)
    )


def ink_added(before: bytes, after: bytes, box: PlacementBox, tmp_path: Path) -> int:
    """Dark pixels the signing added inside ``box``: the signed page against the page as sent
    (a printed line inside the box is there in both)."""
    was = dark_pixels(render(before, box.page, tmp_path), box, PAGE_HEIGHT)
    now = dark_pixels(render(after, box.page, tmp_path), box, PAGE_HEIGHT)
    return now - was


@needs_poppler
async def test_a_taxpayer_signs_form_8879_on_the_line_printed_for_them(
    signer: Any, firm_keys: NewFirmKeys, tmp_path: Path
) -> None:
    pdf = documents.form_8879(return_pages=2)

    result = await signer.sign(task(pdf, mark("taxpayer", TAXPAYER_PNG)))

    [placed] = result.placements
    assert (placed.role, placed.how, placed.page) == ("taxpayer", "label", 2)
    label_x, line_y = documents.TAXPAYER_LINE
    assert abs(placed.box.y - line_y) <= 4  # on the line, right of "Your signature"
    assert label_x + 60 < placed.box.x and placed.box.x + placed.box.width <= documents.DATE_X
    assert ink_added(pdf, result.pdf, placed.box, tmp_path) > 200
    assert ink_added(pdf, result.pdf, SPOUSE_LINE_AREA, tmp_path) == 0
    assert "04/15/2026" in pdf_text(result.pdf, 2, tmp_path)  # the date on the Date line
    status = await pyhanko_status(result.pdf, firm_keys.material.root_cert_pem)
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert result.check.passed and not result.check.timestamped


@needs_poppler
async def test_the_record_holds_both_hashes_and_the_certificate_fingerprint(
    signer: Any, firm_keys: NewFirmKeys
) -> None:
    pdf = documents.form_8879()

    result = await signer.sign(task(pdf, mark("taxpayer", TAXPAYER_PNG)))

    cert = load_pem_x509_certificate(firm_keys.material.signing_cert_pem)
    assert result.sha256_before == hashlib.sha256(pdf).hexdigest()
    assert result.sha256_after == hashlib.sha256(result.pdf).hexdigest()
    assert (
        result.certificate_fingerprint
        == hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()
    )
    assert signer.root_certificate_pem() == firm_keys.material.root_cert_pem
    assert result.pdf.startswith(pdf)  # one incremental revision on the document as sent


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler-utils is not installed")
async def test_poppler_says_the_seal_is_valid_and_covers_the_document(
    signer: Any, tmp_path: Path
) -> None:
    result = await signer.sign(task(documents.form_8879(1), mark("taxpayer", TAXPAYER_PNG)))
    path = tmp_path / "signed.pdf"
    path.write_bytes(result.pdf)

    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout

    assert report.count("Signature #") == 1
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Signing Hash Algorithm: SHA-256" in report
    assert "Total document signed" in report
    assert "Signature is Valid" in report


@needs_poppler
async def test_a_joint_return_shows_both_signatures_under_one_seal(
    signer: Any, firm_keys: NewFirmKeys, tmp_path: Path
) -> None:
    pdf = documents.form_8879(return_pages=2)
    taxpayer_pass = await signer.sign(task(pdf, mark("taxpayer", TAXPAYER_PNG)))

    # the spouse's pass starts again from the document as sent, with every mark so far
    final = await signer.sign(task(pdf, mark("taxpayer", TAXPAYER_PNG), mark("spouse", SPOUSE_PNG)))

    boxes = {p.role: p for p in final.placements}
    assert {p.how for p in boxes.values()} == {"label"}
    assert abs(boxes["spouse"].box.y - documents.SPOUSE_LINE[1]) <= 4
    for placed in boxes.values():
        assert ink_added(pdf, final.pdf, placed.box, tmp_path) > 200
    status = await pyhanko_status(final.pdf, firm_keys.material.root_cert_pem)  # exactly one seal
    assert status.bottom_line and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert final.sha256_before == taxpayer_pass.sha256_before  # both from the same document
    assert final.pdf != taxpayer_pass.pdf


@needs_poppler
async def test_a_signature_field_named_for_the_signer_takes_the_mark(
    signer: Any, tmp_path: Path
) -> None:
    pdf = documents.with_signature_fields()

    result = await signer.sign(task(pdf, mark("taxpayer", TAXPAYER_PNG)))

    [placed] = result.placements
    page, x0, y0, x1, y1 = documents.TAXPAYER_FIELD
    assert placed.how == "field"
    assert placed.box == PlacementBox(page, x0, y0, x1 - x0, y1 - y0)
    assert ink_added(pdf, result.pdf, placed.box, tmp_path) > 200
    _, sx0, sy0, sx1, sy1 = documents.SPOUSE_FIELD
    spouse_field = PlacementBox(page, sx0, sy0, sx1 - sx0, sy1 - sy0)
    assert ink_added(pdf, result.pdf, spouse_field, tmp_path) == 0
    assert result.check.passed


@needs_poppler
async def test_the_preparers_box_is_used_when_the_document_has_no_place(
    signer: Any, tmp_path: Path
) -> None:
    pdf = documents.plain_document(2)
    chosen = PlacementBox(0, 330, 80, 180, 50)

    result = await signer.sign(task(pdf, mark("taxpayer", TAXPAYER_PNG, box=chosen)))

    [placed] = result.placements
    assert (placed.how, placed.box) == ("chosen", chosen)
    assert ink_added(pdf, result.pdf, chosen, tmp_path) > 200


@needs_poppler
async def test_without_field_line_or_box_a_signature_block_ends_the_last_page(
    signer: Any, tmp_path: Path
) -> None:
    pdf = documents.plain_document(2)
    off_the_document = PlacementBox(7, 100, 100, 100, 40)  # a page it does not have

    result = await signer.sign(task(pdf, mark("taxpayer", TAXPAYER_PNG, box=off_the_document)))

    [placed] = result.placements
    assert (placed.how, placed.page) == ("block", 1)
    assert ink_added(pdf, result.pdf, placed.box, tmp_path) > 200
    assert "Signed electronically" in pdf_text(result.pdf, 1, tmp_path)


@needs_poppler
async def test_the_completion_certificate_is_the_last_page_and_names_everything(
    signer: Any, tmp_path: Path
) -> None:
    pdf = documents.form_8879(1)
    signing = task(pdf, mark("taxpayer", TAXPAYER_PNG), mark("spouse", SPOUSE_PNG))

    result = await signer.sign(signing)

    last = len(PdfFileReader(io.BytesIO(result.pdf)).root["/Pages"]["/Kids"]) - 1
    assert last == 2  # the 2 pages as sent, then the certificate
    text = " ".join(pdf_text(result.pdf, last, tmp_path).split())
    assert "Certificate of completion" in text
    assert "Form 8879.pdf" in text and signing.sha256_as_sent in text
    assert result.certificate_fingerprint in text
    for entry in signing.certificate:
        for value in (entry.name, entry.masked_contact, entry.ip, entry.user_agent):
            assert value in text, value
        assert entry.identity_method in text
    assert text.count("passed") == 2
    assert "2026-04-15 16:58:01 UTC" in text and "2026-04-15 17:03:22 UTC" in text
    assert "doc-4711" in text
    assert "2026-04-14 16:58:01 UTC sent (preparer)" in text
    assert "2026-04-15 17:03:22 UTC signed (spouse)" in text
    assert text.count("identity verified") == 2


async def test_one_flipped_byte_breaks_the_seal(signer: Any, firm_keys: NewFirmKeys) -> None:
    result = await signer.sign(task(documents.form_8879(1), mark("taxpayer", TAXPAYER_PNG)))
    at = result.pdf.index(b"wages")
    tampered = result.pdf[:at] + b"W" + result.pdf[at + 1 :]

    check = await signer.validate(tampered)

    assert not check.passed and not check.intact
    assert "changed" in check.summary
    assert not (await pyhanko_status(tampered, firm_keys.material.root_cert_pem)).intact
    assert (await signer.validate(result.pdf)).passed


async def test_a_revision_appended_after_the_seal_is_caught(
    signer: Any, firm_keys: NewFirmKeys
) -> None:
    result = await signer.sign(task(documents.form_8879(1), mark("taxpayer", TAXPAYER_PNG)))
    writer = PdfWriter(io.BytesIO(result.pdf), incremental=True)
    writer.add_metadata({"/Title": "Amended after signing"})
    out = io.BytesIO()
    writer.write(out)
    appended = out.getvalue()
    assert appended.startswith(result.pdf) and len(appended) > len(result.pdf)

    check = await signer.validate(appended)

    assert check.intact and not check.whole_file and not check.passed
    status = await pyhanko_status(appended, firm_keys.material.root_cert_pem)
    assert status.coverage != SignatureCoverageLevel.ENTIRE_FILE


@pytest.mark.parametrize(
    ("pdf", "message"),
    [
        (b"Dear preparer, here is my W-2", "not a PDF"),
        (documents.encrypted(), "encrypted"),
        (documents.plain_document(2)[:700] + b"\x00garbage" * 50, "damaged"),
        (b"%PDF-1.7\n" + b"\xff" * 2000, "damaged"),
    ],
    ids=["not-a-pdf", "encrypted", "truncated", "garbage"],
)
async def test_a_pdf_it_cannot_sign_is_a_signing_error_with_a_plain_message(
    signer: Any, pdf: bytes, message: str
) -> None:
    with pytest.raises(SigningError, match=message):
        await signer.sign(task(pdf, mark("taxpayer", TAXPAYER_PNG)))
    check = await signer.validate(pdf)
    assert not check.passed


async def test_a_document_other_than_the_one_sent_is_refused(signer: Any) -> None:
    sent = documents.form_8879()
    other = documents.form_8879(return_pages=1)
    signing = task(sent, mark("taxpayer", TAXPAYER_PNG))
    swapped = type(signing)(
        signing.document_name, other, signing.marks, signing.certificate, signing.sha256_as_sent
    )

    with pytest.raises(SigningError, match="not the document that was sent"):
        await signer.sign(swapped)


async def test_an_empty_drawing_is_refused(signer: Any) -> None:
    with pytest.raises(SigningError, match="empty"):
        await signer.sign(task(documents.form_8879(), mark("taxpayer", drawings.blank())))


async def test_signings_run_off_the_event_loop(signer: Any) -> None:
    """Four signings in flight: the loop still wakes every few milliseconds."""
    pdf = documents.form_8879(return_pages=10)
    gaps: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    results = await asyncio.gather(
        *(signer.sign(task(pdf, mark("taxpayer", TAXPAYER_PNG))) for _ in range(4))
    )
    done.set()
    await ticker
    assert all(r.check.passed for r in results)
    gaps.sort()
    # in a thread, each seal would hold the loop for tens of ms; in the pool it only waits
    assert gaps[int(len(gaps) * 0.9)] < 0.05 and gaps[-1] < 0.3, (gaps[len(gaps) // 2], gaps[-1])


def added_ink(before: bytes, after: bytes, tmp_path: Path) -> Any:
    """What the signing added to page 0 as poppler shows it, cropped to its ink."""
    was, now = render(before, 0, tmp_path), render(after, 0, tmp_path)
    added = ImageChops.subtract(was, now)
    return added.crop(added.point(lambda v: 255 if v > 96 else 0).getbbox())


def turned(pdf: bytes, rotate: int) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.pages[0].rotate(rotate)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@needs_poppler
@pytest.mark.parametrize("rotate", [90, 180, 270])
async def test_on_a_page_shown_turned_the_signature_reads_upright(
    signer: Any, rotate: int, tmp_path: Path
) -> None:
    square = PlacementBox(0, 150, 150, 200, 200)  # the same box, shown turned or not
    plain = documents.plain_document(1)
    upright = await signer.sign(task(plain, mark("taxpayer", TAXPAYER_PNG, box=square)))
    pdf = turned(plain, rotate)

    result = await signer.sign(task(pdf, mark("taxpayer", TAXPAYER_PNG, box=square)))

    expected, shown = added_ink(plain, upright.pdf, tmp_path), added_ink(pdf, result.pdf, tmp_path)
    assert abs(shown.width - expected.width) <= 2 and abs(shown.height - expected.height) <= 2
    size = (min(shown.width, expected.width), min(shown.height, expected.height))
    differ = ImageChops.difference(shown.crop((0, 0, *size)), expected.crop((0, 0, *size)))
    assert sum(differ.histogram()[64:]) < 0.05 * size[0] * size[1]  # the same, not turned


@needs_poppler
@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
async def test_a_signature_block_is_at_the_foot_of_the_page_as_shown(
    signer: Any, rotate: int, tmp_path: Path
) -> None:
    pdf = turned(documents.plain_document(1), rotate)

    result = await signer.sign(task(pdf, mark("taxpayer", TAXPAYER_PNG)))

    was, now = render(pdf, 0, tmp_path), render(result.pdf, 0, tmp_path)
    left, top, right, bottom = (
        ImageChops.subtract(was, now).point(lambda v: 255 if v > 96 else 0).getbbox()
    )
    assert bottom > 0.8 * now.height and right < 0.6 * now.width  # foot, taxpayer's left
    assert (right - left) > 2 * (bottom - top)  # and upright
