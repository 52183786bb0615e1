"""Pace what the bot sends: Telegram's limits, with a 429 holding back only the chat it named.

PTB's AIORateLimiter pauses every request after any 429. Here the volunteer group hitting its
20-a-minute limit must not make residents in their private chats wait for their answers, so a
`retry_after` holds back the chat it came from (or, with no chat, the other chatless calls).

A send that fails on the network (a timeout, a dropped connection) is tried again here, with
backoff: the send is retried, never the handler that made it, so a handler's domain transition
(a claim, a stored request) runs once. A call that passes `rate_limit_args` (the outbox, which
keeps its own durable retries) sets the number of retries of both kinds itself.

Urgent notices are the low-priority class (`LOW_PRIORITY` as `rate_limit_args`): they are never
retried here, and each waits until no other send is waiting for the overall limit and a share
of it (`RESERVED_SHARE`) is still free, so a resident's answer never queues behind a notice.
Notices sent from their own process take their shares the same way, a tenth of a second's
worth at a time (`low_priority_share`).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

logger = logging.getLogger(__name__)

JSONDict = dict[str, Any]

ChatKey = int | str | None

# `rate_limit_args` of a notice's send: no retries of its own, and every other send goes first.
LOW_PRIORITY = -1
# The share of the overall limit notices leave free at every moment for answers.
RESERVED_SHARE = 0.2


def retry_seconds(error: RetryAfter) -> float:
    """A 429's wait in seconds, whether PTB gives it as a number or (from v23) a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait: Any = error.retry_after
    return float(wait.total_seconds() if hasattr(wait, "total_seconds") else wait)


def _chat_key(data: dict[str, Any]) -> ChatKey:
    chat_id = data.get("chat_id")
    if chat_id is None:
        return None
    try:
        return int(chat_id)
    except (TypeError, ValueError):
        return str(chat_id)


def _is_group(key: ChatKey) -> bool:
    return (isinstance(key, int) and key < 0) or isinstance(key, str)


