"""SMTP mode against a real aiosmtpd server on 127.0.0.1, always through ``plugins.notify``."""

from __future__ import annotations

import asyncio
import logging

import pytest

from taxportal.contracts import DeliveryError, InvalidAddress


def smtp_settings(server, **more):
    return {"mode": "smtp", "smtp_host": server.host, "smtp_port": server.port, **more}


def plugin_log(caplog: pytest.LogCaptureFixture) -> str:
    # Only taxportal's own loggers: aiosmtpd logs every line it receives at DEBUG.
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("taxportal"))


async def test_plain_smtp_delivers_both_parts_with_accents(smtp_server, make_plugins, invitation):
    plugins = await make_plugins(
        smtp_settings(smtp_server, security="none", from_address="portal@perez.example")
    )
    message = invitation()

    receipt = await plugins.notify(message)

    [got] = smtp_server.received
    assert got.rcpt_tos == ["ana.nunez@example.com"]
    assert got.mail_from == "portal@perez.example"
    mail = got.message
    assert mail["Subject"] == "Su portal seguro ha sido creado · Declaración 2024"
    assert mail["From"].addresses[0].display_name == "Contabilidad Pérez & Asociados"
    assert mail["From"].addresses[0].addr_spec == "portal@perez.example"
    assert mail["To"] == "ana.nunez@example.com"
    assert mail["Date"] is not None
    assert receipt.reference == mail["Message-ID"]
    assert receipt.reference.startswith("<") and receipt.reference.endswith("@perez.example>")
    assert (receipt.channel, receipt.notifier) == ("email", "notify_email")
    assert mail.get_content_type() == "multipart/alternative"
    assert mail.get_body(("plain",)).get_content().strip() == message.text
    assert mail.get_body(("html",)).get_content().strip() == message.html
    assert not got.tls  # security = "none" never upgrades


async def test_text_only_message_has_no_html_part(smtp_server, make_plugins, invitation):
    plugins = await make_plugins(smtp_settings(smtp_server, security="none"))

    await plugins.notify(invitation(html=None))

    mail = smtp_server.received[0].message
    assert mail.get_content_type() == "text/plain"
    assert "declaración está lista" in mail.get_content()


async def test_from_name_setting_overrides_firm_name(smtp_server, make_plugins, invitation):
    plugins = await make_plugins(
        smtp_settings(smtp_server, security="none", from_name="Portal de Pérez")
    )

    await plugins.notify(invitation())

    assert smtp_server.received[0].message["From"].addresses[0].display_name == "Portal de Pérez"


async def test_starttls_with_login(
    starttls_server, tls_files, smtp_credentials, make_plugins, invitation
):
    plugins = await make_plugins(
        smtp_settings(starttls_server, security="starttls", ca_file=tls_files.ca_file),
        TAXPORTAL_NOTIFY_EMAIL__USERNAME=smtp_credentials["username"],
        TAXPORTAL_NOTIFY_EMAIL__PASSWORD=smtp_credentials["password"],
    )

    receipt = await plugins.notify(invitation())

    [got] = starttls_server.received
    assert got.tls
    assert got.login == smtp_credentials["username"]
    assert got.rcpt_tos == ["ana.nunez@example.com"]
    assert got.message["Message-ID"] == receipt.reference


async def test_implicit_tls(tls_server, tls_files, make_plugins, invitation):
    plugins = await make_plugins(
        smtp_settings(tls_server, security="tls", ca_file=tls_files.ca_file)
    )

    await plugins.notify(invitation())

    [got] = tls_server.received
    assert got.tls
    assert got.message["Subject"] == "Su portal seguro ha sido creado · Declaración 2024"


async def test_untrusted_certificate_says_to_set_ca_file(tls_server, make_plugins, invitation):
    plugins = await make_plugins(smtp_settings(tls_server, security="tls"))

    with pytest.raises(DeliveryError) as caught:
        await plugins.notify(invitation())

    reason = str(caught.value)
    assert f"cannot verify the TLS certificate of SMTP server 127.0.0.1:{tls_server.port}" in reason
    assert "ca_file" in reason
    assert tls_server.received == []


async def test_refused_recipient_is_an_invalid_address(smtp_server, make_plugins, invitation):
    plugins = await make_plugins(smtp_settings(smtp_server, security="none"))

    with pytest.raises(InvalidAddress) as caught:
        await plugins.notify(invitation(to="nobody@example.com"))

    assert str(caught.value) == (
        "SMTP server refused the recipient <nobody@example.com>: 550 5.1.1 No such user here"
    )
    assert smtp_server.received == []


async def test_temporary_refusal_is_not_an_invalid_address(smtp_server, make_plugins, invitation):
    plugins = await make_plugins(smtp_settings(smtp_server, security="none"))

    with pytest.raises(DeliveryError) as caught:
        await plugins.notify(invitation(to="busy@example.com"))

    assert not isinstance(caught.value, InvalidAddress)
    assert "temporarily refused the recipient <busy@example.com>: 451" in str(caught.value)
    assert "try again later" in str(caught.value)


