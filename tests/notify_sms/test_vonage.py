"""Vonage mode: the real SDK, in a thread, against the TLS fake, through the facade."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from taxportal.contracts import DeliveryError, InvalidAddress, OutgoingMessage

from .conftest import BuildPlugins
from .fake_vonage import FakeVonage, make_certificates

TEXT = "Your tax documents are ready: https://portal.example/p/abc123"


def sms(to: str = "(706) 555-0197", text: str = TEXT) -> OutgoingMessage:
    return OutgoingMessage(channel="sms", to=to, text=text, purpose="invitation")


def assert_no_secrets(reason: str, fake: FakeVonage, text: str = TEXT) -> None:
    assert fake.api_key not in reason
    assert fake.api_secret not in reason
    assert text not in reason


async def test_delivers_through_the_sdk(fake_vonage: FakeVonage, build_plugins: BuildPlugins):
    plugins = await build_plugins(fake_vonage.config_env())

    receipt = await plugins.notify(sms())

    [received] = fake_vonage.requests
    assert received.to == "17065550197"
    assert received.text == TEXT
    assert received.from_ == "TaxPortal"
    assert received.type == "text"
    assert (received.api_key, received.api_secret) == (fake_vonage.api_key, fake_vonage.api_secret)
    assert received.auth == "basic"
    assert receipt.channel == "sms"
    assert receipt.notifier == "notify_sms"
    assert receipt.reference == received.message_ids[0]


@pytest.mark.parametrize("typed", ["706-555-0197", "+1 706 555 0197", "(706) 555-0197"])
async def test_number_formats_normalise_alike(
    typed: str, fake_vonage: FakeVonage, build_plugins: BuildPlugins
):
    plugins = await build_plugins(fake_vonage.config_env())

    await plugins.notify(sms(to=typed))

    assert [r.to for r in fake_vonage.accepted] == ["17065550197"]


async def test_default_region_applies_to_national_numbers(
    fake_vonage: FakeVonage, build_plugins: BuildPlugins
):
    env = {**fake_vonage.config_env(), "TAXPORTAL_NOTIFY_SMS__DEFAULT_REGION": "es"}
    plugins = await build_plugins(env)

    await plugins.notify(sms(to="612 34 56 78"))

    assert [r.to for r in fake_vonage.accepted] == ["34612345678"]


async def test_sender_number_and_unicode_text(fake_vonage: FakeVonage, build_plugins: BuildPlugins):
    env = {**fake_vonage.config_env(), "TAXPORTAL_NOTIFY_SMS__SENDER": "+17065550100"}
    plugins = await build_plugins(env)
    spanish = "Su declaración está lista para firmar. ¡Gracias!"

    await plugins.notify(sms(text=spanish))
    await plugins.notify(sms(text="Señor Muñoz: el café y la cuenta"))  # GSM has é, ñ

    first, second = fake_vonage.accepted
    assert (first.text, first.type, first.from_) == (spanish, "unicode", "17065550100")
    assert second.type == "text"


async def test_long_message_reports_every_part(
    fake_vonage: FakeVonage, build_plugins: BuildPlugins
):
    plugins = await build_plugins(fake_vonage.config_env())

    receipt = await plugins.notify(sms(text="x" * 200))

    [received] = fake_vonage.accepted
    assert len(received.message_ids) == 2
    assert receipt.reference == ",".join(received.message_ids)


async def test_partly_sent_long_message_is_a_delivery_error(
    fake_vonage: FakeVonage, build_plugins: BuildPlugins
):
    fake_vonage.fail_number("17065550197", status="1", parts_sent=1)
    plugins = await build_plugins(fake_vonage.config_env())

    with pytest.raises(DeliveryError) as caught:
        await plugins.notify(sms(text="x" * 200))

    assert str(caught.value) == (
        "Vonage refused the message: Throttled (status 1); try again in a minute "
        "(only part of the message was sent)"
    )


async def test_concurrent_sends_each_arrive_once(
    fake_vonage: FakeVonage, build_plugins: BuildPlugins
):
    plugins = await build_plugins(fake_vonage.config_env())
    numbers = [f"706 555 01{n:02d}" for n in range(10, 18)]

    receipts = await asyncio.gather(*(plugins.notify(sms(to=n, text=n)) for n in numbers))

    assert {r.to: r.text for r in fake_vonage.accepted} == {
        "1" + n.replace(" ", ""): n for n in numbers
    }
    assert len({r.reference for r in receipts}) == len(numbers)


async def test_impossible_number_sends_nothing(
    fake_vonage: FakeVonage, build_plugins: BuildPlugins
):
    plugins = await build_plugins(fake_vonage.config_env())

    with pytest.raises(InvalidAddress, match="'123' is not a possible phone number"):
        await plugins.notify(sms(to="123"))

    assert fake_vonage.requests == []


async def test_refused_number_is_a_delivery_error(
    fake_vonage: FakeVonage, build_plugins: BuildPlugins
):
    fake_vonage.fail_number("17065550197", status="3")
    plugins = await build_plugins(fake_vonage.config_env())

    with pytest.raises(DeliveryError) as caught:
        await plugins.notify(sms())

    reason = str(caught.value)
    assert reason == "Vonage refused the message: Invalid number (status 3)"
    assert not isinstance(caught.value, InvalidAddress)
    assert len(fake_vonage.requests) == 1
    assert_no_secrets(reason, fake_vonage)


async def test_bad_credentials_say_which_variables(
    fake_vonage: FakeVonage, build_plugins: BuildPlugins
):
    env = {**fake_vonage.config_env(), "TAXPORTAL_NOTIFY_SMS__API_SECRET": "wrong-secret-9f2"}
    plugins = await build_plugins(env)

    with pytest.raises(DeliveryError) as caught:
        await plugins.notify(sms())

    reason = str(caught.value)
    assert reason.startswith("Vonage refused the message: Bad Credentials (status 4)")
    assert "TAXPORTAL_NOTIFY_SMS__API_KEY" in reason
    assert "wrong-secret-9f2" not in reason
    assert_no_secrets(reason, fake_vonage)


async def test_error_text_echoing_a_secret_is_not_shown(
    fake_vonage: FakeVonage, build_plugins: BuildPlugins
):
    fake_vonage.fail_number("17065550197", "6", f"bad message {TEXT} for {fake_vonage.api_key}")
    plugins = await build_plugins(fake_vonage.config_env())

    with pytest.raises(DeliveryError) as caught:
        await plugins.notify(sms())

    assert str(caught.value) == "Vonage refused the message: status 6"


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (500, "oops", "Vonage at {host} answered HTTP 500"),
        (401, "", "Vonage refused the API key and secret (HTTP 401)"),
        (200, "<html>maintenance</html>", "Vonage at {host} gave an unexpected answer"),
    ],
)
async def test_http_failures_are_delivery_errors(
    status: int, body: str, reason: str, fake_vonage: FakeVonage, build_plugins: BuildPlugins
):
    fake_vonage.answer_http(status, body)
    plugins = await build_plugins(fake_vonage.config_env())

    with pytest.raises(DeliveryError) as caught:
        await plugins.notify(sms())

    assert str(caught.value).startswith(reason.format(host=fake_vonage.rest_host))
    assert_no_secrets(str(caught.value), fake_vonage)


async def test_vonage_down_is_a_delivery_error(
    fake_vonage: FakeVonage, build_plugins: BuildPlugins
):
    plugins = await build_plugins(fake_vonage.config_env())
    fake_vonage.stop()

    with pytest.raises(DeliveryError) as caught:
        await plugins.notify(sms())

    assert str(caught.value) == f"cannot reach Vonage at {fake_vonage.rest_host}"


async def test_untrusted_certificate_is_a_delivery_error(
    fake_vonage: FakeVonage,
    build_plugins: BuildPlugins,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
):
    other_ca = make_certificates(tmp_path / "other-ca").ca_file
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other_ca))
    plugins = await build_plugins(fake_vonage.config_env())

    with pytest.raises(DeliveryError, match="TLS certificate is not trusted"):
        await plugins.notify(sms())

    assert fake_vonage.requests == []


async def test_missing_ca_bundle_is_a_delivery_error(
    fake_vonage: FakeVonage,
    build_plugins: BuildPlugins,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    plugins = await build_plugins(fake_vonage.config_env())

    with pytest.raises(DeliveryError, match=r"cannot reach Vonage at .*missing\.pem"):
        await plugins.notify(sms())


async def test_send_runs_off_the_event_loop(fake_vonage: FakeVonage, build_plugins: BuildPlugins):
    plugins = await build_plugins(fake_vonage.config_env())
    fake_vonage.delay = 0.5
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        await plugins.notify(sms())
    finally:
        task.cancel()

    assert ticks >= 20  # a blocked loop would tick once or not at all
    assert len(fake_vonage.accepted) == 1


async def test_slow_vonage_times_out_without_resending(
    fake_vonage: FakeVonage, build_plugins: BuildPlugins
):
    env = {**fake_vonage.config_env(), "TAXPORTAL_NOTIFY_SMS__TIMEOUT": "1"}
    plugins = await build_plugins(env)
    fake_vonage.delay = 3

    with pytest.raises(DeliveryError, match=r"did not answer within 1 s"):
        await plugins.notify(sms())

    fake_vonage.stop()  # let the fake finish the request it held
    assert len(fake_vonage.requests) == 1  # a POST that may have arrived is never retried


async def test_nothing_secret_is_logged(
    fake_vonage: FakeVonage, build_plugins: BuildPlugins, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    plugins = await build_plugins(fake_vonage.config_env())
    fake_vonage.fail_number("17065550198")

    await plugins.notify(sms())
    with pytest.raises(DeliveryError):
        await plugins.notify(sms(to="706 555 0198"))

    logged = caplog.text
    assert "70****97" in logged  # the masked number and the purpose are fine to log
    assert "invitation" in logged
    assert_no_secrets(logged, fake_vonage)
    assert "Basic " not in logged
