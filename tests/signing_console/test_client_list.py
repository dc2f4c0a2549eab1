"""The client list's short signing status: right words, one bounded statement for the page."""

from __future__ import annotations

import re
from typing import Any

from taxportal import sql as sql_module
from taxportal.models import Portal, TaxReturn
from taxportal.services.documents import preparer
from taxportal.services.returns import client_list
from tests.signing_console.conftest import signs
from tests.signing_pdf.documents import form_8879, plain_document
from tests.signing_step.conftest import chunks, ready_to_sign, send


def status_of(html: str, return_id: int) -> str:
    """The signing badge beside the return's "Signed Documents" link ("" when none)."""
    match = re.search(
        rf'href="/staff/returns/{return_id}/documents">Signed Documents</a>(.*?)</td>', html
    )
    assert match, html
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


async def test_the_file_viewer_says_what_is_left_to_sign(database, console):
    c = await console()
    r = c.r
    assert status_of(await (await c.staff.get("/staff/")).text(), r.return_id) == ""
    form = await send(r, "Form 8879.pdf", form_8879(), "taxpayer", "spouse")
    letter = await send(r, "Letter.pdf", plain_document(), "taxpayer")
    await send(r, "Copy.pdf", plain_document(pages=1))  # no signature asked
    assert status_of(await (await c.staff.get("/staff/")).text(), r.return_id) == "3 to sign"
    await ready_to_sign(r, "taxpayer", form.id, letter.id)
    await signs(r, form.id, "taxpayer")
    await signs(r, letter.id, "taxpayer")
    assert status_of(await (await c.staff.get("/staff/")).text(), r.return_id) == "1 to sign"
    await ready_to_sign(r, "spouse", form.id)
    await signs(r, form.id, "spouse")
    assert status_of(await (await c.staff.get("/staff/")).text(), r.return_id) == "Signed"
    # a new version asks again: the voided request is not counted, the new one is
    await send(r, "Letter.pdf", plain_document(pages=3), "taxpayer")
    assert status_of(await (await c.staff.get("/staff/")).text(), r.return_id) == "1 to sign"


async def test_the_page_reads_every_rows_status_in_its_one_statement(
    database, console, monkeypatch
):
    c = await console()
    await send(c.r, "Form 8879.pdf", form_8879(), "taxpayer", "spouse")
    statements: list[str] = []
    real = sql_module.Sql.rows

    async def counted(self: Any, statement: str) -> Any:
        statements.append(statement)
        return await real(self, statement)

    monkeypatch.setattr(sql_module.Sql, "rows", counted)
    first = await client_list.page()
    few = len(statements)
    assert [row.to_sign for row in first.rows if row.tax_return.id == c.r.return_id] == [2]
    monkeypatch.setattr(sql_module.Sql, "rows", real)
    for n in range(6):  # more clients, each with documents waiting for signatures
        tax_return = await TaxReturn.create(
            tax_year=2025,
            first_name="Client",
            last_name=f"Number {n}",
            primary_email=f"c{n}@x.test",
        )
        await Portal.create(tax_return=tax_return)
        for name in ("A.pdf", "B.pdf"):
            added = await preparer.add(
                c.core, c.r.staff, tax_return.id, name, chunks(plain_document())
            )
            await preparer.send(
                c.core, c.r.staff, tax_return.id, [preparer.Pick(added.id, ("taxpayer",))]
            )
    statements.clear()
    monkeypatch.setattr(sql_module.Sql, "rows", counted)
    page = await client_list.page()
    assert len(statements) == few <= 4  # the same statements for 7 rows as for 1
    assert sorted(row.signing for row in page.rows) == ["2 to sign"] * 7
    assert sum("signature_request" in s for s in statements) == 1
