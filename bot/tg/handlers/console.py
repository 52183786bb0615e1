"""The staff console's sign-in from Telegram: /console sends a one-time link in private."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.messages import STAFF_LANG, say
from bot.tg.handlers.staff import StaffHandlers
from bot.tg.runtime import Runtime
from bot.types import lang_or_english

logger = logging.getLogger(__name__)


class ConsoleHandlers:
    """/console for staff, in a private chat."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.staff = StaffHandlers(runtime)

    async def console(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Send a staff member a sign-in link to the console: once, for 10 minutes."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        if not await self.staff.is_staff(context.bot, user.id):
            await message.reply_text(say("staff_only_command", STAFF_LANG))
            return
        lang = lang_or_english(user.language_code)
        base = self.rt.settings.console_url
        if base is None:
            await message.reply_text(say("console_not_configured", lang))
            return
        token = await self.rt.console_auth.issue_link(user.id, user.first_name, lang)
        link = f"{base}/console/login?token={token}"
        # Never logged: the link signs in whoever opens it.
        await message.reply_text(say("console_link", lang, link=link))
        logger.info("sent a console sign-in link to a staff member")
