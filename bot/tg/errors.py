"""The Bot API's error texts, matched in one place.

Telegram tells apart what went wrong only in a BadRequest's description, so the bot has to
read it. Each predicate names one situation the handlers and the outbox treat differently.
"""

from __future__ import annotations

from telegram.error import TelegramError


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
