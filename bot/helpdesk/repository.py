"""Reading help requests and volunteers inside a write transaction (sync functions of a
connection), with the SQL the async reads use too."""

from __future__ import annotations

import sqlite3

from bot.helpdesk.models import REQUEST_COLUMNS, VOLUNTEER_COLUMNS, HelpRequest, Volunteer

REQUEST_BY_ID = f"SELECT {REQUEST_COLUMNS} FROM help_requests WHERE id = ?"
VOLUNTEER_BY_ID = f"SELECT {VOLUNTEER_COLUMNS} FROM volunteers WHERE user_id = ?"


def request_by_id(connection: sqlite3.Connection, request_id: int) -> HelpRequest | None:
    row = connection.execute(REQUEST_BY_ID, (request_id,)).fetchone()
    return HelpRequest.from_row(row) if row else None


def volunteer_by_id(connection: sqlite3.Connection, user_id: int) -> Volunteer | None:
    row = connection.execute(VOLUNTEER_BY_ID, (user_id,)).fetchone()
    return Volunteer.from_row(row) if row else None


def first_name(name: str | None) -> str:
    return (name or "").split(" ")[0] or "?"
