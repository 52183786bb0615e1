"""What goes wrong with Telegram: its error texts, matched in one place, and the handler of last
resort.

Telegram tells apart what went wrong only in a BadRequest's description, so the bot has to
read it. Each predicate names one situation the handlers and the outbox treat differently.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.messages import say
from bot.tg.runtime import Runtime
from bot.types import Lang, lang_or_english

logger = logging.getLogger(__name__)


def _says(error: TelegramError, *fragments: str) -> bool:
    description = error.message.lower()
    return any(fragment in description for fragment in fragments)


def not_modified(error: TelegramError) -> bool:
    """An edit that changes nothing: the message already shows it."""
    return _says(error, "not modified")


def query_expired(error: TelegramError) -> bool:
    """A button press too old to answer (redelivered after a restart, or answered already)."""
    return _says(error, "query is too old", "query id is invalid")


def message_gone(error: TelegramError) -> bool:
    """The message to edit was deleted."""
    return _says(error, "message to edit not found")


def cannot_edit(error: TelegramError) -> bool:
    """The message is gone or too old to edit: nothing is left to change."""
    return _says(error, "not found", "edited")


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
