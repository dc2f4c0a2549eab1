"""The contract every notifier keeps, as tests a notifier's author can run.

Use it by subclassing :class:`NotifierContract` in a test module and supplying these
fixtures (sync or async, in the class or in a conftest), each against the real service or
a faithful local stand-in of it (an SMTP server, an HTTP fake of the provider)::

    from taxportal.testing.notifier_contract import Delivery, NotifierContract

    class TestMyNotifier(NotifierContract):
        @pytest.fixture
        async def notifier(self, ...):        # as the core gets it: plugins.notifiers[channel]
            ...
        @pytest.fixture
        def address(self): ...                # one the service accepts, as the core passes it
        @pytest.fixture
        def impossible_address(self): ...     # one no service could deliver to
        @pytest.fixture
        def delivered(self, ...):             # () -> list[Delivery] the service received
            ...
        @pytest.fixture
        async def unreachable_notifier(self, ...):  # the same notifier, its service down
            ...

``Delivery.to`` is the address in the form the core passed it (a lower-case email
address, an E.164 number); ``Delivery.text`` is the plain text as the recipient gets it.
The tests are coroutines marked ``pytest.mark.asyncio``. This module imports no plugin.

What the contract says, beyond the hook's docstring (``taxportal_notifiers``):

- A notifier has a non-empty ``name`` and ``channel``; ``send`` returns a
  ``DeliveryReceipt`` naming both.
- The text arrives whole and unchanged, accents included, at the address given.
- Concurrent sends each arrive once, and do not mix their texts.
- An impossible address is ``InvalidAddress`` (a ``DeliveryError``), and nothing is sent.
- A service that cannot be reached is a ``DeliveryError`` (the core retries or tells the
  preparer) whose reason never contains the message's text: it may carry a link or a code.
- Neither the text nor the address is written to the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from taxportal.contracts import (
    DeliveryError,
    DeliveryReceipt,
    InvalidAddress,
    Notifier,
    OutgoingMessage,
)

# Spanish, with accents and a link: what an invitation looks like
TEXT = "Hola Señora Núñez: su declaración está lista. Ábrala aquí: https://portal.example/i/abc"


@dataclass(frozen=True)
class Delivery:
    """One message as the service received it."""

    to: str
    text: str


def message_to(notifier: Notifier, to: str, text: str = TEXT) -> OutgoingMessage:
    """A message for ``notifier``'s channel, as the core builds it."""
    return OutgoingMessage(
        channel=notifier.channel,
        to=to,
        text=text,
        subject="Su portal seguro · Declaración 2025",
        sender_name="Contabilidad Pérez & Asociados",
        purpose="invitation",
        language="es",
    )


def logged_text(caplog: pytest.LogCaptureFixture) -> str:
    """Every record of taxportal's and its plugins' loggers, formatted."""
    return "\n".join(
        record.getMessage() for record in caplog.records if record.name.startswith("taxportal")
    )


@pytest.mark.asyncio
class NotifierContract:
    """Subclass this (as ``Test...``) and supply the fixtures named in the module's text."""

    async def test_it_is_a_named_notifier_of_one_channel(self, notifier):
        assert isinstance(notifier, Notifier)
        assert isinstance(notifier.name, str) and notifier.name
        assert isinstance(notifier.channel, str) and notifier.channel

    async def test_the_text_arrives_whole_and_the_receipt_names_the_notifier(
        self, notifier, address, delivered: Callable[[], list[Delivery]]
    ):
        receipt = await notifier.send(message_to(notifier, address))

        assert isinstance(receipt, DeliveryReceipt)
        assert (receipt.channel, receipt.notifier) == (notifier.channel, notifier.name)
        assert delivered() == [Delivery(address, TEXT)]

    async def test_concurrent_sends_each_arrive_once(
        self, notifier, address, delivered: Callable[[], list[Delivery]]
    ):
        texts = [f"{TEXT} ({n})" for n in range(5)]

        receipts = await asyncio.gather(
            *(notifier.send(message_to(notifier, address, t)) for t in texts)
        )

        assert sorted(d.text for d in delivered()) == sorted(texts)
        references = [r.reference for r in receipts if r.reference]
        assert len(set(references)) == len(references)  # a provider id names one message

    async def test_an_impossible_address_is_invalid_and_sends_nothing(
        self, notifier, impossible_address, delivered: Callable[[], list[Delivery]]
    ):
        with pytest.raises(InvalidAddress):
            await notifier.send(message_to(notifier, impossible_address))

        assert delivered() == []

    async def test_a_service_that_is_down_is_a_delivery_error_without_the_text(
        self, unreachable_notifier, address
    ):
        with pytest.raises(DeliveryError) as refused:
            await unreachable_notifier.send(message_to(unreachable_notifier, address))

        reason = str(refused.value)
        assert reason  # the preparer is told why
        assert TEXT not in reason and "https://portal.example/i/abc" not in reason

    async def test_neither_text_nor_address_is_logged(
        self, notifier, address, unreachable_notifier, caplog: pytest.LogCaptureFixture
    ):
        caplog.set_level(logging.DEBUG)
        await notifier.send(message_to(notifier, address))
        with pytest.raises(DeliveryError):
            await unreachable_notifier.send(message_to(unreachable_notifier, address))

        logged = logged_text(caplog)
        assert "portal.example/i/abc" not in logged
        assert "Núñez" not in logged
        assert address not in logged
