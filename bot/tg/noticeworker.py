"""How a batch of urgent notices is sent: each one's place in the overall limit, answers first,
a chat's 429 hold waited out, and what Telegram's answer makes of the delivery.

`BatchSender` runs in the notice process (bot/tg/noticeproc.py), which has its own event
loop, HTTP client and SQLite connection. The rules stay the bot's rate limiter's: each tenth
of a second's share of the overall limit is asked of the bot's process
(`ChatRateLimiter.low_priority_share` on its loop: only when no other send waits and the
reserved share stays free), no notice starts while an answer waits for the limit, nor within
a few milliseconds while a resident's update is being handled, and nothing goes to a chat the
bot's limiter holds after a 429.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.notices.service import Delivery, Outcome, Result
from bot.tg.ratelimit import retry_seconds
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


async def answers_first(busy: Callable[[], int], urgent: Callable[[], int] = lambda: 0) -> None:
    """Wait while an answer waits for the rate limit (`urgent`), and briefly while residents'
    updates are handled (`busy`): plain counts the bot's loop keeps, only read here."""
    deadline = time.monotonic() + ANSWERS_FIRST_MAX_SECONDS
    while urgent() or (busy() and time.monotonic() < deadline):  # noqa: ASYNC110
        await asyncio.sleep(ANSWERS_FIRST_TICK_SECONDS)


def pace(rate_per_second: float) -> AsyncLimiter | None:
    """Notices' own pacing at `rate_per_second` (none at 0), a tenth of a second at a time."""
    if rate_per_second <= 0:
        return None
    return AsyncLimiter(max(1.0, rate_per_second * PACE_SECONDS), PACE_SECONDS)


Record = Callable[[list[Result]], Awaitable[None]]
Check = Callable[[Delivery], Awaitable[bool]]


class _Flight:
    """One delivery of a batch being sent: `on_way` once its call may have reached Telegram."""

    def __init__(self, delivery: Delivery) -> None:
        self.delivery = delivery
        self.on_way = False
        self.task: asyncio.Task[Result]


