"""Who is in the middle of intake or a volunteer registration, and where they are.

A conversation is stored after every step, so it survives a restart. Who is talking is also
kept in memory, so routing a private text needs no database read.
"""

from __future__ import annotations

import json
import sqlite3

from bot.helpdesk.intake import Conversation
from bot.helpdesk.repository import conversation_of, talking
from bot.storage.db import Database, now


def end_conversation(connection: sqlite3.Connection, user_id: int) -> None:
    """Inside a transaction that finishes a conversation (a request stored, a registration
    sent, a resident forgotten); call `Conversations.ended` once it has committed."""
    connection.execute("DELETE FROM conversations WHERE user_id = ?", (user_id,))


class Conversations:
    """The stored conversations, and the set of users in one."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._talking: set[int] = set()

    async def start(self) -> None:
        """Remember who is in the middle of a conversation (it survives restarts)."""
        self._talking = await self.db.read(talking)

    async def drop_gone(self) -> None:
        """Forget the users whose conversation is no longer stored (erased by another
        process). Only those known before the read can go: one who starts a conversation
        meanwhile stays."""
        known = set(self._talking)
        stored = await self.db.read(talking)
        self._talking -= known - stored

    def is_talking(self, user_id: int) -> bool:
        """True when `user_id` is in the middle of intake or registration."""
        return user_id in self._talking

    def ended(self, user_id: int) -> None:
        """A transaction with `end_conversation` for `user_id` has committed."""
        self._talking.discard(user_id)

    async def get(self, user_id: int) -> Conversation | None:
        if user_id not in self._talking:
            return None
        conversation = await self.db.read(lambda c: conversation_of(c, user_id))
        if conversation is None:
            self._talking.discard(user_id)
        return conversation

    async def save(self, user_id: int, conversation: Conversation) -> None:
        await self.db.write(
            """INSERT INTO conversations (user_id, kind, step, data, updated_at)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (user_id) DO UPDATE SET kind = excluded.kind, step = excluded.step,
                 data = excluded.data, updated_at = excluded.updated_at""",
            (user_id, conversation.kind, conversation.step, json.dumps(conversation.data), now()),
        )
        self._talking.add(user_id)

    async def end(self, user_id: int) -> None:
        await self.db.run_write(lambda c: end_conversation(c, user_id))
        self._talking.discard(user_id)
