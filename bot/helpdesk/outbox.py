"""The outbox: every message a help-desk change causes, stored in the same transaction as the
change and sent later by the Telegram layer's sender.

The `queue_*` functions run inside a write transaction. They store no text: a message is a
view's name and its values (`queue_view`, `texts.VIEWS`) or a notice's message key and values
(`queue_notice`), rendered when it is sent, in the recipient's language then (`render`). Rows
an earlier version stored with their text already are sent as stored. `Outbox` is also what
the sender uses: what is due, "sending" before the call and "sent" after it. Messages that
carry a volunteer's contact details can be withdrawn: dropped while unsent, edited to drop
the details once sent.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from bot.helpdesk.models import HelpRequest
from bot.helpdesk.repository import request_by_id
from bot.helpdesk.texts import VIEWS, Button, Keyboard
from bot.language import conversation_language
from bot.messages import STAFF_LANG, say_html
from bot.storage.db import Database, T, WriteFn, now
from bot.types import Lang, lang_or_english

# Purposes of outbox messages that need a follow-up when they cannot be delivered.
VOLUNTEER_DETAILS = "volunteer_details"

ContactLine = Callable[[str | None, Lang], str]
StaffLanguage = Callable[[str | None], Lang]
# Whose language a message is rendered in: a resident's, a volunteer's, or the staff chat's.
Recipient = Literal["resident", "volunteer", "staff"]


@dataclass(frozen=True)
class OutboxItem:
    """A message waiting to be sent. kind "group" redraws a request's group message."""

    id: int
    kind: str
    chat_id: int | None
    request_id: int | None
    payload: dict[str, Any] | None
    attempts: int


def _insert(
    connection: sqlite3.Connection,
    kind: str,
    chat_id: int | None,
    request_id: int | None,
    payload: dict[str, Any] | None,
) -> None:
    connection.execute(
        """INSERT INTO outbox (kind, chat_id, request_id, payload, not_before, created_at)
           VALUES (?, ?, ?, ?, ?, ?)""",
        (
            kind,
            chat_id,
            request_id,
            json.dumps(payload, ensure_ascii=False) if payload is not None else None,
            time.time(),
            now(),
        ),
    )


def queue_view(
    connection: sqlite3.Connection,
    chat_id: int | None,
    view: str,
    to: Recipient,
    values: dict[str, Any],
    request_id: int | None = None,
    purpose: str | None = None,
    edit: int | None = None,
    municipality: str | None = None,
) -> None:
    """A message as a view's name (`texts.VIEWS`) and its values: rendered when it is sent,
    in the recipient's language then (for staff, `municipality`'s). With `edit`, it replaces
    that sent message instead."""
    if chat_id is None:
        return
    shown: dict[str, Any] = {"name": view, "to": to, "values": values}
    if municipality is not None:
        shown["municipality"] = municipality
    payload: dict[str, Any] = {"view": shown}
    if edit is None:
        payload.update(purpose=purpose)
    else:
        payload.update(edit=edit)
    _insert(connection, "edit" if edit is not None else "message", chat_id, request_id, payload)


def queue_notice(
    connection: sqlite3.Connection,
    chat_id: int | None,
    request: HelpRequest,
    key: str,
    to: Literal["resident", "volunteer"],
    with_contact: bool = False,
    **values: str,
) -> None:
    """A notice as its message key and values: it is rendered when it is sent, in the
    recipient's language then, with the municipality's contact line in that language."""
    if chat_id is None:
        return
    notice = {
        "key": key,
        "values": {"ref": request.ref, **values},
        "to": to,
        "request_language": request.language,
        "contact": request.municipality if with_contact else None,
    }
    _insert(
        connection,
        "message",
        chat_id,
        request.id,
        {"notice": notice, "buttons": [], "purpose": None},
    )


def queue_redraw(
    connection: sqlite3.Connection, volunteer_chat_id: int | None, request_id: int
) -> None:
    """A redraw of the request's group message; redraws not yet done are merged into one."""
    if volunteer_chat_id is None:
        return
    pending = connection.execute(
        "SELECT 1 FROM outbox WHERE kind = 'group' AND request_id = ? AND state = 'pending'",
        (request_id,),
    ).fetchone()
    if pending is None:
        _insert(connection, "group", volunteer_chat_id, request_id, None)


