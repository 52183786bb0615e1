"""Sends what the volunteer queue put in the outbox: in order, with retries, within limits.

Messages are stored before they are sent, so a crash loses none; each is marked sent with its
message id. A 429 holds that chat back until `retry_after` has passed (the rate limiter also
paces every send: about 30 a second overall and 20 a minute to one group). Network failures
back off exponentially. A message the recipient can never get is marked failed; if it carried a
volunteer's details, the request goes back to the queue.

Delivery is at least once: each message is marked "sending" just before the call and "sent"
in the commit right after Telegram's answer. A crash between the two may or may not have
delivered it (the Bot API has no idempotency key), so on restart `Outbox.reconcile` sends those
again, and a group post sent again says it may be a second copy of the same reference. A
repeated message is better than a request no volunteer ever sees.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import suppress
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.helpdesk.outbox import VOLUNTEER_DETAILS, OutboxItem
from bot.helpdesk.texts import Keyboard, group_message
from bot.messages import say
from bot.tg.buttons import signed_markup
from bot.tg.errors import cannot_edit, message_gone, not_modified
from bot.tg.ratelimit import retry_seconds
from bot.tg.runtime import Runtime

logger = logging.getLogger(__name__)

IDLE_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 300.0
MAX_ATTEMPTS = 20
# The outbox retries durably and per item; the rate limiter must not also retry its sends.
OWN_RETRIES = 0


class OutboxSender:
    """The background task that empties the outbox."""

    def __init__(self, runtime: Runtime, bot: ExtBot[Any]) -> None:
        self.rt = runtime
        self.bot = bot
        self.desk = runtime.desk
        self.outbox = runtime.desk.outbox
        # chat id -> the time before which nothing may be sent to it (after a 429)
        self.held: dict[int, float] = {}

    def markup(self, chat_id: int, keyboard: Keyboard) -> InlineKeyboardMarkup | None:
        return signed_markup(self.rt.codec, chat_id, keyboard)

    async def run(self) -> None:
        """Send until cancelled."""
        while True:
            try:
                sent = await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("outbox round failed; trying again")
                sent = 0
            if sent:
                continue
            await self._sleep_until_due()

    async def _sleep_until_due(self) -> None:
        # Cleared before looking: a commit that wakes the sender meanwhile is not missed.
        self.rt.outbox_wake.clear()
        next_due = await self.outbox.next_due()
        wait = IDLE_SECONDS if next_due is None else max(0.0, next_due - time.time())
        with suppress(TimeoutError):
            # asyncio.timeout, not wait_for: it never swallows a cancellation (gh-86296).
            async with asyncio.timeout(min(wait, IDLE_SECONDS)):
                await self.rt.outbox_wake.wait()

    async def send_due(self) -> int:
        """Send what is due now; returns how many were handled."""
        handled = 0
        blocked: set[int] = set()
        for item in await self.outbox.due():
            chat = item.chat_id or 0
            # Keep each chat's order: once one of its messages waits, the rest wait too.
            if chat in blocked or self.held.get(chat, 0.0) > time.time():
                blocked.add(chat)
                continue
            if not await self.deliver(item):
                blocked.add(chat)
            handled += 1
        return handled

    async def deliver(self, item: OutboxItem) -> bool:
        """Send one item; False when it has to wait and was rescheduled."""
        chat = item.chat_id or 0
        await self.outbox.sending(item)
        try:
            if item.kind == "group":
                message_id = await self._draw_group(item)
            elif item.kind == "edit":
                message_id = await self._edit(item)
            else:
                message_id = await self._send(item)
        except RetryAfter as exc:
            until = time.time() + retry_seconds(exc)
            self.held[chat] = until
            await self.outbox.retry(item, until, f"429 retry after {retry_seconds(exc)}s")
            logger.warning("outbox: chat held for %.0fs after a 429", retry_seconds(exc))
            return False
        except Forbidden as exc:
            await self.outbox.failed(item, str(exc))
            if item.payload and item.payload.get("purpose") == VOLUNTEER_DETAILS:
                await self.desk.requests.undeliverable_details(item, str(exc))
            logger.warning("outbox: message %d cannot be delivered", item.id)
            return True
        except BadRequest as exc:
            if not_modified(exc):
                await self.outbox.sent(item, None)
                return True
            if item.kind == "edit" and cannot_edit(exc):
                # The volunteer deleted it, or it is too old to edit: nothing is left to change.
                await self.outbox.sent(item, None)
                return True
            if message_gone(exc) and item.request_id is not None:
                await self.outbox.forget_group_message(item.request_id)
                await self.outbox.retry(item, time.time(), "group message gone; posting anew")
                return False
            await self.outbox.failed(item, str(exc))
            logger.error("outbox: message %d refused: %s", item.id, exc)
            return True
        except (KeyError, TypeError, ValueError) as exc:
            # Stored by another version and not drawable by this one (a view or placeholder
            # renamed): failed, not left "sending" ahead of the chat's later messages.
            logger.exception("outbox: message %d cannot be drawn", item.id)
            await self.outbox.failed(item, f"cannot be drawn: {type(exc).__name__}")
            if item.payload and item.payload.get("purpose") == VOLUNTEER_DETAILS:
                await self.desk.requests.undeliverable_details(item, "cannot be drawn")
            return True
        except (NetworkError, TelegramError) as exc:
            if item.attempts + 1 >= MAX_ATTEMPTS:
                await self.outbox.failed(item, str(exc))
                return True
            delay = min(2.0 ** (item.attempts + 1), MAX_BACKOFF_SECONDS)
            await self.outbox.retry(item, time.time() + delay, str(exc))
            return False
        await self.outbox.sent(item, message_id)
        return True

    async def _edit(self, item: OutboxItem) -> int | None:
        """Replace an earlier message (the volunteer's contact details, a registration post)
        with new text and the view's buttons (none for most)."""
        if item.chat_id is None or item.payload is None:
            return None
        message_id = int(item.payload["edit"])
        text, keyboard = await self.outbox.render(item)
        await self.bot.edit_message_text(
            text,
            chat_id=item.chat_id,
            message_id=message_id,
            reply_markup=self.markup(item.chat_id, keyboard),
            rate_limit_args=OWN_RETRIES,
        )
        return message_id

    async def _send(self, item: OutboxItem) -> int | None:
        if item.chat_id is None or item.payload is None:
            return None
        text, keyboard = await self.outbox.render(item)
        message = await self.bot.send_message(
            item.chat_id,
            text,
            reply_markup=self.markup(item.chat_id, keyboard),
            rate_limit_args=OWN_RETRIES,
        )
        return message.message_id

    async def _draw_group(self, item: OutboxItem) -> int | None:
        """Post or update a request's group message to show its current state."""
        if item.request_id is None or item.chat_id is None:
            return None
        view = await self.desk.requests.group_view(item.request_id)
        if view is None:
            return None
        request, volunteer_name = view
        lang = self.rt.municipality_language(request.municipality)
        text, keyboard = group_message(request, lang, int(time.time()), volunteer_name)
        markup = self.markup(item.chat_id, keyboard)
        if request.group_message_id is None:
            if not request.active:
                return None  # closed before it was ever posted: nothing to show
            if item.payload and item.payload.get("repeat"):
                # A crash caught the first post on its way: Telegram may have shown it already.
                text = f"{text}\n\n{say('group_post_repeated', lang, ref=request.ref)}"
            message = await self.bot.send_message(
                item.chat_id, text, reply_markup=markup, rate_limit_args=OWN_RETRIES
            )
            return message.message_id
        await self.bot.edit_message_text(
            text,
            chat_id=item.chat_id,
            message_id=request.group_message_id,
            reply_markup=markup,
            rate_limit_args=OWN_RETRIES,
        )
        return request.group_message_id
