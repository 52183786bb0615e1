"""Handlers for residents in private chats. Thin: the answer function does the thinking."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import ClassVar

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.answering import Reply
from bot.messages import escape, say
from bot.storage.records import Question, Resident
from bot.tg import keyboards as kbd
from bot.tg.buttons import ButtonPress, acknowledge
from bot.tg.callbacks import Callback
from bot.tg.errors import not_modified
from bot.tg.flood import FloodVerdict
from bot.tg.keyboards import Keyboards
from bot.tg.render import split_message
from bot.tg.runtime import Runtime
from bot.tg.sender import from_person
from bot.types import Action, Lang, to_lang

logger = logging.getLogger(__name__)

# What a municipality's "set" message adds: a line and a row of buttons (the notices offer).
Addition = tuple[str, list[InlineKeyboardButton]]
MunicipalityChosen = Callable[[int, int, str, Lang], Awaitable[Addition | None]]

# Kept per user in memory: the last question, offered to staff after a 👎.


async def send_html(
    message: Message, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> Message:
    """Reply in the same chat, split at Telegram's limit; buttons go under the last part."""
    chunks = split_message(text)
    sent = message
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        sent = await message.get_bot().send_message(
            message.chat_id, chunk, reply_markup=keyboard if last else None
        )
    return sent


