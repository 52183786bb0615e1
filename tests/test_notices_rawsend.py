"""The notices' own sendMessage client against the local Bot API over HTTP: Telegram's answers
become PTB's errors, so the sender treats them as it treats PTB's. The batch sender's rules
(answers first, shares of the overall limit, a chat's 429 hold), and the notice process that
runs it: its shares taken on the bot's loop, the bot's counts read from shared memory, its
records in the same SQLite rows, and another process started when one dies."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from telegram.error import Forbidden, NetworkError, RetryAfter

from bot.fakeapi import BotEvent, FakeTelegram, Fault
from bot.fakeapi.server import FakeTelegramServer
from bot.notices.service import Delivery, Notices
from bot.notices.subscriptions import Subscriptions
from bot.storage import Database
from bot.tg.noticeproc import NoticeProcess, ProcessConfig
from bot.tg.noticeworker import BatchSender
from bot.tg.ratelimit import ChatRateLimiter
from bot.tg.rawsend import RawSender
from bot.types import Lang


@pytest.fixture
async def api() -> AsyncIterator[tuple[FakeTelegram, RawSender]]:
    core = FakeTelegram()
    server = FakeTelegramServer(core)
    url = await server.start()
    sender = RawSender(url, core.token, 4)
    try:
        yield core, sender
    finally:
        await sender.close()
        await server.stop()


async def test_a_notice_is_sent_as_html_and_its_message_id_comes_back(
    api: tuple[FakeTelegram, RawSender],
) -> None:
    core, sender = api
    resident = core.add_user("Kari")
    core.open_chat(resident)
    message_id = await sender.send(resident.id, "<b>Kokevarsel</b> &amp; mer")
    shown = core.bot_messages(resident)
    assert [m.message_id for m in shown] == [message_id]
    assert shown[0].text == "Kokevarsel & mer"


async def test_blocked_is_forbidden_and_a_429_is_retry_after(
    api: tuple[FakeTelegram, RawSender],
) -> None:
    core, sender = api
    blocked, held = core.add_user("Ola"), core.add_user("Per")
    core.open_chat(held)
    core.block(blocked)
    with pytest.raises(Forbidden):
        await sender.send(blocked.id, "Kokevarsel")
    core.add_fault(Fault("sendMessage", chat_id=held.id, retry_after=30))
    with pytest.raises(RetryAfter):
        await sender.send(held.id, "Kokevarsel")
    assert core.bot_messages(held) == []


async def test_a_network_error_never_carries_the_url_with_the_token() -> None:
    # Nothing listens on port 9: the connection is refused.
    sender = RawSender("http://127.0.0.1:9/bot", "123456:SECRET-TOKEN", 1)
    try:
        with pytest.raises(NetworkError) as raised:
            await sender.send(1, "x")
    finally:
        await sender.close()
    assert "SECRET-TOKEN" not in str(raised.value)


async def test_the_batch_sender_waits_for_answers_waiting_for_the_limit_and_takes_shares(
    api: tuple[FakeTelegram, RawSender],
) -> None:
    core, sender = api
    residents = [core.add_user(f"R{n}") for n in range(5)]
    for resident in residents[:4]:
        core.open_chat(resident)
    core.block(residents[4])
    urgent = [1]  # an answer waits for the overall limit
    shares: list[int] = []

    async def share(wanted: int) -> int:
        shares.append(wanted)
        return wanted

    # Residents' updates are always being handled: notices wait a moment each, not for ever.
    batch_sender = BatchSender(sender, 20, 4, lambda: 1, lambda: urgent[0], share, {})
    batch = [(Delivery(1, r.id, "asker", "nb", 0), f"Kokevarsel {r.id}") for r in residents]
    sending = asyncio.create_task(batch_sender.send(batch))
    try:
        await asyncio.sleep(0.3)
        assert core.sent_count == 0  # nothing while it waits
        urgent[0] = 0
        results = await asyncio.wait_for(sending, 10)
    finally:
        sending.cancel()
        await asyncio.gather(sending, return_exceptions=True)
    assert [r.outcome for r in results] == ["sent"] * 4 + ["blocked"]
    assert [r.delivery.user_id for r in results] == [r.id for r in residents]
    for resident, result in zip(residents[:4], results, strict=False):
        assert [m.message_id for m in core.bot_messages(resident)] == [result.message_id]
    # A tenth of a second's worth (2 at 20 a second) at a time, enough for all five.
    assert set(shares) == {2}
    assert sum(shares) >= 5


async def test_the_batch_sender_sends_nothing_to_a_chat_held_after_a_429_until_its_hold_ends(
    api: tuple[FakeTelegram, RawSender],
) -> None:
    core, sender = api
    held, free = core.add_user("Ola"), core.add_user("Kari")
    for resident in (held, free):
        core.open_chat(resident)
    sent_at: dict[int, float] = {}
    post = sender.send

    async def send(chat_id: int, text: str) -> int | None:
        sent_at[chat_id] = time.monotonic()
        return await post(chat_id, text)

    sender.send = send  # type: ignore[method-assign]
    # An answer to Ola just got a 429: the bot's limiter holds Ola's chat (monotonic time,
    # the bot's loop time, told to the notice process).
    until = time.monotonic() + 5.0
    batch_sender = BatchSender(sender, 20, 4, lambda: 0, lambda: 0, None, {held.id: until})
    batch = [(Delivery(1, r.id, "asker", "nb", 0), f"Kokevarsel {r.id}") for r in (held, free)]
    results = await asyncio.wait_for(batch_sender.send(batch), 10)
    # Ola's notice waits out the hold and goes then (not another 429 costing an attempt);
    # Kari's is not held back by it.
    assert [r.outcome for r in results] == ["sent", "sent"]
    assert sent_at[held.id] >= until
    assert sent_at[free.id] < sent_at[held.id]


class CountedLimiter(ChatRateLimiter):
    """The bot's limiter, noting each share the notice process asks for and the thread and
    process it is taken on, and each 429 it is told of."""

    def __init__(self) -> None:
        super().__init__(1000, 0, on_retry_after=self._a_429)
        self.shares: list[tuple[int, str, int]] = []
        self.retry_afters = 0

    def _a_429(self) -> None:
        self.retry_afters += 1

    async def low_priority_share(self, wanted: int) -> int:
        share = await super().low_priority_share(wanted)
        self.shares.append((share, threading.current_thread().name, os.getpid()))
        return share


class Handling:
    """The update processor's count, as the notice process is told of it."""

    def __init__(self) -> None:
        self.handling = 0
        self.on_handling: object = None


