"""Everything the handlers share, opened inside the application's event loop."""

from __future__ import annotations

import asyncio
import logging
import time

from bot.answering.service import KnowledgeService
from bot.config import Settings
from bot.language import conversation_language
from bot.monitoring import Metrics
from bot.services import Services
from bot.storage.records import Resident
from bot.tg.callbacks import CallbackCodec
from bot.tg.flood import FloodGuard
from bot.types import Lang

PRESSES_PER_WINDOW = 20
PRESS_WINDOW_SECONDS = 10.0

logger = logging.getLogger(__name__)

# How long a "this user is in the staff chat" answer from Telegram is trusted.
STAFF_CACHE_SECONDS = 60.0
# How long stopping waits for a cancelled background task before cancelling it again.
STOP_RECHECK_SECONDS = 1.0


class Runtime(Services):
    """The services behind the handlers, and what only the Telegram layer needs: flood
    guards, the button codec, the outbox sender's wake-up. `start` opens the database;
    `stop` closes it."""

    def __init__(self, settings: Settings, knowledge: KnowledgeService | None = None) -> None:
        # Set after the help desk commits, so the outbox sender need not wait for its timer.
        self.outbox_wake = asyncio.Event()
        # Set when a notice starts or resumes, so its sender need not wait for its timer.
        self.notice_wake = asyncio.Event()
        # The knowledge base is the one `Services` loads, as for the CLI and chat mode.
        super().__init__(settings, knowledge, wake_outbox=self.outbox_wake.set)
        self.flood = FloodGuard()
        # Button presses are cheaper to make than messages: a separate, wider window.
        self.press_flood = FloodGuard(limit=PRESSES_PER_WINDOW, seconds=PRESS_WINDOW_SECONDS)
        self._codec: CallbackCodec | None = None
        # (user, staff chat) -> (a member?, when Telegram said so)
        self.staff_membership: dict[tuple[int, int], tuple[bool, float]] = {}
        # Updates being handled again after "this is not an emergency": not checked again.
        self.emergency_dismissed: set[int] = set()
        self.tasks: list[asyncio.Task[None]] = []
        self.metrics = Metrics()

    async def start(self) -> None:
        # Loaded before the first update, not while a resident waits for an answer.
        _ = self.knowledge
        for municipality in self.chats.unknown():
            logger.warning(
                "the environment sets chats or staff for '%s', which is no municipality in "
                "the knowledge base: check the variable's name",
                municipality,
            )
        await self.open()
        self._codec = CallbackCodec(await self.meta.secret("callback-key"))

    async def resident_language(
        self, user_id: int, said: str | None = None, app: str | None = None
    ) -> tuple[Resident, Lang]:
        """The resident's stored choices and the language to talk to them in, by
        `conversation_language`: `said` is the language of what they said, if anything tells
        it (a message, or the question a button belongs to), `app` their Telegram app's."""
        resident = await self.residents.get(user_id) or Resident(user_id, None, None)
        lang = conversation_language(resident.language, said, resident.last_language, app)
        return resident, lang or "en"

    async def remember_language(self, user_id: int, lang: Lang) -> None:
        """Keep the language just used with a resident, for what they do next."""
        resident = await self.residents.get(user_id)
        if resident is None or resident.last_language != lang:
            await self.residents.save(user_id, last_language=lang)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            # Python 3.11's wait_for can swallow a cancellation that arrives as its wait ends
            # (CPython gh-86296): a loop that went on is cancelled again, so stop never hangs.
            while not task.done():
                await asyncio.wait({task}, timeout=STOP_RECHECK_SECONDS)
                if not task.done():
                    logger.warning("a background task went on after being cancelled; again")
                    task.cancel()
            if not task.cancelled() and task.exception() is not None:
                logger.error("background task failed while stopping", exc_info=task.exception())
        self.tasks.clear()
        await self.close()

    @property
    def codec(self) -> CallbackCodec:
        if self._codec is None:
            raise RuntimeError("the runtime has not been started")
        return self._codec

    def cached_staff(self, user_id: int, chat_id: int) -> bool | None:
        """A recent answer to "is this user in that staff chat?", or None."""
        cached = self.staff_membership.get((user_id, chat_id))
        if cached and time.monotonic() - cached[1] < STAFF_CACHE_SECONDS:
            return cached[0]
        return None

    def remember_staff(self, user_id: int, chat_id: int, is_staff: bool) -> None:
        self.staff_membership[(user_id, chat_id)] = (is_staff, time.monotonic())

    async def drop_cached_people(self) -> None:
        await super().drop_cached_people()
        # Telegram's answers about who is in a staff chat are about people too.
        self.staff_membership.clear()

    def forget_staff(self, user_id: int) -> None:
        """Drop every cached answer about `user_id`: their membership changed, so the next
        question goes to Telegram instead of trusting a minute-old answer."""
        for key in [key for key in self.staff_membership if key[0] == user_id]:
            del self.staff_membership[key]
