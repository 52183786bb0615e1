"""Handlers for municipal staff: reloading knowledge, unanswered questions, and handoff replies.

Staff are users listed in STAFF_USER_IDS or members of the staff chat. Staff-facing text is in
English, as it is read by the team that runs the bot.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any, ClassVar

from telegram import Bot, ChatMember, InlineKeyboardMarkup, Message, Update, User
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.answering.service import ReloadOutcome
from bot.kb.loader import Problem
from bot.kb.snapshot import Snapshot
from bot.messages import STAFF_LANG, escape, format_date, say
from bot.tg.buttons import ButtonPress, acknowledge, callback_int, note_under, signed_button
from bot.tg.render import split_message
from bot.tg.runtime import Runtime
from bot.tg.sender import from_person
from bot.types import Action, lang_or_english

logger = logging.getLogger(__name__)

MAX_PROBLEMS_SHOWN = 15
UNANSWERED_DAYS = 7
_STAFF_STATUSES = {ChatMember.OWNER, ChatMember.ADMINISTRATOR, ChatMember.MEMBER}


def describe_reload(outcome: ReloadOutcome) -> str:
    """A staff-facing summary of a reload, naming every problem with file and line."""
    if outcome.applied:
        text = say("staff_reloaded", STAFF_LANG, entries=str(outcome.entries))
        if outcome.warnings:
            text += say("staff_reloaded_warnings", STAFF_LANG, warnings=str(len(outcome.warnings)))
        problems = outcome.warnings
    else:
        text = say(
            "staff_not_reloaded",
            STAFF_LANG,
            errors=str(len(outcome.errors)),
            entries=str(outcome.entries),
        )
        problems = [*outcome.errors, *outcome.warnings]
    return "\n".join([text, *_problem_lines(problems)])


def describe_start(snapshot: Snapshot, errors: Sequence[Problem]) -> str:
    """A staff-facing notice that broken files made the bot start from its last good version."""
    taken = snapshot.taken_at.astimezone(UTC)
    when = f"{format_date(taken.date(), STAFF_LANG)} {taken:%H:%M} UTC"
    text = say(
        "knowledge_started_from_snapshot",
        STAFF_LANG,
        errors=str(len(errors)),
        date=when,
        entries=str(len(snapshot.kb.entries)),
    )
    return "\n".join([text, *_problem_lines(errors)])


def _problem_lines(problems: Sequence[Problem]) -> list[str]:
    """One line per problem with its file and line, at most MAX_PROBLEMS_SHOWN of them."""
    lines = []
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        lines.append(f"• <code>{escape(str(problem.location))}</code> {escape(problem.message)}")
    if len(problems) > MAX_PROBLEMS_SHOWN:
        lines.append(
            f"… and {len(problems) - MAX_PROBLEMS_SHOWN} more (run: python -m bot kb check)"
        )
    return lines


@dataclass(frozen=True)
class StaffPress:
    """A staff button's press: the request or volunteer it is about, and who pressed it."""

    press: ButtonPress
    target: int
    first_name: str | None

    @property
    def who(self) -> str:
        return self.first_name or say("staff_someone", STAFF_LANG)


StaffButton = Callable[["StaffHandlers", StaffPress], Coroutine[Any, Any, str | None]]

StaffCommand = Callable[
    ["StaffHandlers", Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]
]


def staff_only(command: StaffCommand) -> StaffCommand:
    """A staff command: from anyone else it answers that it is for staff, and does nothing."""

    @functools.wraps(command)
    @from_person
    async def guarded(
        handlers: StaffHandlers,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        message: Message,
        user: User,
    ) -> None:
        if not await handlers.is_staff(context.bot, user.id):
            await message.reply_text(say("staff_only_command", STAFF_LANG))
            return
        await command(handlers, update, context)

    return guarded