class ChatRateLimiter(BaseRateLimiter[int]):
    """At most `overall_per_second` sends, `group_per_minute` per group; 429s held per chat."""

    def __init__(
        self,
        overall_per_second: float,
        group_per_minute: float,
        max_retries: int = 5,
        network_retries: int = 4,
        network_backoff_seconds: float = 2.0,
        on_retry_after: Callable[[], None] | None = None,
    ) -> None:
        # Called for every 429 Telegram answers (the bot's metrics count them).
        self.on_retry_after = on_retry_after
        self.network_retries = network_retries
        self.network_backoff_seconds = network_backoff_seconds
        self.overall = AsyncLimiter(overall_per_second, 1) if overall_per_second > 0 else None
        self.reserved = max(1.0, overall_per_second * RESERVED_SHARE)
        self.tick = max(1 / overall_per_second, 0.001) if overall_per_second > 0 else 0.001
        # Sends other than notices that wait for the overall limit right now.
        self._urgent_waiting = 0
        # Told each change of that count and each 429 hold: the notice process reads them.
        self.on_urgent: Callable[[int], None] | None = None
        self.on_hold: Callable[[ChatKey, float], None] | None = None
        # One notice at a time looks at the limit; the others wait their turn here.
        self._low_turn = asyncio.Lock()
        self.group_per_minute = group_per_minute
        self.groups: dict[ChatKey, AsyncLimiter] = {}
        self.max_retries = max_retries
        # chat -> the loop time before which nothing more may be sent to it
        self.held_until: dict[ChatKey, float] = {}

    @property
    def urgent_waiting(self) -> int:
        return self._urgent_waiting

    @urgent_waiting.setter
    def urgent_waiting(self, value: int) -> None:
        self._urgent_waiting = value
        if self.on_urgent is not None:
            self.on_urgent(value)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def _group_limiter(self, key: ChatKey) -> AbstractAsyncContextManager[Any]:
        if not _is_group(key) or self.group_per_minute <= 0:
            return nullcontext()
        if key not in self.groups:
            self.groups[key] = AsyncLimiter(self.group_per_minute, 60)
        return self.groups[key]

    async def _wait_if_held(self, key: ChatKey) -> None:
        loop = asyncio.get_running_loop()
        # A loop, not an Event: another 429 may push the deadline later while we sleep.
        while (remaining := self.held_until.get(key, 0.0) - loop.time()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(remaining)

    @asynccontextmanager
    async def _counted(
        self, overall: AbstractAsyncContextManager[Any], urgent: bool
    ) -> AsyncIterator[None]:
        """Hold the overall limit; while an urgent send waits for it, notices wait too."""
        if urgent:
            self.urgent_waiting += 1
        try:
            async with overall:
                if urgent:
                    self.urgent_waiting -= 1
                    urgent = False
                yield
        finally:
            if urgent:
                self.urgent_waiting -= 1

    async def _low_priority_turn(self) -> None:
        """Take a share of the overall limit once no other send waits for it and the reserved
        share stays free; notices queue for this one at a time."""
        overall = self.overall
        async with self._low_turn:
            while self.urgent_waiting or (  # noqa: ASYNC110
                overall is not None and not overall.has_capacity(self.reserved + 1)
            ):
                await asyncio.sleep(self.tick)
            if overall is not None:
                await overall.acquire()

    async def low_priority_share(self, wanted: int) -> int:
        """Up to `wanted` notices' worth of the overall limit at once, for notices sent from a
        process of their own (bot/tg/noticeproc.py): taken, as `_low_priority_turn` takes
        one, once no other send waits and the reserved share stays free. At least one."""
        overall = self.overall
        async with self._low_turn:
            while self.urgent_waiting or (  # noqa: ASYNC110
                overall is not None and not overall.has_capacity(self.reserved + 1)
            ):
                await asyncio.sleep(self.tick)
            if overall is None:
                return max(1, wanted)
            share = max(1, min(wanted, int(overall.max_rate)))
            while share > 1 and not overall.has_capacity(self.reserved + share):
                share //= 2
            await overall.acquire(share)
            return share

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Send once the chat is free and within limits; after a 429 or a network failure,
        wait and try again."""
        low = rate_limit_args == LOW_PRIORITY
        if low:
            rate_limit_args = 0
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        network_retries = self.network_retries if rate_limit_args is None else rate_limit_args
        key = _chat_key(data)
        overall = self.overall if key is not None and self.overall else nullcontext()
        loop = asyncio.get_running_loop()
        failures = 0
        attempt = 0
        while True:
            await self._wait_if_held(key)
            if low:
                await self._low_priority_turn()
            try:
                taken: AbstractAsyncContextManager[Any] = (
                    nullcontext() if low else self._counted(overall, True)
                )
                async with self._group_limiter(key), taken:
                    # A 429 may have arrived for this chat while we queued for the limiters.
                    await self._wait_if_held(key)
                    return await callback(*args, **kwargs)
            except RetryAfter as error:
                if self.on_retry_after is not None:
                    self.on_retry_after()
                seconds = retry_seconds(error)
                until = loop.time() + seconds + 0.1
                if len(self.held_until) > 1024:  # forget holds long past
                    self.held_until = {k: t for k, t in self.held_until.items() if t > loop.time()}
                self.held_until[key] = max(self.held_until.get(key, 0.0), until)
                if self.on_hold is not None:
                    self.on_hold(key, self.held_until[key])
                logger.info("%s: 429, holding that chat for %.1fs", endpoint, seconds)
                if attempt == retries:
                    raise
                attempt += 1
            except NetworkError as error:
                if not _transient(error) or failures == network_retries:
                    raise
                delay = self.network_backoff_seconds * 2**failures
                failures += 1
                logger.warning("%s failed on the network; trying again in %.0fs", endpoint, delay)
                await asyncio.sleep(delay)


def _transient(error: NetworkError) -> bool:
    """A timeout or a lost connection; not a NetworkError subclass that Telegram answered
    (BadRequest, Forbidden, ...), which fails the same way every time."""
    return isinstance(error, TimedOut) or type(error) is NetworkError
