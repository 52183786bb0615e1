"""The composition root: builds the Application and registers every handler, in order."""

from __future__ import annotations

import logging
from typing import Any

from telegram import LinkPreviewOptions, User
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.config import Settings
from bot.tg.buttons import ButtonRouter
from bot.tg.errors import on_error
from bot.tg.handlers.console import ConsoleHandlers
from bot.tg.handlers.emergency import EmergencyHandlers
from bot.tg.handlers.intake import HelpDeskHandlers, InConversation
from bot.tg.handlers.notices import NoticeHandlers
from bot.tg.handlers.resident import ResidentHandlers
from bot.tg.handlers.staff import InStaffChat, StaffHandlers
from bot.tg.handlers.volunteer import VolunteerHandlers
from bot.tg.lifecycle import starter, stopper
from bot.tg.processing import DurableUpdateQueue, PerChatUpdateProcessor, SettledGetUpdates
from bot.tg.ratelimit import ChatRateLimiter
from bot.tg.runtime import Runtime
from bot.types import Lang

logger = logging.getLogger(__name__)

# Updates from different chats handled at once; one chat's updates are always in order.
MAX_CONCURRENT_UPDATES = 128
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
    "subscribe",
    "unsubscribe",
]
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
    processor.listeners.append(runtime.metrics.update_handled)
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
                on_retry_after=runtime.metrics.too_many_requests.inc,
            )
        )
        .post_init(starter(runtime, queue, processor))
        .post_shutdown(stopper(runtime))
    )
    if request is not None:
        builder = builder.request(request)
    # PTB's own default for getUpdates (one connection), wrapped so that a batch is confirmed
    # to Telegram only once it is recorded.
    polled = get_updates_request or HTTPXRequest(connection_pool_size=1)
    builder = builder.get_updates_request(SettledGetUpdates(polled, queue))
    application = builder.build()
    application.bot_data["runtime"] = runtime
    register_handlers(application, runtime)
    return application


def register_handlers(
    application: Application[Any, Any, Any, Any, Any, Any], runtime: Runtime
) -> None:
    """Every handler, in the order Telegram updates are matched against them."""
    resident = ResidentHandlers(runtime)
    staff = StaffHandlers(runtime)
    helpdesk = HelpDeskHandlers(runtime, resident)
    emergency = EmergencyHandlers(runtime, resident, helpdesk)
    volunteer = VolunteerHandlers(runtime)
    notices = NoticeHandlers(runtime, staff, resident)
    # Right after a municipality is chosen, the resident is asked once about its notices.
    resident.after_municipality = notices.offer

    async def language_of(user: User) -> Lang:
        _, lang = await resident.profile(user)
        return lang

    buttons = ButtonRouter(
        lambda: runtime.codec,
        language_of,
        [emergency, resident, helpdesk, volunteer, staff, notices],
    )
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
    in_staff_chat = InStaffChat(runtime.chats)
    application.add_handler(CommandHandler("help", staff.help, filters=in_staff_chat))
    application.add_handler(CommandHandler("console", ConsoleHandlers(runtime).console, private))
    application.add_handler(CommandHandler("subscribe", notices.subscribe, filters=private))
    application.add_handler(CommandHandler("unsubscribe", notices.unsubscribe, filters=private))
    application.add_handler(CommandHandler("reload", staff.reload))
    # Written in a staff chat, the global one or a municipality's own: its prompts are answered
    # there, its progress shown there.
    application.add_handler(CommandHandler("notice", notices.notice, filters=in_staff_chat))
    application.add_handler(CommandHandler("unanswered", staff.unanswered))
    application.add_handler(
        CommandHandler(RESIDENT_COMMANDS, resident.group_redirect, filters=groups)
    )
    application.add_handler(
        MessageHandler(
            in_staff_chat & filters.REPLY & filters.TEXT & ~filters.COMMAND,
            notices.replies(staff.staff_reply),
        )
    )
    application.add_handler(MessageHandler(private & filters.COMMAND, resident.help))
    # Typed answers to an intake step go to the help desk; every other text is a question.
    application.add_handler(
        MessageHandler(
            private & filters.TEXT & InConversation(runtime.desk.conversations),
            helpdesk.intake_text,
        )
    )
    application.add_handler(MessageHandler(private & filters.TEXT, resident.question))
    application.add_handler(MessageHandler(private & filters.CONTACT, helpdesk.on_contact))
    application.add_handler(MessageHandler(private & NOT_TEXT, resident.not_text))
    application.add_handler(CallbackQueryHandler(buttons.press))
    application.add_handler(ChatMemberHandler(staff.member_changed, ChatMemberHandler.CHAT_MEMBER))
    application.add_error_handler(on_error)
