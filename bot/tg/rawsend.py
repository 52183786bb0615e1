"""sendMessage for urgent notices over aiohttp, beside python-telegram-bot's own client.

A notice goes to up to 100,000 residents, and httpx with PTB's object layer costs more CPU a
call than the send itself, in the event loop that residents' answers share. A notice needs
only the message id back, so it is posted as plain JSON on an aiohttp session of its own
(aiohttp already serves the webhook), on the notices' own thread (bot/tg/noticeworker.py, which
takes each send's place in the bot's rate limiter), and Telegram's answer is turned into PTB's
errors, so the sender handles a 403 or a 429 the same way whichever client sent. Used when the
bot talks HTTP to a Bot API; tests that drive PTB in-process use its client.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import aiohttp
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

TIMEOUT_SECONDS = 10.0


class RawSender:
    """Posts sendMessage calls; `send` returns the message id or raises PTB's error."""

    def __init__(self, base_url: str, token: str, connections: int) -> None:
        self.url = f"{base_url}{token}/sendMessage"
        self.connections = connections
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connections),
                timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
                json_serialize=json.dumps,
            )
        return self._session

    async def send(self, chat_id: int, text: str) -> int | None:
        payload = {
            "chat_id": chat_id,
            "text": text,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        result = await self._post(payload)
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return message_id if isinstance(message_id, int) else None

    async def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            async with self._open().post(self.url, json=payload) as response:
                status = response.status
                body = await response.json(content_type=None)
        except TimeoutError as exc:
            raise TimedOut("the notice's sendMessage timed out") from exc
        except (aiohttp.ClientError, ValueError, asyncio.IncompleteReadError) as exc:
            # Only the kind: some aiohttp errors carry the URL, and the URL holds the token.
            raise NetworkError(f"sendMessage failed on the network ({type(exc).__name__})") from exc
        if isinstance(body, dict) and body.get("ok"):
            result = body.get("result")
            return result if isinstance(result, dict) else {}
        description = str(body.get("description", "")) if isinstance(body, dict) else ""
        parameters = body.get("parameters") if isinstance(body, dict) else None
        if status == 429 or (isinstance(parameters, dict) and "retry_after" in parameters):
            seconds = int(parameters.get("retry_after", 1)) if isinstance(parameters, dict) else 1
            raise RetryAfter(dt.timedelta(seconds=seconds))
        if status in (401, 403):
            raise Forbidden(description or "Forbidden")
        if status == 400:
            raise BadRequest(description or "Bad Request")
        # A 5xx may or may not have been delivered: the sender records it as unknown.
        raise NetworkError(f"{description or 'Bot API error'} ({status})")
