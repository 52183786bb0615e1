"""Storage: migrations, atomic writes and the repositories."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.helpdesk.repository import volunteers_in_state
from bot.storage import Database
from bot.storage.db import NotDurableError, StorageError
from bot.storage.migrations import MIGRATIONS
from bot.storage.records import Feedback, Inbox, Meta, Questions, Residents, cluster_similar


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(tmp_path / "bot.db") as database:
        yield database


async def test_schema_is_migrated_and_pragmas_set(db: Database) -> None:
    assert await db.fetchval("PRAGMA user_version") == len(MIGRATIONS)
    assert await db.fetchval("PRAGMA journal_mode") == "wal"
    # The writer commits without an fsync of its own: Database fsyncs the WAL after it.
    assert await db.run_write(lambda c: c.execute("PRAGMA synchronous").fetchone()[0]) == 1


async def test_reopening_does_not_migrate_again(tmp_path: Path) -> None:
    async with Database(tmp_path / "bot.db") as first:
        await Residents(first).save(1, municipality="asker")
    async with Database(tmp_path / "bot.db") as second:
        assert (await Residents(second).get(1)) is not None


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StorageError, match="newer than this program"):
        await Database(path).open()


async def test_failed_write_leaves_nothing_and_spares_the_others(db: Database) -> None:
    def crash(connection: sqlite3.Connection) -> None:
        connection.execute("INSERT INTO meta VALUES ('a', 'b')")
        raise RuntimeError("crash in the middle of a write")

    results = await asyncio.gather(
        db.write("INSERT INTO meta VALUES ('before', '1')"),
        db.run_write(crash),
        db.write("INSERT INTO meta VALUES ('after', '2')"),
        return_exceptions=True,
    )
    assert isinstance(results[1], RuntimeError)
    assert [row[0] for row in await db.fetchall("SELECT key FROM meta ORDER BY key")] == [
        "after",
        "before",
    ]


async def test_concurrent_writes_share_a_commit_and_all_land(db: Database) -> None:
    await asyncio.gather(*(Residents(db).save(n, municipality="asker") for n in range(500)))
    assert await db.fetchval("SELECT COUNT(*) FROM residents") == 500


async def test_write_after_close_is_refused(tmp_path: Path) -> None:
    database = Database(tmp_path / "bot.db")
    await database.open()
    await database.close()
    with pytest.raises(StorageError):
        await database.write("INSERT INTO meta VALUES ('a', 'b')")


async def test_residents_keep_unchanged_choices(db: Database) -> None:
    residents = Residents(db)
    await residents.save(7, municipality="asker", language="nb")
    updated = await residents.save(7, language="en")
    assert (updated.municipality, updated.language) == ("asker", "en")
    await residents.forget(7)
    assert await residents.get(7) is None


async def test_the_last_language_is_kept_apart_from_the_chosen_one(db: Database) -> None:
    residents = Residents(db)
    await residents.save(7, language="en")
    updated = await residents.save(7, last_language="sv")
    assert (updated.language, updated.last_language) == ("en", "sv")
    assert await residents.get(7) == updated


def schema_at(path: Path, version: int) -> sqlite3.Connection:
    """A database file as the first `version` migrations left it (use it in `with`)."""
    connection = sqlite3.connect(path)
    for statements in MIGRATIONS[:version]:
        for statement in statements:
            connection.execute(statement)
    connection.execute(f"PRAGMA user_version = {version}")
    return connection


async def test_a_language_stored_before_migration_6_becomes_the_last_used_one(
    tmp_path: Path,
) -> None:
    """/start used to store the app's language as if chosen: it is only the last one used."""
    path = tmp_path / "bot.db"
    with schema_at(path, 4) as connection:
        connection.execute(
            "INSERT INTO residents (user_id, municipality, language, created_at, updated_at) "
            "VALUES (7, 'ockero', 'sv', 0, 0)"
        )
    async with Database(path) as database:
        resident = await Residents(database).get(7)
    assert resident is not None
    assert (resident.municipality, resident.language, resident.last_language) == (
        "ockero",
        None,
        "sv",
    )