async def _first(*waits: Coroutine[Any, Any, Any]) -> None:
    """Wait until the first of `waits` ends; the others are cancelled."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class _Due:
    """The check before a send; a failure to check (the database, say) is "not due now": the
    delivery waits again and the rest of the batch goes on. One warning for the first failure
    of a batch and one count at its end, not one for each of its (up to 200) deliveries."""

    def __init__(self, check: Check) -> None:
        self.check = check
        self.failed = 0

    async def __call__(self, delivery: Delivery) -> bool:
        try:
            return await self.check(delivery)
        except Exception as exc:
            self.failed += 1
            if self.failed == 1:
                logger.warning(
                    "could not check notice %d is still due (%s); put back",
                    delivery.notice_id,
                    type(exc).__name__,
                )
            return False

    def summary(self) -> None:
        if self.failed > 1:
            logger.warning("%d checks before a send failed in this batch; put back", self.failed)


class BatchSender:
    """Sends each batch of notices on the running loop, by the bot's rules.

    `share(wanted)` takes up to `wanted` notices' places in the bot's overall limit (None: the
    bot has none); `busy` and `urgent` are the bot's counts of residents' updates being
    handled and of answers waiting for the limit; `held_until` the chats held after a 429,
    by `time.monotonic()`, kept current by the bot.
    """

    def __init__(
        self,
        raw: RawSender,
        rate_per_second: float,
        concurrency: int,
        busy: Callable[[], int],
        urgent: Callable[[], int],
        share: Callable[[int], Awaitable[int]] | None,
        held_until: Mapping[int, float],
        on_retry_after: Callable[[], None] = lambda: None,
    ) -> None:
        self.raw = raw
        self.rate = rate_per_second
        self.concurrency = concurrency
        self.busy = busy
        self.urgent = urgent
        self.share = share
        self.held_until = held_until
        self.on_retry_after = on_retry_after
        self._pace = pace(rate_per_second)
        self._shares = 0
        self._taken_at = 0.0

    async def send(self, batch: Sequence[tuple[Delivery, str]]) -> list[Result]:
        """Send each delivery its text; every answer, in order."""
        results: list[Result] = []

        async def keep(answered: list[Result]) -> None:
            results.extend(answered)

        await self.run(batch, keep)
        return results

    async def run(
        self,
        batch: Sequence[tuple[Delivery, str]],
        record: Record,
        stop: asyncio.Event | None = None,
        check: Check | None = None,
    ) -> None:
        """Send each delivery its text and `record` the answers: the whole batch at once, in
        order (one commit), unless `stop` is set on the way. Then no further send starts:
        the answers so far and every delivery not yet on its way ("untried": waiting again)
        are recorded at once, and each one still on its way as it ends, so a stop while one
        send is slow (Telegram may take 10 s) leaves only those in flight unanswered.
        `check(delivery)`, just before each send, says whether it is still due (its notice
        not paused or cancelled since the claim); one that is not is untried."""
        stop = stop if stop is not None else asyncio.Event()
        slots = asyncio.Semaphore(self.concurrency)
        flights: list[_Flight] = []
        everything = asyncio.Event()
        if not batch:
            return
        due = _Due(check) if check is not None else None
        launching = asyncio.create_task(self._launch(batch, slots, flights, everything, due))
        # A launch that fails ends the batch as a stop does: the rest is untried, not lost.
        broke = asyncio.Event()

        def launched(task: asyncio.Task[None]) -> None:
            if not task.cancelled() and task.exception() is not None:
                logger.error("sending a batch of notices failed", exc_info=task.exception())
                broke.set()

        launching.add_done_callback(launched)
        try:
            await _first(everything.wait(), stop.wait(), broke.wait())
            if not (stop.is_set() or broke.is_set()):
                await record([flight.task.result() for flight in flights])
                return
            await self._stopped(batch, flights, launching, record)
        finally:
            launching.cancel()
            for flight in flights:
                flight.task.cancel()
            await asyncio.gather(launching, *(f.task for f in flights), return_exceptions=True)
            if due is not None:
                due.summary()

    async def _launch(
        self,
        batch: Sequence[tuple[Delivery, str]],
        slots: asyncio.Semaphore,
        flights: list[_Flight],
        everything: asyncio.Event,
        check: Check | None,
    ) -> None:
        left = [len(batch)]

        def ended(_: object) -> None:
            left[0] -= 1
            if not left[0]:
                everything.set()

        for delivery, text in batch:
            await answers_first(self.busy, self.urgent)
            await self._share()
            await slots.acquire()
            flight = _Flight(delivery)
            flight.task = asyncio.create_task(self._one(slots, flight, text, check))
            flight.task.add_done_callback(ended)
            flights.append(flight)

    async def _stopped(
        self,
        batch: Sequence[tuple[Delivery, str]],
        flights: list[_Flight],
        launching: asyncio.Task[None],
        record: Record,
    ) -> None:
        """A stop came while the batch was on its way: see `run`."""
        launching.cancel()
        now: list[Result] = [Result(d, "untried") for d, _ in batch[len(flights) :]]
        on_way: list[asyncio.Task[Result]] = []
        for flight in flights:
            if flight.task.done() and not flight.task.cancelled():
                now.append(flight.task.result())
            elif flight.on_way:
                on_way.append(flight.task)
            else:
                flight.task.cancel()  # not sent yet: it never will be in this batch
                now.append(Result(flight.delivery, "untried"))
        await record(now)
        for ending in asyncio.as_completed(on_way):
            await record([await ending])

    async def _share(self) -> None:
        """One notice's place in the overall limit, from a share the bot's loop gave."""
        if self.share is None:
            return
        # A share is for the tenth it was taken in: what is left of it after a pause is
        # not spent later, when the limit no longer counts it.
        if not self._shares or time.monotonic() - self._taken_at > PACE_SECONDS:
            self._shares = await self.share(max(1, int(self.rate * PACE_SECONDS)))
            self._taken_at = time.monotonic()
        self._shares -= 1

    async def _wait_if_held(self, chat: int) -> None:
        """As the bot's own sends do (`ChatRateLimiter._wait_if_held`): nothing goes to a
        chat Telegram answered with a 429 until its hold ends, or the send would be another
        429 and cost one of the delivery's attempts."""
        # A loop: another 429 may push the hold later while this waits.
        while (remaining := self.held_until.get(chat, 0.0) - time.monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(remaining)

    async def _one(
        self, slots: asyncio.Semaphore, flight: _Flight, text: str, check: Check | None
    ) -> Result:
        limit: AbstractAsyncContextManager[Any] = self._pace or nullcontext()
        delivery = flight.delivery
        try:
            async with limit:
                await self._wait_if_held(delivery.user_id)
                if check is not None and not await check(delivery):
                    return Result(delivery, "untried")
                # From here the call may reach Telegram: a stop no longer takes it back.
                flight.on_way = True
                result = await attempt(delivery, lambda: self.raw.send(delivery.user_id, text))
        except Exception as exc:
            # Never raised to the batch, which would leave every row of it "sending": on its
            # way it may have arrived (unknown), before that it was never sent.
            logger.warning("a notice's send failed unexpectedly (%s)", type(exc).__name__)
            outcome: Outcome = "unknown" if flight.on_way else "untried"
            result = Result(delivery, outcome, error=type(exc).__name__)
        finally:
            slots.release()
        if result.outcome == "retry":
            self.on_retry_after()  # the bot's metrics count every 429
        return result
