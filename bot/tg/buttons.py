"""Inline buttons: the router that sends each verified press to the one flow owning its action,
and the helpers every button handler shares (answering the press, a signed button, a numeric
argument, what happens to the message a button was pressed on)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from typing import ClassVar, NamedTuple, Protocol

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.helpdesk.texts import Keyboard
from bot.messages import say
from bot.tg.callbacks import Callback, CallbackCodec
from bot.tg.errors import query_expired
from bot.types import Action, Lang

logger = logging.getLogger(__name__)


class ButtonPress(NamedTuple):
    """One verified button press, as the router hands it to the flow that owns its action."""

    query: CallbackQuery
    message: Message
    user: User
    callback: Callback
    lang: Lang
    context: ContextTypes.DEFAULT_TYPE


async def acknowledge(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Answer a button press; a press too old to answer (redelivered after a restart) is fine."""
    try:
        await query.answer(text, show_alert=alert)
    except BadRequest as error:
        if not query_expired(error):
            raise
        logger.info("button press too old to answer; handled anyway")


def signed_button(
    codec: CallbackCodec, chat_id: int, label: str, action: str, *args: str
) -> InlineKeyboardButton:
    """A button whose data is signed for the chat it is sent to."""
    return InlineKeyboardButton(label, callback_data=codec.encode(chat_id, action, *args))


def signed_markup(
    codec: CallbackCodec, chat_id: int, keyboard: Keyboard
) -> InlineKeyboardMarkup | None:
    """A help-desk view's buttons (`texts.Keyboard`), signed for the chat they are sent to."""
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [
            [signed_button(codec, chat_id, b.label, b.action, *b.args) for b in row]
            for row in keyboard
        ]
    )


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


class ButtonFlow(Protocol):
    """A handler class that owns some button actions."""

    ACTIONS: ClassVar[frozenset[Action]]

    async def dispatch(self, press: ButtonPress) -> bool:
        """Handle a press of one of `ACTIONS`; False when it cannot (stale, not the presser's)."""
        ...


ButtonHandler = Callable[[ButtonPress], Awaitable[bool]]


class ButtonRouter:
    """Every inline button: verified once, then routed by its action to the one flow that owns
    it; forged or stale buttons expire."""

    def __init__(
        self,
        codec: Callable[[], CallbackCodec],
        language_of: Callable[[User], Awaitable[Lang]],
        flows: Sequence[ButtonFlow],
    ) -> None:
        self.codec = codec
        self.language_of = language_of
        # One route per action code: each flow says which buttons are its own.
        self.routes: dict[str, ButtonHandler] = {}
        for flow in flows:
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
        callback = self.codec().decode(message.chat_id, query.data) if message else None
        lang = await self.language_of(user)
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