async def started_notice(db: Database, user_ids: list[int]) -> int:
    notices, subscriptions = Notices(db), Subscriptions(db)
    for user_id in user_ids:
        await subscriptions.set(user_id, "asker", True)
    notice = await notices.compose("asker", ["nb", "en"], {"nb": "Kok", "en": "Boil"}, 7, None)
    outcome, _ = await notices.start(notice.id, staff_id=8)
    assert outcome == "started"
    return notice.id


async def delivery_states(db: Database) -> dict[int, str]:
    rows = await db.fetchall("SELECT user_id, state FROM notice_deliveries")
    return {int(user_id): str(state) for user_id, state in rows}


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    """Wait until `check` holds: another process writes the rows, nothing to await here."""
    async with asyncio.timeout(30):
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def all_answered(db: Database) -> bool:
    return not any(s in ("waiting", "sending") for s in (await delivery_states(db)).values())


async def some_sent(core: FakeTelegram, count: int) -> bool:
    return core.sent_count >= count


async def test_the_notice_process_sends_records_and_takes_its_shares_on_the_bot_s_loop(
    api: tuple[FakeTelegram, RawSender], tmp_path: Path
) -> None:
    core, sender = api
    residents = [core.add_user(f"R{n}", user_id=70_000 + n) for n in range(30)]
    for resident in residents[:29]:
        core.open_chat(resident)
    core.block(residents[29])
    core.add_fault(Fault("sendMessage", chat_id=residents[3].id, retry_after=1, times=1))
    rendered: list[tuple[int, Lang | None, str | None]] = []

    async def render(notice_id: int, lang: Lang | None, municipality: str | None) -> str:
        rendered.append((notice_id, lang, municipality))
        return f"<b>Kokevarsel</b> {notice_id} {lang} {municipality}"

    async with Database(tmp_path / "bot.db") as db:
        notice_id = await started_notice(db, [r.id for r in residents])
        limiter = CountedLimiter()
        base_url = sender.url.removesuffix(f"{core.token}/sendMessage")
        # One batch for all (R3's retry after its 429 is another, after the held chat's).
        config = ProcessConfig(tmp_path / "bot.db", base_url, core.token, 100, 4, 30, True)
        process = NoticeProcess(config, limiter, render, Notices(db).reconcile)
        handling = Handling()
        process.attach(handling)
        arrived: dict[int, float] = {}

        def on_event(event: BotEvent) -> None:
            if event.kind == "message" and event.chat_id is not None:
                arrived.setdefault(event.chat_id, time.monotonic())

        core.add_listener(on_event)
        # An answer waits for the overall limit: the process, reading that from shared
        # memory, sends nothing meanwhile.
        limiter.urgent_waiting = 1
        running = asyncio.create_task(process.run())
        try:
            process.wake()
            # The process has its database open: from here it would claim and send at once
            # but for the answer waiting.
            await asyncio.wait_for(process.ready.wait(), 60)
            await asyncio.sleep(0.5)  # a window to see nothing go, not a synchronisation
            assert core.sent_count == 0
            # An answer to R1 just got a 429: the bot's limiter holds R1's chat, and tells
            # the process. The pipe keeps order: the hold reaches the process before any
            # share it asks for once the answer no longer waits, so before any send.
            held = residents[1].id
            hold_ends = time.monotonic() + 5.0
            limiter.held_until[held] = hold_ends
            assert limiter.on_hold is not None
            limiter.on_hold(held, hold_ends)
            limiter.urgent_waiting = 0
            await until(lambda: all_answered(db))
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        states = await delivery_states(db)
        blocked = await Subscriptions(db).active(residents[29].id)
    assert states == {r.id: "sent" for r in residents[:29]} | {residents[29].id: "blocked"}
    assert blocked == []  # a 403 unsubscribes
    for resident in residents[:29]:
        texts = [m.text for m in core.bot_messages(resident)]
        assert texts == [f"Kokevarsel {notice_id} None asker"]
    # Rendered by the bot once (residents without a language), shares taken on its loop.
    assert rendered == [(notice_id, None, "asker")]
    assert {(thread, pid) for _, thread, pid in limiter.shares} == {("MainThread", os.getpid())}
    assert limiter.retry_afters == 1  # the 429 was counted by the bot
    # The held chat waited out its hold; the others were not held back by it. Only R3,
    # whose 429 put it back for the next batch, came after it.
    assert arrived[held] >= hold_ends
    assert {chat for chat, at in arrived.items() if at > arrived[held]} <= {residents[3].id}
    assert len(arrived) == 29


