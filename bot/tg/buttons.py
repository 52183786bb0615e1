"""Small helpers every button handler shares: a signed button, a numeric argument, and what
happens to the message a button was pressed on."""

from __future__ import annotations

from contextlib import suppress
from typing import NamedTuple

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, User
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.tg.callbacks import Callback, CallbackCodec
from bot.types import Lang


class ButtonPress(NamedTuple):
    """One verified button press, as the router hands it to the flow that owns its action."""

    query: CallbackQuery
    message: Message
    user: User
    callback: Callback
    lang: Lang
    context: ContextTypes.DEFAULT_TYPE


def signed_button(
    codec: CallbackCodec, chat_id: int, label: str, action: str, *args: str
) -> InlineKeyboardButton:
    """A button whose data is signed for the chat it is sent to."""
    return InlineKeyboardButton(label, callback_data=codec.encode(chat_id, action, *args))


def callback_int(value: str) -> int:
    """A button's numeric argument; -1 (no such row) when it is not a number."""
    try:
        return int(value)
    except ValueError:
        return -1


async def drop_buttons(query: CallbackQuery) -> None:
    """Remove a message's buttons once one is pressed, so it cannot be pressed twice."""
    with suppress(TelegramError):
        await query.edit_message_reply_markup(None)


async def note_under(
    query: CallbackQuery, message: Message, note: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Append what happened to a staff message, replacing its buttons."""
    text = message.text_html or ""
    try:
        await query.edit_message_text(f"{text}\n\n<i>{note}</i>", reply_markup=markup)
    except TelegramError:
        await message.reply_text(note)
