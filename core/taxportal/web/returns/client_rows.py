"""The File Viewer's table rows, written without Jinja: the busiest HTML of the console.

A page shows 50 returns of 11 cells. Jinja spent about 0.9 ms on them, most of it making
a ``Markup`` object for each of some 1,100 escaped values; here every text of the page is
escaped in one call and each row is two ``%`` formats: the rows went from about 0.9 to
0.2 ms, the page's whole rendering from 0.9-1.0 to 0.4-0.6 ms.
The rest of the page stays in ``staff/clients.html``, which calls ``client_rows(result.rows)``;
tests/core/test_client_rows.py holds the escaping to account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from taxportal.contracts import ClientMark
from taxportal.web.rendering import format_phone

# Eleven cells, each %s escaped text (or markup made here of escaped text): the cells up to
# "Uploads", then the rest. Names, e-mails and addresses share a cell each, so the table
# fits a 1,280 px screen (app.css lays the rows out as cards on a tablet).
ROW_START = "\n<tr>\n  <td>%s</td><td>%s</td>\n  <td>"
ROW_END = (
    "</td>\n"
    "  <td>%s</td><td>%s</td><td>%s</td>\n"
    '  <td class="emails">%s</td><td>%s</td><td>%s</td><td>%s</td>\n'
    '  <td><a href="/staff/returns/%s/edit">Edit</a> '
    '<a href="/staff/returns/%s/documents">Signed Documents</a>%s</td>\n'
    "</tr>\n"
)
TO_SIGN = ' <span class="badge-new">{count} to sign</span>'
SIGNED = ' <span class="badge-done">Signed</span>'

NEW_UPLOADS = (
    '<a class="badge-new" href="/staff/returns/{id}/uploads" '
    'aria-label="View Documents: {count} new">{count} new</a>'
)
VIEW_UPLOADS = '<a href="/staff/returns/{id}/uploads">View Documents</a>'
PER_ROW = 13  # texts each row gives escape_each()
MARK = ' <a class="badge-new" href="%s" aria-label="%s">%s</a>'


def client_rows(
    rows: Sequence[Any], marks: Mapping[int, Sequence[ClientMark]] | None = None
) -> Markup:
    """The ``<tr>`` of each ``ClientRow`` (``services.returns``), escaped, as one Markup;
    ``marks`` (by portal id, from the ``taxportal_client_marks`` hook) follow the name."""
    texts: list[str] = []
    for row in rows:
        r = row.tax_return
        return_id = str(int(r.id))
        last4 = r.ssn_last4
        state_zip = f"{r.state} {r.zip_code}".strip()
        place = f"{r.city}, {state_zip}" if r.city and state_zip else r.city or state_zip
        texts += (row.email_sent, r.efile_status, r.return_type, r.tax_year)
        texts += (f"{r.first_name} {r.last_name}".strip(), r.primary_email, r.secondary_email)
        texts += (format_phone(r.mobile_phone), r.address, place)
        texts += (f"***-**-{last4}" if last4 else "", return_id, return_id)
    escaped = escape_each([str(text) for text in texts])
    html = []
    for index, row in enumerate(rows):
        (sent, efile, kind, year, name, email, email2, phone, street, place, ssn, id1, id2) = (
            escaped[index * PER_ROW : (index + 1) * PER_ROW]
        )
        emails = _breakable(email) + ("<br>" + _breakable(email2) if email2 else "")
        address = street + ("<br>" + place if street and place else place)
        html.append(ROW_START % (sent, efile))
        html.append(_uploads_cell(row, int(row.tax_return.id)))
        signing = _signing_cell(row)
        if marks and row.portal is not None and row.portal.id in marks:
            name += _marks(marks[row.portal.id])
        html.append(ROW_END % (kind, year, name, emails, phone, address, ssn, id1, id2, signing))
    # every value above went through escape_each(); the rest is this module's own markup
    return Markup("".join(html))  # noqa: S704


def _marks(marks: Sequence[ClientMark]) -> str:
    """Plugins' marks, every text escaped (few rows have one: escaped one by one)."""
    return "".join(
        MARK % (escape(m.href), escape(m.label or m.text), escape(m.text)) for m in marks
    )


def _breakable(address: str) -> str:
    """An escaped e-mail address that may wrap before its @ and after a dot, never inside
    a word (escaping makes neither a dot nor an @)."""
    return address.replace("@", "<wbr>@").replace(".", ".<wbr>")


def _uploads_cell(row: Any, return_id: int) -> str:
    if row.new_uploads:
        return NEW_UPLOADS.format(id=return_id, count=int(row.new_uploads))
    return VIEW_UPLOADS.format(id=return_id) if row.portal else ""


def _signing_cell(row: Any) -> str:
    """The short signing status beside "Signed Documents" (numbers and fixed words only)."""
    to_sign = int(row.to_sign)
    if to_sign:
        return TO_SIGN.format(count=to_sign)
    return SIGNED if row.signed else ""


def escape_each(texts: list[str]) -> list[str]:
    """``escape()`` of each text, in one pass over them all: NUL joins them, since escaping
    neither makes nor removes one; a text holding NUL itself makes each be done alone."""
    escaped = str(escape("\0".join(texts))).split("\0")
    if len(escaped) != len(texts):
        return [str(escape(text)) for text in texts]
    return escaped
