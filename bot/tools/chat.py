"""`python -m bot chat`: the real bot in a terminal, with no token and no network.

The same Application, handlers and storage as `python -m bot run` talk to the local stand-in
for the Bot API in this process. You type as a resident, a volunteer or a staff member; the
bot's messages to every chat (private, staff chat, volunteer chat) are printed as they come.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import closing
from dataclasses import dataclass, replace
from typing import TextIO

from bot.config import Settings
from bot.fakeapi import BotEvent, FakeTelegram, Injected, Message, User
from bot.fakeapi.core import DEFAULT_TOKEN
from bot.fakeapi.transport import FakeRequest
from bot.services import DB_FILE
from bot.tg.app import build_application
from bot.tg.lifecycle import polling
from bot.tg.processing import PerChatUpdateProcessor
from bot.tg.runtime import Runtime

STAFF_CHAT_ID = -1001000000001
VOLUNTEER_CHAT_ID = -1001000000002
# How long to wait for the bot to finish with one input before giving up on it.
SETTLE_SECONDS = 10.0

HELP = """\
Type a message as the current user, or one of:
  1, 2, ...          press that button on the bot's latest message here (up to 99)
  :as resident       act as Kari, a resident (also: volunteer, staff)
  :group / :private  act in your role's group chat, or in a private chat with the bot
  :reply ID TEXT     reply to message #ID in this chat (staff answering a resident)
  :contact           share your phone number (the contact button)
  :photo             send a photo (or :voice, :sticker, :location)
  :help              show this help
  :quit              leave (Ctrl-D works too)"""


@dataclass
class Role:
    name: str
    user: User
    group_id: int | None


def _next_update_id(settings: Settings) -> int:
    """Telegram never reuses an update id; a new session continues after the stored ones."""
    path = settings.data_dir / DB_FILE
    if not path.exists():
        return 1
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            row = connection.execute("SELECT MAX(update_id) FROM inbox").fetchone()
    except sqlite3.Error:
        return 1
    return int(row[0] or 0) + 1


class ChatSession:
    """One terminal session driving the bot through the in-process Bot API."""

    def __init__(self, settings: Settings, out: TextIO, color: bool = False) -> None:
        self.core = FakeTelegram(
            token=DEFAULT_TOKEN,
            username="crisis_help_bot",
            first_update_id=_next_update_id(settings),
        )
        self.out = out
        self.color = color
        resident = self.core.add_user("Kari", user_id=1001, language_code="nb")
        volunteer = self.core.add_user("Ola", user_id=2001, language_code="nb")
        staff = self.core.add_user("Siri", user_id=3001, language_code="nb")
        self.core.add_group("Staff", chat_id=STAFF_CHAT_ID, members={staff: "administrator"})
        self.core.add_group("Volunteers", chat_id=VOLUNTEER_CHAT_ID, members={volunteer: "member"})
        self.roles = {
            "resident": Role("resident", resident, None),
            "volunteer": Role("volunteer", volunteer, VOLUNTEER_CHAT_ID),
            "staff": Role("staff", staff, STAFF_CHAT_ID),
        }
        self.names = {STAFF_CHAT_ID: "staff chat", VOLUNTEER_CHAT_ID: "volunteer chat"}
        self.names.update(
            {r.user.id: f"{r.user.first_name} ({r.name})" for r in self.roles.values()}
        )
        self.role = self.roles["resident"]
        self.chat_id = resident.id
        self.settings = replace(
            settings,
            token=self.core.token,
            staff_chat_id=STAFF_CHAT_ID,
            volunteer_chat_id=VOLUNTEER_CHAT_ID,
        )
        self.runtime = Runtime(self.settings)
        self.application = build_application(
            self.settings,
            self.runtime,
            request=FakeRequest(self.core),
            get_updates_request=FakeRequest(self.core),
        )
        self._waiting: dict[int, asyncio.Event] = {}
        processor = self.application.update_processor
        if isinstance(processor, PerChatUpdateProcessor):
            processor.listeners.append(self._processed)

    # -- output ---------------------------------------------------------------------------

    def _style(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def _where(self, chat_id: int | None) -> str:
        if chat_id == self.chat_id:
            return ""
        return f" → {self.names.get(chat_id or 0, str(chat_id))}"

    def show(self, event: BotEvent) -> None:
        """Print one thing the bot did."""
        message = event.message
        if event.kind in ("message", "edit") and message is not None:
            label = "bot" if event.kind == "message" else "bot (edited)"
            header = f"{label}{self._where(event.chat_id)} #{message.message_id}:"
            self.out.write(self._style(header, "1;36") + "\n")
            self.out.write((message.text or "") + "\n")
            self._show_buttons(message)
        elif event.kind == "callback_answer":
            text = event.detail.get("text")
            if text:
                self.out.write(self._style(f"  ({text})", "2") + "\n")
        elif event.kind == "delete" and message is not None:
            self.out.write(self._style(f"bot deleted #{message.message_id}", "2") + "\n")
        self.out.flush()

    def _show_buttons(self, message: Message) -> None:
        number = 0
        for row in message.inline_keyboard:
            labels = []
            for button in row:
                number += 1
                labels.append(f"[{number}] {button.get('text', '')}")
            self.out.write(self._style("  " + "   ".join(labels), "33") + "\n")
        keyboard = (message.reply_markup or {}).get("keyboard")
        if keyboard:
            texts = [b.get("text", "") for row in keyboard for b in row]
            self.out.write(self._style("  keyboard: " + " | ".join(texts), "33") + "\n")

    def say(self, text: str) -> None:
        self.out.write(self._style(text, "2") + "\n")
        self.out.flush()

    # -- input ----------------------------------------------------------------------------

    def _latest_with_buttons(self) -> Message | None:
        for message in reversed(self.core.bot_messages(self.chat_id)):
            if message.inline_keyboard:
                return message
        return None

    def _act(self, line: str) -> Injected | None:
        """Turn one input line into what the user does; returns the Injected update or None."""
        user = self.role.user
        chat = None if self.chat_id == user.id else self.chat_id
        command, _, rest = line.partition(" ")
        if line.isdigit() and len(line) <= 2:  # a button; longer numbers are text (a phone)
            message = self._latest_with_buttons()
            buttons = [b for row in (message.inline_keyboard if message else []) for b in row]
            index = int(line) - 1
            if message is None or not 0 <= index < len(buttons):
                self.say("There is no such button here.")
                return None
            return self.core.inject_callback(user, message, buttons[index].get("callback_data"))
        if command == ":reply":
            target, _, text = rest.partition(" ")
            if not target.lstrip("#").isdigit() or not text:
                self.say("Usage: :reply ID TEXT")
                return None
            try:
                return self.core.inject_text(
                    user, text, chat=chat, reply_to=int(target.lstrip("#"))
                )
            except (KeyError, LookupError):
                self.say(f"There is no message #{target} here.")
                return None
        if command == ":contact":
            return self.core.inject_contact(user, chat=chat)
        media: dict[str, Callable[..., Injected]] = {
            ":photo": self.core.inject_photo,
            ":voice": self.core.inject_voice,
            ":sticker": self.core.inject_sticker,
            ":location": self.core.inject_location,
        }
        if command in media:
            return media[command](user, chat=chat)
        return self.core.inject_text(user, line, chat=chat)

    def _switch(self, line: str) -> bool:
        """Handle session commands; True when the line was one."""
        command, _, rest = line.partition(" ")
        if command == ":as":
            role = self.roles.get(rest.strip())
            if role is None:
                self.say(f"Roles: {', '.join(self.roles)}")
                return True
            self.role = role
            self.chat_id = role.group_id if role.group_id is not None else role.user.id
        elif command == ":group":
            if self.role.group_id is None:
                self.say("A resident has no group; use :as volunteer or :as staff.")
                return True
            self.chat_id = self.role.group_id
        elif command == ":private":
            self.chat_id = self.role.user.id
        elif command == ":help":
            self.say(HELP)
            return True
        else:
            return False
        self.say(f"Now: {self.role.user.first_name} ({self.role.name}) in {self._here()}.")
        return True

    def _here(self) -> str:
        return "a private chat with the bot" if self.chat_id > 0 else self.names[self.chat_id]

    def _processed(self, update_id: int) -> None:
        event = self._waiting.pop(update_id, None)
        if event is not None:
            event.set()

    async def _settle(self, injected: Injected | None) -> None:
        """Wait until the bot has finished with the update, so output never interleaves."""
        if injected is None or injected.update_id is None:
            return
        event = self._waiting.setdefault(injected.update_id, asyncio.Event())
        if await self.runtime.inbox.is_processed(injected.update_id):
            self._waiting.pop(injected.update_id, None)
        else:
            try:
                await asyncio.wait_for(event.wait(), SETTLE_SECONDS)
            except TimeoutError:
                self._waiting.pop(injected.update_id, None)
                self.say("(the bot has not answered yet)")
        await asyncio.sleep(0.05)  # let the printer catch up with the last events

    async def run(self, lines: AsyncIterator[str], prompt: bool) -> None:
        """Start the bot, feed it every line, then stop it cleanly."""
        events = self.core.subscribe()
        printer = asyncio.create_task(self._print(events))
        try:
            async with polling(self.application):
                await self._chat(lines, prompt)
        finally:
            printer.cancel()
            self.core.unsubscribe(events)

    async def _chat(self, lines: AsyncIterator[str], prompt: bool) -> None:
        """Greet, then act on every line until :quit or the end of input."""
        self.say("crisis-help-bot chat mode: no token, no network. Type :help for commands.")
        self.say(f"Now: {self.role.user.first_name} ({self.role.name}) in {self._here()}.")
        async for raw in lines:
            line = raw.strip()
            if line in (":quit", ":q"):
                break
            if not line or self._switch(line):
                continue
            await self._settle(self._act(line))
            if prompt:
                self.out.write(self._style("> ", "1"))
                self.out.flush()

    async def _print(self, events: asyncio.Queue[BotEvent]) -> None:
        while True:
            self.show(await events.get())


async def _stdin_lines(prompt: bool, out: TextIO) -> AsyncIterator[str]:
    if prompt:
        out.write("> ")
        out.flush()
    while True:
        raw = await asyncio.to_thread(sys.stdin.buffer.readline)
        if not raw:
            return
        yield raw.decode("utf-8", "replace")


def run_chat(settings: Settings) -> int:
    """Entry point for `python -m bot chat`."""
    interactive = sys.stdin.isatty()
    session = ChatSession(settings, sys.stdout, color=sys.stdout.isatty())
    session.runtime.knowledge.require_usable()
    asyncio.run(session.run(_stdin_lines(interactive, sys.stdout), prompt=interactive))
    return 0
