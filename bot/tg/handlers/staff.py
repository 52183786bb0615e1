"""Handlers for municipal staff: reloading knowledge, unanswered questions, and handoff replies.

Staff are users listed in STAFF_USER_IDS or members of the global staff chat, who act
everywhere, and a municipality's staff (members of its own staff chat, or listed in
STAFF_USER_IDS_<ID>), who act only on its requests and volunteers: each button asks
`StaffActions.verdict`, the console's and the command line's rule (`routing.may_act`).
Staff-facing text is in the language of the municipality it is about: nb for Asker, sv for
the Swedish ones, English for the global staff chat when no municipality is concerned.
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
from telegram.ext import ContextTypes, filters

from bot.answering.service import ReloadOutcome
from bot.console.actions import DROPPED, GONE, Verdict
from bot.console.auth import CHAT, volunteer_target
from bot.helpdesk.models import Volunteer
from bot.helpdesk.routing import Chats, StaffScope, may_claim
from bot.helpdesk.texts import Button, Keyboard, decision_buttons
from bot.kb.loader import Problem
from bot.kb.snapshot import Snapshot
from bot.messages import STAFF_LANG, escape, format_date, say
from bot.tg.buttons import (
    ButtonPress,
    acknowledge,
    callback_int,
    note_under,
    signed_button,
    signed_markup,
)
from bot.tg.render import split_message
from bot.tg.runtime import Runtime
from bot.tg.sender import from_person
from bot.types import Action, Lang, lang_or_english

logger = logging.getLogger(__name__)

MAX_PROBLEMS_SHOWN = 15
UNANSWERED_DAYS = 7
_STAFF_STATUSES = {ChatMember.OWNER, ChatMember.ADMINISTRATOR, ChatMember.MEMBER}
# A volunteer's buttons, and what each button is about for `StaffActions.verdict`.
_DECISIONS = frozenset({Action.APPROVE, Action.REJECT, Action.REVOKE})
_KIND = {
    Action.STAFF_CLOSE: "requests",
    Action.STAFF_ASSIGN: "requests",
    Action.STAFF_GIVE: "requests",
    Action.APPROVE: "volunteers",
    Action.REJECT: "volunteers",
    Action.REVOKE: "volunteers",
}


def in_files_of(problems: Sequence[Problem], municipalities: frozenset[str]) -> list[Problem]:
    """The problems in the files of `municipalities` (each has its own folder)."""
    return [p for p in problems if p.location.file.parts[:1] in {(m,) for m in municipalities}]


def describe_reload(
    outcome: ReloadOutcome,
    lang: Lang = STAFF_LANG,
    municipalities: frozenset[str] | None = None,
) -> str:
    """A staff-facing summary of a reload, naming every problem with file and line (only
    those in the files of `municipalities`, when given)."""
    errors, warnings = outcome.errors, outcome.warnings
    if municipalities is not None:
        errors, warnings = (
            in_files_of(errors, municipalities),
            in_files_of(warnings, municipalities),
        )
    if outcome.applied:
        text = say("staff_reloaded", lang, entries=str(outcome.entries))
        if warnings:
            text += say("staff_reloaded_warnings", lang, warnings=str(len(warnings)))
        problems = warnings
    else:
        text = say(
            "staff_not_reloaded",
            lang,
            errors=str(len(outcome.errors)),
            entries=str(outcome.entries),
        )
        problems = [*errors, *warnings]
    return "\n".join([text, *_problem_lines(problems, lang)])


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
    return "\n".join([text, *_problem_lines(errors, STAFF_LANG)])


def _problem_lines(problems: Sequence[Problem], lang: Lang) -> list[str]:
    """One line per problem with its file and line, at most MAX_PROBLEMS_SHOWN of them."""
    lines = []
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        lines.append(f"• <code>{escape(str(problem.location))}</code> {escape(problem.message)}")
    if len(problems) > MAX_PROBLEMS_SHOWN:
        more = str(len(problems) - MAX_PROBLEMS_SHOWN)
        lines.append(say("staff_more_problems", lang, count=more))
    return lines


@dataclass(frozen=True)
class StaffPress:
    """A staff button's press: the request or volunteer it is about, and who pressed it."""

    press: ButtonPress
    target: int
    first_name: str | None
    # The language of the municipality the request or volunteer belongs to.
    lang: Lang = STAFF_LANG
    municipality: str | None = None

    @property
    def who(self) -> str:
        return self.first_name or say("staff_someone", self.lang)


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
        if not (await handlers.scope(context.bot, user.id)).is_staff:
            lang = handlers.chat_language(message.chat_id)
            await message.reply_text(say("staff_only_command", lang))
            return
        await command(handlers, update, context)

    return guarded


