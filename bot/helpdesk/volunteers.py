"""Volunteers: registering, staff's decision (approve or reject), revoking an approval.

Each change is one transaction with its messages, like a request's (`Outbox.transaction`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from bot.helpdesk.conversations import Conversations, end_conversation
from bot.helpdesk.intake import Conversation
from bot.helpdesk.models import Volunteer, VolunteerState, overall_state, split_list
from bot.helpdesk.outbox import Outbox, queue_view
from bot.helpdesk.repository import volunteer_by_id, volunteers_in_state
from bot.helpdesk.requests import release_claims
from bot.helpdesk.routing import Chats
from bot.helpdesk.texts import snapshot
from bot.storage.db import now


def _show_decision(
    connection: sqlite3.Connection, chats: Chats, volunteer: Volunteer, changed: list[str]
) -> None:
    """A decision made away from the staff chats (the console, the command line): the
    registration posts of the municipalities it was for show the outcome, with the buttons
    still to press there (Revoke where approved; Approve and Reject where pending). The
    posts of the other municipalities stay as they are."""
    posts = connection.execute(
        """SELECT chat_id, message_id FROM outbox
           WHERE kind = 'message' AND state = 'sent' AND message_id IS NOT NULL
             AND json_extract(payload, '$.purpose') = ?""",
        (f"registration:{volunteer.user_id}",),
    ).fetchall()
    places = [chats.place_name(m) for m in volunteer.municipalities]
    for chat_id, message_id in posts:
        mine = [m for m in volunteer.municipalities if chats.route(m).staff == chat_id]
        if changed and not set(mine) & set(changed):
            continue
        queue_view(
            connection,
            chat_id,
            "staff_decided",
            "staff",
            {"volunteer": snapshot(volunteer), "decide_for": mine, "places": places},
            edit=message_id,
            municipality=next(iter(mine or volunteer.municipalities), None),
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
            # A new registration is vetted again, for each municipality chosen now.
            connection.execute("DELETE FROM volunteer_approvals WHERE user_id = ?", (user_id,))
            connection.executemany(
                """INSERT INTO volunteer_approvals (user_id, municipality, state)
                   VALUES (?, ?, 'pending')""",
                [(user_id, m) for m in split_list(data.get("municipalities"))],
            )
            end_conversation(connection, user_id)
            volunteer = volunteer_by_id(connection, user_id)
            assert volunteer is not None
            values = {
                "volunteer": snapshot(volunteer),
                "earlier": snapshot(earlier) if earlier else None,
                "places": [self.chats.place_name(m) for m in volunteer.municipalities],
            }
            for chat, theirs in self._staff_chats(volunteer).items():
                # Each chat's post has the buttons of the municipalities it is the staff
                # chat of: Asker's staff approve for Asker only.
                queue_view(
                    connection,
                    chat,
                    "staff_registration",
                    "staff",
                    {**values, "decide_for": theirs},
                    purpose=f"registration:{user_id}",
                    municipality=next(iter(theirs), None),
                )
            return volunteer

        volunteer = await self.outbox.transaction(run)
        self.conversations.ended(user_id)
        return volunteer

    def _staff_chats(self, volunteer: Volunteer) -> dict[int | None, list[str]]:
        """The staff chat of each municipality the volunteer signed up for, with the
        municipalities it decides for (the first one's language is the chat's); the global
        staff chat for none."""
        if not volunteer.municipalities:
            return {self.chats.staff: []}
        chats: dict[int | None, list[str]] = {}
        for municipality in volunteer.municipalities:
            chats.setdefault(self.chats.route(municipality).staff, []).append(municipality)
        return chats

    async def decide(
        self,
        user_id: int,
        approve: bool,
        staff_id: int | None,
        from_states: tuple[str, ...] = ("pending",),
        municipalities: Collection[str] | None = None,
    ) -> Volunteer | None:
        """Approve or reject a volunteer for `municipalities` (every one they signed up for,
        when None) where they are in one of `from_states` (pending, unless staff decide again
        from the command line), and tell them what for; None if in none of them."""
        decided = await self.decide_where(user_id, approve, staff_id, from_states, municipalities)
        return decided[0] if decided else None

    async def decide_where(
        self,
        user_id: int,
        approve: bool,
        staff_id: int | None,
        from_states: tuple[str, ...] = ("pending",),
        municipalities: Collection[str] | None = None,
    ) -> tuple[Volunteer, list[str]] | None:
        """`decide`, with the municipalities it changed ([] for a volunteer registered
        without any): each one's staff are to see it in their audit log."""
        state: VolunteerState = "approved" if approve else "rejected"

        def run(connection: sqlite3.Connection) -> tuple[Volunteer, list[str]] | None:
            changed = _change(connection, user_id, state, staff_id, from_states, municipalities)
            volunteer = volunteer_by_id(connection, user_id)
            if changed is None or volunteer is None:
                return None
            key = "volunteer_approved" if approve else "volunteer_rejected"
            self._tell(connection, volunteer, key, changed)
            if staff_id is None:
                _show_decision(connection, self.chats, volunteer, changed)
            return volunteer, changed

        return await self.outbox.transaction(run)

    async def revoke(
        self, user_id: int, staff_id: int | None, municipalities: Collection[str] | None = None
    ) -> Volunteer | None:
        """Withdraw an approval for `municipalities` (all, when None); requests the volunteer
        had taken there go back to the queue."""
        revoked = await self.revoke_where(user_id, staff_id, municipalities)
        return revoked[0] if revoked else None

    async def revoke_where(
        self, user_id: int, staff_id: int | None, municipalities: Collection[str] | None = None
    ) -> tuple[Volunteer, list[str]] | None:
        """`revoke`, with the municipalities it changed ([] for a volunteer registered
        without any)."""

        def run(connection: sqlite3.Connection) -> tuple[Volunteer, list[str]] | None:
            changed = _change(
                connection, user_id, "revoked", staff_id, ("approved",), municipalities
            )
            volunteer = volunteer_by_id(connection, user_id)
            if changed is None or volunteer is None:
                return None
            # Where they are approved still, what they took stays theirs.
            release_claims(connection, self.chats, user_id, volunteer)
            self._tell(connection, volunteer, "volunteer_revoked", changed)
            if staff_id is None:
                _show_decision(connection, self.chats, volunteer, changed)
            return volunteer, changed

        return await self.outbox.transaction(run)

    def _tell(
        self, connection: sqlite3.Connection, volunteer: Volunteer, key: str, places: list[str]
    ) -> None:
        """The volunteer is told the decision, and which municipalities it is for."""
        if not places:
            queue_view(connection, volunteer.user_id, "say", "volunteer", {"key": key})
            return
        names = ", ".join(self.chats.place_name(m) for m in places)
        values = {"key": f"{key}_for", "values": {"places": names}}
        queue_view(connection, volunteer.user_id, "say", "volunteer", values)


