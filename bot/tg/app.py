"""The composition root: builds the Application and registers every handler, in order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.answering.service import ReloadOutcome
from bot.config import Settings
from bot.messages import say
from bot.tg.buttons import ButtonPress
from bot.tg.emergency import EmergencyHandlers
from bot.tg.helpdesk import HelpDeskHandlers, InConversation
from bot.tg.outbox import OutboxSender
from bot.tg.processing import DurableUpdateQueue, PerChatUpdateProcessor, resume_unhandled
from bot.tg.ratelimit import ChatRateLimiter
from bot.tg.resident import ResidentHandlers, acknowledge
from bot.tg.runtime import Runtime
from bot.tg.staff import StaffHandlers
from bot.tg.volunteer import VolunteerHandlers
from bot.types import Action, Lang, lang_or_english

logger = logging.getLogger(__name__)

# Updates from different chats handled at once; one chat's updates are always in order.
MAX_CONCURRENT_UPDATES = 128
INBOX_KEEP_SECONDS = 2 * 86400  # Telegram keeps an undelivered update for 24 hours.
RESIDENT_COMMANDS = [
    "start",
    "menu",
    "municipality",
    "language",
    "help",
    "privacy",
    "requesthelp",
    "hjelp",
    "hjalp",
    "status",
    "cancel",
    "forgetme",
    "volunteer",
]
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
    "forgetme",
)

NOT_TEXT = (
    filters.PHOTO
    | filters.VIDEO
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
    | filters.Sticker.ALL
    | filters.LOCATION
    | filters.VENUE
    | filters.CONTACT
    | filters.Document.ALL
    | filters.POLL
    | filters.Dice.ALL
)


def build_application(
    settings: Settings,
    runtime: Runtime | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot, ready for `run_polling`, `run_webhook` or manual `initialize`/`start`."""
    runtime = runtime or Runtime(settings)
    fresh: set[int] = set()
    queue = DurableUpdateQueue(fresh)
    processor = PerChatUpdateProcessor(MAX_CONCURRENT_UPDATES, fresh)
    builder = (
        ApplicationBuilder()
        .token(settings.require_token())
        .base_url(settings.base_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .update_queue(queue)
        .concurrent_updates(processor)
        .rate_limiter(
            ChatRateLimiter(
                overall_per_second=settings.send_rate_per_second,
                group_per_minute=settings.group_rate_per_minute,
                max_retries=5,
            )
        )
        .post_init(_starter(runtime, queue, processor))
        .post_shutdown(_stopper(runtime))
    )
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    application = builder.build()
    application.bot_data["runtime"] = runtime
    register_handlers(application, runtime)
    return application


ButtonHandler = Callable[[ButtonPress], Awaitable[bool]]


class ButtonRouter:
    """Every inline button: verified once, then routed by its action to the one flow that owns
    it; forged or stale buttons expire."""

    def __init__(
        self,
        runtime: Runtime,
        resident: ResidentHandlers,
        helpdesk: HelpDeskHandlers,
        emergency: EmergencyHandlers,
        volunteer: VolunteerHandlers,
        staff: StaffHandlers,
    ) -> None:
        self.rt = runtime
        self.resident = resident
        # One route per action code: each flow says which buttons are its own.
        self.routes: dict[str, ButtonHandler] = {}
        for flow in (emergency, resident, helpdesk, volunteer, staff):
            for action in flow.ACTIONS:
                if action in self.routes:
                    raise ValueError(f"two flows handle the button action {action!r}")
                self.routes[action] = flow.dispatch
        unrouted = set(Action) - set(self.routes)
        if unrouted:
            raise ValueError(f"no flow handles the button actions {sorted(unrouted)}")

    async def press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button was pressed."""
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        message = query.message if isinstance(query.message, Message) else None
        callback = self.rt.codec.decode(message.chat_id, query.data) if message else None
        _, lang = await self.resident.profile(user)
        route = self.routes.get(callback.action) if callback is not None else None
        if (
            message is not None
            and callback is not None
            and route is not None
            and await route(ButtonPress(query, message, user, callback, lang, context))
        ):
            return
        logger.info("button refused: forged, stale or not the presser's")
        await acknowledge(query, say("button_expired", lang), alert=True)


def register_handlers(
    application: Application[Any, Any, Any, Any, Any, Any], runtime: Runtime
) -> None:
    """Every handler, in the order Telegram updates are matched against them."""
    resident = ResidentHandlers(runtime)
    staff = StaffHandlers(runtime)
    helpdesk = HelpDeskHandlers(runtime, resident)
    emergency = EmergencyHandlers(runtime, resident, helpdesk)
    volunteer = VolunteerHandlers(runtime)
    buttons = ButtonRouter(runtime, resident, helpdesk, emergency, volunteer, staff)
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS

    # Group -2 runs first for every update: an emergency is answered before anything else,
    # flood control included, and then nothing else handles that message.
    application.add_handler(MessageHandler(private & filters.TEXT, emergency.guard), group=-2)
    # Group -1: flood control can stop an update here.
    application.add_handler(MessageHandler(private, resident.flood_guard), group=-1)
    application.add_handler(CallbackQueryHandler(resident.press_flood_guard), group=-1)

    application.add_handler(CommandHandler("start", resident.start, filters=private))
    application.add_handler(CommandHandler("municipality", resident.municipality, filters=private))
    application.add_handler(CommandHandler("language", resident.language, filters=private))
    application.add_handler(CommandHandler("help", resident.help, filters=private))
    application.add_handler(CommandHandler("privacy", resident.privacy, filters=private))
    application.add_handler(CommandHandler("menu", resident.menu, filters=private))
    application.add_handler(
        CommandHandler(["requesthelp", "hjelp", "hjalp"], helpdesk.request_help, filters=private)
    )
    application.add_handler(CommandHandler("status", helpdesk.status, filters=private))
    application.add_handler(CommandHandler("cancel", helpdesk.cancel, filters=private))
    application.add_handler(CommandHandler("forgetme", helpdesk.forget, filters=private))
    application.add_handler(CommandHandler("volunteer", helpdesk.volunteer, filters=private))
    if runtime.settings.staff_chat_id is not None:
        application.add_handler(
            CommandHandler("help", staff.help, filters=filters.Chat(runtime.settings.staff_chat_id))
        )
    application.add_handler(CommandHandler("reload", staff.reload))
    application.add_handler(CommandHandler("unanswered", staff.unanswered))
    application.add_handler(
        CommandHandler(RESIDENT_COMMANDS, resident.group_redirect, filters=groups)
    )
    if runtime.settings.staff_chat_id is not None:
        application.add_handler(
            MessageHandler(
                filters.Chat(runtime.settings.staff_chat_id)
                & filters.REPLY
                & filters.TEXT
                & ~filters.COMMAND,
                staff.staff_reply,
            )
        )
    application.add_handler(MessageHandler(private & filters.COMMAND, resident.help))
    # Typed answers to an intake step go to the help desk; every other text is a question.
    application.add_handler(
        MessageHandler(private & filters.TEXT & InConversation(runtime.desk), helpdesk.intake_text)
    )
    application.add_handler(MessageHandler(private & filters.TEXT, resident.question))
    application.add_handler(MessageHandler(private & filters.CONTACT, helpdesk.on_contact))
    application.add_handler(MessageHandler(private & NOT_TEXT, resident.not_text))
    application.add_handler(CallbackQueryHandler(buttons.press))
    application.add_error_handler(on_error)


@asynccontextmanager
async def polling(application: Application[Any, Any, Any, Any, Any, Any]) -> AsyncIterator[None]:
    """Run the bot by polling inside an event loop that is already running (the terminal chat
    and tests): started in the order of `Application.run_polling`, stopped in reverse."""
    assert application.updater is not None and application.post_init is not None
    await application.initialize()
    await application.post_init(application)
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    await application.start()
    try:
        yield
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what failed and tell the resident (sends were already retried by the limiter)."""
    logger.error("handler failed", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        return
    lang = await _error_language(update, context.application.bot_data.get("runtime"))
    try:
        await context.bot.send_message(update.effective_chat.id, say("error", lang))
    except TelegramError:
        logger.warning("could not send the error notice either")


async def _error_language(update: Update, runtime: object) -> Lang:
    """The conversation's language for the error notice; the app's when storage, which may be
    what failed, cannot tell."""
    user = update.effective_user
    app = lang_or_english(user.language_code if user else None)
    if user is None or not isinstance(runtime, Runtime):
        return app
    try:
        _, lang = await runtime.resident_language(user.id, None, user.language_code)
    except Exception:  # the notice goes out whatever broke
        logger.warning("could not read the resident's language for the error notice")
        return app
    return lang


def _starter(runtime: Runtime, queue: DurableUpdateQueue, processor: PerChatUpdateProcessor) -> Any:
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
        runtime.tasks.append(asyncio.create_task(OutboxSender(runtime, application.bot).run()))

    return on_start


def _stopper(runtime: Runtime) -> Any:
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
    """Escalate requests nobody has taken, and erase what retention says must go."""
    while True:
        try:
            # Both wake the outbox sender themselves when they queue something.
            await runtime.desk.escalate_due()
            await runtime.desk.refresh_ages()
            await runtime.desk.erase_expired()
            await runtime.inbox.purge(INBOX_KEEP_SECONDS)
            await runtime.questions.purge(int(runtime.settings.retention_days * 86400))
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("housekeeping failed; it will try again")
        await asyncio.sleep(runtime.settings.job_interval_seconds)
