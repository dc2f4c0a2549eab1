"""Outbox mode (the default): one .eml file per message under <data_dir>/outbox/email/."""

from __future__ import annotations

import stat
from email import message_from_bytes, policy

import pytest

from taxportal.contracts import DeliveryError, InvalidAddress


async def test_default_mode_writes_a_readable_eml(make_plugins, invitation, tmp_path):
    plugins = await make_plugins()
    message = invitation()

    receipt = await plugins.notify(message)

    outbox = tmp_path / "data" / "outbox" / "email"
    assert [p.name for p in outbox.iterdir()] == [receipt.reference]  # no temp file left
    assert receipt.reference.endswith(".eml")
    assert (receipt.channel, receipt.notifier) == ("email", "notify_email")
    path = outbox / receipt.reference
    mail = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert mail["To"] == "ana.nunez@example.com"
    assert mail["Subject"] == "Su portal seguro ha sido creado · Declaración 2024"
    assert mail["From"].addresses[0].display_name == "Contabilidad Pérez & Asociados"
    assert mail["From"].addresses[0].addr_spec == "portal@localhost"
    assert mail["Message-ID"] and mail["Date"]
    assert mail.get_body(("plain",)).get_content().strip() == message.text
    assert mail.get_body(("html",)).get_content().strip() == message.html
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it carries a portal link


async def test_file_names_sort_in_sending_order(make_plugins, invitation, tmp_path):
    plugins = await make_plugins()

    sent = [(await plugins.notify(invitation(subject=f"n.º {i}"))).reference for i in range(5)]

    outbox = tmp_path / "data" / "outbox" / "email"
    assert sorted(p.name for p in outbox.iterdir()) == sent
    subjects = [
        message_from_bytes((outbox / name).read_bytes(), policy=policy.default)["Subject"]
        for name in sent
    ]
    assert subjects == [f"n.º {i}" for i in range(5)]


async def test_unwritable_outbox_is_a_delivery_error(make_plugins, invitation, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the data directory should be")
    plugins = await make_plugins(TAXPORTAL_SERVER__DATA_DIR=str(blocker))

    with pytest.raises(DeliveryError) as caught:
        await plugins.notify(invitation())

    assert str(caught.value).startswith("cannot write the email to the outbox")
    assert str(blocker) in str(caught.value)


@pytest.mark.parametrize("to", ["not-an-address", "ana@", "ana@example.com\r\nBcc: x@evil.example"])
async def test_impossible_address_is_refused_before_writing(make_plugins, invitation, tmp_path, to):
    plugins = await make_plugins()

    with pytest.raises(InvalidAddress) as caught:
        await plugins.notify(invitation(to=to))

    assert str(caught.value) == f"not a valid email address: {to!r}"
    assert not (tmp_path / "data" / "outbox" / "email").exists()


async def test_subject_line_breaks_cannot_inject_headers(make_plugins, invitation, tmp_path):
    plugins = await make_plugins()

    receipt = await plugins.notify(invitation(subject="Hola\r\nBcc: x@evil.example"))

    raw = (tmp_path / "data" / "outbox" / "email" / receipt.reference).read_bytes()
    mail = message_from_bytes(raw, policy=policy.default)
    assert mail["Bcc"] is None
    assert mail["Subject"] == "Hola Bcc: x@evil.example"
