"""Sends urgent notices: the outbox's low-priority class, one resident at a time, at most once.

Each round claims a batch of deliveries (committed as "sending" before any call), sends them
at the limiter's low priority (`LOW_PRIORITY`: answers to residents always go first, within
the same overall limit), and records every answer in one commit. Over HTTP all of that runs in
a process of its own (bot/tg/noticeproc.py), so that a resident's answer does not wait for
the notices' work in the bot's process; this task then only renders the texts and reports
progress. A 403 unsubscribes the resident; a 429 puts the delivery back in line after
`retry_after`; a timeout or a dropped connection may have delivered it, so it becomes
"unknown" and is never tried again.

The progress message in the staff chat is edited at most once a minute (`PROGRESS_SECONDS`);
a staff member's button press redraws it at once, and that counts as the minute's edit.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext, suppress
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, TelegramError
from telegram.ext import ExtBot

from bot.messages import format_minutes, say
from bot.notices.service import (
    Delivery,
    Notice,
    Progress,
    Result,
    measured_rate,
    notice_state,
    place_name,
    render,
)
from bot.tg.buttons import signed_button
from bot.tg.errors import not_modified
from bot.tg.noticeproc import NoticeProcess, ProcessConfig
from bot.tg.noticeworker import answers_first, attempt, pace
from bot.tg.ratelimit import LOW_PRIORITY, RESERVED_SHARE, ChatRateLimiter
from bot.tg.runtime import Runtime
from bot.types import Action, Lang

logger = logging.getLogger(__name__)


PROGRESS_SECONDS = 60.0
IDLE_SECONDS = 1.0
MIN_BATCH = 20
MAX_BATCH = 200
# Sends in flight at once: enough to keep a fast Bot API busy (8 in flight reach 1,600 a
# second with a round trip under 5 ms), few enough that a resident's answer does not queue at
# the Bot API behind many of them: each one in flight is one request ahead of the answer.
CONCURRENCY = 8


def target_name(runtime: Runtime, municipality: str | None, lang: Lang) -> str:
    """Whom a notice is for, as staff read it (and residents, in its heading)."""
    return place_name(runtime.knowledge.responder.kb.municipalities, municipality, lang)


def progress_text(
    runtime: Runtime, notice: Notice, progress: Progress, rate: float | None, lang: Lang
) -> str:
    """The staff chat's progress line: sent, waiting, failed, blocked, and the time left."""
    if progress.waiting and rate:
        eta = format_minutes(max(1, math.ceil(progress.waiting / rate / 60)), lang)
    elif progress.waiting:
        eta = "?"
    else:
        eta = say("staff_notice_eta_none", lang)
    return say(
        "staff_notice_progress",
        lang,
        id=str(notice.id),
        target=target_name(runtime, notice.municipality, lang),
        state=say(f"staff_notice_state_{notice_state(notice)}", lang),
        sent=str(progress.sent),
        waiting=str(progress.waiting),
        failed=str(progress.failed),
        blocked=str(progress.blocked),
        unknown=str(progress.unknown),
        eta=eta,
    )


def progress_buttons(
    runtime: Runtime, chat_id: int, notice: Notice, lang: Lang
) -> InlineKeyboardMarkup | None:
    """Pause or resume and cancel while it is sent; end it (no longer an answer) until then."""
    if notice.ended_at is not None:
        return None
    rows = []
    state = notice.state

    def button(key: str, action: Action) -> Any:
        return signed_button(runtime.codec, chat_id, say(key, lang), action, str(notice.id))

    if state == "sending":
        rows.append([button("button_notice_pause", Action.NOTICE_PAUSE)])
    if state == "paused":
        rows.append([button("button_notice_resume", Action.NOTICE_RESUME)])
    if state in ("sending", "paused"):
        rows.append([button("button_notice_cancel", Action.NOTICE_CANCEL)])
    rows.append([button("button_notice_end", Action.NOTICE_END)])
    return InlineKeyboardMarkup(rows)