class InStaffChat(filters.MessageFilter):
    """Messages in any staff chat, the municipalities' own included (looked up each time: a
    reload may change a municipality file's staff_chat)."""

    def __init__(self, chats: Chats) -> None:
        super().__init__(name="InStaffChat")
        self.chats = chats

    def filter(self, message: Message) -> bool:
        return message.chat_id in self.chats.staff_chat_ids()


class StaffHandlers:
    """Commands, replies and buttons from municipal staff."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.desk = runtime.desk

    async def scope(self, bot: Bot, user_id: int) -> StaffScope:
        """Where a person may act as staff: from the lists in configuration and the staff
        chats they are a member of (asked of Telegram, cached). A chat Telegram cannot be
        asked about counts as not theirs this time, but is not remembered so: that would end
        the person's console sessions on their next page."""
        found, _ = await self._scope(bot, user_id)
        return found

    async def is_staff(self, bot: Bot, user_id: int) -> bool:
        """Staff of any municipality, or the global staff."""
        return (await self.scope(bot, user_id)).is_staff

    async def membership(self, bot: Bot, user_id: int) -> bool | None:
        """Like `is_staff`, but None when Telegram could not be asked (and nothing else says
        they are staff): the console keeps a session through a network failure instead of
        ending it."""
        found, unknown = await self._scope(bot, user_id)
        if found.is_staff:
            return True
        return None if unknown else False

    async def _scope(self, bot: Bot, user_id: int) -> tuple[StaffScope, bool]:
        """The scope, and whether Telegram could not be asked about some staff chat."""
        chats = self.rt.chats
        if user_id in self.rt.settings.staff_user_ids:
            return chats.scope(user_id, ()), False
        # The global staff chat first: a member of it needs no other question.
        ordered = sorted(chats.staff_chat_ids(), key=lambda chat: chat != chats.staff)
        member_of = []
        unknown = False
        for chat in ordered:
            member = await self._member(bot, chat, user_id)
            if member is None:
                unknown = True
            elif member:
                member_of.append(chat)
                if chat == chats.staff:
                    break
        return chats.scope(user_id, member_of), unknown

    async def _member(self, bot: Bot, chat_id: int, user_id: int) -> bool | None:
        """Whether the user is in a staff chat; None when Telegram could not be asked."""
        cached = self.rt.cached_staff(user_id, chat_id)
        if cached is not None:
            return cached
        try:
            member = await bot.get_chat_member(chat_id, user_id)
        except TelegramError:
            return None
        result = member.status in _STAFF_STATUSES
        self.rt.remember_staff(user_id, chat_id, result)
        return result

    async def member_changed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Forget a staff chat member's cached membership when they join or leave."""
        # One who is no longer staff anywhere loses their console sessions at once.
        changed = update.chat_member
        if changed is None or changed.chat.id not in self.rt.chats.staff_chat_ids():
            return
        user_id = changed.new_chat_member.user.id
        self.rt.forget_staff(user_id)
        now_member = changed.new_chat_member.status in _STAFF_STATUSES
        self.rt.remember_staff(user_id, changed.chat.id, now_member)
        if now_member:
            return
        found, unknown = await self._scope(context.bot, user_id)
        if not found.is_staff and not unknown:
            ended = await self.rt.console_auth.end_all(user_id)
            logger.info("someone left the staff chats: %d console session(s) ended", ended)

    def chat_language(self, chat_id: int) -> Lang:
        """The language of a municipality's own staff chat; English elsewhere."""
        return self.rt.chats.chat_language(chat_id)

    async def audit(
        self,
        user: User,
        action: str,
        target: str | None,
        municipalities: Sequence[str | None] = (None,),
    ) -> None:
        """A staff chat's change, in the audit log as the console's are: once for each
        municipality it was about, so each one's staff see it in their own audit view."""
        for municipality in dict.fromkeys(municipalities or (None,)):
            await self.rt.audit.record_by(
                user.id, user.first_name, action, target, municipality, CHAT
            )

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
        # In a municipality's own staff chat only the problems in its files are listed.
        outcome = await self.rt.knowledge.reload()
        mine = self.rt.chats.municipalities_of_staff_chat(message.chat_id)
        await self.audit(user, "reload", None, sorted(mine))
        report = describe_reload(outcome, self.chat_language(message.chat_id), mine or None)
        for chunk in split_message(report):
            await message.reply_text(chunk)

    @staff_only
    @from_person
    async def unanswered(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
    ) -> None:
        """List what residents asked recently that the bot could not answer."""
        # A municipality's staff see their municipality's.
        since = int(time.time()) - UNANSWERED_DAYS * 86400
        scope = await self.scope(context.bot, user.id)
        mine = None if scope.everywhere else scope.municipalities
        rows = await self.rt.questions.unanswered(since, municipalities=mine)
        lang = self.chat_language(message.chat_id)
        if not rows:
            await message.reply_text(say("staff_unanswered_none", lang, days=str(UNANSWERED_DAYS)))
            return
        lines = [say("staff_unanswered_title", lang, days=str(UNANSWERED_DAYS))]
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
        staff_lang = self.rt.chats.language(question.municipality)
        if question.user_id is None:
            await message.reply_text(say("staff_reply_erased", staff_lang))
            return
        # The lead line in the resident's language: their choice, else the question's.
        _, lang = await self.rt.resident_language(question.user_id, question.language)
        text = say("staff_answer", lang, text=message.text)
        try:
            for chunk in split_message(text):
                delivered = await context.bot.send_message(question.user_id, chunk)
        except (Forbidden, BadRequest):
            logger.warning("could not deliver a staff answer for question %d", question.id)
            await message.reply_text(say("staff_reply_blocked", staff_lang))
            return
        await self.rt.questions.answered(question.id, delivered.message_id)
        # Which question, never its text or who asked.
        await self.audit(user, "staff_answer", f"#{question.id}", (question.municipality,))
        await message.reply_text(say("staff_reply_sent", staff_lang))

    async def notify_reload(self, bot: Bot, outcome: ReloadOutcome) -> None:
        """Tell the global staff chat what an automatic reload did, and each municipality's
        own staff chat about the problems in that municipality's files."""
        chats = self.rt.chats
        await self._notify(bot, chats.staff, describe_reload(outcome), "a reload")
        for chat in sorted(chats.staff_chat_ids() - {chats.staff}):
            mine = chats.municipalities_of_staff_chat(chat)
            if not in_files_of([*outcome.errors, *outcome.warnings], mine):
                continue
            report = describe_reload(outcome, self.chat_language(chat), mine)
            await self._notify(bot, chat, report, "a reload")

    async def notify_start(self, bot: Bot) -> None:
        """Tell the staff chat when broken files made the bot start from its last good version."""
        knowledge = self.rt.knowledge
        if knowledge.fallback is not None:
            notice = describe_start(knowledge.fallback, knowledge.last_result.errors)
            await self._notify(bot, self.rt.chats.staff, notice, "the start from the snapshot")

    async def _notify(self, bot: Bot, staff_chat: int | None, text: str, what: str) -> None:
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
        scope = await self.scope(context.bot, user.id)
        if not scope.is_staff:
            lang = self.chat_language(message.chat_id)
            await acknowledge(query, say("staff_only_button", lang), alert=True)
            return True
        target = callback_int(callback.arg(0))
        action = Action(callback.action)
        # The console's and the command line's rule (`StaffActions.verdict`): one for all.
        place = (callback.arg(1) or None) if action in _DECISIONS else None
        verdict = await self.rt.actions.verdict(scope, _KIND[action], target, place)
        if not verdict.allowed:
            lang = self.chat_language(message.chat_id)
            await acknowledge(query, self._refusal(verdict, lang), alert=True)
            logger.info("staff button %s refused: %s", callback.action, verdict.outcome)
            return True
        first = next(iter(verdict.municipalities), None)
        lang = await self._post_language(message.chat_id, action, target, first)
        button = self.BUTTONS[action]
        note = await button(self, StaffPress(press, target, user.first_name, lang, first))
        if note is not None:
            await acknowledge(query)
            markup = await self._decision_buttons(message, callback.action, target, lang)
            await note_under(query, message, note, markup)
        return True

    def _refusal(self, verdict: Verdict, lang: Lang) -> str:
        """Why a press changed nothing; it never names another municipality's volunteer or
        request beyond whose it is."""
        place = self.rt.chats.place_name(verdict.place)
        if verdict.outcome == DROPPED:
            # An old post's button for a municipality the volunteer signed up again without:
            # nothing of theirs there to decide (and never another municipality instead).
            return say("staff_volunteer_dropped", lang, place=place)
        if verdict.outcome == GONE:
            # The volunteer asked to be forgotten since the post went out.
            return say("staff_volunteer_gone", lang)
        # Another municipality's request or volunteer: refused, and nothing changes.
        return say("staff_not_yours", lang, place=place)

    async def _post_language(
        self, chat_id: int, action: Action, target: int, municipality: str | None
    ) -> Lang:
        """The language of the post a button is under: its municipality's; for a
        volunteer's post in a chat of several municipalities, the first one's (as it was
        written in)."""
        if action in (Action.APPROVE, Action.REJECT, Action.REVOKE):
            volunteer = await self.desk.volunteers.get(target)
            mine = self._decides_for(chat_id, volunteer) if volunteer else []
            if mine:
                return self.rt.chats.language(mine[0])
        return self.rt.chats.language(municipality)

    async def _close(self, press: StaffPress) -> str | None:
        request = await self.desk.requests.close_by_staff(press.target)
        if request is not None:
            await self.audit(press.press.user, "close", request.ref, (request.municipality,))
        key = "staff_closed_by" if request else "staff_already_closed"
        return say(key, press.lang, who=press.who)

    async def _assign(self, press: StaffPress) -> str | None:
        """Offer the approved volunteers to hand the request to (STAFF_GIVE)."""
        query, message = press.press.query, press.press.message
        approved = [
            v
            for v in await self.desk.volunteers.in_state("approved")
            if may_claim(v, press.municipality)
        ]
        if not approved:
            await acknowledge(query, say("staff_no_volunteers", press.lang), alert=True)
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
            say("staff_hand_to", press.lang), reply_markup=InlineKeyboardMarkup(rows)
        )
        return None

    async def _give(self, press: StaffPress) -> str | None:
        volunteer_id = callback_int(press.press.callback.arg(1))
        result = await self.desk.requests.assign(press.target, volunteer_id)
        if result.status == "won" and result.request is not None:
            volunteer = await self.desk.volunteers.get(volunteer_id)
            who = volunteer_target(volunteer.name if volunteer else None, volunteer_id)
            await self.audit(
                press.press.user,
                "hand_over",
                f"{result.request.ref} → {who}",
                (result.request.municipality,),
            )
        key = {
            "won": "staff_handed_by",
            "yours": "staff_volunteer_has_it",
            "not_volunteer": "staff_volunteer_not_approved",
            "elsewhere": "staff_volunteer_not_approved",
            # Erased since the list of volunteers was posted.
            "gone": "staff_volunteer_gone",
        }.get(result.status, "staff_request_not_open")
        return say(key, press.lang, who=press.who)

    def _only(self, press: StaffPress) -> list[str] | None:
        """The one municipality a volunteer's button decides for; None (all) on a button
        posted before approvals were per municipality."""
        return [press.municipality] if press.press.callback.arg(1) and press.municipality else None

    def _decides_for(self, chat_id: int, volunteer: Volunteer) -> list[str]:
        """The volunteer's municipalities whose staff chat `chat_id` is."""
        return [m for m in volunteer.municipalities if self.rt.chats.route(m).staff == chat_id]

    def _decided_note(self, press: StaffPress, key: str, volunteer: Volunteer) -> str:
        """ "Approved by Kari", or "… for Öckerö kommun" when the post decides for several."""
        chosen = self._only(press)
        chat_id = press.press.message.chat_id
        if chosen is None or len(self._decides_for(chat_id, volunteer)) < 2:
            return say(key, press.lang, who=press.who)
        place = self.rt.chats.place_name(chosen[0])
        return say(key.replace("_by", "_for_by"), press.lang, who=press.who, place=place)

    async def _decide(self, press: StaffPress, approve: bool) -> str:
        volunteer = await self.desk.volunteers.decide(
            press.target, approve, press.press.user.id, municipalities=self._only(press)
        )
        if volunteer is None:
            return say("staff_already_decided", press.lang)
        await self._audit_decision(press, "approve" if approve else "reject", volunteer)
        key = "staff_approved_by" if approve else "staff_rejected_by"
        return self._decided_note(press, key, volunteer)

    async def _approve(self, press: StaffPress) -> str | None:
        return await self._decide(press, True)

    async def _reject(self, press: StaffPress) -> str | None:
        return await self._decide(press, False)

    async def _revoke(self, press: StaffPress) -> str | None:
        volunteer = await self.desk.volunteers.revoke(
            press.target, press.press.user.id, self._only(press)
        )
        if volunteer is None:
            return say("staff_not_approved", press.lang)
        await self._audit_decision(press, "revoke", volunteer)
        return self._decided_note(press, "staff_revoked_by", volunteer)

    async def _audit_decision(self, press: StaffPress, action: str, volunteer: Volunteer) -> None:
        """A decision for the button's one municipality, or (a button posted before
        approvals were per municipality) for all of the volunteer's."""
        where = self._only(press) or volunteer.municipalities
        target = volunteer_target(volunteer.name, volunteer.user_id)
        await self.audit(press.press.user, action, target, tuple(where))

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

    async def _decision_buttons(
        self, message: Message, action: str, target: int, lang: Lang
    ) -> InlineKeyboardMarkup | None:
        """The buttons left under a volunteer's post once one was pressed: for each
        municipality this chat decides for, Revoke where approved and Approve and Reject
        where still pending; Revoke alone for one registered without municipalities, once
        approved. None under a request's post."""
        if action not in (Action.APPROVE, Action.REJECT, Action.REVOKE):
            return None
        volunteer = await self.desk.volunteers.get(target)
        if volunteer is None:
            return None
        keyboard: Keyboard = []
        if not volunteer.municipalities:
            if volunteer.approved:
                keyboard = [[Button(say("button_revoke", lang), Action.REVOKE, (str(target),))]]
        elif mine := self._decides_for(message.chat_id, volunteer):
            names = {m: self.rt.chats.place_name(m) for m in mine}
            keyboard = decision_buttons(volunteer, lang, mine, names)
        return signed_markup(self.rt.codec, message.chat_id, keyboard)
