"""The help desk's services for one database, wired together: no rules live here.

`bot.services.Services` builds one for the bot, chat mode and the CLI; tests build their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.helpdesk.conversations import Conversations
from bot.helpdesk.outbox import ContactLine, Outbox
from bot.helpdesk.privacy import Privacy
from bot.helpdesk.requests import Requests
from bot.helpdesk.routing import Chats
from bot.helpdesk.volunteers import Volunteers
from bot.storage.db import Database


@dataclass(frozen=True)
class HelpDesk:
    """Requests, volunteers, conversations, erasure and the outbox they all write to."""

    db: Database
    chats: Chats
    outbox: Outbox
    conversations: Conversations
    requests: Requests
    volunteers: Volunteers
    privacy: Privacy

    @classmethod
    def build(
        cls,
        db: Database,
        *,
        volunteer_chat_id: int | None,
        staff_chat_id: int | None,
        contact_line: ContactLine,
        chats: Chats | None = None,
        escalate_after_seconds: float = 3600,
        retention_seconds: float = 30 * 86400,
        wake_outbox: Callable[[], None] | None = None,
    ) -> HelpDesk:
        # Without `chats`, every municipality uses the two global chats.
        chats = chats or Chats(volunteer_chat_id, staff_chat_id)
        outbox = Outbox(db, contact_line, wake_outbox, chats.language)
        conversations = Conversations(db)
        return cls(
            db,
            chats,
            outbox,
            conversations,
            Requests(outbox, conversations, chats, escalate_after_seconds),
            Volunteers(outbox, conversations, chats),
            Privacy(outbox, conversations, chats, retention_seconds),
        )

    async def start(self) -> None:
        """Remember who is in the middle of a conversation (it survives restarts)."""
        await self.conversations.start()
