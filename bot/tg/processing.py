"""How updates flow from Telegram to the handlers: durably, and in order per chat.

PTB puts every fetched update (polling) or received update (webhook) into the application's
update queue before Telegram counts it as delivered. `DurableUpdateQueue` records the update in
the inbox at that moment, so an update fetched but not yet handled survives a crash. When
polling, PTB puts a getUpdates batch one update after another, so a put that waited for its
own commit would make every update of the batch wait for the commits of those before it; a
polled update is recorded in the background instead (the whole batch in one group commit),
and `SettledGetUpdates` holds the next getUpdates, the call that confirms the batch to
Telegram, until every update handed over is recorded and fsynced. A polled update is handled
as soon as its record is committed (it survives the process being killed from then on), not
after the fsync as well: a power cut before that fsync loses the record, but the batch was not
confirmed, so Telegram delivers it again. A webhook's update is fsynced before its put returns
(the answer to Telegram's POST confirms it).
`PerChatUpdateProcessor` handles different chats concurrently but each chat strictly in order,
skips updates already processed (redeliveries after a restart) and marks each one processed
when its handlers are done.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, Update
from telegram.ext import BaseUpdateProcessor
from telegram.request import BaseRequest

from bot.storage.records import Inbox

logger = logging.getLogger(__name__)

# Raw updates kept for their inbox record at most; more means PTB dropped some (it never
# puts an update it cannot parse), and the kept ones are forgotten.
MAX_KEPT_RECEIVED = 10_000


class DurableUpdateQueue(asyncio.Queue[object]):
    """The application's update queue; records each update in the inbox before accepting it.

    `fresh` holds the ids recorded for the first time: the processor knows those are not
    processed yet without asking the database.
    """

    def __init__(self, fresh: set[int]) -> None:
        super().__init__()
        self.inbox: Inbox | None = None
        self.fresh = fresh
        # Set by SettledGetUpdates at the first getUpdates: from then on a put returns at once
        # and the update is recorded and queued in the background, in order.
        self.background = False
        self._admitting: set[asyncio.Task[None]] = set()
        self._last: asyncio.Task[None] | None = None
        # update id -> the update as getUpdates returned it, recorded as it came: PTB's
        # to_dict of the parsed update costs 20 times json.dumps of Telegram's own JSON.
        self.received: dict[int, dict[str, Any]] = {}

    async def put(self, item: object) -> None:
        if not self.background:
            if await self._record(item, durable=True):
                await super().put(item)
            return
        task = asyncio.create_task(self._admit(item, self._last))
        self._last = task
        self._admitting.add(task)
        task.add_done_callback(self._admitting.discard)

    async def settled(self) -> None:
        """Return once every update put so far is recorded (and queued, unless skipped) and
        its record fsynced."""
        while self._admitting:
            await asyncio.gather(*self._admitting, return_exceptions=True)
        if self.inbox is not None:
            try:
                await self.inbox.db.synced()
            except sqlite3.Error:
                # As for a record that failed: the batch is handled, and confirmed.
                logger.exception("could not fsync the recorded updates")

    async def _admit(self, item: object, previous: asyncio.Task[None] | None) -> None:
        try:
            # Handled once committed; the next getUpdates waits for the fsync (`settled`).
            admit = await self._record(item, durable=False)
        except Exception:
            # Nothing else would see this task's error, and the next getUpdates confirms the
            # batch: an update that could not be recorded is still handled, never lost.
            logger.exception("could not record a polled update; handling it anyway")
            admit = True
        if previous is not None:
            # Recorded together, queued in the order Telegram sent them; never raises.
            await asyncio.wait({previous})
        if admit:
            self.put_nowait(item)

    async def _record(self, item: object, durable: bool) -> bool:
        """Record an update in the inbox; False when it must not be handled."""
        if isinstance(item, Update) and not is_update_id(item.update_id):
            # Not something Telegram sends ("update_id": NaN): never stored, never handled.
            logger.warning("an update without a whole-number update_id was dropped")
            return False
        if isinstance(item, Update) and self.inbox is not None:
            try:
                payload = self.received.pop(item.update_id, None) or item.to_dict()
                fresh = await self.inbox.record(item.update_id, payload, durable)
                if fresh:
                    self.fresh.add(item.update_id)
                elif await self.inbox.is_processed(item.update_id):
                    logger.info("update %d was already processed; skipped", item.update_id)
                    return False
            except sqlite3.Error:
                # Answering matters more than durability: handle it even if it can't be stored.
                logger.exception("could not record update %d", item.update_id)
        return True


class SettledGetUpdates(BaseRequest):
    """The getUpdates client: each call (which confirms the previous batch to Telegram) waits
    until the queue has recorded every update of that batch."""

    def __init__(self, inner: BaseRequest, queue: DurableUpdateQueue) -> None:
        self.inner = inner
        self.queue = queue

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        # Only polling calls getUpdates: a webhook's put still waits for its commit.
        self.queue.background = True
        await self.queue.settled()
        status, body = await self.inner.do_request(*args, **kwargs)
        self._keep_received(body)
        return status, body

    def _keep_received(self, body: bytes) -> None:
        """Keep each update of the batch as Telegram sent it, for its inbox record."""
        if len(self.queue.received) > MAX_KEPT_RECEIVED:
            self.queue.received.clear()  # updates PTB never handed over; to_dict serves
        try:
            result = json.loads(body).get("result")
        except (ValueError, AttributeError):
            return  # PTB reports what it cannot read
        if not isinstance(result, list):
            return
        for raw in result:
            if isinstance(raw, dict) and is_update_id(raw.get("update_id")):
                self.queue.received[raw["update_id"]] = raw


def is_update_id(value: object) -> bool:
    """True for what Telegram sends as an update_id: a whole number."""
    return isinstance(value, int) and not isinstance(value, bool)


async def resume_unhandled(inbox: Inbox, queue: DurableUpdateQueue, bot: Bot) -> int:
    """Queue the updates a crash left unhandled; one that cannot be read is dropped (marked
    done), so it is not tried again at every start. Returns how many were queued."""
    queued = 0
    for update_id, payload in await inbox.pending():
        try:
            update = Update.de_json(payload, bot) if payload is not None else None
        except (KeyError, TypeError, ValueError):
            update = None
        if update is None or not is_update_id(update.update_id):
            logger.warning(
                "update %s left from before the restart cannot be read; dropped", update_id
            )
            await inbox.mark_processed(update_id)
            continue
        await queue.put(update)
        queued += 1
    return queued


def chat_key(update: object) -> int:
    """The chat (or user) whose updates must be handled one at a time, in order."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
        return update.update_id
    return 0


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across chats, sequential within a chat, and once per update id.

    A send that fails on the network is retried by the rate limiter, inside the handler; the
    handler itself runs once, so its domain transition never runs twice.
    """

    def __init__(self, max_concurrent_updates: int, fresh: set[int]) -> None:
        super().__init__(max_concurrent_updates)
        self.inbox: Inbox | None = None
        self.fresh = fresh
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._in_flight: set[int] = set()
        # Called with each update id once it is processed (the terminal chat waits on this).
        self.listeners: list[Callable[[int], None]] = []
        # Told each change of `handling` (the notice process reads it).
        self.on_handling: Callable[[int], None] | None = None

    @property
    def handling(self) -> int:
        """Chats whose updates are being handled now (notices wait while any is)."""
        return len(self._waiting)

    async def initialize(self) -> None:
        """Nothing to set up: the inbox is attached once the database is open."""

    async def shutdown(self) -> None:
        """Nothing to release: unprocessed updates stay in the inbox for next time."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        self._published()
        try:
            async with lock:
                await self._process_once(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                self._locks.pop(key, None)
            self._published()

    def _published(self) -> None:
        if self.on_handling is not None:
            self.on_handling(len(self._waiting))

    async def _process_once(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update) or self.inbox is None:
            await coroutine
            return
        update_id = update.update_id
        if update_id in self.fresh:
            self.fresh.discard(update_id)
            done = False
        else:
            done = update_id in self._in_flight or await self.inbox.is_processed(update_id)
        if done:
            logger.info("update %d already handled; skipped", update_id)
            if asyncio.iscoroutine(coroutine):
                coroutine.close()
            return
        self._in_flight.add(update_id)
        try:
            # PTB hands a handler's exceptions to the error handler; only cancellation (a
            # shutdown) comes through, and then the update stays pending for the next start.
            await coroutine
        finally:
            self._in_flight.discard(update_id)
        try:
            await self.inbox.mark_processed(update_id)
        except sqlite3.Error:
            logger.exception("could not mark update %d processed", update_id)
        for listener in self.listeners:
            listener(update_id)
