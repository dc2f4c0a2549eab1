"""Creating portals and sending invitation links, through HTTP, end to end to the outbox."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from pathlib import Path

from taxportal.contracts import DeliveryError, DeliveryReceipt, OutgoingMessage
from taxportal.hookspecs import hookimpl
from taxportal.models import Invitation, Job, Portal
from taxportal.services.returns import records as returns_service
from taxportal.services.returns.fields import ReturnFields
from tests.support import csrf_from

LAST_YEAR = dt.date.today().year - 1


async def add_return(core, **overrides):  # type: ignore[no-untyped-def]
    values = dict(
        tax_year=LAST_YEAR,
        first_name="Angela",
        last_name="Evans",
        ssn="400-12-3456",
        primary_email="ANGELA@EMAIL.COM",
        mobile_phone="6093062122",
        language="en",
    )
    values.update(overrides)
    tax_return, _ = await returns_service.upsert(core, ReturnFields(**values), actor="test")
    return tax_return


def outbox_emails(client) -> list[email.message.EmailMessage]:  # type: ignore[no-untyped-def]
    folder = _data_dir(client) / "outbox" / "email"
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]


def _data_dir(client) -> Path:  # type: ignore[no-untyped-def]
    from taxportal.web.keys import CORE

    return client.app[CORE].config.data_dir


def link_in(text: str) -> str:
    match = re.search(r"http://portal\.test(/invite/[A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


async def send_link(client, return_id: int, channel: str):  # type: ignore[no-untyped-def]
    token = await csrf_from(client, f"/staff/portals/{return_id}/send")
    return await client.post(
        f"/staff/portals/{return_id}/send",
        data={"csrf_token": token, "channel": channel},
        allow_redirects=False,
    )


async def test_dialog_offers_the_clients_phone_and_email(staff_client, core_of):
    tax_return = await add_return(core_of(staff_client))
    page = await (await staff_client.get(f"/staff/portals/{tax_return.id}/send")).text()
    assert "Send link to customer&#39;s:" in page or "Send link to customer's:" in page
    assert "Phone: (609) 306-2122" in page
    assert "Email: angela@email.com" in page
    assert ">OK<" in page and "CANCEL" in page


async def test_create_portal_by_email_sends_the_link_and_button_becomes_resend(
    staff_client, core_of
):
    tax_return = await add_return(core_of(staff_client))
    listing = await (await staff_client.get("/staff/portals")).text()
    assert f'href="/staff/portals/{tax_return.id}/send">create<' in listing

    response = await send_link(staff_client, tax_return.id, "email")
    assert response.status == 303
    after = await staff_client.get(response.headers["Location"])
    page = await after.text()
    assert "Portal created" in page
    assert "Resend Portal Link" in page
    assert "email sent" in page

    [message] = outbox_emails(staff_client)
    assert message["To"] == "angela@email.com"
    assert message["Subject"] == "Your secure portal has been created"
    assert "Evans Tax Service" in message["From"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert link_in(text) == link_in(html)

    landing = await staff_client.get(link_in(text))
    assert landing.status == 200
    assert "Register Your Account" in await landing.text()

    clients = await (await staff_client.get("/staff/")).text()
    assert "<td>Sent</td>" in clients


async def test_spanish_client_gets_spanish_subject(staff_client, core_of):
    tax_return = await add_return(core_of(staff_client), language="es")
    await send_link(staff_client, tax_return.id, "email")
    [message] = outbox_emails(staff_client)
    assert message["Subject"] == "Su portal seguro ha sido creado"
    assert "Cree su cuenta" in message.get_body(("plain",)).get_content()


async def test_create_by_text_message_writes_one_short_sms(staff_client, core_of):
    import json

    tax_return = await add_return(core_of(staff_client))
    response = await send_link(staff_client, tax_return.id, "sms")
    assert response.status == 303
    folder = _data_dir(staff_client) / "outbox" / "sms"
    [sms_file] = list(folder.glob("*.json"))
    sms = json.loads(sms_file.read_text())
    assert sms["to"] == "+16093062122"
    assert "/invite/" in sms["text"] and len(sms["text"]) < 160


async def test_resend_voids_the_old_link(staff_client, core_of):
    tax_return = await add_return(core_of(staff_client))
    await send_link(staff_client, tax_return.id, "email")
    await send_link(staff_client, tax_return.id, "email")
    first, second = outbox_emails(staff_client)
    old = link_in(first.get_body(("plain",)).get_content())
    new = link_in(second.get_body(("plain",)).get_content())
    assert old != new
    old_page = await staff_client.get(old)
    assert old_page.status == 410
    assert "replaced" in await old_page.text()
    assert (await staff_client.get(new)).status == 200


async def test_expired_and_used_links_are_told_apart(staff_client, core_of):
    tax_return = await add_return(core_of(staff_client))
    await send_link(staff_client, tax_return.id, "email")
    [message] = outbox_emails(staff_client)
    link = link_in(message.get_body(("plain",)).get_content())

    await Invitation.all().update(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    expired = await staff_client.get(link)
    assert expired.status == 410 and "expired" in await expired.text()

    await Invitation.all().update(used_at=dt.datetime.now(dt.UTC))
    used = await staff_client.get(link)
    assert used.status == 410 and "already used" in await used.text()

    unknown = await staff_client.get("/invite/not-a-real-token")
    assert unknown.status == 404 and "not valid" in await unknown.text()


async def test_client_missing_contact_shows_why_no_portal(staff_client, core_of):
    await add_return(core_of(staff_client), mobile_phone="", primary_email="")
    page = await (await staff_client.get("/staff/portals")).text()
    assert "No portal yet: the return has no mobile phone, email" in page
    assert ">create<" not in page


class RefusingNotifier:
    name = "refusing"
    channel = "email"

    def __init__(self) -> None:
        self.fail = True

    async def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        if self.fail:
            raise DeliveryError(
                "SMTP server refused the recipient angela@email.com: 550 no such user"
            )
        return DeliveryReceipt(channel="email", notifier=self.name, reference="ok")


class RefusingEmailPlugin:
    def __init__(self) -> None:
        self.notifier = RefusingNotifier()

    @hookimpl
    def taxportal_notifiers(self, config):  # type: ignore[no-untyped-def]
        return [self.notifier]


async def test_a_failed_delivery_is_kept_shown_and_sent_by_a_job_later(
    build_app, client_for, core_of
):
    from taxportal.services.accounts import portals
    from taxportal.services.accounts import staff as staff_service
    from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD, jobs_finished, sign_in

    plugin = RefusingEmailPlugin()
    app = await build_app(plugin, TAXPORTAL_NOTIFY__EMAIL="refusing")
    client = await client_for(app)
    await staff_service.add_staff(core_of(client), ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
    await sign_in(client)
    tax_return = await add_return(core_of(client))

    response = await send_link(client, tax_return.id, "email")
    assert response.status == 303
    page = await (await client.get(response.headers["Location"])).text()
    assert "Portal created, but its link could not be sent yet" in page
    assert "A link is waiting to be sent (retried automatically)" in page
    assert await Portal.all().count() == 1
    assert await Invitation.filter(sent_at__isnull=True, voided_at__isnull=True).count() == 1
    clients = await (await client.get("/staff/")).text()
    assert "<td>Not Sent</td>" in clients

    plugin.notifier.fail = False  # the mail server takes it again: the job delivers
    await Job.filter(kind=portals.INVITATION_RETRY).update(run_after=0)
    await jobs_finished(core_of(client), portals.INVITATION_RETRY)
    assert await Invitation.filter(sent_at__isnull=False).count() == 1
    assert "<td>Sent</td>" in await (await client.get("/staff/")).text()


async def _registered_client(staff_client, core_of, language="en"):  # type: ignore[no-untyped-def]
    """A return whose taxpayer registered from the invitation; (return, the invitation link)."""
    from tests.accounts.journey import register

    tax_return = await add_return(core_of(staff_client), language=language)
    await send_link(staff_client, tax_return.id, "email")
    [message] = outbox_emails(staff_client)
    link = link_in(message.get_body(("plain",)).get_content())
    response = await register(
        staff_client,
        link,
        username="angela.e",
        last_name="Evans",
        ssn_last4="3456",
        email="angela@email.com",
    )
    assert response.status == 303, await response.text()
    return tax_return, link


async def test_resend_to_a_registered_client_sends_a_sign_in_reminder(staff_client, core_of):
    tax_return, _ = await _registered_client(staff_client, core_of)
    listing = await (await staff_client.get("/staff/portals")).text()
    assert f'href="/staff/portals/{tax_return.id}/send">Send sign-in reminder<' in listing
    dialog = await (await staff_client.get(f"/staff/portals/{tax_return.id}/send")).text()
    assert "Send sign-in reminder: Angela Evans" in dialog
    assert "reminder of their user name" in dialog and "No new invitation" in dialog

    response = await send_link(staff_client, tax_return.id, "email")
    assert response.status == 303
    page = await (await staff_client.get(response.headers["Location"])).text()
    assert "Sign-in reminder sent" in page

    reminder = outbox_emails(staff_client)[-1]
    assert reminder["Subject"] == "How to sign in to your portal"
    text = reminder.get_body(("plain",)).get_content()
    assert "http://portal.test/portal/login" in text and "/invite/" not in text
    assert "Your user name is: angela.e" in text
    assert "/portal/login" in reminder.get_body(("html",)).get_content()
    assert await Invitation.all().count() == 1  # no new invitation to register with


async def test_a_spanish_reminder_by_text_message(staff_client, core_of):
    import json

    tax_return, _ = await _registered_client(staff_client, core_of, language="es")
    assert (await send_link(staff_client, tax_return.id, "sms")).status == 303
    folder = _data_dir(staff_client) / "outbox" / "sms"
    [sms_file] = list(folder.glob("*.json"))
    text = json.loads(sms_file.read_text())["text"]
    assert "http://portal.test/portal/login" in text and "angela.e" in text
    assert "usuario" in text and "/invite/" not in text


async def test_an_old_invitation_of_a_registered_portal_says_so_never_name_taken(
    staff_client, core_of
):
    """A link still open from before the account (a resend made before this fix) must not
    answer "This user name is taken" for every name, forever."""
    from taxportal.crypto import token_digest
    from taxportal.models import TaxpayerAccount
    from tests.accounts.journey import register

    _, used_link = await _registered_client(staff_client, core_of)
    portal = await Portal.get()
    await Invitation.create(
        portal=portal,
        token_hash=token_digest("still-open-old-link"),
        channel="email",
        sent_to="angela@email.com",
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=3),
        sent_at=dt.datetime.now(dt.UTC),
    )
    landing = await staff_client.get("/invite/still-open-old-link")
    page = await landing.text()
    assert landing.status == 410
    assert "This portal already has an account" in page
    assert 'href="/portal/login"' in page and 'href="/portal/forgot-username"' in page
    assert "Register Your Account" not in page and "Ask for a new link" not in page
    used = await (await staff_client.get(used_link)).text()
    assert "already used" in used and 'href="/portal/forgot-username"' in used

    response = await register(
        staff_client,
        "/invite/still-open-old-link",
        username="brand-new-name",
        last_name="Evans",
        ssn_last4="3456",
        email="angela@email.com",
    )
    page = await response.text()
    assert response.status == 410
    assert "already has an account" in page and "user name is taken" not in page
    assert await TaxpayerAccount.all().count() == 1


async def test_a_refused_sign_in_reminder_is_sent_by_its_job(build_app, client_for, core_of):
    from taxportal.models import ActivityEntry, TaxpayerAccount
    from taxportal.services.accounts import portals
    from tests.support import jobs_finished

    plugin = RefusingEmailPlugin()
    client = await client_for(await build_app(plugin, TAXPORTAL_NOTIFY__EMAIL="refusing"))
    core = core_of(client)
    tax_return = await add_return(core)
    portal = await Portal.create(tax_return_id=tax_return.id)
    await TaxpayerAccount.create(
        portal=portal,
        username="angela.e",
        username_key="angela.e",
        password_hash="-",
        email="angela@email.com",
    )

    outcome = await portals.invite(core, tax_return.id, "email", "test")

    assert outcome.reminded and outcome.retrying  # kept for its job, not lost
    assert not await ActivityEntry.filter(action="sign_in_reminder_sent").exists()
    plugin.notifier.fail = False  # the mail server takes it again
    await Job.filter(kind=portals.REMINDER_RETRY).update(run_after=0)
    await jobs_finished(core, portals.REMINDER_RETRY)
    sent = await ActivityEntry.get(action="sign_in_reminder_sent")
    assert sent.detail["retried"] is True and sent.subject == f"portal:{portal.id}"
    assert not await Job.filter(kind=portals.REMINDER_RETRY).exists()
