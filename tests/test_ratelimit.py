"""The rate limiter: a 429 holds back the chat it named, and only that chat."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.tg.ratelimit import ChatRateLimiter

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
    limiter: ChatRateLimiter, endpoint: FakeEndpoint, chat_id: int | None, retries: int | None
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
