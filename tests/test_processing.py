"""The durable update queue: what cannot be an update is never stored and never resumed; a
polled batch is recorded in one commit, queued in order, and confirmed only once recorded."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot, Update
from telegram.request import BaseRequest, RequestData

from bot.storage import Database
from bot.storage.records import Inbox
from bot.tg.processing import (
    DurableUpdateQueue,
    PerChatUpdateProcessor,
    SettledGetUpdates,
    resume_unhandled,
)

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


class _Recorded(BaseRequest):
    """A getUpdates client that notes which updates the inbox held when it was called."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.seen: list[list[int]] = []
        self.body = b'{"ok": true, "result": []}'

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = None,
        write_timeout: object = None,
        connect_timeout: object = None,
        pool_timeout: object = None,
    ) -> tuple[int, bytes]:
        rows = await self.inbox.db.fetchall("SELECT update_id FROM inbox ORDER BY update_id")
        self.seen.append([int(row[0]) for row in rows])
        return 200, self.body


async def test_a_polled_batch_is_recorded_before_the_next_get_updates_confirms_it(
    inbox: Inbox,
) -> None:
    bot = Bot(TOKEN)
    queue = DurableUpdateQueue(set())
    queue.inbox = inbox
    inner = _Recorded(inbox)
    request = SettledGetUpdates(inner, queue)
    await request.post("https://api.telegram.org/bot/getUpdates")
    assert queue.background
    # As PTB's updater puts a batch: one after another, each put returning at once.
    for update_id in (21, 22, 23):
        await queue.put(_update(update_id, bot))
    await request.post("https://api.telegram.org/bot/getUpdates")
    assert inner.seen == [[], [21, 22, 23]]
    assert [queue.get_nowait().update_id for _ in range(3)] == [21, 22, 23]  # type: ignore[attr-defined]
    # A redelivery of a processed update is still skipped.
    await inbox.mark_processed(22)
    await queue.put(_update(22, bot))
    await queue.settled()
    assert queue.empty()


class _Closing(Inbox):
    """An inbox whose database is going away: every write fails with a non-sqlite error."""

    async def record(self, update_id: int, payload: object, durable: bool = True) -> bool:
        raise RuntimeError("the database is closing")


async def test_a_polled_update_that_cannot_be_recorded_is_still_handled(inbox: Inbox) -> None:
    bot = Bot(TOKEN)
    queue = DurableUpdateQueue(set())
    queue.inbox = _Closing(inbox.db)
    request = SettledGetUpdates(_Recorded(inbox), queue)
    await request.post("https://api.telegram.org/bot/getUpdates")
    assert queue.background
    await queue.put(_update(31, bot))
    await queue.settled()
    assert queue.get_nowait().update_id == 31  # type: ignore[attr-defined]


async def test_the_count_of_chats_being_handled_is_told_at_each_change() -> None:
    # The notice process reads this count (bot/tg/noticeproc.py): it must follow every change.
    processor = PerChatUpdateProcessor(4, set())
    told: list[int] = []
    processor.on_handling = told.append
    release = asyncio.Event()

    async def handler() -> None:
        await release.wait()

    first = asyncio.create_task(processor.do_process_update(object(), handler()))
    second = asyncio.create_task(processor.do_process_update(object(), handler()))
    await asyncio.sleep(0)
    assert processor.handling == 1  # both are chat 0's: one chat
    release.set()
    await asyncio.gather(first, second)
    assert told == [1, 1, 1, 0]
    assert processor.handling == 0


async def test_a_polled_update_is_handled_at_its_commit_and_confirmed_after_its_fsync(
    inbox: Inbox,
) -> None:
    """The resident does not wait for the disk; Telegram is told only once it is fsynced."""
    bot = Bot(TOKEN)
    queue = DurableUpdateQueue(set())
    queue.inbox = inbox
    inner = _Recorded(inbox)
    request = SettledGetUpdates(inner, queue)
    await request.post("https://api.telegram.org/bot/getUpdates")
    fsync_entered, fsync_may_end = threading.Event(), threading.Event()
    real_fsync = inbox.db._fsync_wal

    def slow_fsync() -> None:
        fsync_entered.set()
        fsync_may_end.wait(30)
        real_fsync()

    inbox.db._fsync_wal = slow_fsync  # type: ignore[method-assign]
    try:
        await queue.put(_update(41, bot))
        # Queued (so handled) once committed, while its fsync has not ended.
        assert (await queue.get()).update_id == 41  # type: ignore[attr-defined]
        confirm = asyncio.create_task(request.post("https://api.telegram.org/bot/getUpdates"))
        assert await asyncio.to_thread(fsync_entered.wait, 30)
        await asyncio.sleep(0.05)
        assert not confirm.done()
        assert inner.seen == [[]]
    finally:
        fsync_may_end.set()
    await confirm
    assert inner.seen == [[], [41]]


async def test_a_polled_update_is_recorded_as_telegram_sent_it(inbox: Inbox) -> None:
    """The inbox keeps getUpdates' own JSON of each update (not PTB's to_dict of it, which
    costs twenty times more), and an update resumed from it reads back the same."""
    bot = Bot(TOKEN)
    queue = DurableUpdateQueue(set())
    queue.inbox = inbox
    inner = _Recorded(inbox)
    request = SettledGetUpdates(inner, queue)
    sent = _update(51, bot).to_dict()
    sent["message"]["a_field_ptb_does_not_know"] = 1
    inner.body = json.dumps({"ok": True, "result": [sent]}).encode()
    await request.post("https://api.telegram.org/bot/getUpdates")
    await queue.put(_update(51, bot))
    await queue.settled()
    assert await inbox.pending() == [(51, sent)]
    assert queue.received == {}
    again = DurableUpdateQueue(set())
    assert await resume_unhandled(inbox, again, bot) == 1
    assert again.get_nowait().message.text == "hei"  # type: ignore[attr-defined]
