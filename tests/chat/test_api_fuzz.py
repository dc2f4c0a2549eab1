"""Schemathesis fuzzes the served document with the chat plugin on: its messages routes
answer what the merged schema says, with every check on, like the core's routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from taxportal.models import Portal, StaffUser
from taxportal.services.accounts import staff as staff_service
from taxportal.web.keys import API_DOCUMENT
from taxportal_chat import conversation
from taxportal_chat.conversation import Author
from taxportal_chat.settings import ChatSettings
from tests.accounts import journey
from tests.api.conftest import Api
from tests.api.test_schemathesis import run_schemathesis


async def test_the_messages_routes_keep_to_the_schema(chat_app: Any, tmp_path: Path) -> None:
    client = await chat_app()
    core = journey.core(client)
    await journey.invited(client)  # return 1, with a portal
    await staff_service.add_staff(core, "ana@example.com", "Correct-Horse-9", "admin", "Ana")
    user = await StaffUser.get(email="ana@example.com")
    api = Api(client, await staff_service.issue_api_token(user, "fuzz"), user)
    portal = await Portal.get(tax_return_id=1)  # the smallest ids exist, which the fuzzer tries
    await conversation.post(core, ChatSettings(), portal.id, Author("staff", user.id, "Ana"), "Hi")
    returncode, output = await run_schemathesis(api, tmp_path)
    assert returncode == 0, output
    spec = client.app[API_DOCUMENT]
    operations = sum(m != "parameters" for item in spec["paths"].values() for m in item)
    assert f"Tested: {operations}" in output, output