def _change(
    connection: sqlite3.Connection,
    user_id: int,
    state: VolunteerState,
    staff_id: int | None,
    from_states: tuple[str, ...],
    municipalities: Collection[str] | None,
) -> list[str] | None:
    """Move a volunteer to `state` for `municipalities` (all, when None) where they are in
    one of `from_states`, and their overall state with it. The municipalities changed ([]
    for one registered without any); None when nothing changed."""
    marks = ", ".join("?" for _ in from_states)
    volunteer = volunteer_by_id(connection, user_id)
    if volunteer is None:
        return None
    stamp = now()
    if not volunteer.municipalities:
        cursor = connection.execute(
            f"""UPDATE volunteers SET state = ?, decided_at = ?, decided_by = ?
                WHERE user_id = ? AND state IN ({marks})""",
            (state, stamp, staff_id, user_id, *from_states),
        )
        return [] if cursor.rowcount == 1 else None
    wanted = [
        m
        for m in volunteer.municipalities
        if (municipalities is None or m in municipalities) and volunteer.state_in(m) in from_states
    ]
    if not wanted:
        return None
    connection.executemany(
        """UPDATE volunteer_approvals SET state = ?, decided_at = ?, decided_by = ?
           WHERE user_id = ? AND municipality = ?""",
        [(state, stamp, staff_id, user_id, m) for m in wanted],
    )
    states = [state if m in wanted else volunteer.state_in(m) for m in volunteer.municipalities]
    connection.execute(
        "UPDATE volunteers SET state = ?, decided_at = ?, decided_by = ? WHERE user_id = ?",
        (overall_state([s for s in states if s is not None]), stamp, staff_id, user_id),
    )
    return wanted
