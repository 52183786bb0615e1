"""The fake Telegram's world: users, chats, membership and messages."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from bot.fakeapi.models import (
    MEMBER_STATUSES,
    Chat,
    Injected,
    Message,
    User,
)
from bot.fakeapi.protocol import (
    bad_request,
    forbidden,
)
from bot.fakeapi.state import (
    _LANGUAGE,
    _SCOPES,
    JSON,
    ChatRef,
    CoreState,
    UserRef,
    _as_int,
    _ChatLog,
    _member_json,
)

_LOGGER = logging.getLogger(__name__)


class World(CoreState):
    """Users, chats, membership and messages."""

    # ------------------------------------------------------------ the world

    def add_user(
        self,
        first_name: str = "Test",
        *,
        user_id: int | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        phone_number: str | None = None,
    ) -> User:
        """Create a user the bot may meet; ids are assigned when not given."""
        if user_id is None:
            user_id = next(self._user_ids)
            while user_id in self._users:
                user_id = next(self._user_ids)
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = User(
            id=user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            phone_number=phone_number,
        )
        self._users[user_id] = user
        return user

    def user(self, ref: UserRef) -> User:
        """A known user by object or id."""
        user_id = ref.id if isinstance(ref, User) else ref
        try:
            return self._users[user_id]
        except KeyError:
            raise KeyError(f"no user {user_id}; create it with add_user()") from None

    @property
    def users(self) -> list[User]:
        """All known users."""
        return list(self._users.values())

    def add_group(
        self,
        title: str = "Test group",
        *,
        chat_id: int | None = None,
        supergroup: bool = True,
        members: Mapping[UserRef, str] | Iterable[UserRef] = (),
        bot_status: str = "member",
        username: str | None = None,
    ) -> Chat:
        """Create a group the bot is in; `members` maps users to statuses (default member)."""
        if chat_id is None:
            number = next(self._group_ids)
            chat_id = -(1_001_000_000_000 + number) if supergroup else -(4_000_000_000 + number)
        if chat_id >= 0:
            raise ValueError("group ids are negative")
        chat = Chat(
            id=chat_id,
            type="supergroup" if supergroup else "group",
            title=title,
            username=username,
            bot_status=bot_status,
        )
        self._check_status(bot_status)
        self._chats[chat_id] = chat
        pairs = (
            members.items() if isinstance(members, Mapping) else ((m, "member") for m in members)
        )
        for member, status in pairs:
            self.set_member_status(chat, member, status)
        return chat

    @staticmethod
    def _check_status(status: str) -> None:
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown member status {status!r}; use one of {MEMBER_STATUSES}")

    def set_member_status(self, chat: ChatRef, user: UserRef, status: str) -> None:
        """Set a user's status in a group: creator, administrator, member, left, kicked..."""
        group = self.chat(chat)
        self._check_status(status)
        group.members[self.user(user).id] = status

    def change_member_status(
        self, chat: ChatRef, user: UserRef, status: str, *, by: UserRef | None = None
    ) -> Injected:
        """A user joins, leaves or is removed from a group: their status changes and a
        chat_member update is queued (delivered only to a bot that asked for them). `by`
        is who did it; by default the user themself."""
        group = self.chat(chat)
        self._check_status(status)
        target = self.user(user)
        old = group.members.get(target.id, "left")
        group.members[target.id] = status
        actor = self.user(by) if by is not None else target
        payload = {
            "chat": group.to_api(),
            "from": actor.to_api(),
            "date": self._now(),
            "old_chat_member": _member_json(target.to_api(), old),
            "new_chat_member": _member_json(target.to_api(), status),
        }
        return Injected(self._enqueue("chat_member", payload))

    def set_bot_status(self, chat: ChatRef, status: str, *, by: UserRef | None = None) -> Injected:
        """Change the bot's own status in a group; queues the my_chat_member update.

        `by` is who did it; by default the group's creator or an administrator.
        """
        group = self.chat(chat)
        self._check_status(status)
        if by is None:
            ranked = sorted(
                group.members.items(),
                key=lambda item: (
                    ("creator", "administrator").index(item[1])
                    if item[1] in ("creator", "administrator")
                    else 2
                ),
            )
            if not ranked:
                raise ValueError(f"group {group.id} has no members; say who acts with by=")
            by = ranked[0][0]
        old, group.bot_status = group.bot_status, status
        return self._my_chat_member(group, self.user(by), old, status)

    def chat(self, ref: ChatRef) -> Chat:
        """A known chat; a user stands for their private chat (which must exist)."""
        chat_id = self._chat_id(ref)
        try:
            return self._chats[chat_id]
        except KeyError:
            raise KeyError(
                f"no chat {chat_id}; a private chat exists once its user sent the bot something"
            ) from None

    @staticmethod
    def _chat_id(ref: ChatRef) -> int:
        if isinstance(ref, Chat | User):
            return ref.id
        return ref

    @property
    def chats(self) -> list[Chat]:
        """All chats the bot can see."""
        return list(self._chats.values())

    def has_started(self, user: UserRef) -> bool:
        """Whether the user ever wrote to the bot (so the bot may write to them)."""
        chat = self._chats.get(self.user(user).id)
        return chat is not None and chat.is_private

    def open_chat(self, user: UserRef) -> Chat:
        """The user started the bot long ago: their private chat exists and no update is
        queued. For tests and benches with many residents the bot may write to."""
        return self._private_chat(self.user(user))

    def block(self, user: UserRef) -> Injected:
        """The user blocks the bot: sends now fail with 403; queues my_chat_member."""
        target = self.user(user)
        self._blocked.add(target.id)
        chat = self._private_chat(target)
        return self._my_chat_member(chat, target, "member", "kicked")

    def unblock(self, user: UserRef) -> Injected:
        """The user unblocks (restarts) the bot; queues my_chat_member."""
        target = self.user(user)
        self._blocked.discard(target.id)
        chat = self._private_chat(target)
        return self._my_chat_member(chat, target, "kicked", "member")

    def is_blocked(self, user: UserRef) -> bool:
        """Whether the user has blocked the bot."""
        return self.user(user).id in self._blocked

    def _private_chat(self, user: User) -> Chat:
        chat = self._chats.get(user.id)
        if chat is None:
            chat = Chat(
                id=user.id,
                type="private",
                username=user.username,
                first_name=user.first_name,
                last_name=user.last_name,
            )
            self._chats[user.id] = chat
        return chat

    def _log(self, chat_id: int) -> _ChatLog:
        log = self._logs.get(chat_id)
        if log is None:
            log = self._logs[chat_id] = _ChatLog()
        return log

    def _now(self) -> int:
        return int(self.wall_clock())

    def _add_message(
        self, chat: Chat, sender: User | None, outgoing: bool, **fields: Any
    ) -> Message:
        log = self._log(chat.id)
        message = Message(
            message_id=log.next_id,
            chat=chat,
            date=self._now(),
            sender=sender,
            outgoing=outgoing,
            **fields,
        )
        log.next_id += 1
        log.messages[message.message_id] = message
        if outgoing:
            log.bot_messages.append(message)
            self._sent.append(message)
        return message

    def _my_chat_member(self, chat: Chat, actor: User, old: str, new: str) -> Injected:
        bot = self.bot_user.to_api()
        payload = {
            "chat": chat.to_api(),
            "from": actor.to_api(),
            "date": self._now(),
            "old_chat_member": _member_json(bot, old),
            "new_chat_member": _member_json(bot, new),
        }
        return Injected(self._enqueue("my_chat_member", payload))

    def _enqueue(self, kind: str, payload: JSON) -> JSON | None:
        if kind not in self._allowed_updates:
            _LOGGER.debug("dropping %s update: not in allowed_updates", kind)
            self._undelivered.append(f"a {kind} update (not in allowed_updates)")
            return None
        update: JSON = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._updates.append(update)
        if self._poll is not None:
            self._poll.event.set()
        self._changed()
        return update

    def _find_chat(self, chat_id: int | str) -> Chat:
        if isinstance(chat_id, str):
            wanted = chat_id.lstrip("@").lower()
            for chat in self._chats.values():
                if not chat.is_private and (chat.username or "").lower() == wanted:
                    return chat
            raise bad_request("chat not found")
        found = self._chats.get(chat_id)
        if found is None:
            if chat_id in self._users:
                raise forbidden("bot can't initiate conversation with a user")
            raise bad_request("chat not found")
        return found

    def _scope_key(
        self, scope: Any, language_code: str | None, *, check: bool = True
    ) -> tuple[str, int | None, int | None, str]:
        language = language_code or ""
        if check and language and not _LANGUAGE.match(language):
            raise bad_request("invalid language code specified")
        if scope is None:
            return ("default", None, None, language)
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
            raise bad_request("can't parse BotCommandScope JSON object")
        kind = str(scope["type"])
        chat_id: int | None = None
        user_id: int | None = None
        if kind in ("chat", "chat_administrators", "chat_member"):
            raw = scope.get("chat_id")
            if raw is None:
                raise bad_request("chat_id is empty")
            chat_id = self._find_chat(raw).id if check else _as_int(raw)
        if kind == "chat_member":
            user_id = _as_int(scope.get("user_id"))
            if user_id is None:
                raise bad_request("user_id is empty")
        return (kind, chat_id, user_id, language)
