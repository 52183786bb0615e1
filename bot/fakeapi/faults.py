"""Fault injection and Telegram-like flood limits."""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus

from bot.fakeapi.protocol import ApiError

__all__ = ["Fault", "RateLimiter", "RateLimits"]


def _same_chat(expected: int | str, actual: int | str | None) -> bool:
    if actual is None:
        return False
    return str(expected).strip().lower() == str(actual).strip().lower()


@dataclass(eq=False)
class Fault:
    """Make matching calls fail and/or answer late.

    method None matches every method (names are case-insensitive, as in Telegram); chat_id
    None matches any call. status None means no error, only the delay. times None keeps the
    fault until it is removed. With delay_after the call takes effect and only the answer is
    late, like a reply lost to a client-side timeout. A gate holds the call (before it takes
    effect) until the test sets it: a slow answer whose length no timing decides.
    """

    method: str | None = None
    chat_id: int | str | None = None
    status: int | None = 429
    retry_after: int | None = None
    description: str | None = None
    delay: float = 0.0
    delay_after: bool = False
    times: int | None = 1
    gate: asyncio.Event | None = None
    hits: int = field(default=0, init=False)

    def matches(self, method: str, chat_id: int | str | None) -> bool:
        """Whether this fault applies to a call."""
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or _same_chat(self.chat_id, chat_id)

    @property
    def exhausted(self) -> bool:
        """Whether the fault has been used up."""
        return self.times is not None and self.hits >= self.times

    def error(self) -> ApiError | None:
        """The error this fault answers with, if any."""
        if self.status is None:
            return None
        if self.status == 429:
            seconds = self.retry_after if self.retry_after is not None else 1
            return ApiError(
                429,
                self.description or f"Too Many Requests: retry after {seconds}",
                {"retry_after": seconds},
            )
        if self.description:
            description = self.description
        elif self.status == 500:
            description = "Internal Server Error"
        else:
            try:
                description = HTTPStatus(self.status).phrase
            except ValueError:
                description = "Error"
        return ApiError(self.status, description)


@dataclass(frozen=True)
class RateLimits:
    """Flood limits as (messages, seconds) windows, like Telegram's documented guidance.

    Telegram asks bots to stay under about 1 message per second in a chat (short bursts
    pass), 20 per minute in a group and 30 per second overall.
    """

    overall: tuple[int, float] = (30, 1.0)
    private_chat: tuple[int, float] = (3, 3.0)
    group_chat: tuple[int, float] = (20, 60.0)
    methods: frozenset[str] = frozenset(
        {"sendmessage", "editmessagetext", "editmessagereplymarkup"}
    )


class RateLimiter:
    """Sliding-window counters answering 429 with the seconds until a slot frees up."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._overall: deque[float] = deque()
        self._chats: dict[int, deque[float]] = {}

    def applies_to(self, method: str) -> bool:
        """Whether calls of this method are counted."""
        return method.lower() in self.limits.methods

    @staticmethod
    def _wait(window: deque[float], limit: tuple[int, float], now: float) -> int | None:
        count, seconds = limit
        while window and window[0] <= now - seconds:
            window.popleft()
        if len(window) < count:
            return None
        return max(1, math.ceil(window[0] + seconds - now))

    def check(self, chat_id: int, private: bool) -> int | None:
        """Seconds to wait before this chat may get another message, or None if allowed."""
        now = self._clock()
        waits = [self._wait(self._overall, self.limits.overall, now)]
        window = self._chats.setdefault(chat_id, deque())
        limit = self.limits.private_chat if private else self.limits.group_chat
        waits.append(self._wait(window, limit, now))
        pending = [wait for wait in waits if wait is not None]
        return max(pending) if pending else None

    def record(self, chat_id: int) -> None:
        """Count a message that went through."""
        now = self._clock()
        self._overall.append(now)
        self._chats.setdefault(chat_id, deque()).append(now)
