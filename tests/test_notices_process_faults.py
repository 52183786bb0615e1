"""The notice process under double faults and races found in review (issue 13): a refused
early record, the child's last words read before its pipe is closed, a put-back owed after a
failed claim, a stop while a text is asked for, and one failed text question per batch."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.fakeapi import FakeTelegram, Fault
from bot.notices.service import Delivery, Notices, Result
from bot.storage import Database
from bot.tg import noticeproc
from bot.tg.noticeproc import (
    AskFailed,
    NoticeProcess,
    PipeWriter,
    ProcessConfig,
    RecordFailed,
    _Child,
)
from tests.test_notices_process import api, copies, render, residents, rows, started_notice, until

__all__ = ["api"]  # the fixture, imported for the tests below


class Bot:
    """The bot's end of a child run in this process: answers text questions (or not), and
    keeps what the child hands back."""

    def __init__(self, conn: multiprocessing.connection.Connection, answer: str = "text") -> None:
        self.conn = conn
        self.answer = answer
        self.asked: list[tuple[Any, ...]] = []
        self.asked_event = asyncio.Event()
        self.handed: list[Result] = []
        self.handed_event = asyncio.Event()
        asyncio.get_running_loop().add_reader(conn.fileno(), self._readable)

    def _readable(self) -> None:
        while self.conn.poll():
            message = self.conn.recv()
            if message[0] == "text":
                self.asked.append(message)
                self.asked_event.set()
                if self.answer == "text":
                    self.conn.send(("reply", message[1], "Kokevarsel"))
                elif self.answer == "error":  # the bot could not render it
                    self.conn.send(("reply", message[1], None, "error"))
            elif message[0] == "unrecorded":
                self.handed.extend(message[1])
                self.handed_event.set()

    async def handed_at_least(self, count: int) -> None:
        async with asyncio.timeout(10):
            while len(self.handed) < count:
                self.handed_event.clear()
                await self.handed_event.wait()

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.conn.fileno())


@contextlib.asynccontextmanager
async def child_of(
    db_path: Path, url: str, token: str, answer: str = "text", batch: int = 10
) -> AsyncIterator[tuple[_Child, Bot]]:
    ours, theirs = multiprocessing.Pipe(duplex=True)
    config = ProcessConfig(db_path, url, token, 0, 2, batch, False)
    child = _Child(config, theirs, noticeproc.Signals())
    bot = Bot(ours, answer)
    child_db = Database(db_path)
    await child_db.open()
    loop = asyncio.get_running_loop()
    loop.add_reader(theirs.fileno(), child._readable)
    child.notices = Notices(child_db)
    try:
        yield child, bot
    finally:
        loop.remove_reader(theirs.fileno())
        bot.close()
        await child.raw.close()
        await child_db.close()
        child.writer.close()


# -- finding 1: a refused early record -----------------------------------------------------


async def test_a_refused_early_record_hands_back_the_untried_rest_of_the_batch(
    api: tuple[FakeTelegram, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(noticeproc, "RECORD_RETRY_SECONDS", 0.001)
    core, url = api
    users = residents(core, 5, 85_000)
    async with Database(tmp_path / "bot.db") as db:
        await started_notice(db, users)
        async with child_of(tmp_path / "bot.db", url, core.token) as (child, bot):
            assert child.notices is not None

            async def text(delivery: Delivery) -> str | None:
                if delivery.user_id == users[0]:
                    raise AskFailed()  # put back before the batch is sent: an early record
                return "Kokevarsel"

            async def refused(results: list[Result]) -> None:
                raise OSError("disk I/O error")

            monkeypatch.setattr(child, "_text", text)
            monkeypatch.setattr(child.notices, "record", refused)
            with pytest.raises(RecordFailed):
                await child._round(child.notices)
            await bot.handed_at_least(len(users))
            # What the bot does with them, on its own connection.
            await Notices(db).record(bot.handed)
            await Notices(db).reconcile()
        states = await rows(db)
    assert sorted(r.delivery.user_id for r in bot.handed) == users
    assert {r.outcome for r in bot.handed} == {"untried"}
    assert states == {u: ("waiting", 0) for u in users}
    for user_id in users:
        assert copies(core, user_id) == 0


# -- finding 2: the child's last words are read before its pipe is closed ------------------


async def test_a_lost_pipe_first_reads_what_the_process_sent_as_it_went(tmp_path: Path) -> None:
    recorded: list[int] = []

    async def record(results: list[Result]) -> None:
        recorded.extend(r.delivery.user_id for r in results)

    async def reconcile() -> int:
        return 0

    async def render(*args: object) -> str:
        return "x"

    config = ProcessConfig(tmp_path / "db", "http://x", "t", 0, 1, 1, False)
    process = NoticeProcess(config, None, render, reconcile, record)
    mine, theirs = multiprocessing.Pipe(duplex=True)
    loop = asyncio.get_running_loop()
    process._conn = mine
    process._writer = PipeWriter(mine, lambda: loop.call_soon_threadsafe(process._lost, mine))
    loop.add_reader(mine.fileno(), process._readable)
    # The process hands back its results and exits...
    theirs.send(("unrecorded", [Result(Delivery(1, 4242, "asker", "nb", 0), "untried")]))
    theirs.close()
    # ...just as the bot tells it something: the write fails and schedules the loss. Joined
    # here, on the loop, so that the loss comes before the reader sees the data.
    process._send(("wake",))
    writer = process._writer
    assert writer is not None
    writer._thread.join(5)
    await asyncio.wait_for(process._gone.wait(), 5)
    await asyncio.gather(*process._recording)
    assert recorded == [4242]


# -- finding 3: a put-back owed after a failed claim ---------------------------------------


async def test_a_put_back_that_fails_after_a_failed_claim_is_done_before_the_next_claim(
    api: tuple[FakeTelegram, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    core, url = api
    users = residents(core, 6, 87_000)
    real_claim, real_release = Notices.claim, Notices.release_all
    calls = {"claim": 0, "release": 0}

    async def claim(self: Notices, limit: int) -> list[Delivery]:
        calls["claim"] += 1
        got = await real_claim(self, limit)
        if calls["claim"] == 1:
            raise OSError("disk I/O error")  # committed, then failed (a failed fsync)
        return got

    async def release_all(self: Notices) -> int:
        calls["release"] += 1
        if calls["release"] == 1:
            raise OSError("disk I/O error")  # the database is still failing just then
        return await real_release(self)

    monkeypatch.setattr(Notices, "claim", claim)
    monkeypatch.setattr(Notices, "release_all", release_all)
    async with Database(tmp_path / "bot.db") as db:
        notice_id = await started_notice(db, users)
        async with child_of(tmp_path / "bot.db", url, core.token, batch=3) as (child, _):
            assert child.notices is not None
            with pytest.raises(OSError):
                await child._round(child.notices)
            stuck = await rows(db)
            assert await child._round(child.notices) == 3
            after_second = await rows(db)
            assert await child._round(child.notices) == 3
        states = await rows(db)
        state = await db.fetchval("SELECT state FROM notices WHERE id = ?", (notice_id,))
    assert sorted(s for s, _ in stuck.values()) == ["sending"] * 3 + ["waiting"] * 3
    # Put back before the second claim: three sent, the rest waiting, none left "sending".
    assert sorted(s for s, _ in after_second.values()) == ["sent"] * 3 + ["waiting"] * 3
    assert states == {u: ("sent", 1) for u in users}
    assert state == "done"
    for user_id in users:
        assert copies(core, user_id) == 1


# -- finding 4: a stop while a text is asked for; one failed question per batch ------------


async def test_a_stop_while_a_text_is_asked_for_puts_the_batch_back_at_once(
    api: tuple[FakeTelegram, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the stop the question would wait for ever: only the stop can end the round.
    monkeypatch.setattr(noticeproc, "ASK_SECONDS", 3600.0)
    core, url = api
    users = residents(core, 5, 88_000)
    async with Database(tmp_path / "bot.db") as db:
        await started_notice(db, users)
        path = tmp_path / "bot.db"
        async with child_of(path, url, core.token, answer="silent") as (child, bot):
            assert child.notices is not None
            task = asyncio.create_task(child._round(child.notices))
            await asyncio.wait_for(bot.asked_event.wait(), 10)  # asked, never answered
            bot.conn.send(("stop",))
            try:
                assert await asyncio.wait_for(task, 10) == 0
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        states = await rows(db)
    assert len(bot.asked) == 1
    assert states == {u: ("waiting", 0) for u in users}
    for user_id in users:
        assert copies(core, user_id) == 0


async def test_a_text_that_cannot_be_had_is_asked_for_once_a_batch(
    api: tuple[FakeTelegram, str], tmp_path: Path
) -> None:
    core, url = api
    users = residents(core, 5, 89_000)
    async with Database(tmp_path / "bot.db") as db:
        await started_notice(db, users)
        path = tmp_path / "bot.db"
        async with child_of(path, url, core.token, answer="error") as (child, bot):
            assert child.notices is not None
            assert await child._round(child.notices) == 0
            asked_first_round = len(bot.asked)
            bot.answer = "text"
            assert await child._round(child.notices) == len(users)  # asked again next round
        states = await rows(db)
    assert asked_first_round == 1
    assert len(bot.asked) == 2
    assert states == {u: ("sent", 1) for u in users}


# -- nits: one warning per burst, a pause when every check fails ---------------------------


async def test_a_process_that_reads_nothing_gets_one_warning_then_a_count(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def record(results: list[Result]) -> None:
        pass

    async def reconcile() -> int:
        return 0

    async def render(*args: object) -> str:
        return "x"

    config = ProcessConfig(tmp_path / "db", "http://x", "t", 0, 1, 1, False)
    process = NoticeProcess(config, None, render, reconcile, record)
    mine, theirs = multiprocessing.Pipe(duplex=True)
    writer = PipeWriter(mine, lambda: None, size=1)
    process._conn, process._writer = mine, writer
    big = "x" * 4_000_000  # more than the socket holds: the writer waits for a reader
    process._send(("big", big))
    async with asyncio.timeout(10):
        while writer._queue:  # noqa: ASYNC110 (a thread takes it)
            await asyncio.sleep(0.01)
    process._send(("wake",))  # queued: the queue is full now
    with caplog.at_level(logging.WARNING, "bot.tg.noticeproc"):
        for _ in range(50):
            process._send(("wake",))
        stuck = [r.getMessage() for r in caplog.records]
        for _ in range(2):  # it reads again: the big one and the queued wake
            await asyncio.to_thread(theirs.recv)
        async with asyncio.timeout(10):
            while writer._queue:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        process._send(("wake",))
        after = [r.getMessage() for r in caplog.records]
    writer.flush(5)
    writer.close()
    mine.close()
    theirs.close()
    assert stuck == ["the notice process reads nothing; what it is told is dropped"]
    assert after[1:] == ["the notice process reads again; 50 messages were dropped"]


async def test_a_round_whose_every_check_fails_waits_before_the_next_one(
    api: tuple[FakeTelegram, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    core, url = api
    users = residents(core, 5, 86_000)

    async def still_claimed(self: Notices, delivery: Delivery) -> bool:
        raise OSError("disk I/O error")  # reads fail, writes do not

    monkeypatch.setattr(Notices, "still_claimed", still_claimed)
    async with Database(tmp_path / "bot.db") as db:
        await started_notice(db, users)
        async with child_of(tmp_path / "bot.db", url, core.token) as (child, _):
            assert child.notices is not None
            with caplog.at_level(logging.WARNING, "bot.tg.noticeworker"):
                # Nothing done: the process's loop waits its idle time, not claims again.
                assert await child._round(child.notices) == 0
        states = await rows(db)
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.tg.noticeworker"]
    assert len(warnings) == 2
    assert warnings[1] == "5 checks before a send failed in this batch; put back"
    assert states == {u: ("waiting", 0) for u in users}


# -- the process killed alone in the middle of a send, the bot going on --------------------


async def test_a_process_killed_mid_send_is_restarted_and_only_its_batch_is_unknown(
    api: tuple[FakeTelegram, str], tmp_path: Path
) -> None:
    core, url = api
    users = residents(core, 60, 84_000)
    held = users[25]  # its send is held on its way: its batch cannot end before the kill
    gate = asyncio.Event()
    fault = Fault("sendMessage", chat_id=held, status=None, gate=gate)
    core.add_fault(fault)

    async def sleep(seconds: float) -> None:
        pass  # the restart's backoff, not waited for

    async with Database(tmp_path / "bot.db") as db:
        await started_notice(db, users)
        config = ProcessConfig(tmp_path / "bot.db", url, core.token, 0, 4, 10, False)
        notices = Notices(db)
        process = NoticeProcess(
            config, None, render, notices.reconcile, notices.record, sleep=sleep
        )
        running = asyncio.create_task(process.run())
        try:

            async def on_its_way() -> bool:
                return fault.hits >= 1

            await until(on_its_way)
            pid = process.pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)

            async def restarted() -> bool:
                return process.restarts == 1

            await until(restarted)
            gate.set()  # the cut-off call arrives after all: "unknown" covers both

            async def finished() -> bool:
                return all(s in ("sent", "unknown") for s, _ in (await rows(db)).values())

            await until(finished)
        finally:
            gate.set()
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        states = await rows(db)
    assert process.exit_codes[0] == -signal.SIGKILL
    unknown = {u for u, (s, _) in states.items() if s == "unknown"}
    assert held in unknown
    assert len(unknown) <= config.batch  # only the batch on its way
    for user_id, (state, _) in states.items():
        assert copies(core, user_id) <= 1  # nobody twice
        if state == "sent":
            assert copies(core, user_id) == 1