async def test_server_down_names_host_and_port(make_plugins, invitation, unused_port):
    port = unused_port
    plugins = await make_plugins({"mode": "smtp", "smtp_host": "127.0.0.1", "smtp_port": port})

    with pytest.raises(DeliveryError) as caught:
        await plugins.notify(invitation())

    assert str(caught.value).startswith(f"cannot reach SMTP server 127.0.0.1:{port}")


async def test_silent_server_times_out(make_plugins, invitation):
    writers: list[asyncio.StreamWriter] = []

    async def accept_and_say_nothing(reader, writer):
        writers.append(writer)  # never sends a greeting

    server = await asyncio.start_server(accept_and_say_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        plugins = await make_plugins(
            {"mode": "smtp", "smtp_host": "127.0.0.1", "smtp_port": port, "timeout": "0.3"}
        )
        with pytest.raises(DeliveryError) as caught:
            await plugins.notify(invitation())
    finally:
        server.close()
        for writer in writers:
            writer.close()
            await writer.wait_closed()
        await server.wait_closed()

    assert str(caught.value) == f"SMTP server 127.0.0.1:{port} did not answer within 0.3 s"


async def test_wrong_password_never_shows_password_or_body(
    starttls_server, tls_files, smtp_credentials, make_plugins, invitation, caplog
):
    caplog.set_level(logging.DEBUG)
    wrong = "Wr0ng-Passw0rd-123"
    plugins = await make_plugins(
        smtp_settings(starttls_server, ca_file=tls_files.ca_file),
        TAXPORTAL_NOTIFY_EMAIL__USERNAME=smtp_credentials["username"],
        TAXPORTAL_NOTIFY_EMAIL__PASSWORD=wrong,
    )
    message = invitation()

    with pytest.raises(DeliveryError) as caught:
        await plugins.notify(message)

    reason = str(caught.value)
    assert reason.startswith(
        f"SMTP login failed for user '{smtp_credentials['username']}' "
        f"on 127.0.0.1:{starttls_server.port}: 535"
    )
    assert "TAXPORTAL_NOTIFY_EMAIL__PASSWORD" in reason
    for secret in (wrong, message.text, message.html):
        assert secret not in reason
        assert secret not in repr(caught.value)
        assert secret not in plugin_log(caplog)
    assert starttls_server.received == []


async def test_successful_send_logs_neither_body_nor_password(
    starttls_server, tls_files, smtp_credentials, make_plugins, invitation, caplog
):
    caplog.set_level(logging.DEBUG)
    plugins = await make_plugins(
        smtp_settings(starttls_server, ca_file=tls_files.ca_file),
        TAXPORTAL_NOTIFY_EMAIL__USERNAME=smtp_credentials["username"],
        TAXPORTAL_NOTIFY_EMAIL__PASSWORD=smtp_credentials["password"],
    )
    message = invitation()

    receipt = await plugins.notify(message)

    logged = plugin_log(caplog)
    assert receipt.reference in logged  # the hand-off is traceable by Message-ID
    for secret in (smtp_credentials["password"], message.text, message.html, message.subject):
        assert secret not in logged


async def test_plain_text_to_a_starttls_server_says_to_change_security(
    starttls_server, make_plugins, invitation
):
    plugins = await make_plugins(smtp_settings(starttls_server, security="none"))

    with pytest.raises(DeliveryError) as caught:
        await plugins.notify(invitation())

    reason = str(caught.value)
    assert reason.startswith(f"SMTP server 127.0.0.1:{starttls_server.port} refused to take mail")
    assert "STARTTLS" in reason
    assert "check security (now 'none')" in reason
    assert starttls_server.received == []


async def test_login_without_tls_says_to_change_security(
    starttls_server, smtp_credentials, make_plugins, invitation
):
    plugins = await make_plugins(
        smtp_settings(starttls_server, security="none"),
        TAXPORTAL_NOTIFY_EMAIL__USERNAME=smtp_credentials["username"],
        TAXPORTAL_NOTIFY_EMAIL__PASSWORD=smtp_credentials["password"],
    )

    with pytest.raises(DeliveryError) as caught:
        await plugins.notify(invitation())

    assert str(caught.value) == (
        f"SMTP server 127.0.0.1:{starttls_server.port} does not offer a login on this "
        'connection; use security = "starttls" or "tls", or remove username'
    )
    assert smtp_credentials["password"] not in str(caught.value)


async def test_starttls_against_a_server_without_it(smtp_server, make_plugins, invitation):
    plugins = await make_plugins(smtp_settings(smtp_server, security="starttls"))

    with pytest.raises(DeliveryError) as caught:
        await plugins.notify(invitation())

    assert f"SMTP server 127.0.0.1:{smtp_server.port} does not offer STARTTLS" in str(caught.value)
    assert smtp_server.received == []
