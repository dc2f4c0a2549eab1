"""Walks every taxpayer page over HTTP and checks it is Spanish: shared by the i18n tests."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from aiohttp.test_utils import TestClient

from tests.accounts.journey import (
    PASSWORD,
    code_in,
    enter_code,
    form_token,
    newest_email,
    newest_sms_text,
    register,
    send_code,
    sign_in,
    sign_out,
)
from tests.i18n.catalog import SPANISH_PO, english_pattern, read_catalog, strings, visible_text

SPANISH_BROWSER = "es-US,es;q=0.9,en;q=0.5"
ENGLISH_BROWSER = "en-US,en;q=0.9"


@cache
def english_catalog_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each English msgid whose Spanish differs, as it would show on a page."""
    found = []
    for message in read_catalog(SPANISH_PO, "es"):
        if not message.id:
            continue
        english = [message.id] if isinstance(message.id, str) else list(message.id)
        for text in english:
            if text not in strings(message):
                found.append((text, english_pattern(text)))
    return tuple(found)


def assert_spanish(page: str, *, english: tuple[str, ...], spanish: tuple[str, ...]) -> str:
    """The page is Spanish: its known English phrases are gone, their Spanish is there, and no
    other string of the catalog shows in English."""
    text = visible_text(page)
    assert english and spanish
    assert [phrase for phrase in english if phrase in text] == [], text
    assert [phrase for phrase in spanish if phrase not in text] == [], text
    leftovers = [msgid for msgid, pattern in english_catalog_patterns() if pattern.search(text)]
    assert leftovers == [], text
    return text


def assert_spanish_page(page: str, **phrases: Any) -> str:
    assert '<html lang="es">' in page
    return assert_spanish(page, **phrases)


async def switch_language(client: TestClient, language: str, page: str) -> None:
    """Press English or Español in the page's header."""
    token = await form_token(client, page)
    response = await client.post(
        "/language",
        data={"csrf_token": token, "lang": language, "next": page},
        allow_redirects=False,
    )
    assert response.status == 303 and response.headers["Location"] == page


async def text_of(client: TestClient, path: str, status: int = 200) -> str:
    response = await client.get(path)
    assert response.status == status, path
    return await response.text()


