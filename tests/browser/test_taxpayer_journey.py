"""The taxpayer's journey in a real browser, on a phone: from the invitation the preparer sends
to Home, in English and in Spanish, and with the keyboard alone.

The preparer creates the portal in the console (desktop page); the test reads the link and the
security codes from the outbox (<data dir>/outbox/email/*.eml and sms/*.json), as a firm
without a mail server or SMS provider would. Each test has its own seeded client: a code
resend waits 60 s and wrong codes lock, so nothing is shared.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import EmailMessage
from functools import partial
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.harness import (
    FIRM_NAME,
    TAXPAYER_EN,
    TAXPAYER_ES,
    TAXPAYER_KEYS,
    Account,
    Client,
    PortalServer,
)
from tests.browser.ui import create_portal, horizontal_overflow, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

PASSWORD = "tax-Season1!"  # typed in three parts so the rules can be seen ticking off
MET = re.compile(r"\bmet\b")

# What the taxpayer reads, per language (the Spanish from locale/es/LC_MESSAGES/messages.po).
WORDS = {
    "en": {
        "register": "Register Your Account",
        "user_name": "User Name",
        "password": "Password",
        "email": "Email",
        "phone": "Phone Number",
        "last_name": "Last Name",
        "ssn_last4": "Last Four Of your SSN",
        "lower_rule": "One lowercase character",
        "upper_rule": "One uppercase character",
        "register_button": "Register",
        "verify": "Verify Account",
        "send_text": "Send Text: {}",
        "send_email": "Send Email: {}",
        "sent": "Code sent - please check your account for your personalized Security Code.",
        "code": "Security Code",
        "verify_button": "Verify",
        "welcome": "Welcome, {}",
        "my_files": "My Files",
        "preparer_files": "Files From My Preparer",
        "uploaded": "0 Files Uploaded",
        "files_sent": "0 Files Sent",
        "sign_out": "Sign out",
        "signed_out": "You have signed out.",
        "sign_in_heading": "Sign in to your portal",
        "sign_in": "Sign in",
        "invitation_subject": "Your secure portal has been created",
        "invitation_hello": "Hello {},",
        "code_text": "{} security code: ",
    },
    "es": {
        "register": "Registre su cuenta",
        "user_name": "Nombre de usuario",
        "password": "Contraseña",
        "email": "Correo electrónico",
        "phone": "Número de teléfono",
        "last_name": "Apellido",
        "ssn_last4": "Últimos cuatro dígitos de su SSN",
        "lower_rule": "Una letra minúscula",
        "upper_rule": "Una letra mayúscula",
        "register_button": "Registrarme",
        "verify": "Verificar cuenta",
        "send_text": "Enviar texto: {}",
        "send_email": "Enviar correo: {}",
        "sent": (
            "Código enviado: por favor, revise su cuenta para ver su código de "
            "seguridad personalizado."
        ),
        "code": "Código de seguridad",
        "verify_button": "Verificar",
        "welcome": "Le damos la bienvenida, {}",
        "my_files": "Mis archivos",
        "preparer_files": "Archivos de mi preparador",
        "uploaded": "0 archivos subidos",
        "files_sent": "0 archivos enviados",
        "sign_out": "Cerrar sesión",
        "signed_out": "Ha cerrado sesión.",
        "sign_in_heading": "Inicie sesión en su portal",
        "sign_in": "Iniciar sesión",
        "invitation_subject": "Su portal seguro ha sido creado",
        "invitation_hello": "Hola, {}:",
        "code_text": "Código de seguridad de {}: ",
    },
}


def masked_phone(client: Client) -> str:
    """'(706) 555-0197' -> '70****97', as the Verify Account page shows it."""
    digits = client.e164[2:]
    return f"{digits[:2]}****{digits[-2:]}"


def masked_email(client: Client) -> str:
    """'sherry@example.com' -> 'she****@com'."""
    local, _, domain = client.primary_email.lower().partition("@")
    return f"{local[:3]}****@{domain.rsplit('.', 1)[-1]}"


async def focus_name(page: Page) -> str:
    """The id of the element with keyboard focus, else its text."""
    return str(
        await page.evaluate(
            "() => { const e = document.activeElement; return e.id || e.textContent.trim(); }"
        )
    )


async def shot(page: Page, folder: Path, name: str) -> None:
    """The page fits the phone's width (no sideways scroll); then a full-page screenshot."""
    assert await horizontal_overflow(page) == 0, f"{name} scrolls sideways at 360 px"
    await page.screenshot(path=folder / f"taxpayer-{name}-phone.png", full_page=True)


