"""Starting and stopping the bot inside PTB's application: storage opened, updates a crash left
unhandled resumed, the outbox reconciled, the command list set, background tasks started; and
the reverse at the end. `polling` runs the same order inside an event loop already running."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application
from telegram.request import HTTPXRequest

from bot.answering.service import ReloadOutcome
from bot.messages import say
from bot.tg.handlers.staff import StaffHandlers
from bot.tg.notices import NoticeSender
from bot.tg.outbox import OutboxSender
from bot.tg.processing import DurableUpdateQueue, PerChatUpdateProcessor, resume_unhandled
from bot.tg.runtime import Runtime

logger = logging.getLogger(__name__)

INBOX_KEEP_SECONDS = 2 * 86400  # Telegram keeps an undelivered update for 24 hours.
# How often the bot looks whether the CLI erased someone, so its caches drop them: one small
# read, and an erased resident's data is out of memory within this time.
ERASURE_CHECK_SECONDS = 1.0
# The commands Telegram lists beside the message field; each is described by its
# catalogue key command_<name>.
LISTED_COMMANDS = (
    "menu",
    "requesthelp",
    "status",
    "cancel",
    "volunteer",
    "municipality",
    "language",
    "help",
    "privacy",
    "subscribe",
    "unsubscribe",
    "forgetme",
)


def starter(runtime: Runtime, queue: DurableUpdateQueue, processor: PerChatUpdateProcessor) -> Any:
    async def on_start(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Open storage, resume updates a crash left unhandled, set commands, start watchers."""
        await runtime.start()
        queue.inbox = runtime.inbox
        processor.inbox = runtime.inbox
        resumed = await resume_unhandled(runtime.inbox, queue, application.bot)
        if resumed:
            logger.info("resuming %d update(s) left unhandled before the restart", resumed)
        repeated = await runtime.desk.outbox.reconcile()
        if repeated:
            logger.warning(
                "%d outbox message(s) were on their way to Telegram when the bot stopped; "
                "sending them again",
                repeated,
            )
        unknown = await runtime.notices.reconcile()
        if unknown:
            logger.warning(
                "%d notice(s) were on their way to residents when the bot stopped; they may "
                "or may not have arrived and are not sent again",
                unknown,
            )
        await runtime.show_notices()
        await _set_commands(application)
        staff = StaffHandlers(runtime)
        await staff.notify_start(application.bot)

        async def on_reload(outcome: ReloadOutcome) -> None:
            await staff.notify_reload(application.bot, outcome)

        # Plain asyncio tasks, not PTB's JobQueue: that needs APScheduler (the job-queue extra)
        # for three loops, and the outbox sender waits on an event, not a timer. Runtime.stop
        # cancels and awaits them before the database closes.
        runtime.tasks.append(asyncio.create_task(runtime.knowledge.watch(on_reload)))
        runtime.tasks.append(asyncio.create_task(_housekeeping(runtime)))
        runtime.tasks.append(asyncio.create_task(_erasures(runtime)))
        runtime.tasks.append(asyncio.create_task(OutboxSender(runtime, application.bot).run()))
        # Over HTTP, notices are sent from a process of their own (bot/tg/noticeproc.py),
        # with an HTTP client of its own and the same rate limiter.
        over_http = isinstance(application.bot.request, HTTPXRequest)
        notices = NoticeSender(runtime, application.bot, lambda: processor.handling, over_http)
        if notices.process is not None:
            notices.process.attach(processor)
        runtime.tasks.append(asyncio.create_task(notices.run()))

    return on_start


def stopper(runtime: Runtime) -> Any:
    async def on_stop(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Stop background tasks and close storage."""
        await runtime.stop()

    return on_stop


async def _set_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    for lang in ("en", "nb", "sv"):
        commands = [BotCommand(name, say(f"command_{name}", lang)) for name in LISTED_COMMANDS]
        try:
            await application.bot.set_my_commands(
                commands, language_code=None if lang == "en" else lang
            )
        except TelegramError:
            logger.warning("could not set the command list for %s", lang)


async def _housekeeping(runtime: Runtime) -> None:
    """Show the whole group requests the volunteers of their area did not take, escalate
    requests nobody has taken, and erase what retention says must go."""
    while True:
        try:
            # Both wake the outbox sender themselves when they queue something.
            await runtime.desk.requests.widen_due()
            await runtime.desk.requests.escalate_due()
            await runtime.desk.requests.refresh_ages()
            await runtime.desk.privacy.erase_expired()
            await runtime.inbox.purge(INBOX_KEEP_SECONDS)
            await runtime.questions.purge(int(runtime.settings.retention_days * 86400))
            await runtime.console_auth.purge()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("housekeeping failed; it will try again")
        await asyncio.sleep(runtime.settings.job_interval_seconds)


async def _erasures(runtime: Runtime) -> None:
    """Drop the caches about people once `python -m bot erase` has erased someone."""
    while True:
        try:
            if await runtime.drop_caches_if_erased():
                logger.info("someone was erased outside the bot: its caches about people dropped")
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("could not look for erasures; trying again")
        await asyncio.sleep(ERASURE_CHECK_SECONDS)


@asynccontextmanager
async def polling(application: Application[Any, Any, Any, Any, Any, Any]) -> AsyncIterator[None]:
    """Run the bot by polling inside an event loop that is already running (the terminal chat
    and tests): started in the order of `Application.run_polling`, stopped in reverse."""
    assert application.updater is not None and application.post_init is not None
    await application.initialize()
    await application.post_init(application)
    # Every kind, as `serve` asks for: chat_member updates end a leaving staff member's sessions.
    await application.updater.start_polling(
        poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES
    )
    await application.start()
    try:
        yield
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