async def progress_view(
    runtime: Runtime, notice: Notice
) -> tuple[str, InlineKeyboardMarkup | None]:
    progress = await runtime.notices.progress(notice.id)
    rate = measured_rate(notice, progress)
    chat = notice.staff_chat_id or 0
    # In the language of the chat it is shown in: a municipality's own staff chat reads its own.
    lang = runtime.chats.chat_language(chat)
    return (
        progress_text(runtime, notice, progress, rate, lang),
        progress_buttons(runtime, chat, notice, lang),
    )


class NoticeSender:
    """The background task that sends notices and keeps their progress messages current."""

    def __init__(
        self,
        runtime: Runtime,
        bot: ExtBot[Any],
        busy: Callable[[], int] = lambda: 0,
        over_http: bool = False,
    ) -> None:
        self.rt = runtime
        self.bot = bot
        # How many residents' updates are being handled: while any is, no notice starts.
        self.busy = busy
        self.notices = runtime.notices
        settings = runtime.settings
        own = float(settings.notice_rate_per_second)
        if not own and settings.send_rate_per_second:
            # Left to themselves, notices keep below the overall limit by the reserved share,
            # so answers fit beside them in any second, not only on average.
            own = settings.send_rate_per_second * (1 - RESERVED_SHARE)
        self.limiter = pace(own)
        rates = [r for r in (own, settings.send_rate_per_second) if r > 0]
        # About a second's worth per round at the rate notices may use.
        self.batch = max(MIN_BATCH, min(MAX_BATCH, int(min(rates)) if rates else MAX_BATCH))
        self._texts: dict[tuple[int, Lang, str | None], str] = {}
        self._cached: dict[int, Notice] = {}
        # The notices' own process, with its own HTTP client (bot/tg/rawsend.py) and SQLite
        # connection, when the bot talks HTTP (see bot/tg/noticeproc.py).
        self.process: NoticeProcess | None = None
        if over_http:
            shared = bot.rate_limiter if isinstance(bot.rate_limiter, ChatRateLimiter) else None
            config = ProcessConfig(
                database=runtime.db.path,
                base_url=settings.base_url,
                token=settings.require_token(),
                rate_per_second=own,
                concurrency=CONCURRENCY,
                batch=self.batch,
                limited=shared is not None and shared.overall is not None,
                log_level=settings.log_level,
            )
            self.process = NoticeProcess(
                config,
                shared,
                self.render,
                self.notices.reconcile,
                record=self.notices.record,
                on_restart=runtime.metrics.notice_process_restarts.inc,
            )

    async def run(self) -> None:
        """Send (or have the notice process send) until cancelled."""
        process = self.process
        if process is None:
            await self._rounds()
            return
        running = asyncio.create_task(process.run())
        try:
            await self._rounds()
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
            await process.close()

    async def _rounds(self) -> None:
        while True:
            try:
                sent = await self.send_round() if self.process is None else 0
                await self.report()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("notice round failed; trying again")
                sent = 0
            if sent:
                continue
            self.rt.notice_wake.clear()
            with suppress(TimeoutError):
                async with asyncio.timeout(IDLE_SECONDS):  # never swallows a cancellation
                    await self.rt.notice_wake.wait()
            if self.process is not None and self.rt.notice_wake.is_set():
                self.process.wake()

    async def send_round(self) -> int:
        """Claim, send and record one batch here; returns how many were claimed."""
        claimed = await self.notices.claim(self.batch)
        if not claimed:
            return 0
        results = await self._send_here(claimed)
        await self.notices.record(results)
        return len(claimed)

    async def render(
        self, notice_id: int, language: Lang | None, municipality: str | None
    ) -> str | None:
        """A delivery's text, for the notice process (the knowledge base is this loop's)."""
        notice = await self._notice(notice_id)
        if notice is None:
            return None
        return self._text(notice, Delivery(notice_id, 0, municipality, language, 0))

    async def _send_here(self, claimed: list[Delivery]) -> list[Result]:
        """Through PTB's client on this loop (a bot driven in-process, as in tests)."""
        slots = asyncio.Semaphore(CONCURRENCY)
        sending = []
        for delivery in claimed:
            await answers_first(self.busy)
            await slots.acquire()
            sending.append(asyncio.create_task(self._deliver_in(slots, delivery)))
        return list(await asyncio.gather(*sending))

    async def _deliver_in(self, slots: asyncio.Semaphore, delivery: Delivery) -> Result:
        try:
            return await self._deliver(delivery)
        finally:
            slots.release()

    async def _notice(self, notice_id: int) -> Notice | None:
        # A notice's texts never change once it is sent: one read each.
        if notice_id not in self._cached:
            found = await self.notices.get(notice_id)
            if found is None:
                return None
            self._cached[notice_id] = found
        return self._cached[notice_id]

    def _text(self, notice: Notice, delivery: Delivery) -> str:
        lang = delivery.language or self.rt.municipality_language(delivery.municipality)
        key = (notice.id, lang, delivery.municipality)
        if key not in self._texts:
            name = target_name(self.rt, delivery.municipality or notice.municipality, lang)
            self._texts[key] = render(notice, lang, name)
        return self._texts[key]

    async def _deliver(self, delivery: Delivery) -> Result:
        notice = await self._notice(delivery.notice_id)
        if notice is None:
            return Result(delivery, "failed", error="no such notice")
        text = self._text(notice, delivery)
        limit: AbstractAsyncContextManager[Any] = self.limiter or nullcontext()
        async with limit:
            return await attempt(delivery, lambda: self._ptb_send(delivery.user_id, text))

    async def _ptb_send(self, chat_id: int, text: str) -> int | None:
        """The send through PTB's own client (a bot driven in-process, as in tests)."""
        message = await self.bot.send_message(chat_id, text, rate_limit_args=LOW_PRIORITY)
        return message.message_id

    async def report(self) -> None:
        """Post progress messages not posted yet, and edit those a minute old."""
        for notice in await self.notices.unposted():
            await post_progress(self.rt, self.bot, notice)
        for notice in await self.notices.to_report():
            due = time.time() - (notice.progress_edited_at or 0.0) >= PROGRESS_SECONDS
            if due and await self.notices.claim_progress_edit(notice.id, PROGRESS_SECONDS):
                await redraw_progress(self.rt, self.bot, notice, marked=True)


