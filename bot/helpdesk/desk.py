"""The volunteer queue's rules. Every change of a request is one transaction with its messages.

A state change and the notifications it causes are written together: the change, a row in the
outbox for each message, and a "group" row that redraws the volunteer group's message from the
request's state when it is sent. So a crash between storing and sending never loses a message,
and a claim is atomic: `UPDATE ... WHERE state = 'open'` in the single writer lets exactly one
volunteer win.

This module holds the transitions (requests, volunteers, conversations, erasure); the outbox
(`outbox.py`), the reads inside a transaction (`repository.py`) and the erasure of personal
data (`privacy.py`) are their own modules.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from rapidfuzz import fuzz

from bot.helpdesk.intake import Conversation
from bot.helpdesk.models import (
    ACTIVE,
    REQUEST_COLUMNS,
    VOLUNTEER_COLUMNS,
    HelpRequest,
    Volunteer,
    reference,
)
from bot.helpdesk.outbox import (
    VOLUNTEER_DETAILS,
    ContactLine,
    Outbox,
    OutboxItem,
    queue_message,
    queue_notice,
    queue_redraw,
    withdraw_details,
)
from bot.helpdesk.privacy import erase_requests
from bot.helpdesk.repository import (
    REQUEST_BY_ID,
    VOLUNTEER_BY_ID,
    first_name,
    request_by_id,
    volunteer_by_id,
)
from bot.helpdesk.texts import (
    staff_decided,
    staff_escalation,
    staff_registration,
    staff_undeliverable,
    volunteer_details,
)
from bot.messages import say
from bot.storage.db import Database, T, WriteFn, now
from bot.text import tokens
from bot.types import lang_or_english

logger = logging.getLogger(__name__)

AGE_REFRESH_SECONDS = 15 * 60  # how stale a group post's "posted 20 min ago" may get
DUPLICATE_WINDOW_SECONDS = 3600

ClaimStatus = Literal["won", "yours", "taken", "closed", "not_volunteer", "missing"]


@dataclass(frozen=True)
class ClaimResult:
    status: ClaimStatus
    request: HelpRequest | None = None


def _age_refresh_interval(age_seconds: int) -> int:
    """Ages show in minutes for two hours, then in hours: redraw to match."""
    return AGE_REFRESH_SECONDS if age_seconds < 2 * 3600 else 3600


# Two descriptions at least this similar (rapidfuzz's token set ratio of their folded words)
# ask for the same thing.
SAME_DESCRIPTION = 85.0


def _same_description(earlier: str | None, later: str | None) -> bool:
    first, second = " ".join(tokens(earlier or "")), " ".join(tokens(later or ""))
    return fuzz.token_set_ratio(first, second) >= SAME_DESCRIPTION


class HelpDesk:
    """Requests, volunteers and the outbox, over the bot's database."""

    def __init__(
        self,
        db: Database,
        *,
        volunteer_chat_id: int | None,
        staff_chat_id: int | None,
        contact_line: ContactLine,
        escalate_after_seconds: float = 3600,
        retention_seconds: float = 30 * 86400,
        wake_outbox: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        # Called after every committed transition: most queue messages, and the sender need not
        # wait for its timer. No caller has to remember it.
        self.wake_outbox = wake_outbox or (lambda: None)
        self.outbox = Outbox(db, contact_line, self._transaction)
        self.volunteer_chat_id = volunteer_chat_id
        self.staff_chat_id = staff_chat_id
        self.contact_line = contact_line
        self.escalate_after_seconds = escalate_after_seconds
        self.retention_seconds = retention_seconds
        self._talking: set[int] = set()

    async def _transaction(self, fn: WriteFn[T]) -> T:
        """Run `fn` in one write transaction, then wake the outbox sender."""
        result = await self.db.run_write(fn)
        self.wake_outbox()
        return result

    async def start(self) -> None:
        """Remember who is in the middle of a conversation (it survives restarts)."""
        rows = await self.db.fetchall("SELECT user_id FROM conversations")
        self._talking = {row[0] for row in rows}

    def _tell_resident(
        self,
        connection: sqlite3.Connection,
        request: HelpRequest,
        key: str,
        with_contact: bool = False,
        **values: str,
    ) -> None:
        queue_notice(
            connection, request.resident_id, request, key, "resident", with_contact, **values
        )

    def _tell_volunteer(
        self, connection: sqlite3.Connection, request: HelpRequest, key: str
    ) -> None:
        queue_notice(connection, request.volunteer_id, request, key, "volunteer")

    def _hand_over(
        self, connection: sqlite3.Connection, request: HelpRequest, volunteer: Volunteer
    ) -> None:
        """A volunteer has the request: they get the details, the resident and group are told."""
        queue_redraw(connection, self.volunteer_chat_id, request.id)
        self._tell_resident(connection, request, "notice_claimed", name=first_name(volunteer.name))
        text, keyboard = volunteer_details(request, lang_or_english(volunteer.language))
        queue_message(connection, volunteer.user_id, text, keyboard, request.id, VOLUNTEER_DETAILS)

    # -- conversations ----------------------------------------------------------------------

    def is_talking(self, user_id: int) -> bool:
        """True when `user_id` is in the middle of intake or registration."""
        return user_id in self._talking

    async def conversation(self, user_id: int) -> Conversation | None:
        if user_id not in self._talking:
            return None
        row = await self.db.fetchone(
            "SELECT kind, step, data FROM conversations WHERE user_id = ?", (user_id,)
        )
        if row is None:
            self._talking.discard(user_id)
            return None
        return Conversation(row[0], row[1], json.loads(row[2]))

    async def save_conversation(self, user_id: int, conversation: Conversation) -> None:
        await self.db.write(
            """INSERT INTO conversations (user_id, kind, step, data, updated_at)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (user_id) DO UPDATE SET kind = excluded.kind, step = excluded.step,
                 data = excluded.data, updated_at = excluded.updated_at""",
            (user_id, conversation.kind, conversation.step, json.dumps(conversation.data), now()),
        )
        self._talking.add(user_id)

    async def end_conversation(self, user_id: int) -> None:
        await self.db.write("DELETE FROM conversations WHERE user_id = ?", (user_id,))
        self._talking.discard(user_id)

    # -- requests ---------------------------------------------------------------------------

    async def submit(
        self,
        resident_id: int,
        name: str | None,
        username: str | None,
        municipality: str | None,
        language: str,
        conversation: Conversation,
    ) -> tuple[HelpRequest, bool]:
        """Store a confirmed request and queue it for the group; (request, is_duplicate).

        The same request asked for again while an earlier one is still active (within an hour:
        the same kind of help, the same municipality and a description much like it) is not
        stored twice: the earlier request is returned instead, unless the conversation says
        "send anyway".
        """
        data = dict(conversation.data)
        stamp = now()

        def run(connection: sqlite3.Connection) -> tuple[HelpRequest, bool]:
            rows = connection.execute(
                f"""SELECT {REQUEST_COLUMNS} FROM help_requests
                    WHERE resident_id = ? AND category = ? AND municipality IS ?
                      AND state IN ('open', 'claimed') AND created_at >= ? ORDER BY id DESC""",
                (resident_id, data["category"], municipality, stamp - DUPLICATE_WINDOW_SECONDS),
            ).fetchall()
            for row in rows if not data.get("anyway") else []:
                earlier = HelpRequest.from_row(row)
                if _same_description(earlier.description, data.get("description")):
                    return earlier, True
            cursor = connection.execute(
                """INSERT INTO help_requests (ref, resident_id, resident_name, resident_username,
                     municipality, language, category, description, area, timing, contact_method,
                     phone, state, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)""",
                (
                    f"pending-{resident_id}-{stamp}",
                    resident_id,
                    name,
                    username,
                    municipality,
                    language,
                    data["category"],
                    data.get("description"),
                    data.get("area"),
                    data["timing"],
                    data["contact"],
                    data.get("phone"),
                    stamp,
                ),
            )
            request_id = int(cursor.lastrowid or 0)
            connection.execute(
                "UPDATE help_requests SET ref = ? WHERE id = ?",
                (reference(municipality, request_id), request_id),
            )
            connection.execute("DELETE FROM conversations WHERE user_id = ?", (resident_id,))
            queue_redraw(connection, self.volunteer_chat_id, request_id)
            request = request_by_id(connection, request_id)
            assert request is not None
            return request, False

        result = await self._transaction(run)
        if not result[1]:
            # A duplicate keeps its conversation: "send anyway" may still store it.
            self._talking.discard(resident_id)
        logger.info("help request %d stored (duplicate=%s)", result[0].id, result[1])
        return result

    async def claim(self, request_id: int, volunteer_id: int) -> ClaimResult:
        """A volunteer presses "I'll take it": exactly one approved volunteer wins."""

        def run(connection: sqlite3.Connection) -> ClaimResult:
            volunteer = volunteer_by_id(connection, volunteer_id)
            if volunteer is None or not volunteer.approved:
                return ClaimResult("not_volunteer", request_by_id(connection, request_id))
            cursor = connection.execute(
                """UPDATE help_requests SET state = 'claimed', volunteer_id = ?, claimed_at = ?
                   WHERE id = ? AND state = 'open'""",
                (volunteer_id, now(), request_id),
            )
            request = request_by_id(connection, request_id)
            if request is None:
                return ClaimResult("missing")
            if cursor.rowcount != 1:
                if request.state == "claimed" and request.volunteer_id == volunteer_id:
                    # The same volunteer again (a press retried after a timeout): it is theirs,
                    # and nothing is sent twice.
                    return ClaimResult("yours", request)
                return ClaimResult("taken" if request.state == "claimed" else "closed", request)
            self._hand_over(connection, request, volunteer)
            return ClaimResult("won", request)

        return await self._transaction(run)

    async def release(self, request_id: int, volunteer_id: int) -> HelpRequest | None:
        """The claimer gives the request back: it reopens and the group message returns."""

        def run(connection: sqlite3.Connection) -> HelpRequest | None:
            before = request_by_id(connection, request_id)
            cursor = connection.execute(
                """UPDATE help_requests SET state = 'open', volunteer_id = NULL, claimed_at = NULL
                   WHERE id = ? AND state = 'claimed' AND volunteer_id = ?""",
                (request_id, volunteer_id),
            )
            if cursor.rowcount != 1 or before is None:
                return None
            withdraw_details(connection, request_id)
            queue_redraw(connection, self.volunteer_chat_id, request_id)
            self._tell_resident(connection, before, "notice_released")
            return request_by_id(connection, request_id)

        return await self._transaction(run)

    async def complete(self, request_id: int, volunteer_id: int) -> HelpRequest | None:
        """The claimer marks the request done."""

        def run(connection: sqlite3.Connection) -> HelpRequest | None:
            cursor = connection.execute(
                """UPDATE help_requests SET state = 'done', closed_at = ?, closed_by = 'volunteer'
                   WHERE id = ? AND state = 'claimed' AND volunteer_id = ?""",
                (now(), request_id, volunteer_id),
            )
            request = request_by_id(connection, request_id)
            if cursor.rowcount != 1 or request is None:
                return None
            withdraw_details(connection, request_id)
            queue_redraw(connection, self.volunteer_chat_id, request_id)
            self._tell_resident(connection, request, "notice_done")
            return request

        return await self._transaction(run)

    def _cancel(
        self, connection: sqlite3.Connection, request_id: int, by: str, resident_id: int | None
    ) -> HelpRequest | None:
        query = """UPDATE help_requests SET state = 'cancelled', closed_at = ?, closed_by = ?
                   WHERE id = ? AND state IN ('open', 'claimed')"""
        params: tuple[Any, ...] = (now(), by, request_id)
        if resident_id is not None:
            query += " AND resident_id = ?"
            params += (resident_id,)
        if connection.execute(query, params).rowcount != 1:
            return None
        request = request_by_id(connection, request_id)
        assert request is not None
        withdraw_details(connection, request_id)
        queue_redraw(connection, self.volunteer_chat_id, request_id)
        self._tell_volunteer(connection, request, "volunteer_request_cancelled")
        return request

    async def cancel_by_resident(self, request_id: int, resident_id: int) -> HelpRequest | None:
        """The resident cancels an open or claimed request; the volunteer is told."""
        return await self._transaction(
            lambda c: self._cancel(c, request_id, "resident", resident_id)
        )

    async def close_by_staff(self, request_id: int) -> HelpRequest | None:
        """Staff close a request: the resident and any volunteer are told."""

        def run(connection: sqlite3.Connection) -> HelpRequest | None:
            request = self._cancel(connection, request_id, "staff", None)
            if request is not None:
                self._tell_resident(connection, request, "notice_closed_by_staff", True)
            return request

        return await self._transaction(run)

    async def assign(self, request_id: int, volunteer_id: int) -> ClaimResult:
        """Staff hand an open request to a named, approved volunteer."""
        return await self.claim(request_id, volunteer_id)

    async def escalate_due(self) -> list[HelpRequest]:
        """Requests unclaimed for too long: alert staff once, and tell the resident."""
        deadline = now() - self.escalate_after_seconds
        minutes = max(int(self.escalate_after_seconds // 60), 1)

        def run(connection: sqlite3.Connection) -> list[HelpRequest]:
            rows = connection.execute(
                f"""SELECT {REQUEST_COLUMNS} FROM help_requests
                    WHERE state = 'open' AND escalated_at IS NULL AND created_at <= ?""",
                (deadline,),
            ).fetchall()
            escalated = []
            for row in rows:
                request = HelpRequest.from_row(row)
                connection.execute(
                    "UPDATE help_requests SET escalated_at = ? WHERE id = ?", (now(), request.id)
                )
                text, keyboard = staff_escalation(request, minutes)
                queue_message(connection, self.staff_chat_id, text, keyboard, request.id)
                self._tell_resident(connection, request, "notice_slow", True)
                escalated.append(request)
            return escalated

        escalated = await self._transaction(run)
        for request in escalated:
            logger.info("help request %d escalated to staff", request.id)
        return escalated

    async def refresh_ages(self) -> int:
        """Redraw open group posts whose shown age has gone stale; returns how many.

        Every quarter of an hour while the age is shown in minutes, then hourly: few enough
        edits to stay well inside Telegram's 20 a minute for a group.
        """
        stamp = now()

        def run(connection: sqlite3.Connection) -> int:
            rows = connection.execute(
                """SELECT r.id, r.created_at,
                     (SELECT MAX(o.created_at) FROM outbox o
                       WHERE o.request_id = r.id AND o.kind = 'group')
                   FROM help_requests r
                   WHERE r.state = 'open' AND r.group_message_id IS NOT NULL"""
            ).fetchall()
            stale = [
                request_id
                for request_id, created, drawn in rows
                if stamp - (drawn or created) >= _age_refresh_interval(stamp - created)
            ]
            for request_id in stale:
                queue_redraw(connection, self.volunteer_chat_id, request_id)
            return len(stale)

        return await self._transaction(run)

    # -- privacy ----------------------------------------------------------------------------

    async def erase_expired(self) -> int:
        """Erase the personal data of requests closed longer ago than the retention period."""
        deadline = now() - self.retention_seconds

        def run(connection: sqlite3.Connection) -> int:
            erased = erase_requests(
                connection,
                "state IN ('done', 'cancelled') AND closed_at <= ? AND erased_at IS NULL",
                (deadline,),
            )
            connection.execute(
                """DELETE FROM volunteers WHERE state IN ('rejected', 'revoked')
                   AND decided_at <= ?""",
                (deadline,),
            )
            connection.execute(
                "DELETE FROM outbox WHERE state != 'pending' AND created_at <= ?", (deadline,)
            )
            return erased

        erased = await self._transaction(run)
        if erased:
            await self.db.checkpoint()
            logger.info("erased the personal data of %d closed help request(s)", erased)
        return erased

    async def forget_resident(self, resident_id: int) -> int:
        """Close the resident's active requests and erase everything about them."""

        def run(connection: sqlite3.Connection) -> int:
            active = connection.execute(
                """SELECT id FROM help_requests
                   WHERE resident_id = ? AND state IN ('open', 'claimed')""",
                (resident_id,),
            ).fetchall()
            for (request_id,) in active:
                self._cancel(connection, request_id, "resident", resident_id)
            connection.execute(
                "DELETE FROM outbox WHERE chat_id = ? AND state = 'pending'", (resident_id,)
            )
            # Sent and failed rows keep no text, but their address is the resident's user id.
            connection.execute("UPDATE outbox SET chat_id = NULL WHERE chat_id = ?", (resident_id,))
            erased = erase_requests(connection, "resident_id = ?", (resident_id,))
            connection.execute("DELETE FROM conversations WHERE user_id = ?", (resident_id,))
            connection.execute("DELETE FROM residents WHERE user_id = ?", (resident_id,))
            connection.execute(
                "UPDATE questions SET text = NULL, user_id = NULL WHERE user_id = ?", (resident_id,)
            )
            # A volunteer who asks to be forgotten: their requests go back to the queue first.
            self._release_claims(connection, resident_id)
            connection.execute(
                "UPDATE help_requests SET volunteer_id = NULL WHERE volunteer_id = ?",
                (resident_id,),
            )
            connection.execute("DELETE FROM volunteers WHERE user_id = ?", (resident_id,))
            return erased

        erased = await self._transaction(run)
        self._talking.discard(resident_id)
        await self.db.checkpoint()
        logger.info("resident data erased on request (%d request(s))", erased)
        return erased

    # -- reading ----------------------------------------------------------------------------

    async def stored_since(self, resident_id: int, since: int) -> HelpRequest | None:
        """The first request the resident stored at or after `since` (epoch seconds)."""
        row = await self.db.fetchone(
            f"""SELECT {REQUEST_COLUMNS} FROM help_requests
                WHERE resident_id = ? AND created_at >= ? ORDER BY id LIMIT 1""",
            (resident_id, since),
        )
        return HelpRequest.from_row(row) if row else None

    async def get(self, request_id: int) -> HelpRequest | None:
        row = await self.db.fetchone(REQUEST_BY_ID, (request_id,))
        return HelpRequest.from_row(row) if row else None

    async def by_ref(self, ref: str) -> HelpRequest | None:
        row = await self.db.fetchone(
            f"SELECT {REQUEST_COLUMNS} FROM help_requests WHERE upper(ref) = upper(?)", (ref,)
        )
        return HelpRequest.from_row(row) if row else None

    async def of_resident(self, resident_id: int) -> list[HelpRequest]:
        rows = await self.db.fetchall(
            f"SELECT {REQUEST_COLUMNS} FROM help_requests WHERE resident_id = ? ORDER BY id DESC",
            (resident_id,),
        )
        return [HelpRequest.from_row(row) for row in rows]

    async def requests(self, state: str | None = None) -> list[HelpRequest]:
        if state is None:
            rows = await self.db.fetchall(
                f"SELECT {REQUEST_COLUMNS} FROM help_requests ORDER BY id"
            )
        else:
            rows = await self.db.fetchall(
                f"SELECT {REQUEST_COLUMNS} FROM help_requests WHERE state = ? ORDER BY id", (state,)
            )
        return [HelpRequest.from_row(row) for row in rows]

    # -- volunteers -------------------------------------------------------------------------

    async def volunteer(self, user_id: int) -> Volunteer | None:
        row = await self.db.fetchone(VOLUNTEER_BY_ID, (user_id,))
        return Volunteer.from_row(row) if row else None

    async def volunteers(self, state: str | None = None) -> list[Volunteer]:
        sql = f"SELECT {VOLUNTEER_COLUMNS} FROM volunteers"
        params: tuple[Any, ...] = ()
        if state is not None:
            sql += " WHERE state = ?"
            params = (state,)
        rows = await self.db.fetchall(sql + " ORDER BY registered_at", params)
        return [Volunteer.from_row(row) for row in rows]

    async def register_volunteer(
        self, user_id: int, conversation: Conversation, language: str
    ) -> Volunteer:
        """Store a registration for staff to vet, and tell the staff chat."""
        data = conversation.data

        def run(connection: sqlite3.Connection) -> Volunteer:
            earlier = volunteer_by_id(connection, user_id)
            connection.execute(
                """INSERT INTO volunteers (user_id, name, area, skills, phone, language, state,
                     confidentiality_accepted_at, registered_at)
                   VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)
                   ON CONFLICT (user_id) DO UPDATE SET name = excluded.name,
                     area = excluded.area, skills = excluded.skills, phone = excluded.phone,
                     language = excluded.language, state = 'pending',
                     confidentiality_accepted_at = excluded.confidentiality_accepted_at,
                     registered_at = excluded.registered_at, decided_at = NULL,
                     decided_by = NULL""",
                (
                    user_id,
                    data.get("name"),
                    data.get("area"),
                    data.get("skills", ""),
                    data.get("phone"),
                    language,
                    now(),
                    now(),
                ),
            )
            connection.execute("DELETE FROM conversations WHERE user_id = ?", (user_id,))
            volunteer = volunteer_by_id(connection, user_id)
            assert volunteer is not None
            text, keyboard = staff_registration(volunteer, earlier)
            queue_message(
                connection, self.staff_chat_id, text, keyboard, purpose=f"registration:{user_id}"
            )
            return volunteer

        volunteer = await self._transaction(run)
        self._talking.discard(user_id)
        return volunteer

    async def decide_volunteer(
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
            queue_message(connection, user_id, say(key, lang_or_english(volunteer.language)))
            if staff_id is None:
                self._show_decision(connection, volunteer)
            return volunteer

        return await self._transaction(run)

    def _show_decision(self, connection: sqlite3.Connection, volunteer: Volunteer) -> None:
        """A decision made away from the staff chat (the command line): its registration post
        there shows the outcome and loses the Approve and Reject buttons."""
        posts = connection.execute(
            """SELECT chat_id, message_id FROM outbox
               WHERE kind = 'message' AND state = 'sent' AND message_id IS NOT NULL
                 AND json_extract(payload, '$.purpose') = ?""",
            (f"registration:{volunteer.user_id}",),
        ).fetchall()
        text = staff_decided(volunteer)
        for chat_id, message_id in posts:
            connection.execute(
                """INSERT INTO outbox (kind, chat_id, payload, not_before, created_at)
                   VALUES ('edit', ?, ?, ?, ?)""",
                (chat_id, json.dumps({"text": text, "edit": message_id}), time.time(), now()),
            )

    def _release_claims(self, connection: sqlite3.Connection, volunteer_id: int) -> None:
        """The requests a volunteer has taken go back to the queue; their residents are told."""
        claimed = connection.execute(
            "SELECT id FROM help_requests WHERE volunteer_id = ? AND state = 'claimed'",
            (volunteer_id,),
        ).fetchall()
        for (request_id,) in claimed:
            before = request_by_id(connection, request_id)
            connection.execute(
                """UPDATE help_requests SET state = 'open', volunteer_id = NULL,
                     claimed_at = NULL WHERE id = ?""",
                (request_id,),
            )
            withdraw_details(connection, request_id)
            queue_redraw(connection, self.volunteer_chat_id, request_id)
            if before is not None:
                self._tell_resident(connection, before, "notice_released")

    async def revoke_volunteer(self, user_id: int, staff_id: int | None) -> Volunteer | None:
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
            self._release_claims(connection, user_id)
            queue_message(
                connection, user_id, say("volunteer_revoked", lang_or_english(volunteer.language))
            )
            if staff_id is None:
                self._show_decision(connection, volunteer)
            return volunteer

        return await self._transaction(run)

    async def group_view(self, request_id: int) -> tuple[HelpRequest, str | None] | None:
        """A request and its volunteer's first name, for drawing the group message."""
        request = await self.get(request_id)
        if request is None:
            return None
        volunteer = await self.volunteer(request.volunteer_id) if request.volunteer_id else None
        return request, first_name(volunteer.name) if volunteer else None

    async def undeliverable_details(self, item: OutboxItem, reason: str = "") -> None:
        """The volunteer cannot be reached privately: give the request back to the queue, and
        tell staff why (a hand-over they made must not look done when it failed)."""
        if item.request_id is None or item.chat_id is None:
            return
        released = await self.release(item.request_id, item.chat_id)
        if released is None:
            return
        logger.warning("request %d released: its volunteer cannot be messaged", item.request_id)
        volunteer = await self.volunteer(item.chat_id)
        name = first_name(volunteer.name) if volunteer and volunteer.name else None
        text = staff_undeliverable(released, name, reason)
        await self._transaction(
            lambda connection: queue_message(connection, self.staff_chat_id, text)
        )


__all__ = ["ACTIVE", "ClaimResult", "HelpDesk", "OutboxItem"]