class StaffHandlers:
    """Commands, replies and buttons from municipal staff."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.desk = runtime.desk

    async def is_staff(self, bot: Bot, user_id: int) -> bool:
        """Listed in configuration, or a member of the staff chat (asked of Telegram, cached)."""
        # Telegram could not say: refused this time, but not remembered as "not staff", which
        # would end the person's console sessions on their next page.
        return await self.membership(bot, user_id) is True

    async def membership(self, bot: Bot, user_id: int) -> bool | None:
        """Like `is_staff`, but None when Telegram could not be asked: the console keeps a
        session through a network failure instead of ending it."""
        if user_id in self.rt.settings.staff_user_ids:
            return True
        staff_chat = self.rt.settings.staff_chat_id
        if staff_chat is None:
            return False
        cached = self.rt.cached_staff(user_id)
        if cached is not None:
            return cached
        try:
            member = await bot.get_chat_member(staff_chat, user_id)
        except TelegramError:
            return None
        result = member.status in _STAFF_STATUSES
        self.rt.remember_staff(user_id, result)
        return result

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Staff's own help in the staff chat: their commands, not the residents'."""
        message, user = update.effective_message, update.effective_user
        if message is None:
            return
        lang = lang_or_english(user.language_code if user else None)
        await message.reply_text(say("staff_help", lang))

    @staff_only
    @from_person
    async def reload(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """Reload knowledge/ and report problems; a broken edit keeps the last good version."""
        outcome = await self.rt.knowledge.reload()
        for chunk in split_message(describe_reload(outcome)):
            await message.reply_text(chunk)

    @staff_only
    @from_person
    async def unanswered(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """List what residents asked recently that the bot could not answer."""
        since = int(time.time()) - UNANSWERED_DAYS * 86400
        rows = await self.rt.questions.unanswered(since)
        if not rows:
            await message.reply_text(
                say("staff_unanswered_none", STAFF_LANG, days=str(UNANSWERED_DAYS))
            )
            return
        lines = [say("staff_unanswered_title", STAFF_LANG, days=str(UNANSWERED_DAYS))]
        for text, municipality, count in rows:
            lines.append(f"• {count}× [{escape(municipality or '-')}] {escape(text)}")
        for chunk in split_message("\n".join(lines)):
            await message.reply_text(chunk)

    @from_person
    async def staff_reply(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """A staff member replied to a resident's question in the staff chat: pass it on."""
        if message.reply_to_message is None:
            return
        if not message.text or user.is_bot:
            return
        question = await self.rt.questions.by_staff_message(
            message.chat_id, message.reply_to_message.message_id
        )
        if question is None:
            return
        if question.user_id is None:
            await message.reply_text(say("staff_reply_erased", STAFF_LANG))
            return
        # The lead line in the resident's language: their choice, else the question's.
        _, lang = await self.rt.resident_language(question.user_id, question.language)
        text = say("staff_answer", lang, text=message.text)
        try:
            for chunk in split_message(text):
                delivered = await context.bot.send_message(question.user_id, chunk)
        except (Forbidden, BadRequest):
            logger.warning("could not deliver a staff answer for question %d", question.id)
            await message.reply_text(say("staff_reply_blocked", STAFF_LANG))
            return
        await self.rt.questions.answered(question.id, delivered.message_id)
        await message.reply_text(say("staff_reply_sent", STAFF_LANG))

    async def notify_reload(self, bot: Bot, outcome: ReloadOutcome) -> None:
        """Tell the staff chat what an automatic reload did."""
        await self._notify(bot, describe_reload(outcome), "a reload")

    async def notify_start(self, bot: Bot) -> None:
        """Tell the staff chat when broken files made the bot start from its last good version."""
        knowledge = self.rt.knowledge
        if knowledge.fallback is not None:
            notice = describe_start(knowledge.fallback, knowledge.last_result.errors)
            await self._notify(bot, notice, "the start from the snapshot")

    async def _notify(self, bot: Bot, text: str, what: str) -> None:
        staff_chat = self.rt.settings.staff_chat_id
        if staff_chat is None:
            return
        try:
            for chunk in split_message(text):
                await bot.send_message(staff_chat, chunk)
        except TelegramError:
            logger.exception("could not tell the staff chat about %s", what)

    # -- the staff chat's buttons -------------------------------------------------------
    #
    # One method per button, listed in BUTTONS below: it does the change and returns the note
    # to show under the post ("closed by Kari"), or None when it has answered the press itself.

    async def dispatch(self, press: ButtonPress) -> bool:
        """Close, hand over, approve, reject, revoke; False when the button is not one of them."""
        query, message, user, callback, _, context = press
        if callback.action not in self.ACTIONS:
            return False
        if not await self.is_staff(context.bot, user.id):
            await acknowledge(query, say("staff_only_button", STAFF_LANG), alert=True)
            return True
        target = callback_int(callback.arg(0))
        button = self.BUTTONS[Action(callback.action)]
        note = await button(self, StaffPress(press, target, user.first_name))
        if note is not None:
            await acknowledge(query)
            markup = self._revoke_button(message, callback.action, target)
            await note_under(query, message, note, markup)
        return True

    async def _close(self, press: StaffPress) -> str | None:
        request = await self.desk.requests.close_by_staff(press.target)
        key = "staff_closed_by" if request else "staff_already_closed"
        return say(key, STAFF_LANG, who=press.who)

    async def _assign(self, press: StaffPress) -> str | None:
        """Offer the approved volunteers to hand the request to (STAFF_GIVE)."""
        query, message = press.press.query, press.press.message
        approved = await self.desk.volunteers.in_state("approved")
        if not approved:
            await acknowledge(query, say("staff_no_volunteers", STAFF_LANG), alert=True)
            return None
        rows = [
            [
                signed_button(
                    self.rt.codec,
                    message.chat_id,
                    v.name or str(v.user_id),
                    Action.STAFF_GIVE,
                    str(press.target),
                    str(v.user_id),
                )
            ]
            for v in approved[:20]
        ]
        await acknowledge(query)
        await message.reply_text(
            say("staff_hand_to", STAFF_LANG), reply_markup=InlineKeyboardMarkup(rows)
        )
        return None

    async def _give(self, press: StaffPress) -> str | None:
        volunteer_id = callback_int(press.press.callback.arg(1))
        result = await self.desk.requests.assign(press.target, volunteer_id)
        key = {
            "won": "staff_handed_by",
            "yours": "staff_volunteer_has_it",
            "not_volunteer": "staff_volunteer_not_approved",
        }.get(result.status, "staff_request_not_open")
        return say(key, STAFF_LANG, who=press.who)

    async def _decide(self, press: StaffPress, approve: bool) -> str:
        volunteer = await self.desk.volunteers.decide(press.target, approve, press.press.user.id)
        if volunteer is None:
            return say("staff_already_decided", STAFF_LANG)
        key = "staff_approved_by" if approve else "staff_rejected_by"
        return say(key, STAFF_LANG, who=press.who)

    async def _approve(self, press: StaffPress) -> str | None:
        return await self._decide(press, True)

    async def _reject(self, press: StaffPress) -> str | None:
        return await self._decide(press, False)

    async def _revoke(self, press: StaffPress) -> str | None:
        volunteer = await self.desk.volunteers.revoke(press.target, press.press.user.id)
        key = "staff_revoked_by" if volunteer else "staff_not_approved"
        return say(key, STAFF_LANG, who=press.who)

    BUTTONS: ClassVar[dict[Action, StaffButton]] = {
        Action.STAFF_CLOSE: _close,
        Action.STAFF_ASSIGN: _assign,
        Action.STAFF_GIVE: _give,
        Action.APPROVE: _approve,
        Action.REJECT: _reject,
        Action.REVOKE: _revoke,
    }
    # The buttons `dispatch` handles: the router sends each of these here.
    ACTIONS: ClassVar[frozenset[Action]] = frozenset(BUTTONS)

    def _revoke_button(
        self, message: Message, action: str, target: int
    ) -> InlineKeyboardMarkup | None:
        if action != Action.APPROVE:
            return None
        return InlineKeyboardMarkup(
            [
                [
                    signed_button(
                        self.rt.codec,
                        message.chat_id,
                        say("button_revoke", STAFF_LANG),
                        Action.REVOKE,
                        str(target),
                    )
                ]
            ]
        )
