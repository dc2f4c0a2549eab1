"""Outbox mode (the default): one JSON file per message, written atomically."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from taxportal.contracts import DeliveryError, InvalidAddress, OutgoingMessage

from .conftest import BuildPlugins


def outbox(tmp_path: Path) -> Path:
    return tmp_path / "data" / "outbox" / "sms"


async def test_one_file_per_message(tmp_path: Path, build_plugins: BuildPlugins):
    plugins = await build_plugins()
    texts = ["first: su declaración está lista", "second", "third"]

    receipts = [
        await plugins.notify(OutgoingMessage(channel="sms", to="(706) 555-0197", text=text))
        for text in texts
    ]

    files = sorted(outbox(tmp_path).iterdir())
    assert [f.name for f in files] == [r.reference for r in receipts]  # names sort by time
    assert all(f.suffix == ".json" and not f.name.startswith(".") for f in files)
    records = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    assert [r["text"] for r in records] == texts
    assert {r["to"] for r in records} == {"+17065550197"}
    assert {r["from"] for r in records} == {"TaxPortal"}
    assert all(r["created"].endswith("+00:00") for r in records)
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert receipts[0].notifier == "notify_sms"
    assert receipts[0].channel == "sms"


async def test_sender_setting_is_written(tmp_path: Path, build_plugins: BuildPlugins):
    plugins = await build_plugins({"TAXPORTAL_NOTIFY_SMS__SENDER": "Smith CPA"})

    receipt = await plugins.notify(OutgoingMessage(channel="sms", to="+1 706 555 0197", text="hi"))

    record = json.loads((outbox(tmp_path) / receipt.reference).read_text(encoding="utf-8"))
    assert record["from"] == "Smith CPA"


async def test_impossible_number_writes_nothing(tmp_path: Path, build_plugins: BuildPlugins):
    plugins = await build_plugins()

    with pytest.raises(InvalidAddress, match="not a possible phone number"):
        await plugins.notify(OutgoingMessage(channel="sms", to="123", text="hello"))

    assert not outbox(tmp_path).exists() or not any(outbox(tmp_path).iterdir())


async def test_unwritable_outbox_is_a_delivery_error(tmp_path: Path, build_plugins: BuildPlugins):
    plugins = await build_plugins()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "outbox").write_text("not a directory")

    with pytest.raises(DeliveryError, match="cannot write to the SMS outbox") as caught:
        await plugins.notify(OutgoingMessage(channel="sms", to="706 555 0197", text="private"))

    assert "private" not in str(caught.value)