async def invite_by_email(
    page: Page, server: PortalServer, client: Client, preparer: Account
) -> tuple[EmailMessage, str]:
    """The preparer creates the portal by email; the invitation's link, from the outbox."""
    await sign_in(page, preparer)
    await create_portal(page, client, "Email")
    [message] = server.emails_to(client.primary_email.lower())
    return message, server.invitation_link(message.get_body(("plain",)).get_content())


async def register(page: Page, client: Client, words: dict[str, str], username: str) -> None:
    """Types the Register Your Account form on the phone, watching the password rules."""
    await expect(page.get_by_role("heading", name=words["register"])).to_be_visible()
    rules = page.locator("#password-rules li[data-pattern]")
    lower = rules.filter(has_text=words["lower_rule"])
    upper = rules.filter(has_text=words["upper_rule"])
    await expect(upper).not_to_have_class(MET)

    await page.get_by_label(words["user_name"], exact=True).press_sequentially(username)
    password = page.get_by_label(words["password"], exact=True)
    await password.press_sequentially(PASSWORD[:3])  # "tax": lowercase only
    await expect(lower).to_have_class(MET)
    await expect(upper).not_to_have_class(MET)
    await password.press_sequentially(PASSWORD[3:5])  # "-S": the uppercase rule ticks off
    await expect(upper).to_have_class(MET)
    await password.press_sequentially(PASSWORD[5:])
    for index in range(await rules.count()):
        await expect(rules.nth(index)).to_have_class(MET)

    await page.get_by_label(words["email"], exact=True).press_sequentially(client.primary_email)
    await page.get_by_label(words["phone"], exact=True).press_sequentially(client.mobile_phone)
    await page.get_by_label(words["last_name"], exact=True).press_sequentially(client.last_name)
    await page.get_by_label(words["ssn_last4"], exact=True).press_sequentially(client.ssn[-4:])


async def pass_code(page: Page, read_code: Callable[[], str], words: dict[str, str]) -> None:
    """Once the page says the code was sent: reads it from the outbox, types it, taps Verify."""
    await expect(page.get_by_role("status")).to_have_text(words["sent"])
    await page.get_by_label(words["code"], exact=True).press_sequentially(read_code())
    await page.get_by_role("button", name=words["verify_button"], exact=True).tap()


async def expect_home(page: Page, client: Client, words: dict[str, str]) -> None:
    await expect(page).to_have_url(re.compile(r"/portal/$"))
    welcome = words["welcome"].format(client.first_name)
    await expect(page.get_by_role("heading", name=welcome, level=1)).to_be_visible()
    mine = page.get_by_role("region", name=words["my_files"])
    await expect(mine).to_contain_text(words["uploaded"])
    theirs = page.get_by_role("region", name=words["preparer_files"])
    await expect(theirs).to_contain_text(words["files_sent"])
    banner = page.get_by_role("banner")
    await expect(banner).to_contain_text(FIRM_NAME)
    await expect(banner).to_contain_text(client.name)
    # The menu's links keep their size (on a phone the menu wraps in rows above the page,
    # and those rows once stretched to fill the screen).
    for link in await page.get_by_role("navigation").get_by_role("link").all():
        box = await link.bounding_box()
        assert box is not None and 40 <= box["height"] <= 50, (await link.inner_text(), box)


async def sign_out(page: Page, words: dict[str, str]) -> None:
    await page.get_by_role("button", name=words["sign_out"]).tap()
    await expect(page).to_have_url(re.compile(r"/portal/login\?signed_out=1$"))
    await expect(page.get_by_role("status")).to_have_text(words["signed_out"])


async def taxpayer_sign_in(page: Page, username: str, words: dict[str, str]) -> None:
    await expect(page.get_by_role("heading", name=words["sign_in_heading"])).to_be_visible()
    await page.get_by_label(words["user_name"], exact=True).fill(username)
    await page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=words["sign_in"], exact=True).tap()


