"""How updates flow from Telegram to the handlers: durably, and in order per chat.

PTB puts every fetched update (polling) or received update (webhook) into the application's
update queue before Telegram counts it as delivered. `DurableUpdateQueue` records the update in
the inbox at that moment, so an update fetched but not yet handled survives a crash.
`PerChatUpdateProcessor` handles different chats concurrently but each chat strictly in order,
skips updates already processed (redeliveries after a restart) and marks each one processed
when its handlers are done.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.storage.records import Inbox

logger = logging.getLogger(__name__)


class DurableUpdateQueue(asyncio.Queue[object]):
    """The application's update queue; records each update in the inbox before accepting it."""

    def __init__(self) -> None:
        super().__init__()
        self.inbox: Inbox | None = None

    async def put(self, item: object) -> None:
        if isinstance(item, Update) and self.inbox is not None:
            try:
                fresh = await self.inbox.record(item.update_id, item.to_dict())
                if not fresh and await self.inbox.is_processed(item.update_id):
                    logger.info("update %d was already processed; skipped", item.update_id)
                    return
            except sqlite3.Error:
                # Answering matters more than durability: handle it even if it can't be stored.
                logger.exception("could not record update %d", item.update_id)
        await super().put(item)


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
    """Concurrent across chats, sequential within a chat, and exactly once per update id."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self.inbox: Inbox | None = None
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._in_flight: set[int] = set()

    async def initialize(self) -> None:
        """Nothing to set up: the inbox is attached once the database is open."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await self._process_once(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                self._locks.pop(key, None)

    async def _process_once(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update) or self.inbox is None:
            await coroutine
            return
        update_id = update.update_id
        if update_id in self._in_flight or await self.inbox.is_processed(update_id):
            logger.info("update %d already handled; skipped", update_id)
            if asyncio.iscoroutine(coroutine):
                coroutine.close()
            return
        self._in_flight.add(update_id)
        try:
            await coroutine
        finally:
            self._in_flight.discard(update_id)
            try:
                await self.inbox.mark_processed(update_id)
            except sqlite3.Error:
                logger.exception("could not mark update %d processed", update_id)
