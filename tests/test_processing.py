"""The durable update queue: what cannot be an update is never stored and never resumed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot, Update

from bot.storage import Database
from bot.storage.records import Inbox
from bot.tg.processing import DurableUpdateQueue, resume_unhandled

TOKEN = "123456:ABCdefGhIJKlmNoPQRsTUVwxyZ"


@pytest.fixture
async def inbox(tmp_path: Path) -> AsyncIterator[Inbox]:
    async with Database(tmp_path / "bot.db") as db:
        yield Inbox(db)


def _update(update_id: object, bot: Bot) -> Update:
    data = {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 5, "type": "private"},
            "from": {"id": 5, "is_bot": False, "first_name": "Kari"},
            "text": "hei",
        },
    }
    update = Update.de_json(data, bot)
    assert update is not None
    return update


async def test_an_update_without_a_whole_number_id_is_never_stored(inbox: Inbox) -> None:
    bot = Bot(TOKEN)
    queue = DurableUpdateQueue(set())
    queue.inbox = inbox
    await queue.put(_update(float("nan"), bot))
    await queue.put(_update("7", bot))
    assert queue.empty()
    assert await inbox.pending() == []
    await queue.put(_update(8, bot))
    assert queue.qsize() == 1


async def test_an_unreadable_leftover_is_dropped_once_not_resumed_at_every_start(
    inbox: Inbox,
) -> None:
    bot = Bot(TOKEN)
    await inbox.record(9, {"update_id": 9, "message": {"message_id": "not a message"}})
    await inbox.db.write("INSERT INTO inbox (update_id, payload, received_at) VALUES (10, '{', 0)")
    await inbox.record(11, _update(11, bot).to_dict())
    queue = DurableUpdateQueue(set())
    queue.inbox = inbox
    assert await resume_unhandled(inbox, queue, bot) == 1
    assert [u for u, _ in await inbox.pending()] == [11]
