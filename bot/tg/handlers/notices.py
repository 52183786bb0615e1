"""Urgent notices: residents subscribe and unsubscribe; staff write, check and send a notice
in the staff chat, and pause, resume, cancel or end it.

Staff's flow, made for people who are not programmers: `/notice asker` (or `/notice all`);
the bot asks for the text in each language in turn, as a message to reply to; then it shows
each language's message exactly as residents will get it, says how many will get it, and
offers Send and Discard. With NOTICE_NEEDS_SECOND_STAFF, Send must be pressed by a staff
member other than the one who wrote it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from contextlib import suppress
from typing import Any, ClassVar

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.console.auth import notice_target
from bot.helpdesk.routing import may_write_notice
from bot.messages import say
from bot.notices.service import MAX_NOTICE_CHARACTERS, Notice, notice_languages, previews
from bot.tg.buttons import ButtonPress, acknowledge, callback_int, note_under, signed_button
from bot.tg.handlers.resident import ResidentHandlers
from bot.tg.handlers.staff import StaffHandlers
from bot.tg.keyboards import Keyboards
from bot.tg.notices import redraw_progress, target_name
from bot.tg.runtime import Runtime
from bot.tg.sender import from_person
from bot.types import Action, Lang

logger = logging.getLogger(__name__)

ALL = ("all", "alle", "alla")
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


class NoticeHandlers:
    """/subscribe, /unsubscribe and the offer after a municipality is chosen; /notice and its
    buttons in the staff chat."""

    ACTIONS: ClassVar[frozenset[Action]] = frozenset(
        {
            Action.NOTICES_YES,
            Action.NOTICES_NO,
            Action.NOTICE_SEND,
            Action.NOTICE_DISCARD,
            Action.NOTICE_PAUSE,
            Action.NOTICE_RESUME,
            Action.NOTICE_CANCEL,
            Action.NOTICE_END,
        }
    )

    def __init__(self, runtime: Runtime, staff: StaffHandlers, resident: ResidentHandlers) -> None:
        self.rt = runtime
        self.staff = staff
        self.resident = resident

    # -- residents ------------------------------------------------------------------------

    async def offer(
        self, chat_id: int, user_id: int, municipality: str, lang: Lang
    ) -> tuple[str, list[InlineKeyboardButton]] | None:
        """Asked once, in the message that confirms a municipality: its urgent notices?"""
        if await self.rt.subscriptions.choice(user_id, municipality) is not None:
            return None
        kb = self.rt.knowledge.responder.kb
        name = kb.municipalities[municipality].display_name(lang)
        keyboards = Keyboards(self.rt.codec, chat_id, lang)
        row = [
            keyboards.button(say("button_notices_yes", lang), Action.NOTICES_YES, municipality),
            keyboards.button(say("button_notices_no", lang), Action.NOTICES_NO, municipality),
        ]
        return say("notices_offer", lang, name=name), row

    @from_person
    async def subscribe(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """Urgent notices from the resident's municipality, from now on."""
        resident, lang = await self.rt.resident_language(user.id, app=user.language_code)
        kb = self.rt.knowledge.responder.kb
        if resident.municipality not in kb.municipalities:
            keyboards = Keyboards(self.rt.codec, message.chat_id, lang)
            await message.reply_text(
                say("notices_need_municipality", lang), reply_markup=keyboards.municipalities(kb)
            )
            return
        assert resident.municipality is not None
        await self.rt.subscriptions.set(user.id, resident.municipality, True)
        name = kb.municipalities[resident.municipality].display_name(lang)
        await message.reply_text(say("notices_subscribed", lang, name=name))

    @from_person
    async def unsubscribe(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """No more urgent notices, from any municipality."""
        _, lang = await self.rt.resident_language(user.id, app=user.language_code)
        ended = await self.rt.subscriptions.unsubscribe_all(user.id)
        await message.reply_text(
            say("notices_unsubscribed" if ended else "notices_not_subscribed", lang)
        )

    async def _answer_offer(self, press: ButtonPress) -> bool:
        query, _, user, callback, lang, _ = press
        municipality = callback.arg(0)
        kb = self.rt.knowledge.responder.kb
        if municipality not in kb.municipalities:
            return False
        wanted = callback.action == Action.NOTICES_YES
        await self.rt.subscriptions.set(user.id, municipality, wanted)
        await acknowledge(query)
        name = kb.municipalities[municipality].display_name(lang)
        answer = (
            say("notices_subscribed", lang, name=name) if wanted else say("notices_declined", lang)
        )
        keyboards = Keyboards(self.rt.codec, press.message.chat_id, lang)
        # The confirmation stays; the offer's line and buttons give way to the answer.
        text = f"{say('municipality_set', lang, name=name)}\n\n{answer}"
        with suppress(BadRequest):
            await query.edit_message_text(text, reply_markup=keyboards.only_menu())
        return True

    # -- staff: writing a notice ----------------------------------------------------------

    def _choices(self, places: frozenset[str] = frozenset()) -> str:
        """What /notice takes here: in a municipality's own chat only its municipalities."""
        if places:
            return ", ".join(sorted(places))
        return ", ".join([*self.rt.knowledge.responder.kb.municipalities, ALL[0]])

    def _lang(self, chat_id: int) -> Lang:
        return self.staff.chat_language(chat_id)

    async def _audit(self, user: User | None, action: str, notice: Notice) -> None:
        """A notice's change made in a staff chat, in the audit log as the console's are."""
        if user is None:
            return
        about = notice_target(notice, self.rt.knowledge.responder.kb.municipalities)
        await self.staff.audit(user, f"notice_{action}", about, (notice.municipality,))

    @from_person
    async def notice(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """Start writing a notice: /notice asker, or /notice all."""
        lang = self._lang(message.chat_id)
        scope = await self.staff.scope(context.bot, user.id)
        if not scope.is_staff:
            await message.reply_text(say("staff_only_command", lang))
            return
        # In a municipality's own staff chat: notices to that municipality only.
        places = self.rt.chats.municipalities_of_staff_chat(message.chat_id)
        choices = self._choices(frozenset() if scope.everywhere else places)
        value = " ".join(context.args or []).strip()
        municipality: str | None = None
        if not value and len(places) == 1:
            (municipality,) = places  # its own chat names the municipality already
        elif not value:
            await message.reply_text(say("staff_notice_usage", lang, choices=choices))
            return
        elif value.lower() not in ALL:
            municipality = self.resident.resolve_municipality(value)
            if municipality is None:
                await message.reply_text(
                    say("staff_notice_unknown", lang, value=value[:60], choices=choices)
                )
                return
        if not may_write_notice(scope, municipality, places):
            await message.reply_text(say("staff_notice_not_yours", lang, choices=choices))
            return
        kb = self.rt.knowledge.responder.kb
        draft = await self.rt.notices.create(
            municipality,
            notice_languages(kb.municipalities, municipality),
            user.id,
            message.chat_id,
        )
        await self._prompt(message, draft)

    async def _prompt(self, message: Message, draft: Notice) -> None:
        """Ask for the next language's text, as a message staff reply to."""
        lang = draft.missing
        assert lang is not None
        staff_lang = self._lang(message.chat_id)
        count = await self.rt.subscriptions.count(draft.municipality)
        text = say(
            "staff_notice_write",
            staff_lang,
            id=str(draft.id),
            target=target_name(self.rt, draft.municipality, staff_lang),
            count=str(count),
            language=say(f"lang_name_{lang}", staff_lang),
        )
        prompt = await message.reply_text(text, reply_markup=ForceReply(selective=True))
        await self.rt.notices.prompted(draft.id, prompt.message_id)

    def replies(self, otherwise: Handler) -> Handler:
        """The staff chat's replies: a notice's text when it answers a notice's prompt, else
        `otherwise` (a staff answer to a resident's question)."""

        async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            """A reply in the staff chat: a notice's text, or an answer to a resident."""
            message, user = update.effective_message, update.effective_user
            if message is None or user is None or message.reply_to_message is None:
                return
            draft = await self.rt.notices.by_prompt(
                message.chat_id, message.reply_to_message.message_id
            )
            if draft is None:
                await otherwise(update, context)
                return
            if user.is_bot or not await self.staff.is_staff(context.bot, user.id):
                return
            await self._text(message, draft)

        return reply

    async def _text(self, message: Message, draft: Notice) -> None:
        text = (message.text or "").strip()
        lang = draft.missing
        if lang is None:
            return
        staff_lang = self._lang(message.chat_id)
        if not text:
            await message.reply_text(say("staff_notice_empty", staff_lang))
            return
        if len(text) > MAX_NOTICE_CHARACTERS:
            await message.reply_text(
                say(
                    "staff_notice_too_long",
                    staff_lang,
                    length=str(len(text)),
                    limit=str(MAX_NOTICE_CHARACTERS),
                )
            )
            return
        notice = await self.rt.notices.add_text(draft.id, lang, text)
        if notice.taken_over_by is not None:
            # Taken over in the console just now: this text was not kept (the chat is told).
            return
        if notice.missing is not None:
            await self._prompt(message, notice)
            return
        # Written: as the console's, the notice is in the audit log once it has its texts.
        await self._audit(message.from_user, "create", notice)
        await self._preview(message, notice)

    async def _preview(self, message: Message, notice: Notice) -> None:
        """Each language's message exactly as residents get it, then how many will, and the
        buttons to send or discard it."""
        kb = self.rt.knowledge.responder.kb
        staff_lang = self._lang(message.chat_id)
        for lang, shown in previews(notice, kb.municipalities):
            language = say(f"lang_name_{lang}", staff_lang)
            await message.reply_text(say("staff_notice_preview", staff_lang, language=language))
            await message.get_bot().send_message(message.chat_id, shown)
        count = await self.rt.subscriptions.count(notice.municipality)
        values = {
            "id": str(notice.id),
            "count": str(count),
            "target": target_name(self.rt, notice.municipality, staff_lang),
            "languages": ", ".join(notice.languages),
        }
        second = self.rt.settings.notice_needs_second_staff
        if second:
            who = message.from_user.first_name if message.from_user else ""
            text = say("staff_notice_confirm_second", staff_lang, who=who, **values)
        else:
            text = say("staff_notice_confirm", staff_lang, **values)
        send_key = "button_notice_approve" if second else "button_notice_send"
        codec, chat = self.rt.codec, message.chat_id
        markup = InlineKeyboardMarkup(
            [
                [
                    signed_button(
                        codec,
                        chat,
                        say(send_key, staff_lang, count=str(count)),
                        Action.NOTICE_SEND,
                        str(notice.id),
                    ),
                    signed_button(
                        codec,
                        chat,
                        say("button_notice_discard", staff_lang),
                        Action.NOTICE_DISCARD,
                        str(notice.id),
                    ),
                ]
            ]
        )
        await message.get_bot().send_message(chat, text, reply_markup=markup)

    # -- buttons --------------------------------------------------------------------------

    async def dispatch(self, press: ButtonPress) -> bool:
        """The offer's Yes and No; staff's Send, Discard, Pause, Resume, Cancel and End."""
        query, message, user, callback, _, context = press
        action = callback.action
        if action in (Action.NOTICES_YES, Action.NOTICES_NO):
            return await self._answer_offer(press)
        staff_lang = self._lang(message.chat_id)
        scope = await self.staff.scope(context.bot, user.id)
        if not scope.is_staff:
            await acknowledge(query, say("staff_only_button", staff_lang), alert=True)
            return True
        notice_id = callback_int(callback.arg(0))
        notice = await self.rt.notices.get(notice_id)
        if notice is None or notice.staff_chat_id != message.chat_id:
            return False
        if not may_write_notice(scope, notice.municipality):
            place = target_name(self.rt, notice.municipality, staff_lang)
            await acknowledge(query, say("staff_not_yours", staff_lang, place=place), alert=True)
            return True
        who = user.first_name or say("staff_someone", staff_lang)
        if action == Action.NOTICE_SEND:
            return await self._send(press, notice, who)
        if action == Action.NOTICE_DISCARD:
            discarded = await self.rt.notices.discard(notice.id)
            if discarded.state != "discarded":
                await acknowledge(query, say("staff_notice_not_ready", staff_lang), alert=True)
                return True
            await self._audit(user, "discard", discarded)
            await acknowledge(query)
            await note_under(
                query, message, say("staff_notice_discarded", staff_lang, who=who), None
            )
            return True
        # Each button's change, and its name in the audit log.
        changes = {
            Action.NOTICE_PAUSE: ("pause", self.rt.notices.pause),
            Action.NOTICE_RESUME: ("resume", self.rt.notices.resume),
            Action.NOTICE_CANCEL: ("cancel", self.rt.notices.cancel),
            Action.NOTICE_END: ("end", self.rt.notices.end),
        }
        name, change = changes[Action(action)]
        changed = await change(notice.id)
        if (changed.ended_at, changed.state) != (notice.ended_at, notice.state):
            await self._audit(user, name, changed)
        await acknowledge(query)
        if action == Action.NOTICE_END:
            await self.rt.show_notices()
        self.rt.notice_wake.set()
        await redraw_progress(self.rt, context.bot, changed)
        logger.info("notice %d: %s by staff", notice.id, changed.state)
        return True

    async def _send(self, press: ButtonPress, notice: Notice, who: str) -> bool:
        query, message, user, _, _, _ = press
        staff_lang = self._lang(message.chat_id)
        outcome, started = await self.rt.notices.start(notice.id, user.id)
        if outcome == "needs_second":
            await acknowledge(query, say("staff_notice_needs_second", staff_lang), alert=True)
            return True
        if outcome != "started" or started is None:
            await acknowledge(query, say("staff_notice_not_ready", staff_lang), alert=True)
            return True
        await self._audit(user, "start", started)
        await acknowledge(query)
        await note_under(query, message, say("staff_notice_started", staff_lang, who=who), None)
        logger.info("notice %d started: %s recipients", started.id, started.recipients)
        # The sender posts the progress message: one owner, so it is posted once.
        self.rt.notice_wake.set()
        # An answer from now on, while it goes out.
        await self.rt.show_notices()
        return True
