"""Flood control: a resident who sends too much gets one notice; nobody else slows down."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from enum import Enum


class FloodVerdict(Enum):
    ALLOW = "allow"
    WARN = "warn"  # over the limit for the first time in this burst: send one notice
    DROP = "drop"  # still over the limit: ignore silently


@dataclass
class _Window:
    stamps: deque[float] = field(default_factory=deque)
    warned: bool = False


class FloodGuard:
    """A sliding window per user: at most `limit` messages in `seconds`."""

    def __init__(self, limit: int = 12, seconds: float = 30.0) -> None:
        self.limit = limit
        self.seconds = seconds
        self._windows: dict[int, _Window] = {}
        self._last_sweep: float | None = None

    def check(self, user_id: int, at: float | None = None) -> FloodVerdict:
        """Count one message from `user_id` and say what to do with it."""
        at = time.monotonic() if at is None else at
        self._sweep(at)
        window = self._windows.setdefault(user_id, _Window())
        while window.stamps and at - window.stamps[0] >= self.seconds:
            window.stamps.popleft()
        if len(window.stamps) < self.limit:
            window.stamps.append(at)
            window.warned = False
            return FloodVerdict.ALLOW
        if window.warned:
            return FloodVerdict.DROP
        window.warned = True
        return FloodVerdict.WARN

    def _sweep(self, at: float) -> None:
        """Forget users who have been quiet for a whole window, so memory stays bounded."""
        if self._last_sweep is None:
            self._last_sweep = at
        if at - self._last_sweep < self.seconds:
            return
        self._last_sweep = at
        quiet = [
            user
            for user, window in self._windows.items()
            if not window.stamps or at - window.stamps[-1] >= self.seconds
        ]
        for user in quiet:
            del self._windows[user]