async def test_taxpayer_registers_and_verifies_on_a_phone_in_english(
    desktop: Page,
    phone: Page,
    open_page,  # type: ignore[no-untyped-def]
    portal_server: PortalServer,
    preparer: Account,
    screenshots: Path,
) -> None:
    client, words, username = TAXPAYER_EN, WORDS["en"], "sherry.nunez"
    message, link = await invite_by_email(desktop, portal_server, client, preparer)
    assert message["Subject"] == words["invitation_subject"]

    page = phone
    await page.goto(link)
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await register(page, client, words, username)
    await shot(page, screenshots, "register")
    await page.get_by_role("button", name=words["register_button"], exact=True).tap()

    await expect(page.get_by_role("heading", name=words["verify"])).to_be_visible()
    await expect(page).to_have_url(re.compile(r"/portal/verify$"))
    send_email = page.get_by_role("button", name=words["send_email"].format(masked_email(client)))
    await expect(send_email).to_be_visible()
    # Leaving is possible and readable: the link colour on white (it once was white on white).
    cancel = page.get_by_role("button", name="Cancel Verification")
    await expect(cancel).to_have_css("color", "rgb(11, 83, 148)")
    await shot(page, screenshots, "verify")
    await page.get_by_role("button", name=words["send_text"].format(masked_phone(client))).tap()
    await expect(page.get_by_role("status")).to_have_text(words["sent"])
    await shot(page, screenshots, "verify-code-sent")
    [text] = portal_server.texts_to(client.e164)
    assert text["text"].startswith(words["code_text"].format(FIRM_NAME)), text
    await pass_code(page, partial(portal_server.code_texted_to, client.e164), words)

    await expect_home(page, client, words)
    await shot(page, screenshots, "home")

    # Signed out and back in on the same phone: the device is remembered, no code.
    await sign_out(page, words)
    await shot(page, screenshots, "sign-in")
    await taxpayer_sign_in(page, username, words)
    await expect_home(page, client, words)
    assert len(portal_server.texts_to(client.e164)) == 1

    # Another browser: the password is not enough, a code must come again (by email here).
    other = await open_page("phone")
    await other.goto("/portal/login")
    await taxpayer_sign_in(other, username.upper(), words)  # user names ignore case
    await expect(other.get_by_role("heading", name=words["verify"])).to_be_visible()
    await other.goto("/portal/")
    await expect(other).to_have_url(re.compile(r"/portal/verify$"))  # no Home before the code
    await other.get_by_role("button", name=words["send_email"].format(masked_email(client))).tap()
    await pass_code(other, partial(portal_server.code_emailed_to, client.primary_email), words)
    assert len(portal_server.emails_to(client.primary_email)) == 2  # the invitation, the code
    await expect_home(other, client, words)
    assert await horizontal_overflow(other) == 0


