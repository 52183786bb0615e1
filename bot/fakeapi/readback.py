"""What the bot did, as the fake Telegram saw it: messages, answers, actions, waits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from bot.fakeapi.driver import Driver
from bot.fakeapi.models import (
    CallRecord,
    Message,
)
from bot.fakeapi.state import (
    JSON,
    ChatRef,
    T,
    WaitTimeout,
)

# How long a wait gives the bot before it fails. A passing wait returns the moment its condition
# holds, so this only decides when a real failure is reported; a bot process that has just
# restarted on a shared, loaded two-core machine took more than 5 s for its first answer.
WAIT_SECONDS = 20.0


class Inspection(Driver):
    """What the bot did, read back by tests."""

    # --------------------------------------------------------- what the bot did

    def messages(self, chat: ChatRef, *, include_deleted: bool = False) -> list[Message]:
        """All messages of a chat, both sides, in order."""
        log = self._logs.get(self._chat_id(chat))
        values = list(log.messages.values()) if log else []
        return values if include_deleted else [m for m in values if not m.deleted]

    def bot_messages(self, chat: ChatRef, *, include_deleted: bool = False) -> list[Message]:
        """The bot's messages in a chat, in the order sent (edits applied)."""
        log = self._logs.get(self._chat_id(chat))
        values = list(log.bot_messages) if log else []
        return values if include_deleted else [m for m in values if not m.deleted]

    def last_bot_message(self, chat: ChatRef) -> Message | None:
        """The bot's latest message still present in a chat."""
        log = self._logs.get(self._chat_id(chat))
        for message in reversed(log.bot_messages if log else []):
            if not message.deleted:
                return message
        return None

    def get_message(self, chat: ChatRef, message_id: int) -> Message:
        """A message by chat and id."""
        return self._message_in(self.chat(chat), message_id)

    @property
    def sent_messages(self) -> list[Message]:
        """Every message the bot sent, all chats, in order."""
        return list(self._sent)

    @property
    def sent_count(self) -> int:
        """How many messages the bot sent."""
        return len(self._sent)

    def commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[JSON]:
        """The commands set for a scope (default scope when None) and language."""
        key = self._scope_key(dict(scope) if scope else None, language_code, check=False)
        return [dict(command) for command in self._commands.get(key, [])]

    def calls_to(self, method: str) -> list[CallRecord]:
        """Logged calls of one method (case-insensitive)."""
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    def mark_read(self, chat: ChatRef) -> None:
        """Make `wait_for_message` ignore the bot messages already in a chat."""
        chat_id = self._chat_id(chat)
        log = self._logs.get(chat_id)
        self._cursors[chat_id] = len(log.bot_messages) if log else 0

    async def wait_for(
        self,
        condition: Callable[[], T],
        timeout: float = WAIT_SECONDS,  # noqa: ASYNC109 - a deadline for the condition, not for I/O
        *,
        what: str | None = None,
    ) -> T:
        """Return `condition()` as soon as it is truthy; re-checked on every change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = condition()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise WaitTimeout(
                    f"waited {timeout}s for {what or 'a condition'}; nothing matched."
                    + self._diagnostics(None)
                )
            await self.wait_for_change(remaining)

    async def wait_for_message(
        self,
        chat: ChatRef,
        predicate: Callable[[Message], bool] | None = None,
        timeout: float = WAIT_SECONDS,  # noqa: ASYNC109 - a deadline for the bot, not for I/O
    ) -> Message:
        """The next bot message in a chat (matching `predicate`), as soon as it exists.

        "Next" means after the last message an earlier wait returned (see `mark_read`), so a
        reply that arrived before the call is still found. Raises WaitTimeout listing what
        the bot did send.
        """
        chat_id = self._chat_id(chat)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        scanned = self._cursors.get(chat_id, 0)
        while True:
            log = self._logs.get(chat_id)
            sent = log.bot_messages if log else []
            for index in range(scanned, len(sent)):
                if predicate is None or predicate(sent[index]):
                    self._cursors[chat_id] = index + 1
                    return sent[index]
            scanned = len(sent)
            remaining = deadline - loop.time()
            if remaining <= 0:
                wanted = "a bot message" if predicate is None else "a matching bot message"
                raise WaitTimeout(
                    f"waited {timeout}s for {wanted} in chat {chat_id}."
                    + self._diagnostics(chat_id)
                )
            await self.wait_for_change(remaining)

    async def wait_for_messages(
        self,
        chat: ChatRef,
        count: int,
        timeout: float = WAIT_SECONDS,  # noqa: ASYNC109 - a deadline for the bot, not for I/O
    ) -> list[Message]:
        """The next `count` bot messages in a chat."""
        chat_id = self._chat_id(chat)
        start = self._cursors.get(chat_id, 0)

        def enough() -> list[Message] | None:
            log = self._logs.get(chat_id)
            sent = log.bot_messages if log else []
            return sent[start : start + count] if len(sent) >= start + count else None

        try:
            found = await self.wait_for(enough, timeout, what=f"{count} bot messages")
        except WaitTimeout:
            raise WaitTimeout(
                f"waited {timeout}s for {count} bot messages in chat {chat_id}."
                + self._diagnostics(chat_id)
            ) from None
        self._cursors[chat_id] = start + count
        return found or []

    def _diagnostics(self, chat_id: int | None) -> str:
        lines: list[str] = []
        if chat_id is not None:
            log = self._logs.get(chat_id)
            sent = log.bot_messages if log else []
            cursor = self._cursors.get(chat_id, 0)
            lines.append(f"Bot messages in chat {chat_id}: {len(sent)} ({cursor} already taken)")
            lines.extend(f"  {'*' if i >= cursor else ' '} {m!r}" for i, m in enumerate(sent[-15:]))
            others = sorted({m.chat.id for m in self._sent[-50:]} - {chat_id})
            if others:
                lines.append(f"The bot also wrote recently to chats {others}")
        failed = [call for call in self.calls if not call.ok][-5:]
        if failed:
            lines.append("Failed API calls:")
            lines.extend(f"  {c.method} -> {c.status} {c.description}" for c in failed)
        if self._updates:
            lines.append(
                f"{len(self._updates)} update(s) still pending: has the bot fetched them "
                f"(webhook={'set' if self.webhook else 'none'})?"
            )
        if self._undelivered:
            lines.append("Not delivered to the bot, as Telegram would not:")
            lines.extend(f"  {reason}" for reason in self._undelivered)
        if not self.calls:
            lines.append("The bot made no API call at all.")
        return "\n" + "\n".join(lines) if lines else ""