async def post_progress(runtime: Runtime, bot: ExtBot[Any], notice: Notice) -> None:
    """The progress message of a notice that has started, with its buttons."""
    if notice.staff_chat_id is None:
        return
    text, markup = await progress_view(runtime, notice)
    try:
        message = await bot.send_message(notice.staff_chat_id, text, reply_markup=markup)
    except TelegramError:
        logger.exception("could not post notice %d's progress", notice.id)
        return
    await runtime.notices.progress_posted(notice.id, message.message_id)


async def redraw_progress(
    runtime: Runtime, bot: ExtBot[Any], notice: Notice, marked: bool = False
) -> None:
    """Edit the progress message to show now; it counts as the minute's edit (`marked`: the
    caller has recorded it already)."""
    if notice.staff_chat_id is None or notice.progress_message_id is None:
        return
    text, markup = await progress_view(runtime, notice)
    # Marked first: a failing edit is not tried again and again within the minute.
    if not marked:
        await runtime.notices.progress_edited(notice.id)
    try:
        await bot.edit_message_text(
            text,
            chat_id=notice.staff_chat_id,
            message_id=notice.progress_message_id,
            reply_markup=markup,
        )
    except BadRequest as exc:
        if not not_modified(exc):
            logger.warning("could not edit notice %d's progress: %s", notice.id, exc)
    except TelegramError:
        logger.exception("could not edit notice %d's progress", notice.id)
