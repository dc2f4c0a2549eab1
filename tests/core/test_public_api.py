"""What a plugin author sees of `taxportal.api`: guards that answer as the core's pages do,
the portal and console frames with the menus from the nav items hook in both languages,
the access check, activity, notices in the taxpayer's channel and language, and settings."""

from __future__ import annotations

import re

import pytest

from taxportal.api import ConfigError, DeliveryError, notify_staff, notify_taxpayer
from taxportal.config import load_config
from taxportal.models import ActivityEntry, Portal, TaxpayerAccount
from taxportal.plugins import Plugins, build_plugin_manager
from taxportal.services.accounts import staff as staff_service
from tests.accounts.journey import (
    invited,
    newest_email,
    newest_sms_text,
    register,
    registered_and_verified,
)
from tests.core.api_plugin import ApiSamplePlugin, SampleSettings, message_notice
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD, sign_in

SIDEBAR = re.compile(r'<nav class="sidebar"[^>]*>(.*?)</nav>', re.S)


def sidebar_of(page: str) -> list[str]:
    match = SIDEBAR.search(page)
    assert match, page[:500]
    return re.findall(r"<a [^>]*>([^<]+)</a>", match.group(1))


async def test_portal_guard_answers_as_the_cores_pages_do(build_app, client_for):
    client = await client_for(await build_app(ApiSamplePlugin()))
    for path in ("/portal/messages", "/portal/"):  # the plugin's page and the core's
        response = await client.get(path, allow_redirects=False)
        assert (response.status, response.headers["Location"]) == (303, "/portal/login")
    assert (await register(client, await invited(client))).status == 303  # no code yet
    for path in ("/portal/messages", "/portal/"):
        response = await client.get(path, allow_redirects=False)
        assert (response.status, response.headers["Location"]) == (303, "/portal/verify")


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Home", "My Files", "Preparer Files", "Messages", "Change password"]),
        ("es", ["Inicio", "Mis archivos", "Archivos del preparador", "Mensajes"]),
    ],
)
async def test_a_plugin_page_in_the_portal_frame_with_its_nav_item(
    build_app, client_for, language, words
):
    client = await client_for(await build_app(ApiSamplePlugin()))
    await registered_and_verified(client, language)
    response = await client.get("/portal/messages")
    page = await response.text()
    assert response.status == 200
    assert sidebar_of(page)[: len(words)] == words  # core items and the plugin's, by order
    assert '<a href="/portal/messages" aria-current="page">' in page
    title = "Mensajes" if language == "es" else "Messages"
    assert f"<title>{title} · Evans Tax Service</title>" in page
    greeting = "Hable con su preparador" if language == "es" else "Talk to your preparer"
    assert greeting in page and f'<html lang="{language}">' in page
    assert re.search(r'name="csrf_token" value="[^"]+"', page)
    account = await TaxpayerAccount.get(username_key="sherry")
    portal = await Portal.get(id=account.portal_id)  # type: ignore[attr-defined]
    assert f"portal {portal.id} return {portal.tax_return_id} Sherry {language}" in page  # type: ignore[attr-defined]
    entry = await ActivityEntry.filter(action="sample_messages_viewed").first()
    assert entry is not None and entry.actor == f"taxpayer:{account.id}"
    assert entry.subject == f"portal:{portal.id}"
    home = await (await client.get("/portal/")).text()
    assert title in sidebar_of(home) and '<a href="/portal/" aria-current="page">' in home


async def test_without_a_messaging_plugin_there_is_no_messages_item_or_page(build_app, client_for):
    client = await client_for(await build_app())
    await registered_and_verified(client)
    home = await (await client.get("/portal/")).text()
    assert sidebar_of(home) == ["Home", "My Files", "Preparer Files", "Change password"]
    assert (await client.get("/portal/messages")).status == 404


async def test_the_access_check_hides_another_portals_files(build_app, client_for):
    client = await client_for(await build_app(ApiSamplePlugin()))
    await registered_and_verified(client)
    account = await TaxpayerAccount.get(username_key="sherry")
    own = await client.get(f"/sample/portals/{account.portal_id}/files")  # type: ignore[attr-defined]
    assert own.status == 200
    other = await client.get(f"/sample/portals/{account.portal_id + 1}/files")  # type: ignore[attr-defined]
    assert other.status == 404