def drop_unsent_details(connection: sqlite3.Connection, request_id: int) -> None:
    """Contact details not yet sent must not reach a volunteer who no longer has the job."""
    connection.execute(
        """DELETE FROM outbox WHERE request_id = ? AND state = 'pending'
             AND json_extract(payload, '$.purpose') = ?""",
        (request_id, VOLUNTEER_DETAILS),
    )


def drop_unsent_posts(connection: sqlite3.Connection, request_id: int) -> None:
    """An erased request is posted nowhere any more: unsent messages that carry it (the
    volunteer's details, the offers to the volunteers of its area, the staff's escalation;
    each holds the request as it was) go, and so does its first post to the volunteer
    group while it has none. A redraw of a post already made stays: it shows the request
    erased."""
    connection.execute(
        """DELETE FROM outbox WHERE request_id = ? AND state = 'pending'
             AND ((kind = 'message' AND json_extract(payload, '$.view.values.request')
                     IS NOT NULL)
               OR (kind = 'group' AND (SELECT group_message_id FROM help_requests
                     WHERE id = ?) IS NULL))""",
        (request_id, request_id),
    )


def withdraw_details(connection: sqlite3.Connection, request_id: int) -> None:
    """The request is no longer the volunteer's (done, released, cancelled, closed): details
    not sent yet are dropped, and the private message that holds them is edited to say so,
    without the resident's contact details."""
    drop_unsent_details(connection, request_id)
    request = request_by_id(connection, request_id)
    if request is None:
        return
    sent = connection.execute(
        """SELECT chat_id, message_id FROM outbox
           WHERE request_id = ? AND kind = 'message' AND state = 'sent'
             AND message_id IS NOT NULL AND json_extract(payload, '$.purpose') = ?""",
        (request_id, VOLUNTEER_DETAILS),
    ).fetchall()
    gone = {"ref": request.ref, "state": request.state}
    for chat_id, message_id in sent:
        queue_view(
            connection,
            chat_id,
            "volunteer_details_gone",
            "volunteer",
            gone,
            request_id,
            edit=message_id,
        )
        # Marked, so the message is edited once however often the request changes.
        connection.execute(
            """UPDATE outbox SET payload = json_object('purpose', 'withdrawn')
               WHERE request_id = ? AND chat_id = ? AND message_id = ?""",
            (request_id, chat_id, message_id),
        )


