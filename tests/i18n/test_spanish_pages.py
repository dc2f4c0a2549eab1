"""Every taxpayer page, email and text message in Spanish: by the browser's Accept-Language, by
the return's language, and by the language switch (remembered, and stronger than the browser)."""

from __future__ import annotations

import datetime as dt

import aiohttp_jinja2
import pytest

from taxportal.i18n import translations
from taxportal.models import Invitation, TaxpayerAccount, TaxReturn
from taxportal.services.accounts import portals as portal_service
from taxportal.services.accounts.password_policy import COMMON_RULE, COMPOSITION_RULES, LENGTH_RULES
from tests.accounts.journey import (
    core,
    form_token,
    invited,
    newest_email,
    newest_sms_text,
    registered_and_verified,
    sign_in,
)
from tests.i18n.catalog import visible_text
from tests.i18n.spanish_walk import (
    ENGLISH_BROWSER,
    SPANISH_BROWSER,
    assert_spanish,
    assert_spanish_page,
    switch_language,
    text_of,
    walk_every_page_in_spanish,
)


async def test_a_spanish_phone_sees_every_page_in_spanish(browser):
    """Accept-Language: es, and the preparer marked the return Spanish."""
    client = await browser(SPANISH_BROWSER)
    await walk_every_page_in_spanish(client, await invited(client, "es"))


async def test_the_language_switch_turns_every_page_spanish(browser):
    """An English browser and an English return: Español once, and Spanish everywhere after."""
    client = await browser(ENGLISH_BROWSER)
    link = await invited(client, "en")
    page = await text_of(client, link)
    assert "Register Your Account" in page and '<html lang="en">' in page
    assert 'value="es" lang="es"' in page and "Español" in page
    await switch_language(client, "es", link)
    await walk_every_page_in_spanish(client, link)


async def test_the_switch_beats_the_browser_both_ways(browser):
    client = await browser(SPANISH_BROWSER)
    assert "Inicie sesión en su portal" in await text_of(client, "/portal/login")
    await switch_language(client, "en", "/portal/login")
    for path, english in (
        ("/portal/login", "Sign in to your portal"),
        ("/portal/forgot-password", "Forgot password"),
        ("/portal/forgot-username", "Forgot user name"),
        ("/no/such/page", "We could not find that page."),
    ):
        page = visible_text(await (await client.get(path)).text())
        assert english in page and "Skip to content" in page, path
        assert "Olvidé" not in page and "Inicie sesión" not in page and "Ir al" not in page
    await switch_language(client, "es", "/portal/forgot-password")
    assert "Olvidé mi contraseña" in await text_of(client, "/portal/forgot-password")
    assert_spanish_page(
        await text_of(client, "/portal/login"),
        english=("Sign in to your portal", "Forgot user name?"),
        spanish=("Inicie sesión en su portal", "¿Olvidó su nombre de usuario?"),
    )


async def test_the_choice_made_signed_in_follows_the_account_to_a_new_browser(browser):
    client = await browser(ENGLISH_BROWSER)
    await registered_and_verified(client, "en")
    assert "Welcome, Sherry" in await text_of(client, "/portal/")
    await switch_language(client, "es", "/portal/")
    assert "Le damos la bienvenida, Sherry" in await text_of(client, "/portal/")
    assert (await TaxpayerAccount.get(username_key="sherry")).language == "es"

    other = await browser(ENGLISH_BROWSER, client.app)
    assert "Sign in to your portal" in await text_of(other, "/portal/login")  # not known yet
    assert (await sign_in(other)).headers["Location"] == "/portal/verify"
    assert_spanish_page(
        await text_of(other, "/portal/verify"),
        english=("Verify Account",),
        spanish=("Verificar cuenta", "Cancelar verificación"),
    )


async def test_spanish_chosen_before_registering_follows_into_the_account_and_its_notices(
    browser,
):
    """Español on the invitation page of an English return: the registration keeps it, so
    the notices sent later (documents waiting, the sign-in reminder) come in Spanish."""
    from taxportal.services.documents.access import Principal
    from taxportal.services.documents.notice import notify_taxpayer
    from tests.accounts.journey import code_in, enter_code, register, send_code

    client = await browser(ENGLISH_BROWSER)
    link = await invited(client, "en")
    await switch_language(client, "es", link)
    assert (await register(client, link)).status == 303
    assert (await send_code(client)).status == 303
    assert "Código de seguridad" in newest_sms_text(client)
    assert (await enter_code(client, code_in(newest_sms_text(client)))).status == 303
    assert (await TaxpayerAccount.get(username_key="sherry")).language == "es"

    tax_return = await TaxReturn.get(first_name="Sherry")
    portal_id = (await TaxpayerAccount.get(username_key="sherry")).portal_id
    staff = Principal(kind="staff", id=1)
    told = await notify_taxpayer(core(client), staff, tax_return, portal_id, count=2, sign=False)
    assert (told.channel, told.problem) == ("email", "")
    assert newest_email(client)["Subject"] == "Nuevos documentos de su preparador"

    await portal_service.invite(core(client), tax_return.id, "email", "test")
    assert newest_email(client)["Subject"] == "Cómo iniciar sesión en su portal"


