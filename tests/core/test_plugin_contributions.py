"""A third party's plugin adds routes, templates, nav items, static files, models and listeners."""

from __future__ import annotations

from taxportal.contracts import RegistrationAttempt, ReturnIdentity
from tests.core.sample_plugin import SamplePlugin
from tests.core.test_portal_invitations import add_return, send_link
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD, sign_in


async def test_plugin_pages_nav_static_models_and_events(build_app, client_for, core_of):
    from taxportal.services.accounts import staff as staff_service

    app = await build_app(SamplePlugin())
    client = await client_for(app)
    await staff_service.add_staff(core_of(client), ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
    await sign_in(client)

    home = await (await client.get("/staff/")).text()
    assert '<a href="/sample/notes">Notes</a>' in home
    css = await client.get("/static/plugins/sample/sample.css")
    assert css.status == 200 and ".note" in await css.text()

    tax_return = await add_return(core_of(client))
    assert (await send_link(client, tax_return.id, "email")).status == 303
    notes = await client.get("/sample/notes")
    page = await notes.text()
    assert notes.status == 200
    assert f"for return {tax_return.id} by email" in page  # the listener wrote a row
    assert "Content-Security-Policy" in notes.headers  # core middlewares cover plugin routes


async def test_a_failing_listener_does_not_undo_the_portal(build_app, client_for, core_of):
    from taxportal.hookspecs import hookimpl
    from taxportal.models import Portal
    from taxportal.services.accounts import staff as staff_service

    class Broken:
        @hookimpl
        def taxportal_event(self, event):  # type: ignore[no-untyped-def]
            raise RuntimeError("listener bug")

    client = await client_for(await build_app(Broken()))
    await staff_service.add_staff(core_of(client), ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
    await sign_in(client)
    tax_return = await add_return(core_of(client))
    assert (await send_link(client, tax_return.id, "email")).status == 303
    assert await Portal.all().count() == 1


async def test_builtin_identity_matcher_ignores_case_accents_spacing_and_phone_format(
    staff_client, core_of
):
    plugins = core_of(staff_client).plugins
    identity = ReturnIdentity(
        last_name="Núñez García",
        ssn_last4="1234",
        emails=("ana@example.com", ""),
        phone="+17065550123",
    )

    async def passed(**typed: str) -> bool:
        values = {"last_name": "nunez  garcia", "ssn_last4": "1234", "email": "", "phone": ""}
        values.update(typed)
        results = await plugins.verify_registration(RegistrationAttempt(**values), identity)
        return bool(results) and all(r.passed for r in results)

    assert await passed(phone="(706) 555-0123")
    assert await passed(email="ANA@example.com")
    assert await passed(last_name="NUÑEZGARCIA", phone="706.555.0123")
    assert not await passed(ssn_last4="1235", phone="7065550123")
    assert not await passed(last_name="Nunes Garcia", phone="7065550123")
    assert not await passed(phone="7065550124", email="other@example.com")
