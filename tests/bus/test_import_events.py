"""A tax program's returns are heard as events: one per return through the API's upsert,
one per committed batch of a CSV import, none for a return that did not change."""

from __future__ import annotations

from typing import Any

from taxportal import hookimpl
from taxportal.events import ReturnImported, ReturnsImported, decode, encode, listens_to
from taxportal.models import TaxReturn
from taxportal.services.returns import csv_import
from taxportal.services.returns import records as returns_service
from taxportal.services.returns.fields import ReturnFields
from tests.csv_import.conftest import csv_file, row


class Imports:
    def __init__(self) -> None:
        self.heard: list[Any] = []

    @hookimpl
    @listens_to(ReturnImported, ReturnsImported)
    def taxportal_event(self, event: Any) -> None:
        self.heard.append(event)


async def test_an_upsert_is_one_event_and_an_unchanged_one_none(started: Any) -> None:
    listener = Imports()
    core = await started(listener)
    fields = ReturnFields(tax_year=2025, last_name="Nunez", ssn="123-45-6789")
    created, _ = await returns_service.upsert(core, fields, "api:1")
    await returns_service.upsert(core, fields, "api:1")  # the same again: nothing changed
    changed = fields.model_copy(update={"first_name": "Ana"})
    await returns_service.upsert(core, changed, "api:1")
    assert listener.heard == [
        ReturnImported(created.id, created=True),
        ReturnImported(created.id, created=False),
    ]


async def test_a_csv_import_is_one_event_per_batch_with_every_id(started: Any) -> None:
    listener = Imports()
    core = await started(listener)
    first = csv_file(row("Alvarez", "111-22-3333"), row("Baker", "111-22-4444"))
    await csv_import.import_csv(core, first, "staff:1")
    ids = dict(await TaxReturn.all().values_list("last_name", "id"))
    again = csv_file(
        row("Alvarez", "111-22-3333", first="Changed"),
        row("Baker", "111-22-4444"),  # unchanged: not in the event
        row("Chen", "111-22-5555"),
    )
    await csv_import.import_csv(core, again, "staff:1")
    chen = await TaxReturn.get(last_name="Chen")
    assert listener.heard == [
        ReturnsImported((ids["Alvarez"], ids["Baker"]), ()),
        ReturnsImported((chen.id,), (ids["Alvarez"],)),
    ]


def test_a_batch_travels_as_ids_and_comes_back_equal() -> None:
    event = ReturnsImported((1, 2, 3), (4,))
    assert encode(event) == '{"created_ids":[1,2,3],"updated_ids":[4]}'
    assert decode("returns_imported", encode(event)) == event
