"""Volunteers: registering, staff's decision (approve or reject), revoking an approval.

Each change is one transaction with its messages, like a request's (`Outbox.transaction`).
"""

from __future__ import annotations

import sqlite3

from bot.helpdesk.conversations import Conversations, end_conversation
from bot.helpdesk.intake import Conversation
from bot.helpdesk.models import Volunteer
from bot.helpdesk.outbox import Outbox, queue_view
from bot.helpdesk.repository import volunteer_by_id, volunteers_in_state
from bot.helpdesk.requests import release_claims
from bot.helpdesk.routing import Chats
from bot.helpdesk.texts import snapshot
from bot.storage.db import now


def _show_decision(connection: sqlite3.Connection, volunteer: Volunteer) -> None:
    """A decision made away from the staff chat (the command line): its registration post
    there shows the outcome and loses the Approve and Reject buttons."""
    posts = connection.execute(
        """SELECT chat_id, message_id FROM outbox
           WHERE kind = 'message' AND state = 'sent' AND message_id IS NOT NULL
             AND json_extract(payload, '$.purpose') = ?""",
        (f"registration:{volunteer.user_id}",),
    ).fetchall()
    values = {"volunteer": snapshot(volunteer)}
    for chat_id, message_id in posts:
        queue_view(
            connection,
            chat_id,
            "staff_decided",
            "staff",
            values,
            edit=message_id,
            municipality=next(iter(volunteer.municipalities), None),
        )


class Volunteers:
    """The transitions of volunteers, and reading them."""

    def __init__(self, outbox: Outbox, conversations: Conversations, chats: Chats) -> None:
        self.outbox = outbox
        self.db = outbox.db
        self.conversations = conversations
        self.chats = chats

    async def get(self, user_id: int) -> Volunteer | None:
        return await self.db.read(lambda c: volunteer_by_id(c, user_id))

    async def in_state(self, state: str | None = None) -> list[Volunteer]:
        return await self.db.read(lambda c: volunteers_in_state(c, state))

    async def register(self, user_id: int, conversation: Conversation, language: str) -> Volunteer:
        """Store a registration for staff to vet, and tell the staff chat."""
        data = conversation.data

        def run(connection: sqlite3.Connection) -> Volunteer:
            earlier = volunteer_by_id(connection, user_id)
            connection.execute(
                """INSERT INTO volunteers (user_id, name, area, skills, phone, language, state,
                     confidentiality_accepted_at, registered_at, municipalities)
                   VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)
                   ON CONFLICT (user_id) DO UPDATE SET name = excluded.name,
                     area = excluded.area, skills = excluded.skills, phone = excluded.phone,
                     language = excluded.language, state = 'pending',
                     confidentiality_accepted_at = excluded.confidentiality_accepted_at,
                     registered_at = excluded.registered_at, decided_at = NULL,
                     decided_by = NULL, municipalities = excluded.municipalities""",
                (
                    user_id,
                    data.get("name"),
                    data.get("area"),
                    data.get("skills", ""),
                    data.get("phone"),
                    language,
                    now(),
                    now(),
                    data.get("municipalities") or None,
                ),
            )
            end_conversation(connection, user_id)
            volunteer = volunteer_by_id(connection, user_id)
            assert volunteer is not None
            values = {
                "volunteer": snapshot(volunteer),
                "earlier": snapshot(earlier) if earlier else None,
                "places": [self.chats.place_name(m) for m in volunteer.municipalities],
            }
            for chat, municipality in self._staff_chats(volunteer):
                queue_view(
                    connection,
                    chat,
                    "staff_registration",
                    "staff",
                    values,
                    purpose=f"registration:{user_id}",
                    municipality=municipality,
                )
            return volunteer

        volunteer = await self.outbox.transaction(run)
        self.conversations.ended(user_id)
        return volunteer

    def _staff_chats(self, volunteer: Volunteer) -> list[tuple[int | None, str | None]]:
        """The staff chat of each municipality the volunteer signed up for, once each, with
        the municipality whose language it reads; the global staff chat for none."""
        if not volunteer.municipalities:
            return [(self.chats.staff, None)]
        chats: dict[int | None, str | None] = {}
        for municipality in volunteer.municipalities:
            chats.setdefault(self.chats.route(municipality).staff, municipality)
        return list(chats.items())

    async def decide(
        self,
        user_id: int,
        approve: bool,
        staff_id: int | None,
        from_states: tuple[str, ...] = ("pending",),
    ) -> Volunteer | None:
        """Approve or reject a volunteer in one of `from_states` (pending, unless staff decide
        again from the command line), and tell them; None if not in one of them."""
        state = "approved" if approve else "rejected"
        marks = ", ".join("?" for _ in from_states)

        def run(connection: sqlite3.Connection) -> Volunteer | None:
            cursor = connection.execute(
                f"""UPDATE volunteers SET state = ?, decided_at = ?, decided_by = ?
                    WHERE user_id = ? AND state IN ({marks})""",
                (state, now(), staff_id, user_id, *from_states),
            )
            volunteer = volunteer_by_id(connection, user_id)
            if cursor.rowcount != 1 or volunteer is None:
                return None
            key = "volunteer_approved" if approve else "volunteer_rejected"
            queue_view(connection, user_id, "say", "volunteer", {"key": key})
            if staff_id is None:
                _show_decision(connection, volunteer)
            return volunteer

        return await self.outbox.transaction(run)

    async def revoke(self, user_id: int, staff_id: int | None) -> Volunteer | None:
        """Withdraw an approval; requests the volunteer had taken go back to the queue."""

        def run(connection: sqlite3.Connection) -> Volunteer | None:
            cursor = connection.execute(
                """UPDATE volunteers SET state = 'revoked', decided_at = ?, decided_by = ?
                   WHERE user_id = ? AND state = 'approved'""",
                (now(), staff_id, user_id),
            )
            volunteer = volunteer_by_id(connection, user_id)
            if cursor.rowcount != 1 or volunteer is None:
                return None
            release_claims(connection, self.chats, user_id)
            queue_view(connection, user_id, "say", "volunteer", {"key": "volunteer_revoked"})
            if staff_id is None:
                _show_decision(connection, volunteer)
            return volunteer

        return await self.outbox.transaction(run)
