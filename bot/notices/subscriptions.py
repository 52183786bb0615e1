"""Who wants urgent notices from which municipality. A "no" is kept too, so the bot asks once."""

from __future__ import annotations

import sqlite3

from bot.storage.db import Database, now


def forget_subscriber(connection: sqlite3.Connection, user_id: int) -> None:
    """Inside /forgetme's transaction: the resident's subscriptions and delivery rows go."""
    connection.execute("DELETE FROM subscriptions WHERE user_id = ?", (user_id,))
    connection.execute("DELETE FROM notice_deliveries WHERE user_id = ?", (user_id,))


def blocked(connection: sqlite3.Connection, user_id: int) -> None:
    """Telegram answered 403: the resident blocked the bot. No notice is tried again."""
    connection.execute(
        "UPDATE subscriptions SET active = 0, blocked_at = ?, updated_at = ? WHERE user_id = ?",
        (now(), now(), user_id),
    )


class Subscriptions:
    """Each resident's answer to "do you want urgent notices from this municipality?"."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def choice(self, user_id: int, municipality: str) -> bool | None:
        """True or False as the resident answered; None when they were never asked."""
        value = await self.db.fetchval(
            "SELECT active FROM subscriptions WHERE user_id = ? AND municipality = ?",
            (user_id, municipality),
        )
        return None if value is None else bool(value)

    async def set(self, user_id: int, municipality: str, active: bool) -> None:
        await self.db.write(
            """INSERT INTO subscriptions (user_id, municipality, active, updated_at)
               VALUES (?, ?, ?, ?)
               ON CONFLICT (user_id, municipality) DO UPDATE SET
                 active = excluded.active, updated_at = excluded.updated_at,
                 blocked_at = NULL""",
            (user_id, municipality, int(active), now()),
        )

    async def active(self, user_id: int) -> list[str]:
        """The municipalities whose notices the resident gets."""
        rows = await self.db.fetchall(
            "SELECT municipality FROM subscriptions WHERE user_id = ? AND active = 1 "
            "ORDER BY municipality",
            (user_id,),
        )
        return [str(row[0]) for row in rows]

    async def unsubscribe_all(self, user_id: int) -> int:
        """Stop every notice to this resident; returns how many subscriptions ended."""
        return await self.db.write(
            "UPDATE subscriptions SET active = 0, updated_at = ? WHERE user_id = ? AND active = 1",
            (now(), user_id),
        )

    async def count(self, municipality: str | None) -> int:
        """Residents who would get a notice to `municipality` (None: to everyone)."""
        value = await self.db.fetchval(
            """SELECT COUNT(DISTINCT user_id) FROM subscriptions
               WHERE active = 1 AND (? IS NULL OR municipality = ?)""",
            (municipality, municipality),
        )
        return int(value or 0)
