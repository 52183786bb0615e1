"""Rows for the console's report tests, written with the times a test chooses."""

from __future__ import annotations

from bot.storage.db import Database


async def add_question(
    db: Database,
    at: int,
    outcome: str = "fallback",
    text: str | None = "når går ferja?",
    municipality: str | None = "asker",
    language: str = "nb",
    entry_id: str | None = None,
) -> int:
    return await db.write(
        """INSERT INTO questions (user_id, municipality, language, text, outcome, asked_at,
               entry_id) VALUES (1, ?, ?, ?, ?, ?, ?)""",
        (municipality, language, text, outcome, at, entry_id),
    )


async def add_vote(
    db: Database,
    at: int,
    entry_id: str,
    helpful: bool,
    question_id: int | None = None,
    municipality: str | None = "asker",
) -> None:
    await db.write(
        """INSERT INTO feedback (entry_id, municipality, language, helpful, created_at,
               question_id) VALUES (?, ?, 'nb', ?, ?, ?)""",
        (entry_id, municipality, int(helpful), at, question_id),
    )


async def add_request(
    db: Database,
    created: int,
    state: str = "open",
    claimed: int | None = None,
    closed: int | None = None,
    escalated: int | None = None,
    municipality: str | None = "asker",
    language: str = "nb",
) -> int:
    return await db.write(
        """INSERT INTO help_requests (ref, municipality, language, category, timing,
               contact_method, state, created_at, claimed_at, closed_at, escalated_at)
           VALUES (lower(hex(randomblob(8))), ?, ?, 'groceries', 'today', 'telegram', ?, ?, ?,
               ?, ?)""",
        (municipality, language, state, created, claimed, closed, escalated),
    )
