"""The schema, as an ordered list of migrations. `PRAGMA user_version` records how far a file is.

Never edit a migration that has shipped: add a new one. Times are Unix seconds (UTC).
"""

from __future__ import annotations

MIGRATIONS: list[list[str]] = [
    # 1: residents, the durable update inbox, questions for staff, feedback, settings.
    [
        """CREATE TABLE residents (
            user_id INTEGER PRIMARY KEY,
            municipality TEXT,
            language TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        )""",
        """CREATE TABLE inbox (
            update_id INTEGER PRIMARY KEY,
            payload TEXT,
            received_at INTEGER NOT NULL,
            processed_at INTEGER
        )""",
        "CREATE INDEX inbox_pending ON inbox (processed_at) WHERE processed_at IS NULL",
        """CREATE TABLE questions (
            id INTEGER PRIMARY KEY,
            user_id INTEGER,
            municipality TEXT,
            language TEXT NOT NULL,
            text TEXT,
            outcome TEXT NOT NULL,
            asked_at INTEGER NOT NULL,
            sent_to_staff_at INTEGER,
            staff_chat_id INTEGER,
            staff_message_id INTEGER,
            answered_at INTEGER
        )""",
        "CREATE INDEX questions_staff_message ON questions (staff_chat_id, staff_message_id)",
        "CREATE INDEX questions_asked ON questions (asked_at)",
        """CREATE TABLE feedback (
            id INTEGER PRIMARY KEY,
            entry_id TEXT NOT NULL,
            municipality TEXT,
            language TEXT,
            helpful INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        )""",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ],
]