async def walk_every_page_in_spanish(client: TestClient, link: str) -> None:
    """Invitation to Home and back out, with the errors on the way; every page in Spanish."""
    assert_spanish_page(
        await text_of(client, link),
        english=(
            "Register Your Account",
            "User Name",
            "Last Four Of your SSN",
            "One lowercase character",
            "I already have an account",
        ),
        spanish=(
            "Registre su cuenta",
            "Nombre de usuario",
            "Últimos cuatro dígitos de su SSN",
            "número de Seguro Social",
            "Una letra minúscula",
            "Un carácter especial (@$!%*?&)",
            "Mínimo 8 caracteres",
            "Que no sea una contraseña común",
            "Ya tengo una cuenta",
        ),
    )
    response = await register(client, link, ssn_last4="0000")
    assert response.status == 400
    assert_spanish_page(
        await response.text(),
        english=("We could not match this information", "Register"),
        spanish=("No pudimos relacionar estos datos con su declaración de impuestos.", "Apellido"),
    )
    response = await register(client, link, password="short")
    assert response.status == 400
    assert_spanish_page(
        await response.text(),
        english=("does not meet the rules", "25 characters maximum"),
        spanish=("La contraseña no cumple con los requisitos", "Máximo 25 caracteres"),
    )
    response = await register(client, link)
    assert response.status == 303 and response.headers["Location"] == "/portal/verify"

    assert_spanish_page(
        await text_of(client, "/portal/verify"),
        english=("Verify Account", "Send Email:", "Send Text:", "Cancel Verification"),
        spanish=(
            "Verificar cuenta",
            "Enviar correo: she****@com",
            "Enviar texto: 70****97",
            "Código de seguridad",
            "Cancelar verificación",
        ),
    )
    assert (await send_code(client, "sms")).status == 303
    assert_spanish_page(
        await text_of(client, "/portal/verify?sent=1"),
        english=("Code sent", "personalized Security Code"),
        spanish=(
            "Código enviado: por favor, revise su cuenta para ver su código de seguridad "
            "personalizado.",
            "Verificar cuenta",
            "Verificar",
        ),
    )
    sms = newest_sms_text(client)
    assert_spanish(
        sms,
        english=("security code:", "It expires", "Never share it"),
        spanish=("Código de seguridad de Evans Tax Service:", "Vence en", "No lo comparta."),
    )
    response = await send_code(client, "sms")  # again, at once
    assert response.status == 429
    assert_spanish_page(
        await response.text(),
        english=("A code was just sent", "seconds"),
        spanish=("Acabamos de enviarle un código. Podrá pedir otro en", "segundos."),
    )
    code = code_in(sms)
    response = await enter_code(client, "000000" if code != "000000" else "111111")
    assert response.status == 400
    assert_spanish_page(
        await response.text(),
        english=("That code is not right",),
        spanish=("Ese código no es correcto.", "Revise el último mensaje que le enviamos"),
    )
    response = await enter_code(client, code)
    assert response.status == 303 and response.headers["Location"] == "/portal/"

    assert_spanish_page(
        await text_of(client, "/portal/"),
        english=("Welcome", "My Files", "Files Uploaded", "View Files", "Sign out"),
        spanish=(
            "Le damos la bienvenida, Sherry",
            "Inicio",
            "Mis archivos",
            "0 archivos subidos",
            "Archivos de mi preparador",
            "0 archivos enviados",
            "Ver archivos",
            "Archivos del preparador",
            "Cambiar contraseña",
            "Cerrar sesión",
        ),
    )
    assert_spanish_page(
        await text_of(client, "/portal/preparer-files"),
        english=("Files From My Preparer", "Tell me about new documents", "Back to Home"),
        spanish=(
            "Archivos de mi preparador",
            "Su preparador aún no le ha enviado archivos",
            "Avísenme de los documentos nuevos por:",
            "Correo electrónico",
            "Mensaje de texto",
            "Guardar mi elección",
            "Volver a Inicio",
        ),
    )
    assert_spanish_page(
        await text_of(client, "/portal/files"),
        english=("Upload Documents", "Drop files here", "Your files", "Take a photo"),
        spanish=(
            "Mis archivos",
            "Subir documentos",
            "Suelte aquí los archivos para subirlos",
            "Elegir archivos",
            "Tomar una foto",
            "Todavía no ha subido ningún archivo.",
        ),
    )
    assert_spanish_page(
        await text_of(client, "/portal/account/password"),
        english=("Current password", "New password again", "signs you out everywhere else"),
        spanish=(
            "Cambiar contraseña",
            "Contraseña actual",
            "Contraseña nueva",
            "Repita la contraseña nueva",
            "se cerrará su sesión en todos los demás dispositivos",
        ),
    )
    token = await form_token(client, "/portal/account/password")
    response = await client.post(
        "/portal/account/password",
        data={"csrf_token": token, "current": "wrong", "password": "x", "password_again": "x"},
    )
    assert response.status == 400
    assert_spanish_page(
        await response.text(),
        english=("Your current password is not right.",),
        spanish=("Su contraseña actual no es correcta.", "Contraseña actual"),
    )
    assert_spanish_page(
        await text_of(client, "/portal/no-such-section", 404),
        english=("Not Found", "We could not find that page", "Go to the start page"),
        spanish=("Página no encontrada", "No pudimos encontrar esa página.", "Ir a la página de"),
    )

    assert (await sign_out(client)).status == 303
    assert_spanish_page(
        await text_of(client, "/portal/login?signed_out=1"),
        english=("You have signed out", "Sign in to your portal", "Forgot password?"),
        spanish=(
            "Ha cerrado sesión.",
            "Inicie sesión en su portal",
            "Contraseña",
            "Iniciar sesión",
            "¿Olvidó su contraseña?",
            "¿Olvidó su nombre de usuario?",
        ),
    )
    response = await sign_in(client, password="not-" + PASSWORD)
    assert response.status == 401
    assert_spanish_page(
        await response.text(),
        english=("The user name or password is not right.",),
        spanish=("El nombre de usuario o la contraseña no son correctos.", "Iniciar sesión"),
    )

    assert_spanish_page(
        await text_of(client, "/portal/forgot-password"),
        english=("Forgot password", "We will send a security code", "Text message"),
        spanish=(
            "Olvidé mi contraseña",
            "Le enviaremos un código de seguridad",
            "Correo electrónico",
            "Mensaje de texto",
            "Enviar código",
            "Volver a iniciar sesión",
        ),
    )
    token = await form_token(client, "/portal/forgot-password")
    response = await client.post(
        "/portal/forgot-password",
        data={"csrf_token": token, "identifier": "sherry", "channel": "email"},
    )
    assert response.status == 200
    assert_spanish_page(
        await response.text(),
        english=("Choose a new password", "If we found a verified account", "Security Code"),
        spanish=(
            "Elija una contraseña nueva",
            "Si encontramos una cuenta verificada",
            "Código de seguridad",
            "Una letra mayúscula",
            "Repita la contraseña nueva",
        ),
    )
    reset_email = newest_email(client)
    assert reset_email["Subject"] == "Su código de seguridad"
    assert_spanish(
        reset_email.get_body(("plain",)).get_content(),
        english=("security code is", "It expires", "If you did not ask"),
        spanish=("Su código de seguridad de Evans Tax Service es", "Vence en", "Si usted no pidió"),
    )
    token = await form_token(client, "/portal/forgot-password")
    response = await client.post(
        "/portal/reset-password",
        data={
            "csrf_token": token,
            "identifier": "sherry",
            "code": "123456",
            "password": PASSWORD + "x",
            "password_again": PASSWORD + "y",
        },
    )
    assert response.status == 400
    assert_spanish_page(
        await response.text(),
        english=("The two passwords are not the same.",),
        spanish=("Las dos contraseñas no coinciden.", "Elija una contraseña nueva"),
    )

    assert_spanish_page(
        await text_of(client, "/portal/forgot-username"),
        english=("Forgot user name", "Email or mobile phone", "Send my user name"),
        spanish=(
            "Olvidé mi nombre de usuario",
            "Correo electrónico o celular que aparece en su declaración de impuestos",
            "Enviar mi nombre de usuario",
        ),
    )
    token = await form_token(client, "/portal/forgot-username")
    response = await client.post(
        "/portal/forgot-username", data={"csrf_token": token, "identifier": "sherry@example.com"}
    )
    assert_spanish_page(
        await response.text(),
        english=("If that email or phone belongs",),
        spanish=("Si ese correo electrónico o teléfono pertenece a una cuenta verificada",),
    )
    username_email = newest_email(client)
    assert username_email["Subject"] == "Su nombre de usuario del portal"
    assert_spanish(
        username_email.get_body(("plain",)).get_content(),
        english=("You asked for the user name", "It is:", "you can ignore this message"),
        spanish=("Usted pidió el nombre de usuario de su portal de Evans Tax Service. Es: sherry",),
    )

    assert_spanish_page(
        await text_of(client, link, 410),
        english=("This link was already used", "An account was already registered"),
        spanish=(
            "Este enlace ya se usó",
            "Ya se registró una cuenta con este enlace.",
            "Iniciar sesión",
        ),
    )
    assert_spanish_page(
        await text_of(client, "/invite/no-such-link", 404),
        english=("This link is not valid", "Check that you copied"),
        spanish=("Este enlace no es válido", "Verifique que copió el enlace completo"),
    )
    assert_spanish_page(
        await text_of(client, "/no/such/page", 404),
        english=("Not Found", "We could not find that page"),
        spanish=("Página no encontrada", "No pudimos encontrar esa página.", "Ir al contenido"),
    )
    response = await client.post("/portal/forgot-username", data={"identifier": "x"})
    assert response.status == 403  # no CSRF token: the form "expired"
    assert_spanish_page(
        await response.text(),
        english=("Forbidden", "This form has expired"),
        spanish=(
            "Acceso denegado",
            "Este formulario venció. Regrese, vuelva a cargar la página e inténtelo de nuevo.",
        ),
    )