async def test_a_notice_process_that_dies_is_reconciled_and_another_sends_the_rest(
    api: tuple[FakeTelegram, RawSender], tmp_path: Path
) -> None:
    core, sender = api
    residents = [core.add_user(f"R{n}", user_id=80_000 + n) for n in range(40)]
    for resident in residents:
        core.open_chat(resident)

    async def render(notice_id: int, lang: Lang | None, municipality: str | None) -> str:
        return "Kokevarsel"

    async with Database(tmp_path / "bot.db") as db:
        await started_notice(db, [r.id for r in residents])
        base_url = sender.url.removesuffix(f"{core.token}/sendMessage")
        config = ProcessConfig(tmp_path / "bot.db", base_url, core.token, 20, 2, 5, False)
        process = NoticeProcess(config, None, render, Notices(db).reconcile)
        running = asyncio.create_task(process.run())
        try:
            await until(lambda: some_sent(core, 8))
            first = process.pid
            assert first is not None
            os.kill(first, 9)
            await until(lambda: all_answered(db))
            assert process.pid not in (None, first)
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        states = await delivery_states(db)
    copies = {r.id: len(core.bot_messages(r)) for r in residents}
    # At most once: the batch on its way when it died is "unknown", never sent again.
    assert max(copies.values()) == 1
    sent = {u for u, s in states.items() if s == "sent"}
    got = {u for u, c in copies.items() if c}
    unknown = {u for u, s in states.items() if s == "unknown"}
    # Whoever is recorded as sent has it; whoever else has it, or has not, is unknown.
    assert sent <= got
    assert got - sent <= unknown
    assert set(copies) - got <= unknown
    assert len(unknown) <= 5


