"""The File Viewer's rows, written without Jinja: every value escaped, every cell where it was."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from taxportal.contracts import ClientMark
from taxportal.services.returns.records import ClientRow
from taxportal.web.returns.client_rows import client_rows, escape_each

HOSTILE = '<script>alert("x")</script>'


def a_row(**fields: object) -> ClientRow:
    values = {
        "id": 7,
        "tax_year": 2025,
        "return_type": "1040",
        "efile_status": "Accepted",
        "first_name": "Ana",
        "last_name": "García",
        "primary_email": "ana@example.com",
        "secondary_email": "",
        "mobile_phone": "+17065550197",
        "address": "1 Main St",
        "city": "Athens",
        "state": "GA",
        "zip_code": "30601",
        "ssn_last4": "6789",
    }
    portal = fields.pop("portal", None)
    invitation = fields.pop("invitation", None)
    new_uploads = int(fields.pop("new_uploads", 0))  # type: ignore[call-overload]
    values.update(fields)
    return ClientRow(SimpleNamespace(**values), portal, invitation, None, new_uploads)  # type: ignore[arg-type]


def cells(html: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S)


def test_each_cell_shows_its_value_in_the_column_order_of_the_header():
    html = client_rows([a_row()])
    assert cells(html) == [
        "Not Sent",
        "Accepted",
        "",
        "1040",
        "2025",
        "Ana García",
        "ana<wbr>@example.<wbr>com",
        "(706) 555-0197",
        "1 Main St<br>Athens, GA 30601",
        "***-**-6789",
        '<a href="/staff/returns/7/edit">Edit</a> '
        '<a href="/staff/returns/7/documents">Signed Documents</a>',
    ]


def test_a_second_email_and_a_partial_address_share_their_cells():
    html = client_rows([a_row(secondary_email="b.c@d.example", address="", city="")])
    assert cells(html)[6] == "ana<wbr>@example.<wbr>com<br>b.<wbr>c<wbr>@d.<wbr>example"
    assert cells(html)[8] == "GA 30601"


@pytest.mark.parametrize(
    "field",
    ["efile_status", "first_name", "last_name", "primary_email", "address", "city", "zip_code"],
)
def test_markup_in_any_text_is_shown_as_text(field):
    html = client_rows([a_row(), a_row(**{field: HOSTILE}), a_row()])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    # the rows around the hostile one are whole: nothing shifted into the wrong cell
    assert html.count("<tr>") == 3 and html.count("García") == (2 if field == "last_name" else 3)
    assert [cells(part)[7] for part in html.split("</tr>")[:3]] == ["(706) 555-0197"] * 3


def test_a_text_holding_nul_is_still_escaped_and_keeps_every_other_cell_in_place():
    html = client_rows([a_row(first_name="a\0<b>"), a_row(last_name="O'Brien & Sons")])
    assert "a\0&lt;b&gt;" in html and "O&#39;Brien &amp; Sons" in html
    assert len(cells(html)) == 22


def test_format_characters_stay_literal():
    html = client_rows([a_row(first_name="{id} %s {}", city="%(x)s")])
    assert "<td>{id} %s {} García</td>" in html and "<br>%(x)s, GA 30601</td>" in html


def test_uploads_cell_shows_new_files_or_the_portal_documents_link_or_nothing():
    portal = SimpleNamespace(id=3)
    new, seen, none = client_rows(
        [a_row(portal=portal, new_uploads=2), a_row(portal=portal), a_row()]
    ).split("</tr>")[:3]
    assert 'aria-label="View Documents: 2 new">2 new</a>' in new
    assert '<a href="/staff/returns/7/uploads">View Documents</a>' in seen
    assert cells(none)[2] == ""


def test_plugin_marks_follow_the_name_escaped_and_only_on_their_portal():
    hostile = ClientMark('<b>2 "unread"</b>', '/x"><script>', "")
    marks = {3: [ClientMark("1 unread", "/staff/messages/3", "1 unread message"), hostile]}
    marked, other, none = client_rows(
        [a_row(portal=SimpleNamespace(id=3)), a_row(portal=SimpleNamespace(id=4)), a_row()],
        marks,
    ).split("</tr>")[:3]
    assert cells(marked)[5] == (
        'Ana García <a class="badge-new" href="/staff/messages/3" aria-label="1 unread message">'
        '1 unread</a> <a class="badge-new" href="/x&#34;&gt;&lt;script&gt;" aria-label='
        '"&lt;b&gt;2 &#34;unread&#34;&lt;/b&gt;">&lt;b&gt;2 &#34;unread&#34;&lt;/b&gt;</a>'
    )
    assert "badge-new" not in cells(other)[5] and "badge-new" not in cells(none)[5]


def test_email_sent_says_how_the_link_went_and_a_missing_ssn_shows_nothing():
    by_email = SimpleNamespace(channel="email", sent_at=1)
    by_text = SimpleNamespace(channel="sms", sent_at=1)
    html = client_rows([a_row(invitation=by_email), a_row(invitation=by_text, ssn_last4="")])
    first, second = html.split("</tr>")[:2]
    assert cells(first)[0] == "Sent" and cells(second)[0] == "Sent (text)"
    assert cells(second)[9] == ""


def test_no_rows_is_no_markup():
    assert client_rows([]) == ""
    assert escape_each([]) == []


def test_a_rendered_file_viewer_frees_its_rows_without_waiting_for_the_garbage_collector():
    """A macro defined in the page tied its context (and the 50 rows) into a reference
    cycle: under load the collector then ran on every request and paused for up to 60 ms."""
    import gc
    import weakref

    import aiohttp_jinja2
    from aiohttp import web

    from taxportal.services.returns.records import ClientPage
    from taxportal.web.rendering import setup_templates

    app = web.Application()
    setup_templates(app, [])
    template = aiohttp_jinja2.get_env(app).get_template("staff/clients.html")
    page = ClientPage([a_row(), a_row(id=8)], total=2, page=1, per_page=50)
    freed = weakref.ref(page)
    context = {
        "result": page,
        "client_rows": client_rows,
        "search": "ana",
        "year": 2025,
        "sort": "last_name",
        "descending": False,
        "years": [2025],
        "flash": "",
        "firm_name": "Firm",
        "firm": SimpleNamespace(name="Firm"),
        "account": None,
        "staff": SimpleNamespace(email="a@example.com", role="admin", id=1),
        "csrf_field": "csrf_token",
        "csrf_token": "t",
        "nav_items": [],
        "request_path": "/staff/",
        "lang": "en",
        "languages": {"en": "English"},
    }
    gc.collect()
    gc.disable()
    try:
        html = template.render(context)
        del page, context
        assert freed() is None
    finally:
        gc.enable()
    assert 'aria-sort="ascending">Last Name ▲</a>' in html and "2 returns" in html
    assert "?q=ana&year=2025&sort=first_name&dir=asc" in html