async def test_approvals_stored_before_migration_11_are_kept_per_municipality(
    tmp_path: Path,
) -> None:
    """A volunteer approved before approval was per municipality stays approved in every
    municipality they signed up for; one registered without any keeps their one decision."""
    path = tmp_path / "bot.db"
    with schema_at(path, 10) as connection:
        for user_id, state, places in (
            (1, "approved", "asker,ockero"),
            (2, "rejected", "ockero"),
            (3, "approved", None),
        ):
            connection.execute(
                """INSERT INTO volunteers (user_id, name, skills, state, registered_at,
                       decided_at, decided_by, municipalities)
                   VALUES (?, 'Ola', 'dog', ?, 0, 5, 9, ?)""",
                (user_id, state, places),
            )
    async with Database(path) as database:
        found = {v.user_id: v for v in await database.read(lambda c: volunteers_in_state(c, None))}
        decided = await database.fetchall(
            "SELECT DISTINCT decided_at, decided_by FROM volunteer_approvals"
        )
    assert found[1].approvals == (("asker", "approved"), ("ockero", "approved"))
    assert found[1].approved_for == ("asker", "ockero")
    assert found[2].approvals == (("ockero", "rejected"),)
    assert found[3].approvals == () and found[3].approved
    assert [tuple(row) for row in decided] == [(5, 9)]


async def test_inbox_records_once_and_forgets_processed_payloads(db: Database) -> None:
    inbox = Inbox(db)
    assert await inbox.record(5, {"update_id": 5, "message": {"text": "hei"}})
    assert not await inbox.record(5, {"update_id": 5})
    assert await inbox.record(6, {"update_id": 6})
    assert not await inbox.record(6, {"update_id": 6})  # right after its own insert
    assert [u for u, _ in await inbox.pending()] == [5, 6]
    await inbox.mark_processed(5)
    assert await inbox.is_processed(5)
    assert [u for u, _ in await inbox.pending()] == [6]
    assert await db.fetchval("SELECT payload FROM inbox WHERE update_id = 5") is None


async def test_questions_handoff_and_retention(db: Database) -> None:
    questions = Questions(db)
    qid = await questions.record(7, "asker", "nb", "når går ferja?", "fallback")
    await questions.sent_to_staff(qid, -100, 55)
    found = await questions.by_staff_message(-100, 55)
    assert found is not None and found.text == "når går ferja?"
    assert await questions.unanswered(0) == [("når går ferja?", "asker", 1)]
    await questions.purge(-10)
    purged = await questions.get(qid)
    assert purged is not None and purged.text is None and purged.user_id is None


