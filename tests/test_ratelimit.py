"""The rate limiter: a 429 holds back the chat it named, and only that chat."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.tg.ratelimit import LOW_PRIORITY, ChatRateLimiter

GROUP = -100123
RESIDENT = 42


class FakeEndpoint:
    """A Bot API call that answers 429 to one chat a given number of times."""

    def __init__(self, refuse_chat: int | None, times: int, retry_after: float) -> None:
        self.refuse_chat = refuse_chat
        self.refusals_left = times
        self.retry_after = retry_after
        self.calls: list[tuple[int | None, float]] = []
        self.called = asyncio.Event()

    async def __call__(self, chat_id: int | None) -> dict[str, Any]:
        self.calls.append((chat_id, asyncio.get_running_loop().time()))
        self.called.set()
        if chat_id == self.refuse_chat and self.refusals_left > 0:
            self.refusals_left -= 1
            raise RetryAfter(dt.timedelta(seconds=self.retry_after))
        return {"ok": True, "chat_id": chat_id}


async def send(
    limiter: ChatRateLimiter,
    endpoint: Callable[..., Any],
    chat_id: int | None,
    retries: int | None,
) -> Any:
    data = {} if chat_id is None else {"chat_id": chat_id}
    return await limiter.process_request(endpoint, (chat_id,), {}, "sendMessage", data, retries)


async def refused_once(
    retry_after: float,
) -> tuple[ChatRateLimiter, FakeEndpoint, asyncio.Task[Any], float]:
    """A send to the group under way, refused once with a 429; returns when it was refused."""
    limiter = ChatRateLimiter(overall_per_second=1000, group_per_minute=1000)
    endpoint = FakeEndpoint(GROUP, times=1, retry_after=retry_after)
    sending = asyncio.create_task(send(limiter, endpoint, GROUP, None))
    await endpoint.called.wait()
    return limiter, endpoint, sending, endpoint.calls[0][1]


async def test_a_429_is_waited_out_then_the_call_succeeds() -> None:
    limiter = ChatRateLimiter(overall_per_second=1000, group_per_minute=1000)
    endpoint = FakeEndpoint(GROUP, times=2, retry_after=0.2)
    result = await send(limiter, endpoint, GROUP, None)
    assert result == {"ok": True, "chat_id": GROUP}
    times = [at for _, at in endpoint.calls]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.2 and times[2] - times[1] >= 0.2


async def test_a_429_in_the_group_does_not_hold_back_a_resident() -> None:
    limiter, endpoint, group, refused_at = await refused_once(retry_after=1.0)
    await send(limiter, endpoint, RESIDENT, None)
    resident_at = endpoint.calls[1][1]
    assert resident_at - refused_at < 0.9  # held, it would wait the full second
    await group
    assert endpoint.calls[-1][0] == GROUP and endpoint.calls[-1][1] - refused_at >= 1.0


async def test_other_calls_to_the_held_chat_wait_too() -> None:
    limiter, endpoint, first, refused_at = await refused_once(retry_after=0.3)
    await send(limiter, endpoint, GROUP, None)
    await first
    later = [at for chat, at in endpoint.calls[1:] if chat == GROUP]
    assert len(later) == 2 and min(later) - refused_at >= 0.3


async def test_retries_run_out_and_the_429_reaches_the_caller() -> None:
    limiter = ChatRateLimiter(overall_per_second=1000, group_per_minute=1000, max_retries=5)
    endpoint = FakeEndpoint(GROUP, times=10, retry_after=0.01)
    with pytest.raises(RetryAfter):
        await send(limiter, endpoint, GROUP, 1)  # the caller asked for one retry only
    assert len(endpoint.calls) == 2


async def test_a_group_is_paced_to_its_per_minute_limit() -> None:
    # 60 a minute is one a second: after the bucket's first 60, the next waits a second.
    limiter = ChatRateLimiter(overall_per_second=1000, group_per_minute=60)
    endpoint = FakeEndpoint(None, times=0, retry_after=0)
    await asyncio.gather(*(send(limiter, endpoint, GROUP, None) for _ in range(61)))
    times = sorted(at for _, at in endpoint.calls)
    assert times[-1] - times[0] >= 0.9
    # A private chat is not a group: no per-minute pacing there.
    endpoint.calls.clear()
    await asyncio.gather(*(send(limiter, endpoint, RESIDENT, None) for _ in range(61)))
    private_times = sorted(at for _, at in endpoint.calls)
    assert private_times[-1] - private_times[0] < 0.9


class FlakyEndpoint:
    """A Bot API call that fails with `error` a given number of times, then succeeds."""

    def __init__(self, error: Exception, times: int) -> None:
        self.error = error
        self.failures_left = times
        self.calls = 0

    async def __call__(self, chat_id: int | None) -> dict[str, Any]:
        self.calls += 1
        if self.failures_left > 0:
            self.failures_left -= 1
            raise self.error
        return {"ok": True}


def network_limiter() -> ChatRateLimiter:
    return ChatRateLimiter(
        overall_per_second=1000,
        group_per_minute=1000,
        network_retries=3,
        network_backoff_seconds=0.001,
    )


@pytest.mark.parametrize("error", [TimedOut(), NetworkError("connection reset")])
async def test_a_send_that_fails_on_the_network_is_sent_again(error: Exception) -> None:
    endpoint = FlakyEndpoint(error, times=3)
    assert await send(network_limiter(), endpoint, RESIDENT, None) == {"ok": True}
    assert endpoint.calls == 4


async def test_network_retries_run_out_and_the_failure_reaches_the_caller() -> None:
    endpoint = FlakyEndpoint(TimedOut(), times=10)
    with pytest.raises(TimedOut):
        await send(network_limiter(), endpoint, RESIDENT, None)
    assert endpoint.calls == 4


@pytest.mark.parametrize("error", [BadRequest("message is too long"), Forbidden("blocked")])
async def test_an_answer_from_telegram_is_never_sent_again(error: Exception) -> None:
    endpoint = FlakyEndpoint(error, times=1)
    with pytest.raises(type(error)):
        await send(network_limiter(), endpoint, RESIDENT, None)
    assert endpoint.calls == 1


async def test_a_caller_with_its_own_retries_gets_the_network_failure_at_once() -> None:
    """The outbox passes rate_limit_args=0: it reschedules the item itself."""
    endpoint = FlakyEndpoint(TimedOut(), times=1)
    with pytest.raises(TimedOut):
        await send(network_limiter(), endpoint, RESIDENT, 0)
    assert endpoint.calls == 1


async def test_a_notice_waits_while_an_answer_goes_first() -> None:
    """Notices (LOW_PRIORITY) fill what the overall limit leaves; an answer queued behind a
    backlog of them is sent before the backlog, and a notice is never retried here."""
    limiter = ChatRateLimiter(overall_per_second=10, group_per_minute=0)
    endpoint = FakeEndpoint(None, times=0, retry_after=0)
    backlog = [
        asyncio.create_task(send(limiter, endpoint, 1000 + n, LOW_PRIORITY)) for n in range(30)
    ]
    await endpoint.called.wait()
    await send(limiter, endpoint, RESIDENT, None)
    order = [chat for chat, _ in endpoint.calls]
    # The bucket holds 10; notices leave 2 of them free, so the answer went out within the
    # first 10 calls, while most of the 30 notices still waited.
    assert order.index(RESIDENT) < 10
    for task in backlog:
        task.cancel()
    await asyncio.gather(*backlog, return_exceptions=True)


async def test_a_notice_gets_its_429_at_once() -> None:
    limiter = ChatRateLimiter(overall_per_second=1000, group_per_minute=1000)
    endpoint = FakeEndpoint(RESIDENT, times=1, retry_after=5)
    with pytest.raises(RetryAfter):
        await send(limiter, endpoint, RESIDENT, LOW_PRIORITY)
    assert len(endpoint.calls) == 1


async def test_a_notice_share_leaves_the_reserved_part_and_waits_for_an_answer() -> None:
    """The notice thread's shares (`low_priority_share`) obey the same rules as one notice:
    never the reserved fifth, and nothing while an answer waits for the limit."""
    limiter = ChatRateLimiter(overall_per_second=10, group_per_minute=0)
    first = await limiter.low_priority_share(100)
    # 10 a second, 2 kept for answers: at most 8 in one share, and at least one.
    assert 1 <= first <= 8
    assert limiter.overall is not None and limiter.overall.has_capacity(2)
    limiter.urgent_waiting = 1  # an answer waits for the limit
    waiting = asyncio.create_task(limiter.low_priority_share(1))
    await asyncio.sleep(0.3)
    assert not waiting.done()
    limiter.urgent_waiting = 0
    assert await asyncio.wait_for(waiting, 5) == 1


async def test_the_notice_process_is_told_each_hold_and_each_answer_waiting_for_the_limit() -> None:
    # bot/tg/noticeproc.py mirrors both: a hold it was not told of would cost a notice an
    # attempt, a wait it was not told of would let a notice go before an answer.
    limiter = ChatRateLimiter(overall_per_second=1000, group_per_minute=1000)
    holds: list[tuple[object, float]] = []
    waiting: list[int] = []
    limiter.on_hold = lambda chat, until: holds.append((chat, until))
    limiter.on_urgent = waiting.append
    endpoint = FakeEndpoint(RESIDENT, times=1, retry_after=0.1)
    await send(limiter, endpoint, RESIDENT, None)
    assert holds == [(RESIDENT, limiter.held_until[RESIDENT])]
    # Each of the two tries waited for the overall limit, and stopped waiting once it had it.
    assert waiting == [1, 0, 1, 0]
