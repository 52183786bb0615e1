"""One SQLite database with a single writer connection and a separate reader.

Every write runs in `BEGIN IMMEDIATE ... COMMIT` under one lock, so writes from many tasks never
interleave and never meet SQLITE_BUSY halfway through. WAL lets reads run beside the writer;
`synchronous=FULL` makes a commit survive a power cut, not only a crash.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.errors import BotError
from bot.storage.migrations import MIGRATIONS

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
Params = Sequence[Any] | dict[str, Any]


class StorageError(BotError):
    """The database cannot be opened or is newer than this program."""


def now() -> int:
    """The current time in Unix seconds, the unit every table uses."""
    return int(time.time())


class Database:
    """The bot's SQLite file. Use `transaction()` for writes and `fetch*` for reads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> Database:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def open(self) -> None:
        """Connect, set the pragmas and bring the schema up to date."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = await aiosqlite.connect(self.path, isolation_level=None)
            await self._pragmas(self._writer)
            await self._migrate(self._writer)
            self._reader = await aiosqlite.connect(self.path, isolation_level=None)
            await self._pragmas(self._reader)
            await self._reader.execute("PRAGMA query_only = ON")
        except (OSError, sqlite3.Error) as exc:
            await self.close()
            raise StorageError(f"cannot open the database {self.path}: {exc}") from exc
        except BaseException:
            await self.close()
            raise

    @staticmethod
    async def _pragmas(connection: aiosqlite.Connection) -> None:
        connection.row_factory = aiosqlite.Row
        await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA synchronous = FULL")
        await connection.execute("PRAGMA foreign_keys = ON")

    @staticmethod
    async def _migrate(connection: aiosqlite.Connection) -> None:
        async with connection.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = int(row[0]) if row else 0
        if version > len(MIGRATIONS):
            raise StorageError(
                f"the database has schema version {version}, newer than this program "
                f"({len(MIGRATIONS)}); upgrade the bot"
            )
        for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
            await connection.execute("BEGIN IMMEDIATE")
            try:
                for statement in statements:
                    await connection.execute(statement)
                await connection.execute(f"PRAGMA user_version = {number}")
                await connection.execute("COMMIT")
            except BaseException:
                await connection.execute("ROLLBACK")
                raise
            logger.info("database migrated to schema version %d", number)

    async def close(self) -> None:
        """Close both connections; safe to call twice."""
        for connection in (self._reader, self._writer):
            if connection is not None:
                await connection.close()
        self._reader = self._writer = None

    @property
    def schema_version(self) -> int:
        return len(MIGRATIONS)

    def _need(self, connection: aiosqlite.Connection | None) -> aiosqlite.Connection:
        if connection is None:
            raise StorageError("the database is not open")
        return connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """An atomic write: `BEGIN IMMEDIATE`, then COMMIT, or ROLLBACK on any exception."""
        writer = self._need(self._writer)
        async with self._lock:
            await writer.execute("BEGIN IMMEDIATE")
            try:
                yield writer
            except BaseException:
                await writer.execute("ROLLBACK")
                raise
            await writer.execute("COMMIT")

    async def write(self, sql: str, params: Params = ()) -> int:
        """Run one writing statement in its own transaction; returns lastrowid or rowcount."""
        async with self.transaction() as connection:
            cursor = await connection.execute(sql, params)
            result = cursor.lastrowid if sql.lstrip().upper().startswith("INSERT") else None
            return int(result if result is not None else cursor.rowcount)

    async def write_many(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for many parameter rows in a single transaction."""
        async with self.transaction() as connection:
            await connection.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """One row from the reader connection, which always sees committed data."""
        async with self._need(self._reader).execute(sql, params) as cursor:
            row: aiosqlite.Row | None = await cursor.fetchone()
            return row

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """All rows from the reader connection."""
        async with self._need(self._reader).execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        row = await self.fetchone(sql, params)
        return row[0] if row is not None else None
