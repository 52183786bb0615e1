"""A volunteer's buttons: take a request, mark it done, give it back."""

from __future__ import annotations

import logging
from typing import ClassVar

from telegram import CallbackQuery, User
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from bot.messages import say
from bot.tg.buttons import ButtonPress, acknowledge, callback_int, drop_buttons
from bot.tg.runtime import Runtime
from bot.types import Action, Lang, lang_or_english

logger = logging.getLogger(__name__)


class VolunteerHandlers:
    """The buttons of the group post and of the volunteer's private details message."""

    # The buttons `dispatch` handles.
    ACTIONS: ClassVar[frozenset[Action]] = frozenset({Action.CLAIM, Action.DONE, Action.RELEASE})

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.desk = runtime.desk

    async def dispatch(self, press: ButtonPress) -> bool:
        """Take, Done and Release; False when the button is not one of them."""
        query, _, user, callback, lang, context = press
        action = callback.action
        if action == Action.CLAIM:
            return await self._claim(query, user, callback_int(callback.arg(0)), lang, context)
        if action in (Action.DONE, Action.RELEASE):
            return await self._finish(query, user, action, callback_int(callback.arg(0)), lang)
        return False

    async def _claim(
        self,
        query: CallbackQuery,
        user: User,
        request_id: int,
        profile_lang: Lang,
        context: ContextTypes.DEFAULT_TYPE,
    ) -> bool:
        volunteer = await self.desk.volunteers.get(user.id)
        lang = lang_or_english(volunteer.language) if volunteer else profile_lang
        if volunteer is None or not volunteer.approved:
            await acknowledge(query, say("claim_not_volunteer", lang), alert=True)
            return True
        try:
            await context.bot.send_chat_action(user.id, ChatAction.TYPING)
        except (Forbidden, BadRequest):
            await acknowledge(query, say("claim_start_bot", lang), alert=True)
            return True
        result = await self.desk.requests.claim(request_id, user.id)
        if result.status in ("won", "yours") and result.request is not None:
            await acknowledge(query, say("claim_won", lang, ref=result.request.ref))
            if result.status == "won":
                logger.info("request %d claimed by volunteer %d", request_id, user.id)
            return True
        if result.status == "elsewhere" and result.request is not None:
            chats = self.rt.chats
            places = ", ".join(chats.place_name(m) for m in volunteer.approved_for)
            place = chats.place_name(result.request.municipality)
            await acknowledge(
                query, say("claim_not_here", lang, places=places, place=place), alert=True
            )
            return True
        if result.status in ("taken", "closed"):
            await acknowledge(query, say("claim_taken", lang), alert=True)
            return True
        return False

    async def _finish(
        self, query: CallbackQuery, user: User, action: str, request_id: int, profile_lang: Lang
    ) -> bool:
        volunteer = await self.desk.volunteers.get(user.id)
        lang = lang_or_english(volunteer.language) if volunteer else profile_lang
        if action == Action.DONE:
            request = await self.desk.requests.complete(request_id, user.id)
            key = "volunteer_marked_done"
        else:
            request = await self.desk.requests.release(request_id, user.id)
            key = "volunteer_released"
        if request is None:
            await acknowledge(query, say("volunteer_not_yours", lang), alert=True)
            return True
        await acknowledge(query, say(key, lang, ref=request.ref))
        await drop_buttons(query)
        return True
