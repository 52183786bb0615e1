"""One SQLite database: a single writer thread with group commit, and an aiosqlite reader.

Every write is a function run in the writer thread inside `BEGIN IMMEDIATE ... COMMIT`. Writes
that arrive together share one transaction (group commit): one thread hop for all of them,
instead of three round trips each through a busy event loop. Each write runs in its own
SAVEPOINT, so one that fails is rolled back alone and its caller gets the exception.

Durability has two steps. A COMMIT (WAL, `synchronous=NORMAL`) is in the operating system's
hands at once: it survives the process being killed. A second thread then fsyncs the WAL file,
covering every commit made before that fsync began: from then on the write also survives a
power cut, as `synchronous=FULL` would make it, but without the writer waiting for the disk
(an fsync takes 7 ms at the median on a loaded machine, 20 ms at p99) before the next batch.
`run_write` returns only once its write is fsynced (what every write gets unless it asks
otherwise); `run_write(fn, durable=False)` returns at the COMMIT, for the answer path, which
needs its writes to survive a crash before it goes on, and a power cut only before Telegram
is told an update was delivered (`synced`, which the next getUpdates awaits). WAL lets reads
run beside the writer. The WAL keeps commits in order with checksums, so what a power cut
leaves is always a prefix of the commits.

The reader is an aiosqlite connection: its own thread runs every read. `read` hands that thread
a sync function of a connection, so one function (`bot.helpdesk.repository`, say) serves a
read inside a write transaction and a read from the event loop alike: no query is written
twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.errors import BotError
from bot.storage.migrations import MIGRATIONS

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
MAX_BATCH = 256
Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")
WriteFn = Callable[[sqlite3.Connection], T]


class StorageError(BotError):
    """The database cannot be opened or is newer than this program."""


class NotDurableError(sqlite3.OperationalError):
    """A write was committed (readers see it) but an fsync of the WAL failed, so it is not
    known to be on the disk. Once an fsync has failed, every later durable write fails this
    way until the database is opened again: the retry of an fsync after a write-back error
    can report success for pages the kernel already dropped."""


def now() -> int:
    """The current time in Unix seconds, the unit every table uses."""
    return int(time.time())


def _pragmas(connection: sqlite3.Connection) -> None:
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        # The fsync thread syncs the WAL; in another journal mode it would sync nothing.
        raise StorageError(f"the database could not be put in WAL mode (it is in {mode} mode)")
    # The commit is not fsynced by SQLite: `Database` fsyncs the WAL itself, off the writer's
    # thread (see the module's docstring). SQLite still fsyncs around every checkpoint.
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")
    # Erased personal data is overwritten in the file, not only unlinked.
    connection.execute("PRAGMA secure_delete = ON")


def _migrate(connection: sqlite3.Connection) -> None:
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version > len(MIGRATIONS):
        raise StorageError(
            f"the database has schema version {version}, newer than this program "
            f"({len(MIGRATIONS)}); upgrade the bot"
        )
    for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {number}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        logger.info("database migrated to schema version %d", number)


def _run_batch(connection: sqlite3.Connection, batch: list[WriteFn[Any]]) -> list[tuple[bool, Any]]:
    """Run write functions in one transaction; each in a savepoint of its own."""
    outcomes: list[tuple[bool, Any]] = []
    connection.execute("BEGIN IMMEDIATE")
    try:
        for fn in batch:
            connection.execute("SAVEPOINT write")
            try:
                outcomes.append((True, fn(connection)))
                connection.execute("RELEASE write")
            except Exception as exc:
                connection.execute("ROLLBACK TO write")
                connection.execute("RELEASE write")
                outcomes.append((False, exc))
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return outcomes


class Database:
    """The bot's SQLite file. Writes go through `run_write`/`write`; reads through `fetch*`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor: ThreadPoolExecutor | None = None
        self._writer: sqlite3.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._pending: list[tuple[WriteFn[Any], asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None
        # Group commits made so far, and how many of them an fsync of the WAL has covered.
        self._committed = 0
        self._synced = 0
        self._sync_waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._syncer: ThreadPoolExecutor | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self._sync_broken: str | None = None  # why an fsync failed; sticky until reopened
        self._closing = False  # set by close: no new writes from then on
        # Why the last group commit failed (a full disk, say), until one succeeds: for /healthz.
        self.write_failure: str | None = None

    async def __aenter__(self) -> Database:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _open_writer(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            _pragmas(connection)
            _migrate(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    async def open(self) -> None:
        """Start the writer, bring the schema up to date, and open the reader."""
        loop = asyncio.get_running_loop()
        self._closing = False
        self._sync_broken = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-writer")
            self._syncer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-fsync")
            self._writer = await loop.run_in_executor(self._executor, self._open_writer)
            self._reader = await aiosqlite.connect(self.path, isolation_level=None)
            self._reader.row_factory = aiosqlite.Row
            await self._reader.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await self._reader.execute("PRAGMA query_only = ON")
        except (OSError, sqlite3.Error) as exc:
            await self.close()
            raise StorageError(f"cannot open the database {self.path}: {exc}") from exc
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Finish pending writes, then close both connections; safe to call twice."""
        self._closing = True
        while self._flusher is not None and not self._flusher.done():
            await asyncio.gather(self._flusher, return_exceptions=True)
        self._flusher = None
        # Every commit fsynced before the connection goes (closing checkpoints the WAL away).
        while self._sync_task is not None and not self._sync_task.done():
            await asyncio.gather(self._sync_task, return_exceptions=True)
        self._sync_task = None
        if self._reader is not None:
            await self._reader.close()
        self._reader = None
        if self._writer is not None and self._executor is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._writer.close)
        self._writer = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._syncer is not None:
            self._syncer.shutdown(wait=True)
            self._syncer = None

    # -- writes -----------------------------------------------------------------------------

    async def run_write(self, fn: WriteFn[T], durable: bool = True) -> T:
        """Run `fn(connection)` atomically in the writer thread; returns once it is fsynced
        (survives a power cut), or with `durable=False` once it is committed (survives the
        process being killed; fsynced a few milliseconds later, see `synced`)."""
        if self._writer is None or self._closing:
            raise StorageError("the database is not open")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((fn, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        value = await future
        if durable:
            await self.synced()
        return value

    async def synced(self) -> None:
        """Return once every write committed so far is fsynced."""
        if self._sync_broken is not None:
            raise NotDurableError(f"the WAL could not be fsynced: {self._sync_broken}")
        target = self._committed
        if self._synced >= target:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sync_waiters.append((target, future))
        self._start_syncing()
        await future

    def _start_syncing(self) -> None:
        if self._sync_task is None or self._sync_task.done():
            self._sync_task = asyncio.create_task(self._sync())

    def _fsync_wal(self) -> None:
        # SQLite keeps the WAL beside the file a symlink points to, not beside the link.
        database = os.path.realpath(self.path)
        try:
            descriptor = os.open(f"{database}-wal", os.O_RDONLY)
        except FileNotFoundError:
            # No WAL (a checkpoint on the last close folded it in): sync the file itself,
            # never nothing.
            descriptor = os.open(database, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    async def _sync(self) -> None:
        """fsync the WAL until every commit is covered; one fsync covers every commit made
        before it began, so the writes that arrive meanwhile share the next one. Started at
        each commit, not only when someone waits: the next getUpdates then mostly finds its
        batch fsynced already. A failure stops it and is sticky: every later wait raises
        `NotDurableError` until the database is opened again."""
        loop = asyncio.get_running_loop()
        while self._synced < self._committed or self._sync_waiters:
            target = self._committed  # each of these commits has returned: its frames are written
            syncer = self._syncer
            failure: BaseException | None = None
            try:
                if syncer is None:
                    raise StorageError("the database is closed")
                await loop.run_in_executor(syncer, self._fsync_wal)
            except BaseException as exc:
                failure = exc
                self.write_failure = f"fsync: {type(exc).__name__}"
                if not isinstance(exc, StorageError):
                    self._sync_broken = f"{type(exc).__name__}: {exc}"
            else:
                self._synced = max(self._synced, target)
            waiting, self._sync_waiters = self._sync_waiters, []
            for covers, future in waiting:
                if future.done():
                    continue
                if failure is not None:
                    # Reported as a failed write (callers catch sqlite3.Error for those).
                    future.set_exception(
                        failure
                        if isinstance(failure, StorageError)
                        else NotDurableError(f"the WAL could not be fsynced: {failure}")
                    )
                elif covers <= target:
                    future.set_result(None)
                else:
                    self._sync_waiters.append((covers, future))
            if failure is not None:
                if not isinstance(failure, Exception):
                    raise failure
                return

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            writer, executor = self._writer, self._executor
            if writer is None or executor is None:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(StorageError("the database is closed"))
                continue
            fns = [fn for fn, _ in batch]
            try:
                outcomes = await loop.run_in_executor(executor, _run_batch, writer, fns)
                self._committed += 1
                self._start_syncing()
                if self._sync_broken is None:
                    self.write_failure = None
            except BaseException as exc:
                self.write_failure = type(exc).__name__
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    async def checkpoint(self) -> None:
        """Copy the WAL into the database file and empty it, so erased data leaves the disk."""
        writer, executor = self._writer, self._executor
        if writer is None or executor is None:
            raise StorageError("the database is not open")

        def run() -> None:
            writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

        await asyncio.get_running_loop().run_in_executor(executor, run)

    async def write(self, sql: str, params: Params = (), durable: bool = True) -> int:
        """One writing statement; returns lastrowid for an INSERT, else the rowcount."""
        is_insert = sql.lstrip().upper().startswith("INSERT")

        def run(connection: sqlite3.Connection) -> int:
            cursor = connection.execute(sql, params)
            result = cursor.lastrowid if is_insert else None
            return int(result if result is not None else cursor.rowcount)

        return await self.run_write(run, durable)

    async def write_many(self, sql: str, rows: Iterable[Params]) -> None:
        """One statement for many parameter rows, in a single transaction."""
        materialised = list(rows)
        await self.run_write(lambda connection: connection.executemany(sql, materialised))

    # -- reads ------------------------------------------------------------------------------

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(connection)` in the reader's thread, on its connection, which always sees
        committed data.

        aiosqlite runs each of its own methods the same way: `_execute` queues a function for
        the connection's thread. It has no public name for that; the pinned versions in
        pyproject.toml have it, and tests/test_storage.py checks that they still do.
        """

        def in_one_snapshot(connection: sqlite3.Connection) -> T:
            # A read of several statements sees one committed state, not two.
            connection.execute("BEGIN")
            try:
                return fn(connection)
            except BaseException as exc:
                # The traceback keeps `fn`'s cursors alive, and an open statement keeps this
                # connection's snapshot: later reads would not see later commits.
                traceback.clear_frames(exc.__traceback__)
                raise
            finally:
                connection.execute("COMMIT")

        return await self._on_reader(in_one_snapshot)

    async def _on_reader(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(connection)` as one job on the reader's thread."""
        reader = self._reader
        if reader is None:
            raise StorageError("the database is not open")
        try:
            result: T = await reader._execute(fn, reader._conn)  # type: ignore[no-untyped-call]
        except ValueError as exc:  # aiosqlite: the connection was closed meanwhile
            raise StorageError(f"the database is closed ({exc})") from exc
        return result

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """One row from the reader connection.

        One job on the reader's thread, not aiosqlite's cursor (execute, fetch and close as
        three jobs): a statement left open between jobs holds its snapshot, and every read
        queued meanwhile would see that older state, even a commit the caller awaited.
        """

        def first_row(connection: sqlite3.Connection) -> sqlite3.Row | None:
            row: sqlite3.Row | None = connection.execute(sql, params).fetchone()
            return row

        return await self._on_reader(first_row)

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """All rows from the reader connection."""
        return await self._on_reader(lambda connection: connection.execute(sql, params).fetchall())

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        row = await self.fetchone(sql, params)
        return row[0] if row is not None else None
