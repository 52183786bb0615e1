"""Faults, flood limits and the webhook of the fake Telegram."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from bot.fakeapi.faults import Fault, RateLimiter, RateLimits
from bot.fakeapi.models import (
    DeliveryAttempt,
    WebhookConfig,
)
from bot.fakeapi.readback import Inspection
from bot.fakeapi.state import (
    JSON,
)


class Control(Inspection):
    """Faults, flood limits and the webhook."""

    # ----------------------------------------------------- faults and limits

    def add_fault(self, fault: Fault) -> Fault:
        """Activate a fault; it applies until used up or removed."""
        self._faults.append(fault)
        return fault

    def fail(
        self,
        method: str | None = None,
        *,
        status: int = 500,
        times: int | None = 1,
        chat_id: int | str | None = None,
        description: str | None = None,
    ) -> Fault:
        """Answer the next `times` matching calls with an error status."""
        return self.add_fault(
            Fault(method, chat_id, status=status, times=times, description=description)
        )

    def too_many_requests(
        self,
        retry_after: int = 1,
        method: str | None = None,
        *,
        times: int | None = 1,
        chat_id: int | str | None = None,
    ) -> Fault:
        """Answer 429 "Too Many Requests: retry after N" to the next matching calls."""
        return self.add_fault(
            Fault(method, chat_id, status=429, retry_after=retry_after, times=times)
        )

    def delay(
        self,
        seconds: float,
        method: str | None = None,
        *,
        times: int | None = 1,
        chat_id: int | str | None = None,
        after_effect: bool = False,
    ) -> Fault:
        """Answer matching calls late; with after_effect the call takes effect first."""
        return self.add_fault(
            Fault(
                method,
                chat_id,
                status=None,
                delay=seconds,
                delay_after=after_effect,
                times=times,
            )
        )

    def remove_fault(self, fault: Fault) -> None:
        """Deactivate a fault."""
        with contextlib.suppress(ValueError):
            self._faults.remove(fault)

    def clear_faults(self) -> None:
        """Deactivate all faults."""
        self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """Active faults."""
        return list(self._faults)

    def enable_rate_limits(self, limits: RateLimits | None = None) -> RateLimiter:
        """Answer 429 with a correct retry_after when the bot floods like Telegram forbids."""
        self.rate_limiter = RateLimiter(limits or RateLimits(), self.monotonic)
        return self.rate_limiter

    def disable_rate_limits(self) -> None:
        """Turn the flood limits off."""
        self.rate_limiter = None

    def _take_fault(self, method: str, chat_id: Any) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, chat_id):
                fault.hits += 1
                if fault.exhausted:
                    self._faults.remove(fault)
                return fault
        return None

    # --------------------------------------------------------------- webhook

    async def next_webhook_update(self) -> tuple[WebhookConfig, JSON]:
        """Wait for a webhook to be set and an update to deliver; returns both."""
        while True:
            if self.webhook is not None and self._updates:
                return self.webhook, self._updates[0]
            await self.wait_for_change(3600)

    def ack_webhook_update(self, update_id: int) -> None:
        """The webhook accepted this update: it is no longer pending."""
        if self._updates and self._updates[0]["update_id"] == update_id:
            self._updates.popleft()
            self._changed()

    def record_webhook_attempt(self, attempt: DeliveryAttempt) -> None:
        """Log a delivery attempt; failures show in getWebhookInfo."""
        self.webhook_attempts.append(attempt)
        if not attempt.ok and not attempt.forged:
            self._webhook_error = (self._now(), attempt.error or f"status {attempt.status}")
        self._changed()

    async def post_webhook_update(
        self, update: Mapping[str, Any], *, secret_token: str | None = None
    ) -> DeliveryAttempt:
        """POST any update to the webhook with any secret, e.g. to prove forgeries fail."""
        if self.webhook_sender is None:
            raise RuntimeError("no webhook deliverer is attached; serve the core over HTTP")
        return await self.webhook_sender.post_update(update, secret_token=secret_token)