async def test_console_guards_and_frame(build_app, client_for, core_of):
    client = await client_for(await build_app(ApiSamplePlugin()))
    for path in ("/staff/sample", "/staff/users"):  # the plugin's admin page and the core's
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303
        assert response.headers["Location"] == f"/staff/login?next={path}"
    await staff_service.add_staff(core_of(client), ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
    await staff_service.add_staff(core_of(client), "prep@example.com", ADMIN_PASSWORD, "preparer")
    await sign_in(client)
    page = await (await client.get("/staff/sample")).text()
    assert "<h1>Sample admin</h1>" in page and ADMIN_EMAIL in page
    assert '<a href="/staff/sample" aria-current="page">Sample admin</a>' in page
    assert page.index(">My settings<") < page.index(">Sample admin<")  # by order
    assert '<a href="/staff/users">Staff</a>' in page

    preparer = await client_for(client.app)
    await sign_in(preparer, "prep@example.com", ADMIN_PASSWORD)
    for path in ("/staff/sample", "/staff/users"):
        assert (await preparer.get(path)).status == 403
    menu = await (await preparer.get("/staff/")).text()
    assert "Sample admin" not in menu and '"/staff/users"' not in menu  # admin-only items


async def test_notify_taxpayer_uses_their_channel_and_language(build_app, client_for, core_of):
    client = await client_for(await build_app(ApiSamplePlugin()))
    await registered_and_verified(client, "es")
    core = core_of(client)
    account = await TaxpayerAccount.get(username_key="sherry")
    portal_id = account.portal_id  # type: ignore[attr-defined]

    receipt = await notify_taxpayer(core, portal_id, message_notice, purpose="sample")
    assert receipt.channel == "email"  # the account's default choice
    mail = newest_email(client)
    assert mail["To"] == "sherry@example.com" and mail["Subject"] == "Un mensaje nuevo"
    assert "Su preparador le escribió." in mail.get_body(("plain",)).get_content()

    await TaxpayerAccount.filter(id=account.id).update(notify_channel="sms", language="en")
    receipt = await notify_taxpayer(core, portal_id, message_notice, purpose="sample")
    assert receipt.channel == "sms" and newest_sms_text(client) == "Your preparer wrote to you."

    with pytest.raises(DeliveryError):
        await notify_taxpayer(core, portal_id + 1, message_notice, purpose="sample")
    admin = await staff_service.add_staff(core, ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
    assert (await notify_staff(core, admin.id, message_notice, purpose="sample")).channel == "email"
    assert newest_email(client)["Subject"] == "A new message"


def settings_of(tmp_path, **env: str) -> Plugins:
    values = {"TAXPORTAL_SERVER__DATA_DIR": str(tmp_path), **env}
    config = load_config(path=None, env=values)
    plugins = Plugins(build_plugin_manager(config, [ApiSamplePlugin()]), config)
    plugins.validate_settings()
    return plugins


def test_plugin_settings_are_validated_and_typed(tmp_path):
    from taxportal.api import plugin_settings

    config = settings_of(tmp_path, TAXPORTAL_API_SAMPLE__MAX_MESSAGES="5").config
    settings = plugin_settings(config, "api_sample", SampleSettings)
    assert settings.max_messages == 5 and settings.greeting == "Talk to your preparer"
    with pytest.raises(ConfigError, match=r"api_sample.*max_messages"):
        settings_of(tmp_path, TAXPORTAL_API_SAMPLE__MAX_MESSAGES="0")
    with pytest.raises(ConfigError, match="not declared"):
        plugin_settings(config, "nobody", SampleSettings)


def test_a_plugins_catalog_falls_back_to_the_cores_and_counts_plurals():
    from pathlib import Path

    from taxportal.api import NavItem, Translations

    catalog = Translations(Path(__file__).parent / "api_plugin" / "locale")
    assert catalog.gettext("es", "A new message") == "Un mensaje nuevo"  # the plugin's own
    assert catalog.gettext("es", "Sign out") == "Cerrar sesión"  # the core's
    assert catalog.gettext("en", "A new message") == "A new message"
    assert catalog.ngettext("en", "%(num)d file", "%(num)d files", 2) == "2 files"
    item = NavItem("Portals", "/staff/portals", match="prefix")
    assert item.is_current("/staff/portals/7") and item.is_current("/staff/portals")
    assert not item.is_current("/staff/portalsx") and not NavItem("H", "/a").is_current("/a/b")
    assert NavItem("Home", "/portal/", "taxpayer").text("es") == "Inicio"
