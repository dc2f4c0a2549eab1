"""The Sign pages over HTTP: the way through what is missing, Sign, Signed!, replays, 404s."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from taxportal.models import SignedCopy
from tests.signing_pdf.documents import form_8879
from tests.signing_step.conftest import (
    consent_to_sign,
    draw,
    pass_identity,
    ready_portal,
    send,
    view,
)
from tests.support import csrf_from

FILES = "/portal/preparer-files"


async def location(client, path: str) -> tuple[str, dict[str, list[str]]]:
    response = await client.get(path, allow_redirects=False)
    assert response.status == 303, (path, response.status)
    where = urlsplit(response.headers["Location"])
    return where.path, parse_qs(where.query)


async def test_sign_leads_through_each_missing_step_then_signs(database, signing_client):
    r = await ready_portal(await signing_client())
    document = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    page = await (await r.client.get(FILES)).text()
    sign_path = f"{FILES}/{document.id}/sign/taxpayer"
    assert "Taxpayer Sign Document" in page and f'href="{sign_path}"' in page
    assert "Spouse Sign Document" not in page  # only the taxpayer was asked
    back = {"role": ["taxpayer"], "next": [sign_path]}
    assert await location(r.client, sign_path) == ("/portal/signing/consent", back)
    await consent_to_sign(r, "taxpayer")
    assert await location(r.client, sign_path) == ("/portal/signing/identity", back)
    await pass_identity(r, "taxpayer")
    assert await location(r.client, sign_path) == (
        "/portal/signature/taxpayer",
        {"next": [sign_path]},
    )
    drawing = await (await r.client.get(f"/portal/signature/taxpayer?next={sign_path}")).text()
    assert f'href="{sign_path}"' in drawing  # Back returns to the Sign page
    await draw(r, "taxpayer")
    text = await (await r.client.get(sign_path)).text()
    assert "Open the document with View and read it before you sign it." in text
    token = await csrf_from(r.client, sign_path)
    refused = await r.client.post(sign_path, data={"csrf_token": token}, allow_redirects=False)
    assert refused.status == 409 and not await SignedCopy.exists()
    await view(r, document.id)
    text = await (await r.client.get(sign_path)).text()
    assert "By choosing Sign, I sign this document electronically" in text
    assert "Sherry" in text  # the signer's name beside the signature on file
    signed = await r.client.post(sign_path, data={"csrf_token": token}, allow_redirects=False)
    assert signed.status == 303
    assert signed.headers["Location"] == f"{FILES}?signed={document.id}#doc-{document.id}"
    page = await (await r.client.get(FILES + f"?signed={document.id}")).text()
    assert "Signed!" in page and f'href="{sign_path}"' not in page
    # a replayed Sign (a double tap, the back button) signs nothing twice
    again = await r.client.post(sign_path, data={"csrf_token": token}, allow_redirects=False)
    assert again.status == 303 and await SignedCopy.filter(document_id=document.id).count() == 1
    assert (await r.client.get(sign_path, allow_redirects=False)).status == 303


async def test_sign_without_csrf_or_of_others_is_refused(database, signing_client):
    r = await ready_portal(await signing_client())
    document = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    sign_path = f"{FILES}/{document.id}/sign/taxpayer"
    assert (await r.client.post(sign_path, data={})).status == 403
    for path in (
        f"{FILES}/{document.id}/sign/spouse",  # the spouse was not asked
        f"{FILES}/{document.id + 1}/sign/taxpayer",
        f"{FILES}/99999999999999999999/sign/taxpayer",
        f"{FILES}/{document.id}/sign/preparer",
    ):
        assert (await r.client.get(path, allow_redirects=False)).status == 404, path
    token = await csrf_from(r.client, FILES)
    response = await r.client.post(
        f"{FILES}/{document.id + 1}/sign/taxpayer", data={"csrf_token": token}
    )
    assert response.status == 404
    await r.client.post("/portal/logout", data={"csrf_token": token})
    response = await r.client.get(sign_path, allow_redirects=False)
    assert response.status in (302, 303) and "/portal/login" in response.headers["Location"]
