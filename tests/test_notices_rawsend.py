"""The notices' own sendMessage client against the local Bot API over HTTP: Telegram's answers
become PTB's errors, so the sender treats them as it treats PTB's."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import pytest
from telegram.error import Forbidden, NetworkError, RetryAfter

from bot.fakeapi import FakeTelegram, Fault
from bot.fakeapi.server import FakeTelegramServer
from bot.notices.service import Delivery
from bot.tg.noticeworker import NoticeWorker
from bot.tg.ratelimit import ChatRateLimiter
from bot.tg.rawsend import RawSender


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


class CountedLimiter(ChatRateLimiter):
    """The bot's limiter, noting each share the worker takes and the thread it is taken on."""

    def __init__(self) -> None:
        super().__init__(1000, 0)
        self.shares: list[tuple[int, str]] = []

    async def low_priority_share(self, wanted: int) -> int:
        share = await super().low_priority_share(wanted)
        self.shares.append((share, threading.current_thread().name))
        return share


async def test_the_worker_sends_on_its_own_thread_after_the_answers_waiting_for_the_limit(
    api: tuple[FakeTelegram, RawSender],
) -> None:
    core, sender = api
    residents = [core.add_user(f"R{n}") for n in range(5)]
    for resident in residents[:4]:
        core.open_chat(resident)
    core.block(residents[4])
    threads: list[str] = []
    post = sender.send

    async def send(chat_id: int, text: str) -> int | None:
        threads.append(threading.current_thread().name)
        return await post(chat_id, text)

    sender.send = send  # type: ignore[method-assign]
    limiter = CountedLimiter()
    # Residents' updates are always being handled: notices wait a moment each, not for ever.
    worker = NoticeWorker(sender, limiter, 20, lambda: 1, 4)
    batch = [(Delivery(1, r.id, "asker", "nb", 0), f"Kokevarsel {r.id}") for r in residents]
    limiter.urgent_waiting = 1  # an answer waits for the overall limit
    sending = asyncio.create_task(worker.send(batch))
    try:
        await asyncio.sleep(0.3)
        assert core.sent_count == 0  # nothing while it waits
        limiter.urgent_waiting = 0
        results = await asyncio.wait_for(sending, 10)
    finally:
        sending.cancel()  # a send cut off by a stop is cancelled before the worker stops
        await asyncio.gather(sending, return_exceptions=True)
        await worker.close()
    assert [r.outcome for r in results] == ["sent"] * 4 + ["blocked"]
    assert [r.delivery.user_id for r in results] == [r.id for r in residents]
    for resident, result in zip(residents[:4], results, strict=False):
        assert [m.message_id for m in core.bot_messages(resident)] == [result.message_id]
    # Sent on the worker's thread; their places in the overall limit taken on this loop's,
    # a tenth of a second's worth (2 at 20 a second) at a time, enough for all five.
    assert set(threads) == {"notice-sender"}
    assert {thread for _, thread in limiter.shares} == {"MainThread"}
    assert {share for share, _ in limiter.shares} == {2}
    assert sum(share for share, _ in limiter.shares) >= 5


async def test_the_worker_sends_nothing_to_a_chat_held_after_a_429_until_its_hold_ends(
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
    limiter = ChatRateLimiter(1000, 0)
    # An answer to Ola just got a 429: the bot's limiter holds Ola's chat (in loop time).
    hold = 0.4
    until = asyncio.get_running_loop().time() + hold
    limiter.held_until[held.id] = until
    worker = NoticeWorker(sender, limiter, 20, lambda: 0, 4)
    batch = [(Delivery(1, r.id, "asker", "nb", 0), f"Kokevarsel {r.id}") for r in (held, free)]
    try:
        results = await asyncio.wait_for(worker.send(batch), 10)
    finally:
        await worker.close()
    # Ola's notice waits out the hold and goes then (not another 429 costing an attempt);
    # Kari's is not held back by it.
    assert [r.outcome for r in results] == ["sent", "sent"]
    assert sent_at[held.id] >= until
    assert sent_at[free.id] < until