class Outbox:
    """Every transition's transaction, and what the sender needs: due messages, their states,
    and their text at send time."""

    def __init__(
        self,
        db: Database,
        contact_line: ContactLine,
        wake: Callable[[], None] | None = None,
        staff_language: StaffLanguage | None = None,
    ) -> None:
        self.db = db
        self.contact_line = contact_line
        # Staff read about a municipality in its language: nb for Asker, sv for Öckerö.
        self.staff_language = staff_language or (lambda municipality: STAFF_LANG)
        # Called after every committed transition, so the sender need not wait for its timer.
        # No caller has to remember it.
        self._wake = wake or (lambda: None)

    async def transaction(self, fn: WriteFn[T]) -> T:
        """Run `fn` in one write transaction (a change and the messages it causes), then wake
        the sender."""
        result = await self.db.run_write(fn)
        self._wake()
        return result

    async def due(self, limit: int = 50) -> list[OutboxItem]:
        """Messages ready to send, oldest first."""
        rows = await self.db.fetchall(
            """SELECT id, kind, chat_id, request_id, payload, attempts FROM outbox
               WHERE state = 'pending' AND not_before <= ? ORDER BY id LIMIT ?""",
            (time.time(), limit),
        )
        return [
            OutboxItem(
                row[0], row[1], row[2], row[3], json.loads(row[4]) if row[4] else None, row[5]
            )
            for row in rows
        ]

    async def next_due(self) -> float | None:
        """When the next pending message may be sent (Unix time), or None."""
        value = await self.db.fetchval("SELECT MIN(not_before) FROM outbox WHERE state = 'pending'")
        return float(value) if value is not None else None

    async def sending(self, item: OutboxItem) -> None:
        """Record that this message is about to go to Telegram: a crash from here until `sent`
        may or may not have delivered it, and `reconcile` finds it."""
        await self.db.write("UPDATE outbox SET state = 'sending' WHERE id = ?", (item.id,))

    async def reconcile(self) -> int:
        """After a restart: messages a crash caught on their way to Telegram are sent again
        (delivery is at least once), marked as repeats so a group post can say it may be a
        second copy. Returns how many."""
        return await self.db.write(
            """UPDATE outbox SET state = 'pending', attempts = attempts + 1,
                   payload = json_set(COALESCE(payload, '{}'), '$.repeat', json('true')),
                   last_error = 'interrupted by a restart while sending'
               WHERE state = 'sending'"""
        )

    async def sent(self, item: OutboxItem, message_id: int | None) -> None:
        """Mark a message sent; its text, which may hold personal data, is dropped."""

        def run(connection: sqlite3.Connection) -> None:
            # Only the purpose is kept (no text): the volunteer's details message can then be
            # found and edited when the request leaves them.
            connection.execute(
                """UPDATE outbox SET state = 'sent', sent_at = ?, message_id = ?,
                     payload = CASE WHEN json_extract(payload, '$.purpose') IS NULL THEN NULL
                       ELSE json_object('purpose', json_extract(payload, '$.purpose')) END
                   WHERE id = ?""",
                (now(), message_id, item.id),
            )
            if item.kind == "group" and item.request_id is not None and message_id is not None:
                connection.execute(
                    """UPDATE help_requests SET group_chat_id = ?, group_message_id = ?
                       WHERE id = ?""",
                    (item.chat_id, message_id, item.request_id),
                )
            purpose = item.payload.get("purpose") if item.payload else None
            if purpose == VOLUNTEER_DETAILS and item.request_id is not None:
                holder = connection.execute(
                    "SELECT state, volunteer_id FROM help_requests WHERE id = ?",
                    (item.request_id,),
                ).fetchone()
                if holder is None or tuple(holder) != ("claimed", item.chat_id):
                    # The request left the volunteer while their details were on the way.
                    withdraw_details(connection, item.request_id)

        await self.transaction(run)

    async def retry(self, item: OutboxItem, not_before: float, error: str) -> None:
        await self.db.write(
            """UPDATE outbox SET state = 'pending', attempts = attempts + 1, not_before = ?,
                   last_error = ? WHERE id = ?""",
            (not_before, error[:200], item.id),
        )

    async def failed(self, item: OutboxItem, error: str) -> None:
        await self.db.write(
            "UPDATE outbox SET state = 'failed', payload = NULL, last_error = ? WHERE id = ?",
            (error[:200], item.id),
        )

    async def forget_group_message(self, request_id: int) -> None:
        """The group message is gone (deleted by someone): the next redraw posts a new one."""
        await self.db.write(
            "UPDATE help_requests SET group_message_id = NULL WHERE id = ?", (request_id,)
        )

    async def render(self, item: OutboxItem) -> tuple[str, Keyboard]:
        """What an outbox message says and its buttons, rendered now in the recipient's
        language. Rows stored before views existed hold their text already: sent as stored."""
        payload = item.payload or {}
        view = payload.get("view")
        if isinstance(view, dict):
            if view.get("to") == "staff":
                lang = self.staff_language(view.get("municipality"))
            else:
                lang = await self._recipient_language(item.chat_id, view.get("to"), None)
            return VIEWS[str(view["name"])](view.get("values", {}), lang)
        notice = payload.get("notice")
        if isinstance(notice, dict):
            lang = await self._recipient_language(
                item.chat_id, notice.get("to"), notice.get("request_language")
            )
            contact = notice.get("contact")
            html = {"contact": self.contact_line(contact, lang)} if contact else {}
            return say_html(str(notice["key"]), lang, html, **notice.get("values", {})), []
        buttons = [[Button.from_json(b) for b in row] for row in payload.get("buttons", [])]
        return str(payload.get("text", "")), buttons

    async def _recipient_language(
        self, chat_id: int | None, to: object, request_language: str | None
    ) -> Lang:
        if to == "staff":
            return STAFF_LANG
        if to == "volunteer":
            language = await self.db.fetchval(
                "SELECT language FROM volunteers WHERE user_id = ?", (chat_id,)
            )
            return lang_or_english(language)
        # The language the request was made in, unless the resident has chosen one since.
        chosen = await self.db.fetchval(
            "SELECT language FROM residents WHERE user_id = ?", (chat_id,)
        )
        return lang_or_english(conversation_language(chosen, request_language, None))
