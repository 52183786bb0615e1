"""Urgent notices' HTTP sends on a thread and event loop of their own.

At 1,600 notices a second the sends' own work (aiohttp's request and response handling, the
pacing, the gathering) kept the event loop busy about half the time, and a resident's answer
waited behind those callbacks at each of its own steps: its p99 doubled while a notice went out.
Here the bot's event loop only claims a batch, hands it over and records the answers (a few
steps a second). The rules stay the loop's: each tenth of a second's share of the overall
limit is taken from the bot's rate limiter on its loop (`ChatRateLimiter.low_priority_share`:
only when no other send waits and the reserved share stays free), and no notice starts while
an answer waits for the limit, nor within a few milliseconds while a resident's update is
being handled.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.notices.service import Delivery, Result
from bot.tg.ratelimit import ChatRateLimiter, retry_seconds
from bot.tg.rawsend import RawSender

logger = logging.getLogger(__name__)

ANSWERS_FIRST_TICK_SECONDS = 0.002
# The longest one notice waits for residents' updates being handled: longer than an answer
# takes, so that normally it waits for the answer to be out, but bounded, since a bot that
# always has one (a steady stream of questions on a loaded machine) would otherwise never send
# a notice (the bench saw a send of 10,000 reach 1,000 in 12 minutes). An answer waiting for
# the rate limit is still waited for to the end.
ANSWERS_FIRST_MAX_SECONDS = 0.05
# Paced in tenths of a second: a whole second's worth at once would be a burst that a
# per-second limit counts against the answers sent in the same second.
PACE_SECONDS = 0.1


async def attempt(delivery: Delivery, send: Callable[[], Awaitable[int | None]]) -> Result:
    """One delivery, and what Telegram's answer makes of it."""
    try:
        message_id = await send()
    except RetryAfter as exc:
        wait = retry_seconds(exc)
        return Result(
            delivery, "retry", error=f"429 retry after {wait}s", retry_at=time.time() + wait
        )
    except Forbidden as exc:
        return Result(delivery, "blocked", error=str(exc))
    except BadRequest as exc:
        return Result(delivery, "failed", error=str(exc))
    except NetworkError as exc:
        # Cut off on the way: Telegram may have delivered it. Never sent twice.
        return Result(delivery, "unknown", error=str(exc) or type(exc).__name__)
    except TelegramError as exc:
        return Result(delivery, "failed", error=str(exc))
    return Result(delivery, "sent", message_id)


async def answers_first(busy: Callable[[], int], limiter: ChatRateLimiter | None) -> None:
    """Wait while an answer waits for the rate limit, and briefly while residents' updates
    are handled (plain counts the bot's loop keeps: read here, never written)."""
    deadline = time.monotonic() + ANSWERS_FIRST_MAX_SECONDS
    while (limiter is not None and limiter.urgent_waiting) or (  # noqa: ASYNC110
        busy() and time.monotonic() < deadline
    ):
        await asyncio.sleep(ANSWERS_FIRST_TICK_SECONDS)


def pace(rate_per_second: float) -> AsyncLimiter | None:
    """Notices' own pacing at `rate_per_second` (none at 0), a tenth of a second at a time."""
    if rate_per_second <= 0:
        return None
    return AsyncLimiter(max(1.0, rate_per_second * PACE_SECONDS), PACE_SECONDS)


class NoticeWorker:
    """Sends batches of notices on its own thread; `send` is awaited on the bot's loop."""

    def __init__(
        self,
        raw: RawSender,
        limiter: ChatRateLimiter | None,
        rate_per_second: float,
        busy: Callable[[], int],
        concurrency: int,
    ) -> None:
        self.raw = raw
        self.limiter = limiter
        self.rate = rate_per_second
        self.busy = busy
        self.concurrency = concurrency
        self._home: asyncio.AbstractEventLoop | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        # Only the worker's loop touches these.
        self._pace: AsyncLimiter | None = None
        self._shares = 0
        self._taken_at = 0.0

    def _start(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._home = asyncio.get_running_loop()
            ready = threading.Event()
            loop = asyncio.new_event_loop()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()
                loop.close()

            self._thread = threading.Thread(target=run, name="notice-sender", daemon=True)
            self._thread.start()
            ready.wait()
            self._loop = loop
        return self._loop

    async def send(self, batch: Sequence[tuple[Delivery, str]]) -> list[Result]:
        """Send each delivery its text on the worker's thread; every answer, in order."""
        future = asyncio.run_coroutine_threadsafe(self._send_all(batch), self._start())
        return await asyncio.wrap_future(future)

    async def close(self) -> None:
        """Close the HTTP client on the worker's loop, then stop its thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._loop = None
        closing: Future[None] = asyncio.run_coroutine_threadsafe(self.raw.close(), loop)
        try:
            await asyncio.wrap_future(closing)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            await asyncio.to_thread(thread.join)

    # -- on the worker's loop ---------------------------------------------------------------

    async def _send_all(self, batch: Sequence[tuple[Delivery, str]]) -> list[Result]:
        if self._pace is None:
            self._pace = pace(self.rate)
        slots = asyncio.Semaphore(self.concurrency)
        sending = []
        for delivery, text in batch:
            await answers_first(self.busy, self.limiter)
            await self._share()
            await slots.acquire()
            sending.append(asyncio.create_task(self._one(slots, delivery, text)))
        return list(await asyncio.gather(*sending))

    async def _share(self) -> None:
        """One notice's place in the overall limit, from a share taken on the bot's loop."""
        limiter, home = self.limiter, self._home
        if limiter is None or limiter.overall is None or home is None:
            return
        # A share is for the tenth it was taken in: what is left of it after a pause is
        # not spent later, when the limit no longer counts it.
        if not self._shares or time.monotonic() - self._taken_at > PACE_SECONDS:
            wanted = max(1, int(self.rate * PACE_SECONDS))
            taken = asyncio.run_coroutine_threadsafe(limiter.low_priority_share(wanted), home)
            self._shares = await asyncio.wrap_future(taken)
            self._taken_at = time.monotonic()
        self._shares -= 1

    async def _wait_if_held(self, chat: int) -> None:
        """As the bot's own sends do (`ChatRateLimiter._wait_if_held`): nothing goes to a
        chat Telegram answered with a 429 until its hold ends, or the send would be another
        429 and cost one of the delivery's attempts. The holds are in the bot's loop time,
        which is the same clock as this loop's (monotonic); the dict is only read here."""
        limiter = self.limiter
        if limiter is None:
            return
        loop = asyncio.get_running_loop()
        # A loop: another 429 may push the hold later while this waits.
        while (remaining := limiter.held_until.get(chat, 0.0) - loop.time()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(remaining)

    async def _one(self, slots: asyncio.Semaphore, delivery: Delivery, text: str) -> Result:
        limit: AbstractAsyncContextManager[Any] = self._pace or nullcontext()
        try:
            async with limit:
                await self._wait_if_held(delivery.user_id)
                result = await attempt(delivery, lambda: self.raw.send(delivery.user_id, text))
        finally:
            slots.release()
        if result.outcome == "retry" and self.limiter is not None and self._home is not None:
            counted = self.limiter.on_retry_after
            if counted is not None:
                self._home.call_soon_threadsafe(counted)  # the bot's metrics count every 429
        return result