async def test_taxpayer_registers_and_verifies_on_a_phone_in_spanish(
    desktop: Page,
    phone: Page,
    open_page,  # type: ignore[no-untyped-def]
    portal_server: PortalServer,
    preparer: Account,
    screenshots: Path,
) -> None:
    client, words, username = TAXPAYER_ES, WORDS["es"], "lucia.h"
    message, link = await invite_by_email(desktop, portal_server, client, preparer)
    # The return's preferred language is Spanish: so is the invitation.
    assert message["Subject"] == words["invitation_subject"]
    body = message.get_body(("plain",)).get_content()
    assert body.startswith(words["invitation_hello"].format(client.first_name)), body

    page = phone  # its browser asks for English (Accept-Language): the return's language wins
    await page.goto(link)
    await expect(page.locator("html")).to_have_attribute("lang", "es")
    await register(page, client, words, username)
    await shot(page, screenshots, "register-es")
    await page.get_by_role("button", name=words["register_button"], exact=True).tap()

    await expect(page.get_by_role("heading", name=words["verify"])).to_be_visible()
    await shot(page, screenshots, "verify-es")
    await page.get_by_role("button", name=words["send_text"].format(masked_phone(client))).tap()
    await expect(page.get_by_role("status")).to_have_text(words["sent"])
    [text] = portal_server.texts_to(client.e164)
    assert text["text"].startswith(words["code_text"].format(FIRM_NAME)), text
    await pass_code(page, partial(portal_server.code_texted_to, client.e164), words)
    await expect_home(page, client, words)
    await expect(page.locator("html")).to_have_attribute("lang", "es")
    await shot(page, screenshots, "home-es")

    # The switch changes the language at once and is remembered on the next page.
    await page.get_by_role("button", name="English").tap()
    await expect_home(page, client, WORDS["en"])
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.get_by_role("navigation").get_by_role("link", name="My Files").tap()
    await expect(page.get_by_role("heading", name="My Files", level=1)).to_be_visible()
    await expect(page.get_by_role("button", name="Upload Documents")).to_be_visible()
    await page.get_by_role("button", name="Español").tap()
    await expect(page).to_have_url(re.compile(r"/portal/files$"))  # the same page, in Spanish
    await expect(page.get_by_role("heading", name="Mis archivos", level=1)).to_be_visible()
    await page.get_by_role("navigation").get_by_role("link", name="Inicio").tap()
    await expect_home(page, client, words)

    await sign_out(page, words)  # the sign-in page remembers the choice too
    await shot(page, screenshots, "sign-in-es")
    await taxpayer_sign_in(page, username, words)
    await expect_home(page, client, words)

    # Another browser (asking for English) starts in English; the switch is remembered
    # through sign-in and the code.
    other = await open_page("phone")
    await other.goto("/portal/login")
    await expect(other.get_by_role("heading", name=WORDS["en"]["sign_in_heading"])).to_be_visible()
    await other.get_by_role("button", name="Español").tap()
    await expect(other.locator("html")).to_have_attribute("lang", "es")
    await taxpayer_sign_in(other, username, words)
    await expect(other.get_by_role("heading", name=words["verify"])).to_be_visible()
    await other.get_by_role("button", name=words["send_text"].format(masked_phone(client))).tap()
    await pass_code(other, partial(portal_server.code_texted_to, client.e164), words)
    await expect_home(other, client, words)


async def test_registration_and_verification_with_the_keyboard_only(
    desktop: Page,
    open_page,  # type: ignore[no-untyped-def]
    portal_server: PortalServer,
    preparer: Account,
) -> None:
    client, words, username = TAXPAYER_KEYS, WORDS["en"], "kevin.tabor"
    await sign_in(desktop, preparer)
    await create_portal(desktop, client, "Phone")  # this time the invitation is a text
    [invitation] = portal_server.texts_to(client.e164)
    link = portal_server.invitation_link(invitation["text"])

    page = await open_page("desktop")
    await page.goto(link)
    await expect(page.get_by_role("heading", name=words["register"])).to_be_visible()
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    stops = []
    for _ in range(6):  # past the language switch to the first field
        await page.keyboard.press("Tab")
        stops.append(await focus_name(page))
        if stops[-1] == "username":
            break
    assert stops == ["English", "Español", "username"], stops
    # The focused field shows it: the focus ring of app.css.
    ring = await page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert ring != "none", ring

    upper = page.locator("#password-rules li").filter(has_text=words["upper_rule"])
    for field, value in (
        ("username", username),
        ("password", PASSWORD),
        ("email", ""),  # the phone is enough to match the return
        ("phone", client.mobile_phone),
        ("last_name", client.last_name),
        ("ssn_last4", client.ssn[-4:]),
    ):
        assert await focus_name(page) == field, (field, await focus_name(page))
        await page.keyboard.type(value)
        if field == "password":
            await expect(upper).to_have_class(MET)
        if field != "ssn_last4":
            await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")  # submits the form from its last field

    await expect(page.get_by_role("heading", name=words["verify"])).to_be_visible()
    send_text = page.get_by_role("button", name=words["send_text"].format(masked_phone(client)))
    for _ in range(10):
        if await send_text.evaluate("e => e === document.activeElement"):
            break
        await page.keyboard.press("Tab")
    await expect(send_text).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_have_text(words["sent"])
    await expect(page.get_by_label(words["code"], exact=True)).to_be_focused()  # autofocus
    await page.keyboard.type(portal_server.code_texted_to(client.e164))  # after "sent"
    await page.keyboard.press("Enter")
    await expect_home(page, client, words)
