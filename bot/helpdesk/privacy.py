"""Erasing personal data: closed requests after the retention period, and a resident (or a
volunteer) who asks to be forgotten.

This is the one module that writes other modules' tables (`residents`, `questions`): erasure
must reach everything the bot keeps about a person, in the same transaction.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from bot.helpdesk.conversations import Conversations, end_conversation
from bot.helpdesk.outbox import Outbox, drop_unsent_posts
from bot.helpdesk.repository import volunteer_by_id
from bot.helpdesk.requests import cancel_request, release_claims
from bot.helpdesk.routing import Chats
from bot.notices.subscriptions import forget_subscriber
from bot.storage.db import now
from bot.storage.records import count_erasure, wording_key

logger = logging.getLogger(__name__)

# Called in the erasure's own transaction with the municipalities the person is about: it
# may raise to stop the erasure (nothing is erased), or write what must go with it.
ErasureCheck = Callable[[sqlite3.Connection, frozenset[str | None]], None]


def places_of(connection: sqlite3.Connection, user_id: int) -> frozenset[str | None]:
    """The municipalities an erasure of `user_id` changes: those of the requests they made
    or took, of their volunteer registration, and the one they chose. None stands for a
    request with no municipality, or a registration from before municipalities were asked
    (may help anywhere): the global staff's."""
    places: set[str | None] = {
        row[0]
        for row in connection.execute(
            "SELECT municipality FROM help_requests WHERE resident_id = ? OR volunteer_id = ?",
            (user_id, user_id),
        )
    }
    volunteer = volunteer_by_id(connection, user_id)
    if volunteer is not None:
        places.update(volunteer.municipalities or (None,))
    chosen = connection.execute(
        "SELECT municipality FROM residents WHERE user_id = ? AND municipality IS NOT NULL",
        (user_id,),
    ).fetchone()
    if chosen is not None:
        places.add(chosen[0])
    return frozenset(places)


def erase_requests(connection: sqlite3.Connection, where: str, params: Sequence[Any]) -> int:
    """Erase the personal data of the requests `where` selects; returns how many."""
    ids = [
        row[0] for row in connection.execute(f"SELECT id FROM help_requests WHERE {where}", params)
    ]
    for request_id in ids:
        connection.execute(
            """UPDATE help_requests SET resident_id = NULL, resident_name = NULL,
                 resident_username = NULL, description = NULL, area = NULL, phone = NULL,
                 erased_at = ? WHERE id = ?""",
            (now(), request_id),
        )
        # Sent messages keep no text already; an unsent one that carries the request goes.
        drop_unsent_posts(connection, request_id)
    return len(ids)


def _unanswered_keys(
    connection: sqlite3.Connection, where: str, params: Sequence[Any]
) -> dict[str, str | None]:
    """The console's key of each unanswered wording `where` selects, with its municipality
    (what "mark handled" stores: a short hash of the folded words, which a guess can be
    checked against)."""
    rows = connection.execute(
        f"""SELECT DISTINCT text, municipality FROM questions
            WHERE outcome = 'fallback' AND text IS NOT NULL AND {where}""",
        params,
    )
    return {wording_key(text, municipality): municipality for text, municipality in rows}


def _forget_handled(connection: sqlite3.Connection, asked: dict[str, str | None]) -> None:
    """Drop the "handled" marks of wordings only the erased person asked: a mark that other
    residents' questions still make is theirs too, and stays."""
    if not asked:
        return
    places = sorted({m for m in asked.values() if m is not None})
    marks = ", ".join("?" for _ in places)
    others = _unanswered_keys(
        connection,
        f"(municipality IN ({marks}) OR (municipality IS NULL AND ?))",
        (*places, None in asked.values()),
    )
    gone = [(key,) for key in asked if key not in others]
    connection.executemany("DELETE FROM handled_groups WHERE key = ?", gone)
    # The console's audit log names the mark it set by the same key.
    connection.executemany(
        "UPDATE console_audit SET target = NULL WHERE action = 'mark_handled' AND target = ?",
        gone,
    )


class Privacy:
    """Erasure, on a timer and on request."""

    def __init__(
        self,
        outbox: Outbox,
        conversations: Conversations,
        chats: Chats,
        retention_seconds: float = 30 * 86400,
    ) -> None:
        self.outbox = outbox
        self.db = outbox.db
        self.conversations = conversations
        self.chats = chats
        self.retention_seconds = retention_seconds

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
                """DELETE FROM volunteer_approvals WHERE user_id IN (
                       SELECT user_id FROM volunteers WHERE state IN ('rejected', 'revoked')
                       AND decided_at <= ?)""",
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

        erased = await self.outbox.transaction(run)
        if erased:
            await self.db.checkpoint()
            logger.info("erased the personal data of %d closed help request(s)", erased)
        return erased

    async def forget_resident(self, resident_id: int, check: ErasureCheck | None = None) -> int:
        """Close the resident's active requests and erase everything about them. `check`,
        when given, runs first in the same transaction (see `ErasureCheck`)."""

        def run(connection: sqlite3.Connection) -> int:
            if check is not None:
                check(connection, places_of(connection, resident_id))
            active = connection.execute(
                """SELECT id FROM help_requests
                   WHERE resident_id = ? AND state IN ('open', 'claimed')""",
                (resident_id,),
            ).fetchall()
            for (request_id,) in active:
                cancel_request(connection, self.chats, request_id, "resident", resident_id)
            connection.execute(
                "DELETE FROM outbox WHERE chat_id = ? AND state = 'pending'", (resident_id,)
            )
            # Staff posts about them as a volunteer (a registration, a decision) hold their
            # name and phone: unsent, they never go.
            connection.execute(
                """DELETE FROM outbox WHERE state = 'pending'
                   AND json_extract(payload, '$.view.values.volunteer.user_id') = ?""",
                (resident_id,),
            )
            # A volunteer who asks to be forgotten: their requests go back to the queue, and
            # the residents' details already sent to them are edited away. Those edits, queued
            # now, keep their address so they go out; they hold no one's personal data.
            release_claims(connection, self.chats, resident_id)
            connection.execute(
                "UPDATE help_requests SET volunteer_id = NULL WHERE volunteer_id = ?",
                (resident_id,),
            )
            # Sent and failed rows keep no text, but their address is the resident's user id.
            connection.execute(
                "UPDATE outbox SET chat_id = NULL WHERE chat_id = ? AND state != 'pending'",
                (resident_id,),
            )
            erased = erase_requests(connection, "resident_id = ?", (resident_id,))
            end_conversation(connection, resident_id)
            connection.execute("DELETE FROM residents WHERE user_id = ?", (resident_id,))
            forget_subscriber(connection, resident_id)
            asked = _unanswered_keys(connection, "user_id = ?", (resident_id,))
            connection.execute(
                "UPDATE questions SET text = NULL, user_id = NULL WHERE user_id = ?", (resident_id,)
            )
            _forget_handled(connection, asked)
            connection.execute("DELETE FROM volunteer_approvals WHERE user_id = ?", (resident_id,))
            connection.execute("DELETE FROM volunteers WHERE user_id = ?", (resident_id,))
            count_erasure(connection)
            return erased

        erased = await self.outbox.transaction(run)
        self.conversations.ended(resident_id)
        await self.db.checkpoint()
        logger.info("resident data erased on request (%d request(s))", erased)
        return erased