class ResidentHandlers:
    """Everything a resident can do in a private chat with the bot."""

    # The buttons `dispatch` handles.
    ACTIONS: ClassVar[frozenset[Action]] = frozenset(
        {
            Action.SET_MUNICIPALITY,
            Action.SET_LANGUAGE,
            Action.MENU,
            Action.TOPIC,
            Action.ENTRY,
            Action.FEEDBACK,
            Action.ASK_STAFF,
            Action.ANSWER_FOR,
            Action.NONE_OF_THESE,
        }
    )

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        # Called after a resident chooses a municipality (the offer of its urgent notices).
        self.after_municipality: MunicipalityChosen | None = None

    async def municipality_set(
        self, chat_id: int, user_id: int, municipality: str, lang: Lang
    ) -> tuple[str, InlineKeyboardMarkup]:
        """The message that confirms a municipality, with what `after_municipality` adds."""
        kb = self.rt.knowledge.responder.kb
        name = kb.municipalities[municipality].display_name(lang)
        text = say("municipality_set", lang, name=name)
        menu = [self.keyboards(chat_id, lang).menu_button()]
        added = None
        if self.after_municipality is not None:
            added = await self.after_municipality(chat_id, user_id, municipality, lang)
        if added is None:
            return text, InlineKeyboardMarkup([menu])
        return f"{text}\n\n{added[0]}", InlineKeyboardMarkup([added[1], menu])

    # -- helpers --------------------------------------------------------------------------

    async def profile(self, user: User, said: str | None = None) -> tuple[Resident, Lang]:
        """The resident's stored choices and the language to talk to them in; `said` is the
        language of what they said, when something tells it (see `conversation_language`)."""
        return await self.rt.resident_language(user.id, said, user.language_code)

    def keyboards(self, chat_id: int, lang: Lang) -> Keyboards:
        return Keyboards(self.rt.codec, chat_id, lang)

    def resolve_municipality(self, value: str) -> str | None:
        """A municipality from a slug or a name as residents write it ("Öckerö", "hallsta")."""
        kb = self.rt.knowledge.responder.kb
        slug = value.strip().lower()
        if slug in kb.municipalities:
            return slug
        return self.rt.knowledge.responder.mentioned_municipality(value)

    async def reply_to_question(
        self,
        message: Message,
        user: User,
        text: str,
        municipality: str | None = None,
        check_emergency: bool = True,
        update_id: int | None = None,
    ) -> None:
        """Answer `text` for this resident and send it with the buttons its kind calls for.

        With `update_id` (the answer is the last thing its update needs), the commit that
        records the answer also marks the update done.
        """
        resident, lang = await self.profile(user)
        responder = self.rt.knowledge.responder
        started = time.perf_counter()
        reply = responder.answer(
            text,
            municipality or resident.municipality,
            lang,
            check_emergency=check_emergency,
            chosen_language=resident.language,
        )
        self.rt.metrics.reply(reply.kind, reply.resident_language, time.perf_counter() - started)
        question_id = None
        if reply.kind in ("fallback", "clarify", "answer"):
            # An answer's question too: its 👍/👎 count once, and 👎 hands this very question
            # to staff.
            question_id = await self.rt.questions.record(
                user.id,
                reply.municipality or resident.municipality,
                reply.resident_language,
                text,
                "answered" if reply.kind == "answer" else reply.kind,
                reply.entry_id,
                update_id,
                # Committed before the answer goes (its buttons carry the id), not awaited to
                # the fsync: the resident does not wait for the disk.
                durable=False,
            )
        keyboard = self.keyboards(message.chat_id, reply.resident_language).for_reply(
            reply, question_id, responder.kb
        )
        sent = await send_html(message, reply.text, keyboard)
        if update_id is not None:
            await self.rt.inbox.mark_answered(update_id, question_id, sent.message_id)
        await self.rt.remember_language(user.id, reply.resident_language)
        logger.info(
            "reply kind=%s entry=%s score=%.0f lang=%s",
            reply.kind,
            reply.entry_id,
            reply.score,
            reply.language,
        )

    # -- commands -------------------------------------------------------------------------

    @from_person
    async def start(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """Greet the resident and ask for their municipality."""
        # In their app's language at first.
        # Nothing is stored as their choice: only /language is one.
        _, lang = await self.profile(user)
        name = f", {user.first_name}" if user.first_name else ""
        keyboards = self.keyboards(message.chat_id, lang)
        await message.reply_text(
            say("start", lang, name=name),
            reply_markup=keyboards.municipalities(self.rt.knowledge.responder.kb),
        )

    @from_person
    async def municipality(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """Show municipality buttons, or set it directly: /municipality asker."""
        _, lang = await self.profile(user)
        kb = self.rt.knowledge.responder.kb
        keyboards = self.keyboards(message.chat_id, lang)
        value = " ".join(context.args or []).strip()
        if not value:
            await message.reply_text(
                say("choose_municipality", lang), reply_markup=keyboards.municipalities(kb)
            )
            return
        chosen = self.resolve_municipality(value)
        if chosen is None:
            choices = ", ".join(kb.municipalities)
            await message.reply_text(
                say("municipality_unknown", lang, value=value[:60], choices=choices),
                reply_markup=keyboards.municipalities(kb),
            )
            return
        await self.rt.residents.save(user.id, municipality=chosen)
        text, markup = await self.municipality_set(message.chat_id, user.id, chosen, lang)
        await message.reply_text(text, reply_markup=markup)

    @from_person
    async def language(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """Show language buttons, or set it directly: /language en."""
        _, lang = await self.profile(user)
        value = " ".join(context.args or []).strip().lower()
        if not value:
            keyboards = self.keyboards(message.chat_id, lang)
            await message.reply_text(
                say("choose_language", lang), reply_markup=keyboards.languages()
            )
            return
        chosen = to_lang(value, strict=True)
        if chosen is None:
            await message.reply_text(say("language_unknown", lang, value=value[:20]))
            return
        await self.rt.residents.save(user.id, language=chosen)
        await message.reply_text(say("language_set", chosen))

    @from_person
    async def help(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """Explain what the bot can do."""
        _, lang = await self.profile(user)
        keyboards = self.keyboards(message.chat_id, lang)
        await message.reply_text(say("help", lang), reply_markup=keyboards.only_menu())

    @from_person
    async def privacy(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """Say what is stored and for how long."""
        _, lang = await self.profile(user)
        days = f"{self.rt.settings.retention_days:g}"
        await message.reply_text(say("privacy", lang, days=days))

    @from_person
    async def menu(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """Show the topics of the resident's municipality."""
        resident, lang = await self.profile(user)
        text, keyboard = self.menu_view(message.chat_id, resident, lang)
        await message.reply_text(text, reply_markup=keyboard)

    def menu_view(
        self, chat_id: int, resident: Resident, lang: Lang
    ) -> tuple[str, InlineKeyboardMarkup]:
        kb = self.rt.knowledge.responder.kb
        keyboards = self.keyboards(chat_id, lang)
        if resident.municipality not in kb.municipalities:
            return say("menu_needs_municipality", lang), keyboards.municipalities(kb)
        assert resident.municipality is not None
        name = kb.municipalities[resident.municipality].display_name(lang)
        return say("menu_topics", lang, name=name), keyboards.topics(kb, resident.municipality)

    # -- messages -------------------------------------------------------------------------

    @from_person
    async def flood_guard(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """Stop a resident who sends too much; send them one notice per burst."""
        if update.callback_query is not None:
            return
        verdict = self.rt.flood.check(user.id)
        if verdict is FloodVerdict.ALLOW:
            return
        if verdict is FloodVerdict.WARN:
            _, lang = await self.profile(user)
            await message.reply_text(say("slow_down", lang))
        logger.info("flood control: user message dropped")
        raise ApplicationHandlerStop

    async def press_flood_guard(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer, and drop, button presses that come too fast in a private chat."""
        # Not in the volunteer group, where each press is a different request.
        query, user, chat = update.callback_query, update.effective_user, update.effective_chat
        if query is None or user is None or chat is None or chat.type != ChatType.PRIVATE:
            return
        verdict = self.rt.press_flood.check(user.id)
        if verdict is FloodVerdict.ALLOW:
            return
        if verdict is FloodVerdict.WARN:
            _, lang = await self.profile(user)
            await acknowledge(query, say("slow_down", lang), alert=True)
        else:
            await acknowledge(query)
        logger.info("flood control: button press dropped")
        raise ApplicationHandlerStop

    @from_person
    async def question(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """Answer a free-text question with the answer function."""
        if not message.text:
            return
        if message.reply_to_message is not None and await self._follow_up(message, user):
            return
        checked = update.update_id not in self.rt.emergency_dismissed
        await self.reply_to_question(
            message, user, message.text, check_emergency=checked, update_id=update.update_id
        )

    @from_person
    async def not_text(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """Photos, voice, stickers and the like: say that only text is understood."""
        _, lang = await self.profile(user)
        await message.reply_text(say("only_text", lang))

    async def group_redirect(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A resident command sent in a group: residents are served in private chats."""
        message = update.effective_message
        if message is None:
            return
        username = context.bot.username
        await message.reply_text(
            f"👋 https://t.me/{escape(username)}" if username else say("help", "en")
        )

    # -- buttons --------------------------------------------------------------------------

    async def dispatch(self, press: ButtonPress) -> bool:
        """Handle the resident flows' buttons; False when the button is not one of them."""
        query, message, user, callback, lang, _ = press
        kb = self.rt.knowledge.responder.kb
        keyboards = self.keyboards(message.chat_id, lang)
        action = callback.action
        if action == Action.SET_MUNICIPALITY:
            chosen = callback.arg(0)
            if chosen not in kb.municipalities:
                return False
            await self.rt.residents.save(user.id, municipality=chosen)
            await acknowledge(query)
            text, markup = await self.municipality_set(message.chat_id, user.id, chosen, lang)
            await _edit(query, text, markup)
            return True
        if action == Action.SET_LANGUAGE:
            chosen_lang = to_lang(callback.arg(0), strict=True)
            if chosen_lang is None:
                return False
            await self.rt.residents.save(user.id, language=chosen_lang)
            await acknowledge(query)
            await _edit(query, say("language_set", chosen_lang), None)
            return True
        if action == Action.MENU:
            resident, _ = await self.profile(user)
            await acknowledge(query)
            text, keyboard = self.menu_view(message.chat_id, resident, lang)
            if callback.arg(0) == kbd.MENU_IN_PLACE:
                await _edit(query, text, keyboard)
            else:
                # Under an answer: the answer stays to be read, the menu comes below it.
                await send_html(message, text, keyboard)
            return True
        if action == Action.TOPIC:
            resident, _ = await self.profile(user)
            topic = kb.topics.get(callback.arg(0))
            if topic is None or resident.municipality not in kb.municipalities:
                return False
            assert resident.municipality is not None
            await acknowledge(query)
            title = f"{topic.icon or ''} {topic.title.get(lang) or topic.title.get('en', topic.id)}"
            await _edit(
                query,
                say("menu_entries", lang, topic=title.strip()),
                keyboards.topic_entries(kb, resident.municipality, topic.id),
            )
            return True
        if action == Action.ENTRY:
            entry_id = callback.arg(0)
            if entry_id not in kb.entries:
                return False
            resident, _ = await self.profile(user)
            await acknowledge(query)
            reply = self.rt.knowledge.responder.entry_reply(entry_id, lang, resident.municipality)
            # Browsed, not asked: no text to keep, but its feedback counts once too.
            browsed = await self.rt.questions.record(
                user.id, resident.municipality, reply.resident_language, None, "browsed", entry_id
            )
            await send_html(message, reply.text, keyboards.for_reply(reply, browsed, kb))
            return True
        if action == Action.FEEDBACK:
            return await self._feedback(query, message, user, callback, lang)
        if action == Action.ASK_STAFF:
            return await self._ask_staff(query, message, user, callback, lang)
        if action in (Action.ANSWER_FOR, Action.NONE_OF_THESE):
            return await self._stored_question(query, message, user, callback, lang)
        return False

    async def _feedback(
        self,
        query: CallbackQuery,
        message: Message,
        user: User,
        callback: Callback,
        lang: Lang,
    ) -> bool:
        entry_id, vote, asked = callback.arg(0), callback.arg(1), callback.arg(2)
        kb = self.rt.knowledge.responder.kb
        if entry_id not in kb.entries or vote not in ("0", "1"):
            return False
        question = await self.rt.questions.get(int(asked)) if asked.isdigit() else None
        if question is not None and question.user_id not in (user.id, None):
            return False
        resident, lang = await self.profile(user, question.language if question else None)
        helpful = vote == "1"
        await self.rt.feedback.record(
            entry_id, helpful, resident.municipality, lang, question.id if question else None
        )
        await acknowledge(query, say("feedback_thanks", lang))
        await _drop_feedback_row(query, message)
        if not helpful:
            keyboards = self.keyboards(message.chat_id, lang)
            # The question behind this very answer, kept with it: never another one.
            markup = None
            if question is not None and question.text:
                markup = InlineKeyboardMarkup([[keyboards.ask_staff_button(question.id)]])
            await send_html(message, say("feedback_sorry", lang), markup)
        return True

    async def _follow_up(self, message: Message, user: User) -> bool:
        """A reply to a staff answer goes back to staff, in the same thread: True when it was
        one."""
        assert message.reply_to_message is not None and message.text is not None
        answered = await self.rt.questions.by_answer_message(
            user.id, message.reply_to_message.message_id
        )
        if answered is None:
            return False
        # The thread goes on in the chat the question went to, if it still is a staff chat.
        earlier = await self.rt.questions.staff_message_of(answered.id)
        route = self.rt.chats.route(answered.municipality)
        staff_chat = earlier[0] if earlier else route.staff
        if staff_chat is None:
            return False
        _, lang = await self.profile(user, self.rt.knowledge.responder.language_of(message.text))
        follow_up = await self.rt.questions.record(
            user.id, answered.municipality, lang, message.text[:1000], "follow_up"
        )
        text = say(
            "staff_resident_replied",
            route.language,
            place=answered.municipality or "-",
            text=message.text,
        )
        try:
            sent = await message.get_bot().send_message(
                staff_chat,
                split_message(text)[0],
                reply_to_message_id=earlier[1] if earlier and earlier[0] == staff_chat else None,
                allow_sending_without_reply=True,
            )
        except (BadRequest, Forbidden):
            logger.exception("could not post a follow-up to the staff chat")
            return False
        await self.rt.questions.sent_to_staff(follow_up, staff_chat, sent.message_id)
        await send_html(message, say("handoff_sent", lang))
        await self.rt.remember_language(user.id, lang)
        return True

    async def _own_question(self, user: User, callback: Callback) -> Question | None:
        """The stored question a button refers to, if it is this resident's and still kept."""
        try:
            question = await self.rt.questions.get(int(callback.arg(0)))
        except ValueError:
            return None
        if question is None or question.user_id != user.id or question.text is None:
            return None
        return question

    async def _ask_staff(
        self, query: CallbackQuery, message: Message, user: User, callback: Callback, lang: Lang
    ) -> bool:
        question = await self._own_question(user, callback)
        if question is None or question.text is None:
            return False
        # Said in the language of the question, not of whatever came after it.
        _, lang = await self.profile(user, question.language)
        if question.sent_to_staff_at is not None:
            await acknowledge(query, say("handoff_already", lang))
            return True
        kb = self.rt.knowledge.responder.kb
        route = self.rt.chats.route(question.municipality)
        staff_chat = route.staff
        await acknowledge(query)
        if staff_chat is None:
            contact = self.rt.knowledge.responder.contact_line(
                kb.municipalities.get(question.municipality or ""), lang
            )
            await send_html(message, say("handoff_unavailable", lang, contact=contact))
            return True
        text = say(
            "staff_question",
            route.language,
            place=question.municipality or "-",
            language=question.language,
            text=question.text,
        )
        try:
            sent = await send_html_to(message, staff_chat, text)
        except (BadRequest, Forbidden):
            logger.exception("could not post a question to the staff chat")
            contact = self.rt.knowledge.responder.contact_line(
                kb.municipalities.get(question.municipality or ""), lang
            )
            await send_html(message, say("handoff_unavailable", lang, contact=contact))
            return True
        await self.rt.questions.sent_to_staff(question.id, staff_chat, sent.message_id)
        await send_html(message, say("handoff_sent", lang))
        return True

    async def _stored_question(
        self, query: CallbackQuery, message: Message, user: User, callback: Callback, lang: Lang
    ) -> bool:
        question = await self._own_question(user, callback)
        if question is None or question.text is None:
            return False
        kb = self.rt.knowledge.responder.kb
        await acknowledge(query)
        _, lang = await self.profile(user, question.language)
        if callback.action == Action.ANSWER_FOR:
            chosen = callback.arg(1)
            if chosen not in kb.municipalities:
                return False
            resident, _ = await self.profile(user)
            if resident.municipality is None:
                await self.rt.residents.save(user.id, municipality=chosen)
            await self.reply_to_question(message, user, question.text, chosen)
            return True
        keyboards = self.keyboards(message.chat_id, lang)
        responder = self.rt.knowledge.responder
        contact = responder.contact_line(kb.municipalities.get(question.municipality or ""), lang)
        text = f"{say('fallback', lang)}\n\n{contact}\n\n{say('fallback_offer', lang)}"
        rows = [[keyboards.ask_staff_button(question.id)], [keyboards.practical_help_button()]]
        await send_html(message, text, InlineKeyboardMarkup(rows))
        return True


async def send_html_to(message: Message, chat_id: int, text: str) -> Message:
    """Send `text` to another chat (such as the staff chat), split at Telegram's limit."""
    sent: Message | None = None
    for chunk in split_message(text):
        sent = await message.get_bot().send_message(chat_id, chunk)
    assert sent is not None
    return sent


async def _edit(query: CallbackQuery, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    """Edit the button's message in place; an unchanged message is not an error."""
    try:
        await query.edit_message_text(text, reply_markup=keyboard)
    except BadRequest as exc:
        if not not_modified(exc):
            raise


async def _drop_feedback_row(query: CallbackQuery, message: Message) -> None:
    """Remove the 👍/👎 row after a vote, keeping the other buttons."""
    markup = message.reply_markup
    if markup is None:
        return
    rows = [
        row
        for row in markup.inline_keyboard
        if not any(button.text in ("👍", "👎") for button in row)
    ]
    try:
        await query.edit_message_reply_markup(InlineKeyboardMarkup(rows))
    except BadRequest as exc:
        if not not_modified(exc):
            raise


__all__ = ["Reply", "ResidentHandlers", "send_html"]
