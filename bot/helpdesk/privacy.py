"""Erasing residents' personal data from help requests (inside a write transaction)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from bot.helpdesk.outbox import drop_unsent_details
from bot.storage.db import now


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
        # Sent messages keep no text already; an unsent one with the contact details goes.
        drop_unsent_details(connection, request_id)
    return len(ids)
