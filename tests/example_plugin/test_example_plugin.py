"""The example plugin end to end, through nothing but ``taxportal.testing``."""

from __future__ import annotations

from pathlib import Path

from taxportal.testing.portal import portal_app
from tests.example_plugin.plugin import JOB_KIND, PAGE, ExamplePlugin


async def test_the_nav_item_and_page_show_in_english_and_spanish(tmp_path: Path) -> None:
    async with portal_app(tmp_path, ExamplePlugin()) as portal:
        for language, word, intro in (
            ("en", "Receipts", "We tell you each time we receive a file from you, Sherry."),
            ("es", "Recibos", "Le avisamos cada vez que recibimos un archivo suyo, Sherry."),
        ):
            browser = await portal.signed_in_taxpayer(language)
            home = await (await browser.get("/portal/")).text()
            assert f'href="{PAGE}"' in home and word in home
            page = await browser.get(PAGE)
            html = await page.text()
            assert page.status == 200 and intro in html
            assert 'href="/portal/files"' in html  # inside the portal frame, with its sidebar


async def test_the_page_is_guarded(tmp_path: Path) -> None:
    async with portal_app(tmp_path, ExamplePlugin()) as portal:
        stranger = await portal.browser()
        response = await stranger.get(PAGE, allow_redirects=False)
        assert response.status in (302, 303)
        assert response.headers["Location"].startswith("/portal/login")


async def test_an_upload_schedules_a_job_that_tells_the_taxpayer(tmp_path: Path) -> None:
    async with portal_app(tmp_path, ExamplePlugin()) as portal:
        browser = await portal.signed_in_taxpayer("es", notify_by="sms")
        texts_before = len(portal.texts())
        file_id = await portal.upload(browser, "W-2.pdf")
        jobs = await portal.jobs(JOB_KIND)
        assert [job["payload"]["file_id"] for job in jobs] == [file_id]
        assert await portal.activity("example_file_acknowledged") == []

        assert await portal.run_jobs() >= 1
        texts = portal.texts()
        assert len(texts) == texts_before + 1
        assert texts[-1]["text"] == "Recibimos su archivo. Su preparador lo revisará."
        assert texts[-1]["to"].endswith("0197")
        [entry] = await portal.activity("example_file_acknowledged")
        assert entry["detail"]["file_id"] == file_id and entry["subject"].startswith("portal:")
        assert await portal.jobs(JOB_KIND) == []  # done


async def test_the_notice_goes_by_email_in_english_when_chosen(tmp_path: Path) -> None:
    async with portal_app(tmp_path, ExamplePlugin()) as portal:
        browser = await portal.signed_in_taxpayer("en", notify_by="email")
        await portal.upload(browser)
        await portal.run_jobs()
        mail = portal.newest_email()
        assert mail["Subject"] == "We received your file"
        assert "Your preparer will review it." in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_creating_a_portal_is_heard(tmp_path: Path) -> None:
    async with portal_app(tmp_path, ExamplePlugin()) as portal:
        portal_id, _ = await portal.invite_taxpayer()
        [entry] = await portal.activity("example_portal_seen")
        assert entry["subject"] == f"portal:{portal_id}"
