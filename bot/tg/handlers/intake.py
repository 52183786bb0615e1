"""Handlers for practical help: asking for it, registering as a volunteer, /status, /cancel and
/forgetme. The volunteer's buttons are in `volunteer.py`, the staff chat's in `staff.py`.

The rules live in `bot.helpdesk`; these handlers turn Telegram input into calls there and render
the next prompt. Every button checks the actor's role in the store, not the chat it came from.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import ClassVar

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
    User,
)
from telegram.ext import ContextTypes, filters

from bot.helpdesk import intake
from bot.helpdesk.conversations import Conversations
from bot.helpdesk.intake import Conversation, Outcome
from bot.helpdesk.models import CATEGORIES, TIMINGS, HelpRequest
from bot.messages import escape, say, say_html
from bot.storage import now
from bot.tg.buttons import ButtonPress, acknowledge, callback_int, drop_buttons, signed_button
from bot.tg.callbacks import Callback
from bot.tg.handlers.resident import ResidentHandlers, send_html
from bot.tg.runtime import Runtime
from bot.tg.sender import from_person
from bot.types import Action, Lang, lang_or_english

logger = logging.getLogger(__name__)


class InConversation(filters.MessageFilter):
    """Messages from someone in the middle of an intake conversation (asked from memory: the
    help desk keeps who is talking, so no database read decides the route)."""

    def __init__(self, conversations: Conversations) -> None:
        super().__init__(name="InConversation")
        self.conversations = conversations

    def filter(self, message: Message) -> bool:
        return message.from_user is not None and self.conversations.is_talking(message.from_user.id)


class HelpDeskHandlers:
    """Practical help, from the resident's first tap to the volunteer's "Done"."""

    # The buttons `dispatch` handles.
    ACTIONS: ClassVar[frozenset[Action]] = frozenset(
        {
            Action.PRACTICAL_HELP,
            Action.CHOOSE,
            Action.BACK,
            Action.QUIT,
            Action.SEND,
            Action.RESUME,
            Action.SWITCH,
            Action.SEND_ANYWAY,
            Action.RESIDENT_CANCEL,
            Action.FORGET_YES,
            Action.FORGET_NO,
        }
    )

    def __init__(self, runtime: Runtime, residents: ResidentHandlers) -> None:
        self.rt = runtime
        self.desk = runtime.desk
        self.residents = residents

    # -- prompts ----------------------------------------------------------------------------

    def _button(self, chat_id: int, label: str, action: str, *args: str) -> InlineKeyboardButton:
        return signed_button(self.rt.codec, chat_id, label, action, *args)

    def _nav(self, chat_id: int, lang: Lang, back: bool = True) -> list[InlineKeyboardButton]:
        row = [self._button(chat_id, say("button_intake_cancel", lang), Action.QUIT)]
        if back:
            row.insert(0, self._button(chat_id, say("button_intake_back", lang), Action.BACK))
        return row

    def _choices(
        self, chat_id: int, options: Sequence[tuple[str, str]], width: int = 2
    ) -> list[list[InlineKeyboardButton]]:
        buttons = [self._button(chat_id, label, Action.CHOOSE, value) for value, label in options]
        return [buttons[i : i + width] for i in range(0, len(buttons), width)]

    def _summary(self, data: dict[str, str], lang: Lang) -> str:
        if data.get("contact") == "phone":
            contact = escape(data.get("phone", ""))
        else:
            contact = say("contact_choice_telegram", lang)
        lines = [
            f"<b>{say('label_help', lang)}</b>: {say('category_' + data['category'], lang)}",
            f"<b>{say('label_description', lang)}</b>: {escape(data.get('description', ''))}",
            f"<b>{say('label_area', lang)}</b>: {escape(data.get('area', ''))}",
            f"<b>{say('label_when', lang)}</b>: {say('timing_' + data['timing'], lang)}",
            f"<b>{say('label_contact', lang)}</b>: {contact}",
        ]
        return "\n".join(lines)

    def prompt(
        self, chat_id: int, conversation: Conversation
    ) -> tuple[str, InlineKeyboardMarkup | ReplyKeyboardMarkup]:
        """The question for the conversation's current step, with its buttons."""
        lang = lang_or_english(conversation.data.get("lang"))
        step = conversation.step
        if conversation.kind == "volunteer":
            return self._volunteer_prompt(chat_id, conversation, lang)
        options: list[tuple[str, str]]
        if step == "category":
            options = [(c, say(f"category_{c}", lang)) for c in CATEGORIES]
            rows = [*self._choices(chat_id, options), self._nav(chat_id, lang, back=False)]
            return say("intake_category", lang), InlineKeyboardMarkup(rows)
        if step in ("description", "area"):
            return say(f"intake_{step}", lang), InlineKeyboardMarkup([self._nav(chat_id, lang)])
        if step == "timing":
            options = [(t, say(f"timing_{t}", lang)) for t in TIMINGS]
            rows = [*self._choices(chat_id, options, 3), self._nav(chat_id, lang)]
            return say("intake_timing", lang), InlineKeyboardMarkup(rows)
        if step == "contact":
            options = [
                ("telegram", say("contact_choice_telegram", lang)),
                ("phone", say("contact_choice_phone", lang)),
            ]
            rows = [*self._choices(chat_id, options), self._nav(chat_id, lang)]
            return say("intake_contact", lang), InlineKeyboardMarkup(rows)
        if step == "phone":
            keyboard = ReplyKeyboardMarkup(
                [
                    [KeyboardButton(say("button_share_phone", lang), request_contact=True)],
                    [say("button_intake_back", lang), say("button_intake_cancel", lang)],
                ],
                resize_keyboard=True,
                one_time_keyboard=True,
            )
            return say("intake_phone", lang), keyboard
        if step == "consent":
            days = f"{self.rt.settings.retention_days:g}"
            rows = [
                [self._button(chat_id, say("button_consent", lang), Action.CHOOSE, "yes")],
                self._nav(chat_id, lang),
            ]
            return say("intake_consent", lang, days=days), InlineKeyboardMarkup(rows)
        rows = [
            [
                self._button(
                    chat_id,
                    say("button_send_request", lang),
                    Action.SEND,
                    conversation.data.get("opened", ""),
                )
            ],
            self._nav(chat_id, lang),
        ]
        text = say_html("intake_summary", lang, {"summary": self._summary(conversation.data, lang)})
        return text, InlineKeyboardMarkup(rows)

    def _volunteer_prompt(
        self, chat_id: int, conversation: Conversation, lang: Lang
    ) -> tuple[str, InlineKeyboardMarkup]:
        step = conversation.step
        if step == "name":
            return say("volunteer_name", lang), InlineKeyboardMarkup(
                [self._nav(chat_id, lang, False)]
            )
        if step == "municipalities":
            chosen = conversation.data.get("municipalities", "").split(",")
            names = self.rt.knowledge.responder.kb.municipalities
            options = [
                (m, ("✅ " if m in chosen else "") + names[m].display_name(lang))
                for m in self._municipality_ids()
            ]
            rows = [
                *self._choices(chat_id, options),
                [self._button(chat_id, say("button_skills_done", lang), Action.CHOOSE, "done")],
                self._nav(chat_id, lang),
            ]
            return say("volunteer_municipalities", lang), InlineKeyboardMarkup(rows)
        if step == "area":
            return say("volunteer_area", lang), InlineKeyboardMarkup([self._nav(chat_id, lang)])
        if step == "skills":
            chosen = conversation.data.get("skills", "").split(",")
            options = [
                (c, ("✅ " if c in chosen else "") + say(f"category_{c}", lang)) for c in CATEGORIES
            ]
            rows = [
                *self._choices(chat_id, options),
                [self._button(chat_id, say("button_skills_done", lang), Action.CHOOSE, "done")],
                self._nav(chat_id, lang),
            ]
            return say("volunteer_skills", lang), InlineKeyboardMarkup(rows)
        if step == "phone":
            rows = [
                [self._button(chat_id, say("button_skip", lang), Action.CHOOSE, "skip")],
                self._nav(chat_id, lang),
            ]
            return say("volunteer_phone", lang), InlineKeyboardMarkup(rows)
        rows = [
            [self._button(chat_id, say("button_accept", lang), Action.CHOOSE, "yes")],
            self._nav(chat_id, lang),
        ]
        return say("volunteer_confidentiality", lang), InlineKeyboardMarkup(rows)

    def _municipality_ids(self) -> list[str]:
        """The municipalities a volunteer can sign up for, in the knowledge base's order."""
        return list(self.rt.knowledge.responder.kb.municipalities)

    async def send_prompt(self, message: Message, conversation: Conversation) -> None:
        text, markup = self.prompt(message.chat_id, conversation)
        await message.get_bot().send_message(message.chat_id, text, reply_markup=markup)

    # -- asking for help --------------------------------------------------------------------

    async def begin(self, message: Message, user: User, lang: Lang, category: str | None) -> None:
        """Start intake (from a command, a reply's button or the fallback's button)."""
        resident, _ = await self.residents.profile(user)
        if self.rt.chats.route(resident.municipality).volunteers is None:
            contact = self.rt.contact_line(resident.municipality, lang)
            await send_html(message, say("request_unavailable", lang, contact=contact))
            return
        active = [r for r in await self.desk.requests.of_resident(user.id) if r.active]
        if active:
            # Said at the start, not after six steps: the resident may mean that one.
            state = say(f"state_{active[0].state}", lang)
            await send_html(
                message, say("intake_active_already", lang, ref=active[0].ref, state=state)
            )
        conversation = intake.start_request(category)
        # "opened" lets a Send pressed again after a crash find the request it stored.
        opened = str(now())
        conversation = Conversation(
            conversation.kind,
            conversation.step,
            {**conversation.data, "lang": lang, "opened": opened},
        )
        await self.desk.conversations.save(user.id, conversation)
        await self.send_prompt(message, conversation)

    @from_person
    async def request_help(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """/requesthelp (/hjelp, /hjalp): ask vetted volunteers for practical help."""
        _, lang = await self.residents.profile(user)
        if await self._in_progress(message, user, lang, "request"):
            return
        await self.begin(message, user, lang, None)

    async def _in_progress(self, message: Message, user: User, lang: Lang, wanted: str) -> bool:
        """True when a conversation is under way: it is kept, and the user is asked whether to
        go on with it or drop it for the one `wanted` (a command never drops it silently)."""
        conversation = await self.desk.conversations.get(user.id)
        if conversation is None:
            return False
        chat = message.chat_id
        rows = [
            [self._button(chat, say("button_intake_resume", lang), Action.RESUME)],
            [
                self._button(
                    chat, say(f"button_intake_switch_{wanted}", lang), Action.SWITCH, wanted
                )
            ],
        ]
        text = say(
            "intake_in_progress", lang, current=say(f"conversation_{conversation.kind}", lang)
        )
        await message.reply_text(text, reply_markup=InlineKeyboardMarkup(rows))
        return True

    async def _advance(self, message: Message, user: User, outcome: Outcome) -> None:
        """Store the conversation's new state and ask the next question (or say what's wrong)."""
        conversation = outcome.conversation
        lang = lang_or_english(conversation.data.get("lang"))
        if outcome.error:
            await message.get_bot().send_message(message.chat_id, say(outcome.error, lang))
            await self.send_prompt(message, conversation)
            return
        if conversation.kind == "volunteer" and conversation.step == "submitted":
            await self.desk.volunteers.register(user.id, conversation, lang)
            await message.get_bot().send_message(message.chat_id, say("volunteer_submitted", lang))
            return
        await self.desk.conversations.save(user.id, conversation)
        await self.send_prompt(message, conversation)

    @from_person
    async def intake_text(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """Text from someone in the middle of a help request or a volunteer registration."""
        if not message.text:
            return
        await self.on_text(message, user, message.text)

    async def on_text(self, message: Message, user: User, text: str) -> None:
        """Typed input while the user is in a conversation."""
        conversation = await self.desk.conversations.get(user.id)
        if conversation is None:
            return
        lang = lang_or_english(conversation.data.get("lang"))
        if text == say("button_intake_cancel", lang) or intake.is_cancel(text):
            await self.quit(message, user, lang)
            return
        if intake.is_question_at(conversation, text):
            # Answered like any question; the conversation waits at the same step.
            await self.residents.reply_to_question(message, user, text)
            await self.send_prompt(message, conversation)
            return
        if text == say("button_intake_back", lang):
            await self._back(message, user, conversation)
            return
        if conversation.kind == "volunteer":
            outcome = intake.volunteer_text(conversation, text)
        else:
            outcome = intake.request_text(conversation, text)
        if not outcome.error and conversation.step == "phone" and conversation.kind == "request":
            await message.reply_text("📞 ✓", reply_markup=ReplyKeyboardRemove())
        await self._advance(message, user, outcome)

    @from_person
    async def on_contact(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """A phone number shared with Telegram's contact button."""
        if message.contact is None:
            return
        conversation = await self.desk.conversations.get(user.id)
        if conversation is None or conversation.kind != "request":
            await self.residents.not_text(update, context)
            return
        outcome = intake.request_phone(conversation, message.contact.phone_number)
        if not outcome.error:
            await message.reply_text("📞 ✓", reply_markup=ReplyKeyboardRemove())
        await self._advance(message, user, outcome)

    async def _back(self, message: Message, user: User, conversation: Conversation) -> None:
        if conversation.kind == "volunteer":
            previous = intake.volunteer_back(conversation)
        else:
            previous = intake.request_back(conversation)
        if conversation.step == "phone":
            await message.reply_text("⬅️", reply_markup=ReplyKeyboardRemove())
        await self._advance(message, user, Outcome(previous))

    async def quit(self, message: Message, user: User, lang: Lang) -> None:
        await self.desk.conversations.end(user.id)
        await message.get_bot().send_message(
            message.chat_id, say("intake_cancelled", lang), reply_markup=ReplyKeyboardRemove()
        )

    async def _send_request(self, message: Message, user: User, conversation: Conversation) -> None:
        lang = lang_or_english(conversation.data.get("lang"))
        resident, _ = await self.residents.profile(user)
        request, duplicate = await self.desk.requests.submit(
            user.id, user.first_name, user.username, resident.municipality, lang, conversation
        )
        if duplicate:
            # The conversation stays at its last step: "send anyway" stores it after all.
            state = say(f"state_{request.state}", lang)
            anyway = self._button(
                message.chat_id, say("button_send_anyway", lang), Action.SEND_ANYWAY
            )
            await send_html(
                message,
                say("request_duplicate", lang, ref=request.ref, state=state),
                InlineKeyboardMarkup([[anyway]]),
            )
            return
        await send_html(message, say("request_stored", lang, ref=request.ref))

    # -- /status, /cancel, /forgetme ----------------------------------------------------------

    def _status_line(self, request: HelpRequest, lang: Lang) -> str:
        category = say(f"category_{request.category}", lang)
        state = say(f"state_{request.state}", lang)
        return f"• <b>{escape(request.ref)}</b> · {category} · {state}"

    def _cancel_buttons(
        self, chat_id: int, requests: list[HelpRequest], lang: Lang
    ) -> InlineKeyboardMarkup | None:
        rows = [
            [
                self._button(
                    chat_id,
                    say("button_cancel_request", lang, ref=r.ref),
                    Action.RESIDENT_CANCEL,
                    str(r.id),
                )
            ]
            for r in requests
            if r.active
        ]
        return InlineKeyboardMarkup(rows) if rows else None

    @from_person
    async def status(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """/status: the resident's requests and where each one stands."""
        _, lang = await self.residents.profile(user)
        requests = await self.desk.requests.of_resident(user.id)
        if not requests:
            await message.reply_text(say("status_none", lang))
            return
        lines = [say("status_title", lang), *(self._status_line(r, lang) for r in requests[:20])]
        await send_html(
            message, "\n".join(lines), self._cancel_buttons(message.chat_id, requests, lang)
        )

    @from_person
    async def cancel(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """/cancel: leave the conversation in progress, or cancel a request."""
        _, lang = await self.residents.profile(user)
        conversation = await self.desk.conversations.get(user.id)
        if conversation is not None:
            await self.quit(message, user, lang_or_english(conversation.data.get("lang")))
            return
        active = [r for r in await self.desk.requests.of_resident(user.id) if r.active]
        if not active:
            await message.reply_text(say("cancel_nothing", lang))
            return
        await message.reply_text(
            say("cancel_which", lang),
            reply_markup=self._cancel_buttons(message.chat_id, active, lang),
        )

    @from_person
    async def forget(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """/forgetme: erase everything about the resident, after they confirm."""
        _, lang = await self.residents.profile(user)
        rows = [
            [
                self._button(message.chat_id, say("button_forget_yes", lang), Action.FORGET_YES),
                self._button(message.chat_id, say("button_forget_no", lang), Action.FORGET_NO),
            ]
        ]
        await message.reply_text(
            say("forget_confirm", lang), reply_markup=InlineKeyboardMarkup(rows)
        )

    # -- volunteers -------------------------------------------------------------------------

    @from_person
    async def volunteer(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """/volunteer: register to help, for staff to vet."""
        _, lang = await self.residents.profile(user)
        if await self._in_progress(message, user, lang, "volunteer"):
            return
        await self._start_volunteer(message, user, lang)

    async def _start_volunteer(self, message: Message, user: User, lang: Lang) -> None:
        existing = await self.desk.volunteers.get(user.id)
        if existing is not None and existing.state in ("pending", "approved"):
            state = say(f"volunteer_state_{existing.state}", lang)
            await message.reply_text(say("volunteer_already", lang, state=state))
            return
        resident, _ = await self.residents.profile(user)
        conversation = intake.start_volunteer(resident.municipality)
        conversation = Conversation(
            "volunteer", conversation.step, {**conversation.data, "lang": lang}
        )
        await self.desk.conversations.save(user.id, conversation)
        await self.send_prompt(message, conversation)

    # -- buttons ----------------------------------------------------------------------------

    async def dispatch(self, press: ButtonPress) -> bool:
        """Handle the buttons of practical help; False when the button is not one of them."""
        query, message, user, callback, lang, _ = press
        action = callback.action
        if action == Action.PRACTICAL_HELP:
            category = callback.arg(0) or None
            await acknowledge(query)
            _, profile_lang = await self.residents.profile(user)
            await self.begin(
                message,
                user,
                lang_or_english(callback.arg(1)) if callback.arg(1) else profile_lang,
                category,
            )
            return True
        if action in (Action.CHOOSE, Action.BACK, Action.QUIT, Action.SEND):
            return await self._conversation_button(query, message, user, callback)
        if action in (Action.RESUME, Action.SWITCH):
            return await self._resume_or_switch(query, message, user, callback)
        if action == Action.SEND_ANYWAY:
            conversation = await self.desk.conversations.get(user.id)
            if (
                conversation is None
                or conversation.kind != "request"
                or conversation.step != "confirm"
            ):
                return False
            await acknowledge(query)
            await drop_buttons(query)
            anyway = Conversation("request", "confirm", {**conversation.data, "anyway": "1"})
            await self._send_request(message, user, anyway)
            return True
        if action == Action.RESIDENT_CANCEL:
            request = await self.desk.requests.cancel_by_resident(
                callback_int(callback.arg(0)), user.id
            )
            if request is None:
                return False
            await acknowledge(query)
            await drop_buttons(query)
            # In the language /cancel asked in, whatever the request was made in.
            await send_html(message, say("notice_cancelled", lang, ref=request.ref))
            return True
        if action in (Action.FORGET_YES, Action.FORGET_NO):
            await acknowledge(query)
            await drop_buttons(query)
            if action == Action.FORGET_NO:
                await message.reply_text(say("forget_kept", lang))
                return True
            await self.rt.forget_person(user.id)
            await message.reply_text(say("forget_done", lang), reply_markup=ReplyKeyboardRemove())
            return True
        return False

    async def _resume_or_switch(
        self, query: CallbackQuery, message: Message, user: User, callback: Callback
    ) -> bool:
        """Go on with the conversation under way, or drop it and start the one asked for."""
        await acknowledge(query)
        await drop_buttons(query)
        conversation = await self.desk.conversations.get(user.id)
        if callback.action == Action.RESUME:
            if conversation is not None:
                await self.send_prompt(message, conversation)
            return True
        wanted = callback.arg(0)
        if wanted not in ("request", "volunteer"):
            return False
        await self.desk.conversations.end(user.id)
        _, lang = await self.residents.profile(user)
        if wanted == "request":
            await self.begin(message, user, lang, None)
        else:
            await self._start_volunteer(message, user, lang)
        return True

    async def _conversation_button(
        self, query: CallbackQuery, message: Message, user: User, callback: Callback
    ) -> bool:
        conversation = await self.desk.conversations.get(user.id)
        if callback.action == Action.SEND and (
            conversation is None or conversation.step != "confirm"
        ):
            return await self._sent_already(query, message, user, callback.arg(0))
        if conversation is None:
            return False
        await acknowledge(query)
        await drop_buttons(query)
        lang = lang_or_english(conversation.data.get("lang"))
        if callback.action == Action.QUIT:
            await self.quit(message, user, lang)
        elif callback.action == Action.BACK:
            await self._back(message, user, conversation)
        elif callback.action == Action.SEND:
            if conversation.kind != "request" or conversation.step != "confirm":
                return False
            await self._send_request(message, user, conversation)
        elif conversation.kind == "volunteer":
            await self._advance(
                message,
                user,
                intake.volunteer_choice(conversation, callback.arg(0), self._municipality_ids()),
            )
        else:
            await self._advance(message, user, intake.request_choice(conversation, callback.arg(0)))
        return True

    async def _sent_already(
        self, query: CallbackQuery, message: Message, user: User, opened: str
    ) -> bool:
        """Send pressed for a conversation already stored (a redelivery): repeat its reference."""
        if not opened.isdigit():
            return False
        request = await self.desk.requests.stored_since(user.id, int(opened))
        if request is None:
            return False
        await acknowledge(query)
        await drop_buttons(query)
        _, lang = await self.residents.profile(user, request.language)
        await send_html(message, say("request_stored", lang, ref=request.ref))
        return True
