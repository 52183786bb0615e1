"""Webhook delivery: POST each pending update to the bot, in order, retrying on failure."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import aiohttp

from bot.fakeapi.core import FakeTelegram, dump_update
from bot.fakeapi.models import DeliveryAttempt

__all__ = ["SECRET_HEADER", "WebhookDeliverer"]

_LOGGER = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDeliverer:
    """Delivers a core's updates to its webhook like Telegram does.

    One update at a time, in order; an update counts as delivered on a 2xx answer, otherwise
    it is retried after `initial_backoff` seconds, doubling up to `max_backoff`. Every attempt
    lands in `core.webhook_attempts`. Starting it also lets `core.post_webhook_update` send
    arbitrary (e.g. forged) requests.
    """

    def __init__(
        self,
        core: FakeTelegram,
        *,
        initial_backoff: float = 0.05,
        max_backoff: float = 1.0,
        request_timeout: float = 10.0,
    ) -> None:
        self.core = core
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.request_timeout = request_timeout
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Begin delivering (idempotent)."""
        if self._task is not None:
            return
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.request_timeout)
        )
        self._task = asyncio.create_task(self._run(), name=f"fake-telegram-webhook-{id(self)}")
        self.core.webhook_sender = self

    async def stop(self) -> None:
        """Stop delivering and close connections."""
        if self.core.webhook_sender is self:
            self.core.webhook_sender = None
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def __aenter__(self) -> WebhookDeliverer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def post_update(
        self,
        update: Mapping[str, Any],
        *,
        secret_token: str | None = None,
        url: str | None = None,
    ) -> DeliveryAttempt:
        """POST one update with exactly this secret (None: no header), outside the queue."""
        target = url or (self.core.webhook.url if self.core.webhook else None)
        if target is None:
            raise RuntimeError("no webhook is set and no url was given")
        attempt = await self._post(target, update, secret_token, forged=True)
        self.core.record_webhook_attempt(attempt)
        return attempt

    async def _post(
        self, url: str, update: Mapping[str, Any], secret_token: str | None, *, forged: bool
    ) -> DeliveryAttempt:
        if self._session is None:
            raise RuntimeError("the webhook deliverer is not started")
        headers = {"Content-Type": "application/json"}
        if secret_token is not None:
            headers[SECRET_HEADER] = secret_token
        started = self.core.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            async with self._session.post(url, data=dump_update(update), headers=headers) as reply:
                await reply.read()
                status = reply.status
                if not 200 <= status < 300:
                    error = f"Wrong response from the webhook: {status} {reply.reason or ''}"
        except aiohttp.ClientConnectorError:
            error = "Connection refused"
        except TimeoutError:
            error = "Read timeout expired"
        except aiohttp.ClientError as exc:
            error = f"{type(exc).__name__}: {exc}"
        update_id = update.get("update_id")
        return DeliveryAttempt(
            update_id=update_id if isinstance(update_id, int) else None,
            url=url,
            secret_token=secret_token,
            status=status,
            error=error.strip() if error else None,
            started=started,
            finished=self.core.monotonic(),
            forged=forged,
        )

    async def _run(self) -> None:
        backoff = self.initial_backoff
        while True:
            try:
                config, update = await self.core.next_webhook_update()
                attempt = await self._post(config.url, update, config.secret_token, forged=False)
                self.core.record_webhook_attempt(attempt)
                if attempt.ok:
                    self.core.ack_webhook_update(update["update_id"])
                    backoff = self.initial_backoff
                    continue
                _LOGGER.debug(
                    "webhook delivery failed (%s); retry in %.2fs", attempt.error, backoff
                )
            except asyncio.CancelledError:
                raise
            except Exception:
                _LOGGER.exception("webhook delivery crashed; retrying")
            # Telegram backs off between attempts too; this is not on the success path.
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)
