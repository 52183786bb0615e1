"""A help request's life: submit, claim or assign, release, complete, cancel, close, escalate.

Every change is one transaction with its messages (`Outbox.transaction`): the change, a row
in the outbox for each message, and a "group" row that redraws the volunteer group's message
from the request's state when it is sent. So a crash between storing and sending never loses a
message, and a claim is atomic: `UPDATE ... WHERE state = 'open'` in the single writer lets
exactly one volunteer win. Each transition is idempotent per actor: the same press again
changes nothing and sends nothing twice.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from typing import Any, Literal

from rapidfuzz import fuzz

from bot.helpdesk.areas import covers
from bot.helpdesk.conversations import Conversations, end_conversation
from bot.helpdesk.intake import Conversation
from bot.helpdesk.models import HelpRequest, Volunteer, reference, without_contact
from bot.helpdesk.outbox import (
    VOLUNTEER_DETAILS,
    Outbox,
    OutboxItem,
    queue_notice,
    queue_redraw,
    queue_view,
    withdraw_details,
)
from bot.helpdesk.repository import (
    first_name,
    offered_since,
    request_by_id,
    request_by_ref,
    requests_in_state,
    requests_of_resident,
    similar_active,
    stored_since,
    unescalated_since,
    volunteer_by_id,
    volunteers_in_state,
)
from bot.helpdesk.routing import Chats, may_claim
from bot.helpdesk.texts import snapshot
from bot.storage.db import now
from bot.text import tokens

logger = logging.getLogger(__name__)

AGE_REFRESH_SECONDS = 15 * 60  # how stale a group post's "posted 20 min ago" may get
DUPLICATE_WINDOW_SECONDS = 3600
# Two descriptions at least this similar (rapidfuzz's token set ratio of their folded words)
# ask for the same thing.
SAME_DESCRIPTION = 85.0

# "gone" only for a staff hand-over (`assign`): no such volunteer is registered (erased since
# the page or post was shown); a volunteer's own claim says "not_volunteer" then.
ClaimStatus = Literal[
    "won", "yours", "taken", "closed", "not_volunteer", "elsewhere", "missing", "gone"
]


@dataclass(frozen=True)
class ClaimResult:
    status: ClaimStatus
    request: HelpRequest | None = None


def _age_refresh_interval(age_seconds: int) -> int:
    """Ages show in minutes for two hours, then in hours: redraw to match."""
    return AGE_REFRESH_SECONDS if age_seconds < 2 * 3600 else 3600


def _same_description(earlier: str | None, later: str | None) -> bool:
    first, second = " ".join(tokens(earlier or "")), " ".join(tokens(later or ""))
    return fuzz.token_set_ratio(first, second) >= SAME_DESCRIPTION


# -- parts of a transaction, shared with volunteers.py and privacy.py ------------------------


def redraw(connection: sqlite3.Connection, chats: Chats, request: HelpRequest) -> None:
    """Redraw the request's post in its municipality's volunteer group (in the group it was
    posted in, if the route has changed since); nothing while only the volunteers of its area
    have been told of it."""
    if not request.in_group:
        return
    chat = request.group_chat_id or chats.route(request.municipality).volunteers
    queue_redraw(connection, chat, request.id)


def tell_resident(
    connection: sqlite3.Connection,
    request: HelpRequest,
    key: str,
    with_contact: bool = False,
    **values: str,
) -> None:
    queue_notice(connection, request.resident_id, request, key, "resident", with_contact, **values)


def _hand_over(
    connection: sqlite3.Connection, chats: Chats, request: HelpRequest, volunteer: Volunteer
) -> None:
    """A volunteer has the request: they get the details, the resident and group are told."""
    redraw(connection, chats, request)
    tell_resident(connection, request, "notice_claimed", name=first_name(volunteer.name))
    queue_view(
        connection,
        volunteer.user_id,
        "volunteer_details",
        "volunteer",
        {"request": snapshot(request)},
        request.id,
        VOLUNTEER_DETAILS,
    )


def cancel_request(
    connection: sqlite3.Connection,
    chats: Chats,
    request_id: int,
    by: str,
    resident_id: int | None,
) -> HelpRequest | None:
    """Cancel an active request (only the resident's own, given `resident_id`); its volunteer
    loses the details and is told. None when it was not active."""
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
    redraw(connection, chats, request)
    queue_notice(
        connection, request.volunteer_id, request, "volunteer_request_cancelled", "volunteer"
    )
    return request


def release_claims(
    connection: sqlite3.Connection,
    chats: Chats,
    volunteer_id: int,
    keeping: Volunteer | None = None,
) -> None:
    """The requests a volunteer has taken go back to the queue; their residents are told.
    With `keeping` (the volunteer as they are now), those in a municipality they may still
    help in stay theirs."""
    claimed = connection.execute(
        "SELECT id FROM help_requests WHERE volunteer_id = ? AND state = 'claimed'",
        (volunteer_id,),
    ).fetchall()
    for (request_id,) in claimed:
        before = request_by_id(connection, request_id)
        if keeping is not None and before is not None and may_claim(keeping, before.municipality):
            continue
        connection.execute(
            """UPDATE help_requests SET state = 'open', volunteer_id = NULL,
                 claimed_at = NULL WHERE id = ?""",
            (request_id,),
        )
        withdraw_details(connection, request_id)
        if before is not None:
            redraw(connection, chats, before)
            tell_resident(connection, before, "notice_released")


class Requests:
    """The transitions of help requests, and reading them."""

    def __init__(
        self,
        outbox: Outbox,
        conversations: Conversations,
        chats: Chats,
        escalate_after_seconds: float = 3600,
    ) -> None:
        self.outbox = outbox
        self.db = outbox.db
        self.conversations = conversations
        self.chats = chats
        self.escalate_after_seconds = escalate_after_seconds

    # -- reading ----------------------------------------------------------------------------

    async def get(self, request_id: int) -> HelpRequest | None:
        return await self.db.read(lambda c: request_by_id(c, request_id))

    async def by_ref(self, ref: str) -> HelpRequest | None:
        return await self.db.read(lambda c: request_by_ref(c, ref))

    async def of_resident(self, resident_id: int) -> list[HelpRequest]:
        return await self.db.read(lambda c: requests_of_resident(c, resident_id))

    async def in_state(self, state: str | None = None) -> list[HelpRequest]:
        return await self.db.read(lambda c: requests_in_state(c, state))

    async def stored_since(self, resident_id: int, since: int) -> HelpRequest | None:
        """The first request the resident stored at or after `since` (epoch seconds)."""
        return await self.db.read(lambda c: stored_since(c, resident_id, since))

    async def group_view(self, request_id: int) -> tuple[HelpRequest, str | None] | None:
        """A request and its volunteer's first name, for drawing the group message."""

        def run(connection: sqlite3.Connection) -> tuple[HelpRequest, str | None] | None:
            request = request_by_id(connection, request_id)
            if request is None:
                return None
            volunteer = (
                volunteer_by_id(connection, request.volunteer_id) if request.volunteer_id else None
            )
            return request, first_name(volunteer.name) if volunteer else None

        return await self.db.read(run)

    # -- transitions ------------------------------------------------------------------------

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
            if not data.get("anyway"):
                for earlier in similar_active(
                    connection,
                    resident_id,
                    data["category"],
                    municipality,
                    stamp - DUPLICATE_WINDOW_SECONDS,
                ):
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
            end_conversation(connection, resident_id)
            request = request_by_id(connection, request_id)
            assert request is not None
            request = self._offer_first(connection, request)
            redraw(connection, self.chats, request)
            return request, False

        result = await self.outbox.transaction(run)
        if not result[1]:
            # A duplicate keeps its conversation: "send anyway" may still store it.
            self.conversations.ended(resident_id)
        logger.info("help request %d stored (duplicate=%s)", result[0].id, result[1])
        return result

    def _offer_first(self, connection: sqlite3.Connection, request: HelpRequest) -> HelpRequest:
        """Tell the approved volunteers who listed the request's area, privately, before the
        whole group: the group sees it only if none of them takes it within half the
        escalation time (`widen_due`). Without such volunteers it goes to the group at once."""
        near = [
            v
            for v in volunteers_in_state(connection, "approved")
            if v.user_id != request.resident_id
            and may_claim(v, request.municipality)
            and covers(v.area, request.area)
        ]
        if not near:
            return request
        connection.execute(
            "UPDATE help_requests SET offered_at = ? WHERE id = ?", (now(), request.id)
        )
        values = {"request": snapshot(without_contact(request))}
        for volunteer in near:
            queue_view(
                connection, volunteer.user_id, "volunteer_offer", "volunteer", values, request.id
            )
        logger.info("help request %d offered first to %d volunteer(s)", request.id, len(near))
        offered = request_by_id(connection, request.id)
        assert offered is not None
        return offered

    async def widen_due(self) -> list[HelpRequest]:
        """Requests offered to the volunteers of their area that none of them took within
        half the escalation time: now the whole group sees them."""
        deadline = now() - self.escalate_after_seconds / 2

        def run(connection: sqlite3.Connection) -> list[HelpRequest]:
            due = offered_since(connection, deadline)
            for request in due:
                connection.execute(
                    "UPDATE help_requests SET widened_at = ? WHERE id = ?", (now(), request.id)
                )
                widened = request_by_id(connection, request.id)
                assert widened is not None
                redraw(connection, self.chats, widened)
            return due

        widened = await self.outbox.transaction(run)
        for request in widened:
            logger.info("help request %d widened to the whole group", request.id)
        return widened

    async def claim(
        self, request_id: int, volunteer_id: int, unregistered: ClaimStatus = "not_volunteer"
    ) -> ClaimResult:
        """A volunteer presses "I'll take it": exactly one approved volunteer wins.
        `unregistered` is the status when no such volunteer is registered at all."""

        def run(connection: sqlite3.Connection) -> ClaimResult:
            volunteer = volunteer_by_id(connection, volunteer_id)
            if volunteer is None:
                return ClaimResult(unregistered, request_by_id(connection, request_id))
            if not volunteer.approved:
                return ClaimResult("not_volunteer", request_by_id(connection, request_id))
            wanted = request_by_id(connection, request_id)
            if wanted is not None and not may_claim(volunteer, wanted.municipality):
                # Approved for Asker is not approved for Öckerö: nothing changes.
                return ClaimResult("elsewhere", wanted)
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
            _hand_over(connection, self.chats, request, volunteer)
            return ClaimResult("won", request)

        return await self.outbox.transaction(run)

    async def assign(self, request_id: int, volunteer_id: int) -> ClaimResult:
        """Staff hand an open request to a named, approved volunteer: "gone" when no such
        volunteer is registered, decided in the hand-over's own transaction (erased since the
        page was shown, or an id that never was one)."""
        return await self.claim(request_id, volunteer_id, "gone")

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
            redraw(connection, self.chats, before)
            tell_resident(connection, before, "notice_released")
            return request_by_id(connection, request_id)

        return await self.outbox.transaction(run)

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
            redraw(connection, self.chats, request)
            tell_resident(connection, request, "notice_done")
            return request

        return await self.outbox.transaction(run)

    async def cancel_by_resident(self, request_id: int, resident_id: int) -> HelpRequest | None:
        """The resident cancels an open or claimed request; the volunteer is told."""
        return await self.outbox.transaction(
            lambda c: cancel_request(c, self.chats, request_id, "resident", resident_id)
        )

    async def close_by_staff(self, request_id: int) -> HelpRequest | None:
        """Staff close a request: the resident and any volunteer are told."""

        def run(connection: sqlite3.Connection) -> HelpRequest | None:
            request = cancel_request(connection, self.chats, request_id, "staff", None)
            if request is not None:
                tell_resident(connection, request, "notice_closed_by_staff", True)
            return request

        return await self.outbox.transaction(run)

    async def escalate_due(self) -> list[HelpRequest]:
        """Requests unclaimed for too long: alert staff once, and tell the resident."""
        deadline = now() - self.escalate_after_seconds
        minutes = max(int(self.escalate_after_seconds // 60), 1)

        def run(connection: sqlite3.Connection) -> list[HelpRequest]:
            due = unescalated_since(connection, deadline)
            for request in due:
                connection.execute(
                    "UPDATE help_requests SET escalated_at = ? WHERE id = ?", (now(), request.id)
                )
                values = {"request": snapshot(without_contact(request)), "minutes": minutes}
                queue_view(
                    connection,
                    self.chats.route(request.municipality).staff,
                    "staff_escalation",
                    "staff",
                    values,
                    request.id,
                    municipality=request.municipality,
                )
                tell_resident(connection, request, "notice_slow", True)
            return due

        escalated = await self.outbox.transaction(run)
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
                request = request_by_id(connection, request_id)
                if request is not None:
                    redraw(connection, self.chats, request)
            return len(stale)

        return await self.outbox.transaction(run)

    async def undeliverable_details(self, item: OutboxItem, reason: str = "") -> None:
        """The volunteer cannot be reached privately: give the request back to the queue, and
        tell staff why (a hand-over they made must not look done when it failed)."""
        if item.request_id is None or item.chat_id is None:
            return
        volunteer_id = item.chat_id
        released = await self.release(item.request_id, volunteer_id)
        if released is None:
            return
        logger.warning("request %d released: its volunteer cannot be messaged", item.request_id)
        volunteer = await self.db.read(lambda c: volunteer_by_id(c, volunteer_id))
        name = first_name(volunteer.name) if volunteer and volunteer.name else None
        values = {"ref": released.ref, "volunteer": name, "reason": reason}
        staff_chat = self.chats.route(released.municipality).staff
        await self.outbox.transaction(
            lambda c: queue_view(
                c,
                staff_chat,
                "staff_undeliverable",
                "staff",
                values,
                municipality=released.municipality,
            )
        )
