"""Reading help requests, volunteers and conversations: sync functions of a connection.

Each read is written once. A transition calls it with the writer's connection, inside its
transaction; everything else runs the same function on the reader (`Database.read`), for
example `await db.read(lambda c: request_by_id(c, 7))`.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from bot.helpdesk.intake import Conversation
from bot.helpdesk.models import REQUEST_COLUMNS, VOLUNTEER_COLUMNS, HelpRequest, Volunteer

_REQUESTS = f"SELECT {REQUEST_COLUMNS} FROM help_requests"


def _requests(
    connection: sqlite3.Connection, where: str, params: tuple[Any, ...]
) -> list[HelpRequest]:
    rows = connection.execute(f"{_REQUESTS} {where}", params).fetchall()
    return [HelpRequest.from_row(row) for row in rows]


def request_by_id(connection: sqlite3.Connection, request_id: int) -> HelpRequest | None:
    found = _requests(connection, "WHERE id = ?", (request_id,))
    return found[0] if found else None


def request_by_ref(connection: sqlite3.Connection, ref: str) -> HelpRequest | None:
    found = _requests(connection, "WHERE upper(ref) = upper(?)", (ref,))
    return found[0] if found else None


def requests_of_resident(connection: sqlite3.Connection, resident_id: int) -> list[HelpRequest]:
    """The resident's requests, newest first."""
    return _requests(connection, "WHERE resident_id = ? ORDER BY id DESC", (resident_id,))


def requests_in_state(connection: sqlite3.Connection, state: str | None) -> list[HelpRequest]:
    """Every request in `state` (all of them for None), oldest first."""
    if state is None:
        return _requests(connection, "ORDER BY id", ())
    return _requests(connection, "WHERE state = ? ORDER BY id", (state,))


def stored_since(
    connection: sqlite3.Connection, resident_id: int, since: int
) -> HelpRequest | None:
    """The first request the resident stored at or after `since` (epoch seconds)."""
    found = _requests(
        connection,
        "WHERE resident_id = ? AND created_at >= ? ORDER BY id LIMIT 1",
        (resident_id, since),
    )
    return found[0] if found else None


def similar_active(
    connection: sqlite3.Connection,
    resident_id: int,
    category: str,
    municipality: str | None,
    since: int,
) -> list[HelpRequest]:
    """The resident's active requests of one kind and municipality stored since `since`."""
    return _requests(
        connection,
        """WHERE resident_id = ? AND category = ? AND municipality IS ?
             AND state IN ('open', 'claimed') AND created_at >= ? ORDER BY id DESC""",
        (resident_id, category, municipality, since),
    )


def unescalated_since(connection: sqlite3.Connection, deadline: float) -> list[HelpRequest]:
    """Open requests stored at or before `deadline` that staff have not been alerted to."""
    return _requests(
        connection,
        "WHERE state = 'open' AND escalated_at IS NULL AND created_at <= ? ORDER BY id",
        (deadline,),
    )


def offered_since(connection: sqlite3.Connection, deadline: float) -> list[HelpRequest]:
    """Open requests offered to the volunteers of their area at or before `deadline` that
    the whole group has not been shown yet."""
    return _requests(
        connection,
        """WHERE state = 'open' AND offered_at IS NOT NULL AND widened_at IS NULL
             AND offered_at <= ? ORDER BY id""",
        (deadline,),
    )


def volunteer_by_id(connection: sqlite3.Connection, user_id: int) -> Volunteer | None:
    row = connection.execute(
        f"SELECT {VOLUNTEER_COLUMNS} FROM volunteers WHERE user_id = ?", (user_id,)
    ).fetchone()
    return Volunteer.from_row(row) if row else None


def volunteers_in_state(connection: sqlite3.Connection, state: str | None) -> list[Volunteer]:
    """Volunteers in `state` (all of them for None), in the order they registered."""
    sql = f"SELECT {VOLUNTEER_COLUMNS} FROM volunteers"
    params: tuple[Any, ...] = ()
    if state is not None:
        sql += " WHERE state = ?"
        params = (state,)
    rows = connection.execute(sql + " ORDER BY registered_at", params).fetchall()
    return [Volunteer.from_row(row) for row in rows]


def conversation_of(connection: sqlite3.Connection, user_id: int) -> Conversation | None:
    row = connection.execute(
        "SELECT kind, step, data FROM conversations WHERE user_id = ?", (user_id,)
    ).fetchone()
    return Conversation(row[0], row[1], json.loads(row[2])) if row else None


def talking(connection: sqlite3.Connection) -> set[int]:
    """Everyone in the middle of a conversation."""
    return {row[0] for row in connection.execute("SELECT user_id FROM conversations")}


def first_name(name: str | None) -> str:
    return (name or "").split(" ")[0] or "?"
