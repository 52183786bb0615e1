"""The notice process's stop, restarts and failures (issue 13): a stop hands back what was not
tried and loses at most what was on its way, a process that dies is restarted with a backoff
and counted, a record the database refuses is handed to the bot, the check before each send
survives a database error, nothing of a resident's reaches a log, and the pipe never blocks
the bot's loop."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.fakeapi import FakeTelegram, Fault
from bot.fakeapi.server import FakeTelegramServer
from bot.monitoring import Metrics
from bot.notices.service import Delivery, Notices, Result
from bot.storage import Database
from bot.tg import noticeproc
from bot.tg.noticeproc import (
    Backoff,
    NoticeProcess,
    PipeWriter,
    ProcessConfig,
    _Child,
    redact,
)
from bot.tg.noticeworker import BatchSender
from bot.types import Lang
from tests.test_notices_rawsend import started_notice


@pytest.fixture
async def api() -> AsyncIterator[tuple[FakeTelegram, str]]:
    core = FakeTelegram()
    server = FakeTelegramServer(core)
    url = await server.start()
    try:
        yield core, url
    finally:
        await server.stop()


async def render(notice_id: int, lang: Lang | None, municipality: str | None) -> str:
    return "Kokevarsel: kok vannet før bruk"


async def rows(db: Database) -> dict[int, tuple[str, int]]:
    found = await db.fetchall("SELECT user_id, state, attempts FROM notice_deliveries")
    return {int(u): (str(s), int(a)) for u, s, a in found}


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    """Wait until `check` holds: another process writes the rows, nothing to await here."""
    async with asyncio.timeout(30):
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


def residents(core: FakeTelegram, count: int, first: int) -> list[int]:
    made = [core.add_user(f"R{n}", user_id=first + n) for n in range(count)]
    for resident in made:
        core.open_chat(resident)
    return [r.id for r in made]


def copies(core: FakeTelegram, user_id: int) -> int:
    return len(core.bot_messages(user_id))


# -- 1. a graceful stop -------------------------------------------------------------------


class GatedSender:
    """A raw sender whose sends to some chats wait for the test to let them end."""

    def __init__(self, gated: set[int]) -> None:
        self.gates = {chat: asyncio.Event() for chat in gated}
        self.started: list[int] = []
        self.began = asyncio.Event()

    async def send(self, chat_id: int, text: str) -> int | None:
        self.started.append(chat_id)
        self.began.set()
        if chat_id in self.gates:
            await self.gates[chat_id].wait()
        return chat_id


def delivery(user_id: int) -> Delivery:
    return Delivery(1, user_id, "asker", "nb", 0)


async def test_a_stop_records_done_and_untried_at_once_and_each_on_its_way_as_it_ends() -> None:
    raw = GatedSender({10, 12})
    sender = BatchSender(raw, 0, 2, lambda: 0, lambda: 0, None, {})  # type: ignore[arg-type]
    recorded: list[list[tuple[int, str]]] = []
    changed = asyncio.Event()

    async def record(results: list[Result]) -> None:
        recorded.append([(r.delivery.user_id, r.outcome) for r in results])
        changed.set()

    stop = asyncio.Event()
    batch = [(delivery(u), "Kok") for u in (10, 11, 12, 13, 14)]
    running = asyncio.create_task(sender.run(batch, record, stop))
    # 10 waits on its way, 11 is answered, 12 waits on its way: the two slots are full and
    # 13 waits for one.
    async with asyncio.timeout(10):
        while raw.started != [10, 11, 12]:
            raw.began.clear()
            await raw.began.wait()
    stop.set()
    async with asyncio.timeout(10):
        await changed.wait()
    # At once: the answered one and the two never sent (waiting again), nothing of those
    # still on their way.
    assert recorded == [[(13, "untried"), (14, "untried"), (11, "sent")]]
    changed.clear()
    raw.gates[12].set()
    async with asyncio.timeout(10):
        await changed.wait()
    assert recorded[1:] == [[(12, "sent")]]
    raw.gates[10].set()
    await asyncio.wait_for(running, 10)
    assert recorded[2:] == [[(10, "sent")]]
    assert raw.started == [10, 11, 12]  # nothing started after the stop


async def test_without_a_stop_the_batch_is_recorded_once_in_order() -> None:
    raw = GatedSender(set())
    sender = BatchSender(raw, 0, 2, lambda: 0, lambda: 0, None, {})  # type: ignore[arg-type]
    recorded: list[list[int]] = []

    async def record(results: list[Result]) -> None:
        recorded.append([r.delivery.user_id for r in results])

    await sender.run([(delivery(u), "Kok") for u in (1, 2, 3)], record, asyncio.Event())
    assert recorded == [[1, 2, 3]]


async def test_a_stop_while_one_send_is_slow_leaves_only_that_one_unknown(
    api: tuple[FakeTelegram, str], tmp_path: Path
) -> None:
    core, url = api
    users = residents(core, 30, 81_000)
    slow = users[0]
    # Telegram may take up to 10 s; this one answers only when the test lets it, after the
    # stop: no timing decides whether it outlasts the stop's wait.
    gate = asyncio.Event()
    fault = Fault("sendMessage", chat_id=slow, status=None, gate=gate)
    core.add_fault(fault)
    async with Database(tmp_path / "bot.db") as db:
        await started_notice(db, users)
        config = ProcessConfig(tmp_path / "bot.db", url, core.token, 10, 2, 30, False)
        process = NoticeProcess(config, None, render, Notices(db).reconcile, Notices(db).record)
        running = asyncio.create_task(process.run())
        try:

            async def slow_on_way_and_some_sent() -> bool:
                return fault.hits >= 1 and core.sent_count >= 3

            await until(slow_on_way_and_some_sent)
            await process.close()
            # Returned with the slow send still held: the stop did not wait for it.
            assert not gate.is_set()
            await asyncio.wait_for(running, 30)
        finally:
            gate.set()  # the fake server's handler ends
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        states = await rows(db)
    assert process.pid is None
    assert process.exit_codes == [-signal.SIGKILL]  # killed: the slow send was still going
    assert states[slow] == ("unknown", 0)
    others = {u: s for u, s in states.items() if u != slow}
    sent = {u for u, (s, _) in others.items() if s == "sent"}
    waiting = {u for u, (s, a) in others.items() if (s, a) == ("waiting", 0)}
    # Everyone else is sent (and has it once) or waiting again, untried: none "unknown",
    # none left "sending".
    assert sent | waiting == set(others)
    assert waiting, "the stop came with most of the batch not tried yet"
    for user_id in others:
        assert copies(core, user_id) == (1 if user_id in sent else 0)


# -- 2. restarts --------------------------------------------------------------------------


def test_the_backoff_doubles_to_a_minute_and_resets_after_a_good_run() -> None:
    clock = [0.0]
    backoff = Backoff(clock=lambda: clock[0])
    waits = []
    for _ in range(8):
        backoff.started()
        clock[0] += 1.0  # dies a second after each start
        waits.append(backoff.died())
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    backoff.started()
    clock[0] += noticeproc.HEALTHY_SECONDS  # this one ran well
    assert backoff.died() == 1
    backoff.started()
    clock[0] += 1.0
    assert backoff.died() == 2


async def test_a_process_killed_again_and_again_is_restarted_with_backoff_counted_and_logged(
    api: tuple[FakeTelegram, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    core, url = api
    metrics = Metrics()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)  # the backoff asked for, not waited for

    async with Database(tmp_path / "bot.db") as db:
        config = ProcessConfig(tmp_path / "bot.db", url, core.token, 50, 2, 10, False)
        process = NoticeProcess(
            config,
            None,
            render,
            Notices(db).reconcile,
            on_restart=metrics.notice_process_restarts.inc,
            sleep=sleep,
        )
        caplog.set_level(logging.ERROR, logger="bot.tg.noticeproc")
        running = asyncio.create_task(process.run())
        try:
            killed: set[int] = set()
            for _ in range(3):
                await asyncio.wait_for(process.ready.wait(), 60)
                pid = process.pid
                assert pid is not None and pid not in killed
                killed.add(pid)
                os.kill(pid, signal.SIGKILL)

                async def replaced() -> bool:
                    return process.restarts == len(killed)

                await until(replaced)
            await asyncio.wait_for(process.ready.wait(), 60)
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
    assert waits == [1, 2, 4]
    assert process.exit_codes[:3] == [-signal.SIGKILL] * 3
    deaths = [r for r in caplog.records if "the notice process stopped" in r.getMessage()]
    assert [r.levelno for r in deaths] == [logging.ERROR] * 3
    exposed = metrics.registry.get_sample_value("bot_notice_process_restarts_total")
    assert exposed == 3


# -- 3. a record the database refuses ------------------------------------------------------

REFUSE = """CREATE TRIGGER refuse BEFORE UPDATE OF state ON notice_deliveries
            WHEN NEW.state = 'sent' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"""


@pytest.mark.parametrize("bot_records", [True, False])
async def test_a_record_that_keeps_failing_is_handed_to_the_bot_and_the_process_exits(
    api: tuple[FakeTelegram, str], tmp_path: Path, bot_records: bool
) -> None:
    core, url = api
    users = residents(core, 6, 82_000)
    handed: list[int] = []
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async with Database(tmp_path / "bot.db") as db:
        await started_notice(db, users)
        await db.write(REFUSE)

        async def record(results: list[Result]) -> None:
            handed.extend(r.delivery.user_id for r in results)
            if not bot_records:
                raise OSError("the bot's connection is refused too")
            await db.write("DROP TRIGGER refuse")  # the database takes writes again
            await Notices(db).record(results)

        config = ProcessConfig(tmp_path / "bot.db", url, core.token, 50, 2, 10, False)
        process = NoticeProcess(config, None, render, Notices(db).reconcile, record, sleep=sleep)
        running = asyncio.create_task(process.run())
        try:

            async def restarted() -> bool:
                return process.restarts >= 1

            await until(restarted)
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        states = await rows(db)
    assert process.exit_codes[0] == noticeproc.EXIT_RECORD_FAILED
    assert sorted(handed) == users
    for user_id in users:
        assert copies(core, user_id) == 1
    # Recorded by the bot, or else reconciled: never lost, never left "sending".
    expected = "sent" if bot_records else "unknown"
    assert {s for s, _ in states.values()} == {expected}


# -- 4. the check before each send ---------------------------------------------------------


async def test_a_failed_check_puts_only_that_delivery_back_and_the_batch_goes_on() -> None:
    raw = GatedSender(set())
    sender = BatchSender(raw, 0, 2, lambda: 0, lambda: 0, None, {})  # type: ignore[arg-type]
    recorded: list[list[tuple[int, str]]] = []

    async def record(results: list[Result]) -> None:
        recorded.append([(r.delivery.user_id, r.outcome) for r in results])

    async def check(d: Delivery) -> bool:
        if d.user_id == 2:
            raise OSError("database is locked")
        return d.user_id != 3  # 3's notice was paused since the claim

    await sender.run([(delivery(u), "Kok") for u in (1, 2, 3, 4)], record, None, check)
    assert recorded == [[(1, "sent"), (2, "untried"), (3, "untried"), (4, "sent")]]
    assert raw.started == [1, 4]


async def test_untried_deliveries_wait_again_or_are_cancelled_with_their_notice(
    tmp_path: Path,
) -> None:
    async with Database(tmp_path / "bot.db") as db:
        notices = Notices(db)
        first = await started_notice(db, [1, 2])
        claimed = await notices.claim(10)
        assert all(await asyncio.gather(*(notices.still_claimed(d) for d in claimed)))
        await notices.pause(first)
        assert not any(await asyncio.gather(*(notices.still_claimed(d) for d in claimed)))
        await notices.record([Result(d, "untried") for d in claimed])
        assert await rows(db) == {1: ("waiting", 0), 2: ("waiting", 0)}
        await notices.resume(first)
        claimed = await notices.claim(10)
        # Cancelled while these were claimed: put back, they are cancelled, not waiting for
        # ever under a cancelled notice.
        await notices.cancel(first)
        await notices.record([Result(d, "untried") for d in claimed])
        assert await rows(db) == {1: ("cancelled", 0), 2: ("cancelled", 0)}


class ParentStub:
    """The bot's end of a child run in this process: answers its questions for texts."""

    def __init__(self, conn: multiprocessing.connection.Connection) -> None:
        self.conn = conn
        asyncio.get_running_loop().add_reader(conn.fileno(), self._readable)

    def _readable(self) -> None:
        while self.conn.poll():
            message = self.conn.recv()
            if message[0] == "text":
                self.conn.send(("reply", message[1], "Kokevarsel"))

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.conn.fileno())


