"""The chat browser tests' other hand, run as a subprocess beside the server (same
TAXPORTAL_* environment, so the same database and bus):

    python tests/browser/chat_seed.py taxpayer < '{"return": {...}, "language": "es"}'
        -> {"portal_id": 3, "token": "..."}   a registered, verified taxpayer's live session
    python tests/browser/chat_seed.py post < '{"portal_id": 3, "text": "..."}'
        -> message id                          the preparer answers (through the service)
    python tests/browser/chat_seed.py read < '{"portal_id": 3}'
        -> true/false                          the preparer read the conversation

The firm's page is the console's (issue 12); until it lands the preparer's side is played
here, through the same service and bus the page will use.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from taxportal.config import load_config
from taxportal.models import Portal, TaxpayerAccount
from taxportal.runtime import build_core, started
from taxportal.services.accounts import sessions
from taxportal.services.returns import records as returns_service
from taxportal.services.returns.fields import ReturnFields
from taxportal_chat import conversation
from taxportal_chat.conversation import Author
from taxportal_chat.settings import ChatSettings

PREPARER = Author("staff", 1, "Ana Ruiz")


async def run(command: str, spec: dict[str, Any]) -> object:
    async with started(build_core(load_config(path=None))) as core:
        if command == "taxpayer":
            fields = ReturnFields(**spec["return"])
            tax_return, _ = await returns_service.upsert(core, fields, actor="test")
            portal = await Portal.create(tax_return=tax_return, status="verified")
            username = f"chat{tax_return.id}"
            account = await TaxpayerAccount.create(
                portal=portal,
                username=username,
                username_key=username,
                password_hash="x",
                language=spec.get("language", ""),
            )
            token, _ = await sessions.start(core, account=account, second_factor=True)
            return {"portal_id": portal.id, "token": token}
        if command == "post":
            settings = ChatSettings(posts_per_minute=1000)
            message = await conversation.post(
                core, settings, spec["portal_id"], PREPARER, spec["text"]
            )
            return message.id
        if command == "read":
            newest = (await conversation.positions(spec["portal_id"])).last_message_id
            return await conversation.mark_read(core, spec["portal_id"], "staff", newest)
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(sys.argv[1], json.load(sys.stdin)))))