async def test_unanswered_groups_near_duplicates_most_asked_first(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ties are broken by the latest time asked, in whole seconds: all asked in one second
    # here, as a slow machine could otherwise spread them over two and change the wording.
    monkeypatch.setattr("bot.storage.records.now", lambda: 1_700_000_000)
    questions = Questions(db)
    for text, municipality in [
        ("når går ferja?", "asker"),
        ("Når går ferja", "asker"),
        ("naar gaar ferja??", "asker"),
        ("når går ferja?", "ockero"),
        ("kan jeg grille i parken?", "asker"),
        ("kan jeg grille i parken?", "asker"),
        ("kan jeg grille i parken?", "asker"),
        ("kan jeg grille i parken?", "asker"),
    ]:
        await questions.record(7, municipality, "nb", text, "fallback")
    assert await questions.unanswered(0) == [
        ("kan jeg grille i parken?", "asker", 4),
        ("når går ferja?", "asker", 3),
        ("når går ferja?", "ockero", 1),
    ]
    # A municipality's staff: theirs only, chosen before the limit (not after it).
    assert await questions.unanswered(0, 1, municipalities={"ockero"}) == [
        ("når går ferja?", "ockero", 1)
    ]
    assert await questions.unanswered(0, municipalities=()) == []


def test_clustering_with_a_cap_keeps_the_counts_of_the_groups_it_forms() -> None:
    rows = [
        ("kan jeg grille i parken?", "asker", 4),
        ("når går ferja?", "asker", 3),
        ("hvor er legevakten?", "asker", 2),
        ("Kan jeg grille i parken", "asker", 1),
        ("når går ferja", "asker", 1),
        ("NÅR GÅR FERJA", "asker", 1),
    ]
    assert cluster_similar(rows) == [[0, 3], [1, 4, 5], [2]]
    # Two groups at most: the third question is left out, the later wordings still join.
    assert cluster_similar(rows, max_groups=2) == [[0, 3], [1, 4, 5]]


async def test_feedback_summary(db: Database) -> None:
    feedback = Feedback(db)
    await feedback.record("a", True, "asker", "nb")
    await feedback.record("a", False, "asker", "nb")
    await feedback.record("b", False, None, None)
    assert await feedback.summary() == [("a", 1, 1), ("b", 0, 1)]


async def test_secret_is_stable(db: Database) -> None:
    meta = Meta(db)
    first = await meta.secret("callback-key")
    assert len(first) == 32
    assert await meta.secret("callback-key") == first


async def test_a_read_function_runs_on_the_aiosqlite_readers_own_thread(db: Database) -> None:
    # Database.read relies on aiosqlite's way of running a function on its thread.
    import threading

    import aiosqlite

    assert callable(getattr(aiosqlite.Connection, "_execute", None))
    await db.write("INSERT INTO meta (key, value) VALUES ('probe', 'x')")

    def probe(connection: sqlite3.Connection) -> tuple[str, str]:
        value = connection.execute("SELECT value FROM meta WHERE key = 'probe'").fetchone()[0]
        return value, threading.current_thread().name

    value, thread = await db.read(probe)
    assert value == "x"
    assert thread != threading.current_thread().name
    with pytest.raises(sqlite3.OperationalError):  # the reader never writes
        await db.read(lambda c: c.execute("DELETE FROM meta"))


async def test_a_read_sees_a_commit_made_while_another_read_was_running(
    db: Database, tmp_path: Path
) -> None:
    """Two reads queued together: the first one's query commits a write elsewhere while it
    runs (a SQL function on the reader). The second must see that commit, which it cannot if
    the first read's statement is still open between jobs on the reader's thread."""
    await db.write_many("INSERT INTO meta (key, value) VALUES (?, 'x')", [("a",), ("b",)])

    def commit_elsewhere() -> int:
        with sqlite3.connect(tmp_path / "bot.db") as other:
            other.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('late', 'y')")
        other.close()
        return 1

    await db._on_reader(lambda c: c.create_function("commit_elsewhere", 0, commit_elsewhere))
    first, second = await asyncio.gather(
        db.fetchone("SELECT key, commit_elsewhere() FROM meta ORDER BY key"),
        db.fetchval("SELECT value FROM meta WHERE key = 'late'"),
    )
    assert first is not None and first[0] == "a"
    assert second == "y"


async def test_a_failed_read_does_not_keep_an_old_snapshot(db: Database) -> None:
    await db.write_many("INSERT INTO meta (key, value) VALUES (?, 'x')", [("a",), ("b",)])

    def fail_half_way(connection: sqlite3.Connection) -> None:
        rows = connection.execute("SELECT key FROM meta")
        rows.fetchone()
        raise LookupError("half way through the rows")

    with pytest.raises(LookupError) as failure:
        await db.read(fail_half_way)
    await db.write("INSERT INTO meta (key, value) VALUES ('later', 'y')")
    # `failure` keeps the traceback alive, and with it whatever the frames still hold.
    assert failure.value is not None
    assert await db.fetchval("SELECT value FROM meta WHERE key = 'later'") == "y"


async def test_after_close_a_write_or_read_is_a_clear_storage_error(tmp_path: Path) -> None:
    database = Database(tmp_path / "bot.db")
    await database.open()
    await database.close()
    with pytest.raises(StorageError):
        await database.write("INSERT INTO meta (key, value) VALUES ('late', 'x')")
    with pytest.raises(StorageError):
        await database.read(lambda c: c.execute("SELECT 1").fetchone())


async def test_a_write_returns_after_the_fsync_and_a_commit_only_write_before_it(
    db: Database,
) -> None:
    """The writer commits without waiting for the disk; a durable write waits for the fsync
    that follows, which covers every commit made before it began."""
    fsync_entered, fsync_may_end = threading.Event(), threading.Event()
    fsyncs: list[int] = []
    real_fsync = db._fsync_wal

    def slow_fsync() -> None:
        fsyncs.append(1)
        fsync_entered.set()
        fsync_may_end.wait(30)
        real_fsync()

    db._fsync_wal = slow_fsync  # type: ignore[method-assign]
    residents = Residents(db)
    try:
        durable = asyncio.create_task(residents.save(1, municipality="asker"))
        assert await asyncio.to_thread(fsync_entered.wait, 30)
        # The fsync hangs; a commit-only write still commits, and is read back at once.
        await db.write("INSERT INTO meta (key, value) VALUES ('k', 'v')", durable=False)
        assert await db.fetchval("SELECT value FROM meta WHERE key = 'k'") == "v"
        assert await db.fetchval("SELECT municipality FROM residents WHERE user_id = 1") == (
            "asker"
        )
        await asyncio.sleep(0.05)
        assert not durable.done()
        waiting = asyncio.create_task(db.synced())
        await asyncio.sleep(0.05)
        assert not waiting.done()
    finally:
        fsync_may_end.set()
    await durable
    await waiting
    # The second waiter needed one more fsync (its commit came after the first began); a
    # third call with nothing new committed needs none.
    assert len(fsyncs) == 2
    await db.synced()
    assert len(fsyncs) == 2


async def test_a_failed_fsync_fails_the_writes_waiting_for_it(db: Database) -> None:
    def failing_fsync() -> None:
        raise OSError(5, "Input/output error")

    real_fsync = db._fsync_wal
    db._fsync_wal = failing_fsync  # type: ignore[method-assign]
    with pytest.raises(NotDurableError, match="fsynced"):
        await Residents(db).save(2, municipality="asker")
    assert db.write_failure == "fsync: OSError"
    # Committed all the same: readers see it; the error says it may not be on the disk.
    assert await Residents(db).get(2) is not None
    # Sticky: an fsync that later "succeeds" may cover pages the kernel dropped, so every
    # durable write fails until the database is opened again, and /healthz keeps saying so.
    db._fsync_wal = real_fsync  # type: ignore[method-assign]
    with pytest.raises(NotDurableError):
        await Residents(db).save(3, municipality="asker")
    await db.write("INSERT INTO meta (key, value) VALUES ('later', 'x')", durable=False)
    assert db.write_failure == "fsync: OSError"
    await db.close()
    await db.open()
    await Residents(db).save(4, municipality="asker")
    assert db.write_failure is None


async def test_the_fsync_reaches_the_wal_beside_a_symlinked_database(tmp_path: Path) -> None:
    real = tmp_path / "disk" / "bot.db"
    real.parent.mkdir()
    link = tmp_path / "bot.db"
    link.symlink_to(real)
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(descriptor: int) -> None:
        synced.append(str(Path(f"/proc/self/fd/{descriptor}").readlink()))
        real_fsync(descriptor)

    async with Database(link) as database:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(os, "fsync", recording_fsync)
            await Residents(database).save(5, municipality="asker")
    assert f"{real}-wal" in synced
    assert not (tmp_path / "bot.db-wal").exists()