async def test_a_render_error_puts_the_deliveries_back_and_the_residents_still_get_the_notice(
    api: tuple[FakeTelegram, RawSender], tmp_path: Path
) -> None:
    core, sender = api
    residents = [core.add_user(f"R{n}", user_id=90_000 + n) for n in range(6)]
    for resident in residents:
        core.open_chat(resident)
    calls: list[int] = []

    async def render(notice_id: int, lang: Lang | None, municipality: str | None) -> str:
        calls.append(notice_id)
        if len(calls) == 1:
            raise OSError("the knowledge base could not be read just now")
        return "Kokevarsel"

    async with Database(tmp_path / "bot.db") as db:
        await started_notice(db, [r.id for r in residents])
        base_url = sender.url.removesuffix(f"{core.token}/sendMessage")
        config = ProcessConfig(tmp_path / "bot.db", base_url, core.token, 50, 2, 10, False)
        process = NoticeProcess(config, None, render, Notices(db).reconcile)
        running = asyncio.create_task(process.run())
        try:
            await until(lambda: all_answered(db))
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        rows = await db.fetchall("SELECT user_id, state, attempts FROM notice_deliveries")
    # Asked again after the error (not cached), and the error cost no attempt.
    assert len(calls) == 2
    assert {int(u): (str(s), int(a)) for u, s, a in rows} == {r.id: ("sent", 1) for r in residents}
    for resident in residents:
        assert [m.text for m in core.bot_messages(resident)] == ["Kokevarsel"]


async def test_the_notice_process_outlives_a_sigterm_and_is_not_restarted_after_close(
    api: tuple[FakeTelegram, RawSender], tmp_path: Path
) -> None:
    core, sender = api
    residents = [core.add_user(f"R{n}", user_id=95_000 + n) for n in range(4)]
    for resident in residents:
        core.open_chat(resident)

    async def render(notice_id: int, lang: Lang | None, municipality: str | None) -> str:
        return "Kokevarsel"

    async with Database(tmp_path / "bot.db") as db:
        base_url = sender.url.removesuffix(f"{core.token}/sendMessage")
        config = ProcessConfig(tmp_path / "bot.db", base_url, core.token, 50, 2, 10, False)
        process = NoticeProcess(config, None, render, Notices(db).reconcile)
        running = asyncio.create_task(process.run())
        try:
            await asyncio.wait_for(process.ready.wait(), 60)
            first = process.pid
            assert first is not None
            # The platform's SIGTERM to the whole group: the process keeps going, and
            # sends a notice started after it.
            os.kill(first, signal.SIGTERM)
            await started_notice(db, [r.id for r in residents])
            process.wake()
            await until(lambda: all_answered(db))
            assert process.pid == first
            # The bot stops it: run() ends, and starts no other.
            await process.close()
            await asyncio.wait_for(running, 30)
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        states = await delivery_states(db)
    assert process.pid is None
    assert states == {r.id: "sent" for r in residents}


async def test_a_close_cancelled_while_it_waits_still_kills_the_process(
    api: tuple[FakeTelegram, RawSender], tmp_path: Path
) -> None:
    core, sender = api

    async def render(notice_id: int, lang: Lang | None, municipality: str | None) -> str:
        return "Kokevarsel"

    async def gone() -> bool:
        return process.pid is None

    async with Database(tmp_path / "bot.db") as db:
        base_url = sender.url.removesuffix(f"{core.token}/sendMessage")
        config = ProcessConfig(tmp_path / "bot.db", base_url, core.token, 50, 2, 10, False)
        process = NoticeProcess(config, None, render, Notices(db).reconcile)
        running = asyncio.create_task(process.run())
        try:
            await asyncio.wait_for(process.ready.wait(), 60)
            child = process.pid
            assert child is not None
            # A process that cannot answer the stop (stopped, stuck): close() waits for it,
            # and is cancelled while it waits, twice, as Runtime.stop does.
            os.kill(child, signal.SIGSTOP)
            closing = asyncio.create_task(process.close())
            await asyncio.sleep(0)  # let it send the stop and start waiting
            closing.cancel()
            await asyncio.sleep(0)
            closing.cancel()
            await asyncio.gather(closing, return_exceptions=True)
            assert closing.cancelled()
            await until(gone)
            await asyncio.wait_for(running, 30)  # and run() starts no other
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
    assert process.pid is None