async def test_a_database_error_in_the_check_puts_one_back_and_the_next_round_sends_it(
    api: tuple[FakeTelegram, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    core, url = api
    users = residents(core, 5, 83_000)
    failing = users[2]
    real = Notices.still_claimed
    checks: list[int] = []

    async def still_claimed(self: Notices, d: Delivery) -> bool:
        checks.append(d.user_id)
        if d.user_id == failing and checks.count(failing) == 1:
            raise OSError("database is locked")
        return await real(self, d)

    monkeypatch.setattr(Notices, "still_claimed", still_claimed)
    ours, theirs = multiprocessing.Pipe(duplex=True)
    async with Database(tmp_path / "bot.db") as db:
        await started_notice(db, users)
        config = ProcessConfig(tmp_path / "bot.db", url, core.token, 0, 2, 10, False)
        child = _Child(config, theirs, noticeproc.Signals())
        stub = ParentStub(ours)
        child_db = Database(tmp_path / "bot.db")
        await child_db.open()
        loop = asyncio.get_running_loop()
        loop.add_reader(theirs.fileno(), child._readable)
        try:
            child.notices = Notices(child_db)
            await child._round(child.notices)
            after_first = await rows(db)
            await child._round(child.notices)
            after_second = await rows(db)
        finally:
            loop.remove_reader(theirs.fileno())
            stub.close()
            await child.raw.close()
            await child_db.close()
            child.writer.close()
    assert after_first == {u: ("sent", 1) for u in users if u != failing} | {
        failing: ("waiting", 0)
    }
    assert after_second == {u: ("sent", 1) for u in users}
    for user_id in users:
        assert copies(core, user_id) == 1


# -- 5. nothing of a resident's, nor the token, in a log -----------------------------------


def test_redact_hides_the_token_residents_ids_and_the_notice_s_text() -> None:
    token = "123456:SECRET-TOKEN"
    text = "Kokevarsel: kok vannet før bruk\nGjelder Heggedal"
    line = (
        f"POST /bot{token}/sendMessage chat_id=7712345678 failed: "
        "'Kokevarsel: kok vannet før bruk' notice 12"
    )
    shown = redact(line, token, [text])
    assert shown == "POST /bot<token>/sendMessage chat_id=<id> failed: '<text>' notice 12"


async def test_the_process_s_tracebacks_reach_the_bot_s_log_redacted(
    api: tuple[FakeTelegram, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    core, url = api
    users = residents(core, 2, 84_000)
    async with Database(tmp_path / "bot.db") as db:
        await started_notice(db, users)
        # The claim fails with an error that names a resident and the token.
        await db.write(
            f"""CREATE TRIGGER loud BEFORE UPDATE OF state ON notice_deliveries BEGIN
                SELECT RAISE(ABORT, 'refused for {users[0]} with {core.token}'); END"""
        )
        config = ProcessConfig(tmp_path / "bot.db", url, core.token, 50, 2, 10, False)
        process = NoticeProcess(config, None, render, Notices(db).reconcile)
        caplog.set_level(logging.INFO, logger="bot.tg.noticeproc")
        running = asyncio.create_task(process.run())

        def logged() -> list[str]:
            return [
                r.getMessage()
                for r in caplog.records
                if r.name == "bot.tg.noticeproc" and "notice round failed" in r.getMessage()
            ]

        async def failed() -> bool:
            return bool(logged())

        try:
            await until(failed)
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
    message = logged()[0]
    assert "Traceback" in message and "refused for <id> with <token>" in message
    assert str(users[0]) not in message and core.token not in message
    assert all(core.token not in r.getMessage() for r in caplog.records)
    # Nothing of the process's own reached the terminal: it all went through the bot.
    assert "refused for" not in capfd.readouterr().err


# -- 6. the pipe never blocks the bot's loop ---------------------------------------------


async def test_the_pipe_writer_never_blocks_and_a_full_queue_still_takes_the_stop() -> None:
    ours, theirs = multiprocessing.Pipe(duplex=True)
    lost: list[bool] = []
    writer = PipeWriter(ours, lambda: lost.append(True), size=3)
    big = "x" * 4_000_000  # far more than the socket holds: its send waits for a reader
    assert writer.put(("big", 0, big))

    async def taken() -> bool:
        return not writer._queue

    await until(taken)  # the thread is in the send, blocked: nobody reads
    assert [writer.put(("big", n, big)) for n in (1, 2, 3, 4)] == [True, True, True, False]
    assert writer.put(("stop",), urgent=True)  # full, and the stop still goes
    received = []
    for _ in range(5):
        message = await asyncio.to_thread(theirs.recv)
        received.append(message[:2])
    # The one on its way first, then the stop ahead of those queued before it.
    assert received == [("big", 0), ("stop",), ("big", 1), ("big", 2), ("big", 3)]
    assert writer.dropped == 1 and not lost
    writer.flush(5)
    ours.close()
    theirs.close()


async def test_a_stopped_process_does_not_block_the_loop_and_still_stops_by_itself(
    api: tuple[FakeTelegram, str], tmp_path: Path
) -> None:
    core, url = api
    async with Database(tmp_path / "bot.db") as db:
        config = ProcessConfig(tmp_path / "bot.db", url, core.token, 50, 2, 10, False)
        process = NoticeProcess(config, None, render, Notices(db).reconcile, stop_seconds=30)
        running = asyncio.create_task(process.run())
        try:
            await asyncio.wait_for(process.ready.wait(), 60)
            child = process.pid
            assert child is not None
            os.kill(child, signal.SIGSTOP)
            # Far more than the pipe holds: each returns at once, the extra ones dropped.
            for _ in range(noticeproc.QUEUE_SIZE + 50_000):
                process.wake()
            os.kill(child, signal.SIGCONT)
            await process.close()
            await asyncio.wait_for(running, 30)
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
    # The stop reached it past the full queue: it stopped by itself, not killed.
    assert process.exit_codes == [0]


async def test_a_batch_whose_launch_fails_records_the_rest_as_untried() -> None:
    raw = GatedSender(set())
    shares = [0]

    async def share(wanted: int) -> int:
        shares[0] += 1
        if shares[0] == 2:
            raise RuntimeError("the limiter broke")
        return 1

    sender = BatchSender(raw, 10, 1, lambda: 0, lambda: 0, share, {})  # type: ignore[arg-type]
    recorded: list[tuple[int, str]] = []

    async def record(results: list[Result]) -> None:
        recorded.extend((r.delivery.user_id, r.outcome) for r in results)

    await asyncio.wait_for(sender.run([(delivery(u), "Kok") for u in (1, 2, 3)], record), 10)
    # Nothing left "sending" for ever, nor the round hung: the one sent, the rest untried.
    assert sorted(recorded) == [(1, "sent"), (2, "untried"), (3, "untried")]


async def test_release_all_puts_every_claimed_delivery_back_untried(tmp_path: Path) -> None:
    async with Database(tmp_path / "bot.db") as db:
        notices = Notices(db)
        await started_notice(db, [1, 2, 3])
        assert len(await notices.claim(2)) == 2
        assert await notices.release_all() == 2
        assert await rows(db) == {1: ("waiting", 0), 2: ("waiting", 0), 3: ("waiting", 0)}
