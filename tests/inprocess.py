"""The real Application, handlers and storage, polling the local Bot API in this process.

The middle layer between unit tests and tests/e2e (which run the bot as a subprocess): every
handler and button runs exactly as in production, with no process boundary to wait on.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.config import DEFAULT_KNOWLEDGE_DIR, Settings
from bot.fakeapi import Chat, FakeTelegram, Injected, Message, User
from bot.fakeapi.transport import FakeRequest
from bot.messages import say
from bot.tg.app import build_application
from bot.tg.lifecycle import polling
from bot.tg.processing import PerChatUpdateProcessor
from bot.tg.runtime import Runtime

STAFF_CHAT_ID = -1001000000001


def opening(key: str, **values: str) -> str:
    """The first words of a message as the resident reads it (tags dropped)."""
    return re.sub(r"<[^>]+>", "", say(key, "nb", **values))[:20]


VOLUNTEER_CHAT_ID = -1001000000002


@dataclass
class LiveBot:
    """A running bot and the people who talk to it."""

    core: FakeTelegram
    application: Application[Any, Any, Any, Any, Any, Any]
    runtime: Runtime
    resident: User
    volunteer: User
    staff: User
    staff_chat: Chat
    volunteer_chat: Chat
    # Update ids whose handlers have all run, and the waits for ones that have not yet.
    handled: set[int] = field(default_factory=set)
    _waiting: dict[int, asyncio.Event] = field(default_factory=dict)

    def __post_init__(self) -> None:
        processor = self.application.update_processor
        assert isinstance(processor, PerChatUpdateProcessor)
        processor.listeners.append(self._on_handled)

    def _on_handled(self, update_id: int) -> None:
        self.handled.add(update_id)
        waiting = self._waiting.pop(update_id, None)
        if waiting is not None:
            waiting.set()

    async def until_handled(self, injected: Injected, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until every handler of `injected`'s update has run (its replies are sent)."""
        update_id = injected.update_id
        assert update_id is not None, "Telegram would not deliver this to the bot"
        if update_id in self.handled:
            return
        done = self._waiting.setdefault(update_id, asyncio.Event())
        async with asyncio.timeout(timeout):
            await done.wait()

    async def send(self, user: User, text: str, **kwargs: Any) -> Message:
        """`user` writes `text` to the bot; returns the bot's next message to them."""
        self.core.inject_text(user, text, **kwargs)
        return await self.core.wait_for_message(user)

    async def choose_asker(self) -> None:
        """The resident starts the bot and chooses Asker."""
        greeting = await self.send(self.resident, "/start")
        self.core.press_button(self.resident, greeting, text="Asker kommune")
        await self.core.wait_for(
            lambda: "✅" in (self.core.get_message(self.resident, greeting.message_id).text or ""),
            what="the municipality to be set",
        )

    async def at_area_step(self) -> Message:
        """A help request stopped at the area step (after the category and the description);
        returns the area prompt."""
        category = await self.send(self.resident, "/requesthelp")
        description = await self.press(self.resident, category, say("category_groceries", "nb"))
        assert (description.text or "").startswith(opening("intake_description"))
        area = await self.send(self.resident, "Melk, brød og kaffe fra butikken")
        assert (area.text or "").startswith(opening("intake_area"))
        return area

    async def press(self, user: User, message: Message, text: str) -> Message:
        """`user` presses the button labelled `text`; returns the bot's next message to them."""
        self.core.press_button(user, message, text=text)
        return await self.core.wait_for_message(user)


@asynccontextmanager
async def live_bot(
    tmp_path: Path,
    knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR,
    read_timeout: float = 5.0,
    **settings_changes: Any,
) -> AsyncIterator[LiveBot]:
    """Start the bot against a fresh local Bot API and database; stop it afterwards.

    `read_timeout` is how long the bot waits for an answer before it counts as timed out;
    `settings_changes` replace the test's settings (notice_needs_second_staff=True, say).
    """
    core = FakeTelegram(username="crisis_help_bot")
    resident = core.add_user("Kari", language_code="nb")
    volunteer = core.add_user("Ola", language_code="nb")
    staff = core.add_user("Siri", language_code="nb")
    staff_chat = core.add_group("Staff", chat_id=STAFF_CHAT_ID, members={staff: "administrator"})
    volunteer_chat = core.add_group(
        "Volunteers", chat_id=VOLUNTEER_CHAT_ID, members={volunteer: "member"}
    )
    settings = Settings(
        knowledge_dir=knowledge_dir,
        data_dir=tmp_path / "data",
        token=core.token,
        staff_chat_id=STAFF_CHAT_ID,
        volunteer_chat_id=VOLUNTEER_CHAT_ID,
        send_rate_per_second=0,
        group_rate_per_minute=0,
    )
    settings = replace(settings, **settings_changes)
    runtime = Runtime(settings)
    application = build_application(
        settings,
        runtime,
        request=FakeRequest(core, read_timeout=read_timeout),
        get_updates_request=FakeRequest(core),
    )
    async with polling(application):
        yield LiveBot(
            core, application, runtime, resident, volunteer, staff, staff_chat, volunteer_chat
        )