async def test_a_spanish_return_shows_its_invitation_in_spanish_without_a_header(browser):
    client = await browser(None)
    link = await invited(client, "es", first_name="Ana")
    invitation = newest_email(client)
    assert invitation["Subject"] == "Su portal seguro ha sido creado"
    assert_spanish(
        invitation.get_body(("plain",)).get_content(),
        english=("Hello", "has created a secure portal", "The link works once"),
        spanish=(
            "Hola, Ana:",
            "Evans Tax Service ha creado un portal seguro para usted.",
            "Cree su cuenta con este enlace:",
            "El enlace sirve una sola vez y vence en",
        ),
    )
    html = invitation.get_body(("html",)).get_content()
    assert '<html lang="es">' in html
    assert_spanish(
        visible_text(html),
        english=("Create your account", "Or copy this link", "If you did not expect"),
        spanish=("Crear mi cuenta", "O copie este enlace en su navegador:", "puede ignorarlo"),
    )
    assert_spanish_page(
        await text_of(client, link),
        english=("Register Your Account", "Phone Number", "Register"),
        spanish=("Registre su cuenta", "Número de teléfono", "Registrarme"),
    )

    tax_return = await TaxReturn.get(first_name="Ana")
    await portal_service.invite(core(client), tax_return.id, "sms", "test")
    assert_spanish(
        newest_sms_text(client),
        english=("your secure tax portal is ready", "Create your account"),
        spanish=("Evans Tax Service: su portal seguro de impuestos está listo.", "Cree su cuenta"),
    )


@pytest.mark.parametrize("accept_language", [None, ENGLISH_BROWSER])
async def test_an_expired_link_of_a_spanish_return_explains_itself_in_spanish(
    browser, accept_language
):
    client = await browser(accept_language)
    link = await invited(client, "es")
    await Invitation.all().update(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    page = assert_spanish_page(
        await text_of(client, link, 410),
        english=("This link has expired", "Invitation links work", "Ask for a new link"),
        spanish=(
            "Su invitación al portal",
            "Este enlace venció",
            "Los enlaces de invitación funcionan solo por un tiempo limitado.",
            "Pedir un enlace nuevo",
        ),
    )
    assert "Registre su cuenta" not in page
    token = await form_token(client, link)
    response = await client.post(f"{link}/ask", data={"csrf_token": token})
    assert_spanish_page(
        await response.text(),
        english=("We told", "that you need a new link"),
        spanish=("Le avisamos a Evans Tax Service que usted necesita un enlace nuevo.",),
    )


async def test_the_error_page_of_a_crash_in_spanish_and_the_console_stays_english(browser):
    """error.html for a 500 (with its reference) in Spanish; under /staff/ it stays English."""
    client = await browser(SPANISH_BROWSER)
    env = aiohttp_jinja2.get_env(client.app)
    context = {
        "firm_name": "Evans Tax Service",
        "request_path": "/portal/",
        "lang": "es",
        "status": 500,
        "title": "Something went wrong",
        "detail": "",
        "reference": "1a2b3c4d",
    }
    page = env.get_template("error.html").render(context)
    assert_spanish_page(
        page,
        english=("Something went wrong", "If you contact us", "Go to the start page"),
        spanish=(
            "Algo salió mal",
            "Algo salió mal de nuestra parte. Por favor, vuelva a intentarlo en un momento.",
            "Si se comunica con nosotros, mencione la referencia 1a2b3c4d.",
        ),
    )
    assert "<strong>1a2b3c4d</strong>" in page
    staff = env.get_template("error.html").render({**context, "request_path": "/staff/portals"})
    assert '<html lang="en">' in staff and "Something went wrong on our side" in staff
    assert "Skip to content" in staff and "Algo salió mal" not in staff

    odd = env.get_template("error.html").render(
        {**context, "status": 400, "title": "Weird <b>", "detail": "100% <i>not</i> ours"}
    )
    assert "Weird &lt;b&gt;" in odd and "100% &lt;i&gt;not&lt;/i&gt; ours" in odd


def test_every_password_rule_has_its_spanish():
    spanish = translations("es")
    for rule in (*COMPOSITION_RULES, *LENGTH_RULES, COMMON_RULE):
        assert spanish.gettext(rule.label) != rule.label, rule.label
