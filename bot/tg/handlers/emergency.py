"""Emergency first: every private text is checked before any other handler sees it.

In the middle of a help request, a volunteer registration, after a command or at a step that
only takes buttons, a message that describes danger now gets the full emergency reply at once,
and the conversation stays where it was. A message the detector is unsure about gets the
emergency numbers as one line before whatever normally follows. Every full emergency reply has
a "this is not an emergency" button, which handles the same message again as if the detector
had found nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import ClassVar

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
)
from telegram.constants import MessageEntityType
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.answering.emergency import EmergencyLevel
from bot.messages import say
from bot.tg.buttons import ButtonPress, acknowledge
from bot.tg.handlers.intake import HelpDeskHandlers
from bot.tg.handlers.resident import ResidentHandlers, send_html
from bot.tg.runtime import Runtime
from bot.tg.sender import from_person
from bot.types import Action, Lang, lang_or_english

logger = logging.getLogger(__name__)

# Messages handled again after "this is not an emergency" get update ids below this, so they
# never collide with Telegram's (which are positive).
_REPLAYED_IDS = -(10**12)


def _argument_text(message: Message) -> str:
    """The message's text without a leading /command (whose name may be a word, as /hjelp)."""
    text = message.text or ""
    if text.startswith("/"):
        _, _, rest = text.partition(" ")
        return rest.strip()
    return text


class EmergencyHandlers:
    """The emergency guard in front of every handler, and its two buttons."""

    # The buttons `dispatch` handles.
    ACTIONS: ClassVar[frozenset[Action]] = frozenset({Action.NOT_EMERGENCY, Action.CONTINUE})

    def __init__(
        self, runtime: Runtime, residents: ResidentHandlers, helpdesk: HelpDeskHandlers
    ) -> None:
        self.rt = runtime
        self.residents = residents
        self.helpdesk = helpdesk

    def _button(
        self, chat_id: int, label: str, action: str, *args: str | int
    ) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            label, callback_data=self.rt.codec.encode(chat_id, action, *args)
        )

    @from_person
    async def guard(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """Check a private text for an emergency before anything else handles it."""
        if not message.text:
            return
        if update.update_id in self.rt.emergency_dismissed:
            return
        text = _argument_text(message)
        if not text:
            return
        responder = self.rt.knowledge.responder
        verdict = responder.assess(text)
        if verdict.level is EmergencyLevel.NONE:
            return
        conversation = await self.rt.desk.conversations.get(user.id)
        resident, profile_lang = await self.residents.profile(user)
        plain_question = conversation is None and text == message.text
        if verdict.level is EmergencyLevel.MEDIUM:
            # A plain question's answer opens with the line itself; elsewhere it comes first.
            if not plain_question:
                if conversation is not None:
                    lang: Lang = lang_or_english(conversation.data.get("lang"))
                else:
                    # A command's words: in their language, by the rule every reply follows.
                    _, lang = await self.residents.profile(user, responder.language_of(text))
                line = responder.warning_line(resident.municipality, lang, verdict.situation)
                await send_html(message, line)
            return
        reply = responder.answer(
            text, resident.municipality, profile_lang, chosen_language=resident.language
        )
        await self.rt.remember_language(user.id, reply.language)
        question_id = await self.rt.questions.record(
            user.id,
            reply.municipality or resident.municipality,
            reply.language,
            message.text,
            "emergency",
        )
        rows = [
            [
                self._button(
                    message.chat_id,
                    say("button_not_emergency", reply.language),
                    Action.NOT_EMERGENCY,
                    question_id,
                )
            ]
        ]
        body = reply.text
        if conversation is not None:
            body += "\n\n" + say("emergency_conversation_paused", reply.language)
            rows.append(
                [
                    self._button(
                        message.chat_id,
                        say("button_continue_request", reply.language),
                        Action.CONTINUE,
                    )
                ]
            )
        await send_html(message, body, InlineKeyboardMarkup(rows))
        logger.info("emergency reply situation=%s", reply.situation)
        raise ApplicationHandlerStop

    async def dispatch(self, press: ButtonPress) -> bool:
        """The emergency reply's buttons; False when the button is not one of them."""
        query, message, user, callback, _, context = press
        if callback.action == Action.CONTINUE:
            conversation = await self.rt.desk.conversations.get(user.id)
            await acknowledge(query)
            if conversation is not None:
                await self.helpdesk.send_prompt(message, conversation)
            return True
        if callback.action != Action.NOT_EMERGENCY:
            return False
        try:
            question = await self.rt.questions.get(int(callback.arg(0)))
        except ValueError:
            return False
        if question is None or question.user_id != user.id or not question.text:
            return False
        await acknowledge(query)
        replayed = _replay(message, user, question.text, _REPLAYED_IDS - question.id)
        self.rt.emergency_dismissed.add(replayed.update_id)
        try:
            await context.application.process_update(replayed)
        finally:
            self.rt.emergency_dismissed.discard(replayed.update_id)
        return True


def _replay(message: Message, user: User, text: str, update_id: int) -> Update:
    """The resident's message again, as an update the handlers can process once more."""
    entities = []
    if text.startswith("/"):
        command = text.split(" ", 1)[0]
        entities.append(MessageEntity(MessageEntityType.BOT_COMMAND, 0, len(command)))
    again = Message(
        message_id=message.message_id,
        date=datetime.now(UTC),
        chat=message.chat,
        from_user=user,
        text=text,
        entities=entities,
    )
    again.set_bot(message.get_bot())
    return Update(update_id, message=again)
