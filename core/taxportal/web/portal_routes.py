"""The taxpayer's routes: invitation, registration, verification, sign-in, recovery, portal."""

from __future__ import annotations

from aiohttp import web

from taxportal.web import language
from taxportal.web.accounts import home as portal_home
from taxportal.web.accounts import recovery, register, verify
from taxportal.web.accounts import sign_in as taxpayer_sign_in
from taxportal.web.documents import preparer_files
from taxportal.web.signing import consent as signing_consent
from taxportal.web.signing import identity as signing_identity
from taxportal.web.signing import pages as signature_pages
from taxportal.web.signing import sign as signing_sign
from taxportal.web.uploads import my_files


async def root(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/portal/")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/", root),
        web.get("/invite/{token}", register.invitation_page),
        web.post("/invite/{token}", register.register),
        web.post("/invite/{token}/ask", register.ask_for_new_link),
        web.get("/portal/verify", verify.verify_page),
        web.post("/portal/verify/send", verify.send_code),
        web.post("/portal/verify/check", verify.check_code),
        web.post("/portal/verify/cancel", verify.cancel),
        web.get("/portal/login", taxpayer_sign_in.sign_in_page),
        web.post("/portal/login", taxpayer_sign_in.sign_in),
        web.post("/portal/logout", taxpayer_sign_in.sign_out),
        web.get("/portal/forgot-password", recovery.forgot_password_page),
        web.post("/portal/forgot-password", recovery.forgot_password),
        web.post("/portal/reset-password", recovery.reset_password),
        web.get("/portal/forgot-username", recovery.forgot_username_page),
        web.post("/portal/forgot-username", recovery.forgot_username),
        web.get("/portal/account/password", recovery.change_password_page),
        web.post("/portal/account/password", recovery.change_password),
        web.get("/portal/", portal_home.home),
        *my_files.routes(),
        *preparer_files.routes(),
        *signing_consent.routes(),
        *signature_pages.routes(),
        *signing_identity.routes(),
        *signing_sign.routes(),
        web.post("/language", language.switch_language),
    ]
