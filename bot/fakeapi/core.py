"""The fake Telegram's state and Bot API methods: pure asyncio, no HTTP.

One `FakeTelegram` is one bot's view of Telegram: its token, the users and chats it can
see, their messages, the update queue (long polling or webhook), commands, answered
callback queries, a log of every call, injected faults and optional flood limits. Tests
drive it from the user's side (`inject_text`, `press_button`, ...) and read back what the
bot did (`bot_messages`, `wait_for_message`, `callback_answers`, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from bot.fakeapi.faults import Fault, RateLimiter, RateLimits
from bot.fakeapi.html import (
    MAX_MESSAGE_LENGTH,
    EntityParseError,
    FormattedText,
    clean_text,
    find_entities,
    format_text,
    sort_entities,
    utf16_len,
)
from bot.fakeapi.markup import validate_reply_markup
from bot.fakeapi.models import (
    MEMBER_STATUSES,
    PRESENT_STATUSES,
    BotEvent,
    CallbackAnswer,
    CallRecord,
    Chat,
    ChatActionRecord,
    DeliveryAttempt,
    Injected,
    Message,
    MessageVersion,
    User,
    WebhookConfig,
)
from bot.fakeapi.protocol import (
    TOKEN_PATTERN,
    ApiError,
    ApiResponse,
    Params,
    bad_request,
    forbidden,
)

__all__ = ["DEFAULT_TOKEN", "FakeTelegram", "WaitTimeout", "WebhookSender"]

_LOGGER = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"

JSON = dict[str, Any]
T = TypeVar("T")
UserRef = User | int
ChatRef = Chat | User | int

ALL_UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
# Telegram's default when allowed_updates was never set (or set to []).
DEFAULT_UPDATE_TYPES = frozenset(ALL_UPDATE_TYPES) - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Real Bot API methods this fake does not implement: answered 404 with a warning in the log.
_KNOWN_UNIMPLEMENTED = frozenset(
    name.lower()
    for name in (
        "sendPhoto",
        "sendDocument",
        "sendVoice",
        "sendSticker",
        "sendLocation",
        "sendContact",
        "sendAudio",
        "sendVideo",
        "sendMediaGroup",
        "sendPoll",
        "forwardMessage",
        "copyMessage",
        "deleteMessages",
        "editMessageCaption",
        "pinChatMessage",
        "getFile",
        "setMyDescription",
        "setChatMenuButton",
        "answerInlineQuery",
    )
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")
_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)


class WaitTimeout(TimeoutError):
    """A `wait_for...` ran out of time; the message lists what did happen."""


class WebhookSender(Protocol):
    """What the webhook deliverer offers the core (kept abstract so core imports no HTTP)."""

    async def post_update(
        self,
        update: Mapping[str, Any],
        *,
        secret_token: str | None = None,
        url: str | None = None,
    ) -> DeliveryAttempt:
        """POST one update to the webhook with exactly this secret and record the attempt."""
        ...


@dataclass
class _ChatLog:
    messages: dict[int, Message] = field(default_factory=dict)
    bot_messages: list[Message] = field(default_factory=list)
    next_id: int = 1


@dataclass
class _Poll:
    event: asyncio.Event
    outcome: str | None = None


@dataclass
class _PendingCallback:
    created: float
    user: User
    message: Message
    data: str | None
    answered: bool = False


Handler = Callable[[Params], Awaitable[Any]]


class FakeTelegram:
    """A local stand-in for the Telegram Bot API, seen from one bot.

    Parameters:
        token: the bot token (its number before the colon is the bot's user id).
        username, first_name: the bot's identity as getMe reports it.
        privacy_mode: like a real bot's default; in groups the bot then only receives
            commands, replies to its messages and mentions, unless it is an administrator.
        strict_html: also refuse a bare "&" and unsupported tag attributes (see `html`).
        callback_query_ttl: seconds after which answerCallbackQuery says the query is too old.
        monotonic, wall_clock: clocks, replaceable in tests (call log, flood limits and
            query expiry use `monotonic`; message dates use `wall_clock`).
        call_log_limit: keep only this many calls in `calls` (None keeps all).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        username: str = "crisis_help_test_bot",
        first_name: str = "Crisis Help",
        privacy_mode: bool = True,
        strict_html: bool = True,
        callback_query_ttl: float = 15.0,
        first_update_id: int = 1,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        call_log_limit: int | None = None,
    ) -> None:
        if not TOKEN_PATTERN.match(token):
            raise ValueError(f"not a Telegram bot token: {token!r}")
        self.token = token
        self.bot_user = User(
            id=int(token.split(":", 1)[0]), first_name=first_name, username=username, is_bot=True
        )
        self.privacy_mode = privacy_mode
        self.strict_html = strict_html
        self.callback_query_ttl = callback_query_ttl
        self.first_update_id = first_update_id
        self.monotonic = monotonic
        self.wall_clock = wall_clock
        self.call_log_limit = call_log_limit
        self.webhook_sender: WebhookSender | None = None
        self._subscribers: list[asyncio.Queue[BotEvent]] = []
        self._listeners: list[Callable[[BotEvent], None]] = []
        self._watchers: set[asyncio.Event] = set()
        self._poll: _Poll | None = None
        self._methods: dict[str, tuple[str, Handler]] = {}
        for name in (
            "getMe",
            "getUpdates",
            "setWebhook",
            "deleteWebhook",
            "getWebhookInfo",
            "sendMessage",
            "editMessageText",
            "editMessageReplyMarkup",
            "deleteMessage",
            "answerCallbackQuery",
            "setMyCommands",
            "getMyCommands",
            "deleteMyCommands",
            "sendChatAction",
            "getChat",
            "getChatMember",
            "close",
            "logOut",
        ):
            self._methods[name.lower()] = (name, getattr(self, f"_api_{name}"))
        self.reset()

    # ------------------------------------------------------------------ state

    def reset(self) -> None:
        """Forget everything but the bot's identity, options and event subscribers."""
        if self._poll is not None:
            self._end_poll("stop")
        self._users: dict[int, User] = {}
        self._chats: dict[int, Chat] = {}
        self._logs: dict[int, _ChatLog] = {}
        self._blocked: set[int] = set()
        self._updates: deque[JSON] = deque()
        self._next_update_id = self.first_update_id
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._explicit_allowed: tuple[str, ...] | None = None
        self.webhook: WebhookConfig | None = None
        self._webhook_error: tuple[int, str] | None = None
        self.webhook_attempts: list[DeliveryAttempt] = []
        self._callbacks: dict[str, _PendingCallback] = {}
        self.callback_answers: list[CallbackAnswer] = []
        self.chat_actions: list[ChatActionRecord] = []
        self._commands: dict[tuple[str, int | None, int | None, str], list[JSON]] = {}
        self.calls: deque[CallRecord] = deque(maxlen=self.call_log_limit)
        self._faults: list[Fault] = []
        self.rate_limiter: RateLimiter | None = None
        self._cursors: dict[int, int] = {}
        self._sent: list[Message] = []
        self._undelivered: deque[str] = deque(maxlen=5)
        self._logged_out = False
        self._user_ids = itertools.count(100_001)
        self._group_ids = itertools.count(1)
        self._query_ids = itertools.count(4_431_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._changed()

    def _changed(self) -> None:
        for event in self._watchers:
            event.set()

    async def wait_for_change(self, seconds: float) -> bool:
        """Wait until anything changes (a message, a call, an update...); False on timeout."""
        event = asyncio.Event()
        self._watchers.add(event)
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
            return True
        except TimeoutError:
            return False
        finally:
            self._watchers.discard(event)

    def _emit(self, event: BotEvent) -> None:
        for queue in self._subscribers:
            queue.put_nowait(event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                _LOGGER.exception("bot event listener failed on %s", event.kind)
        self._changed()

    def subscribe(self) -> asyncio.Queue[BotEvent]:
        """A queue receiving every bot output (messages, edits, deletions, answers...)."""
        queue: asyncio.Queue[BotEvent] = asyncio.Queue()
        self._subscribers.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[BotEvent]) -> None:
        """Stop feeding a queue from `subscribe`."""
        with contextlib.suppress(ValueError):
            self._subscribers.remove(queue)

    def add_listener(self, listener: Callable[[BotEvent], None]) -> None:
        """Call `listener` synchronously on every bot output."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[BotEvent], None]) -> None:
        """Undo `add_listener`."""
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

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

    # ---------------------------------------------------------------- updates

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

    def redeliver(self, update: JSON) -> None:
        """Offer an update again, as Telegram does when a crash kept the bot from confirming it."""
        updates = sorted([*self._updates, update], key=lambda u: int(u["update_id"]))
        self._updates.clear()
        self._updates.extend(updates)
        if self._poll is not None:
            self._poll.event.set()
        self._changed()

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by the bot (offset) or accepted by its webhook."""
        return list(self._updates)

    @property
    def pending_update_count(self) -> int:
        """How many updates wait for the bot."""
        return len(self._updates)

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

    def _sender_chat(self, user: User, chat: ChatRef | None) -> Chat:
        if chat is None:
            if user.id in self._blocked:
                # Writing to a blocked bot means pressing "Restart", which unblocks it.
                self.unblock(user)
            return self._private_chat(user)
        target = self.chat(chat)
        if target.is_private:
            if target.id != user.id:
                raise ValueError(f"user {user.id} cannot write in the private chat {target.id}")
            return target
        if target.members.get(user.id) not in PRESENT_STATUSES:
            target.members[user.id] = "member"
        return target

    def _bot_sees(self, chat: Chat, message: Message) -> bool:
        """Telegram's privacy mode: what a bot receives from a group."""
        if chat.is_private:
            return True
        if chat.bot_status not in PRESENT_STATUSES:
            return False
        if not self.privacy_mode or chat.bot_status in ("administrator", "creator"):
            return True
        if message.reply_to is not None and message.reply_to.outgoing:
            return True
        text = message.text or ""
        username = (self.bot_user.username or "").lower()
        for entity in message.entities:
            piece = _utf16_slice(text, entity["offset"], entity["length"]).lower()
            if entity["type"] == "bot_command" and (
                "@" not in piece or piece.endswith("@" + username)
            ):
                return True
            if entity["type"] == "mention" and piece == "@" + username:
                return True
        return False

    def _user_message(
        self,
        user: UserRef,
        chat: ChatRef | None,
        *,
        text: str | None = None,
        entities: list[JSON] | None = None,
        media: JSON | None = None,
        reply_to: Message | int | None = None,
    ) -> Injected:
        sender = self.user(user)
        target = self._sender_chat(sender, chat)
        fields: dict[str, Any] = {"media": media or {}}
        if text is not None:
            formatted = _user_text(text, entities)
            if not formatted.text:
                raise ValueError("Telegram clients do not send empty messages")
            fields.update(text=formatted.text, entities=formatted.entities, raw_text=text)
        if reply_to is not None:
            fields["reply_to"] = self._message_in(target, reply_to)
        message = self._add_message(target, sender, False, **fields)
        if not self._bot_sees(target, message):
            self._undelivered.append(
                f"{message!r} (privacy mode: not a command, reply to the bot or mention)"
            )
            return Injected(None, message)
        return Injected(self._enqueue("message", message.to_api()), message)

    def _message_in(self, chat: Chat, ref: Message | int) -> Message:
        message_id = ref.message_id if isinstance(ref, Message) else ref
        if isinstance(ref, Message) and ref.chat.id != chat.id:
            raise ValueError(f"message {message_id} is in chat {ref.chat.id}, not {chat.id}")
        message = self._logs.get(chat.id, _ChatLog()).messages.get(message_id)
        if message is None:
            raise LookupError(f"no message {message_id} in chat {chat.id}")
        return message

    def _file(self, prefix: str) -> JSON:
        number = next(self._file_ids)
        return {"file_id": f"{prefix}{number:08d}fake", "file_unique_id": f"AQAD{number:08d}"}

    def inject_text(
        self,
        user: UserRef,
        text: str,
        *,
        chat: ChatRef | None = None,
        reply_to: Message | int | None = None,
        entities: list[JSON] | None = None,
    ) -> Injected:
        """The user sends a text (to the bot, or in `chat`); commands get bot_command entities.

        `reply_to` (a message or id in that chat) makes it a reply, e.g. a staff member
        answering a bot message in a group. In groups, privacy mode decides whether the bot
        gets an update (`Injected.update` is None when not).
        """
        return self._user_message(user, chat, text=text, entities=entities, reply_to=reply_to)

    def inject_edit(self, message: Message, text: str) -> Injected:
        """The user edits their own text message: an edited_message update."""
        if message.outgoing or message.sender is None:
            raise ValueError("only user messages can be edited by the user")
        formatted = _user_text(text, None)
        message.history.append(_version(message))
        message.text, message.entities, message.raw_text = formatted.text, formatted.entities, text
        message.edit_date = self._now()
        seen = self._bot_sees(message.chat, message)
        return Injected(
            self._enqueue("edited_message", message.to_api()) if seen else None, message
        )

    def inject_contact(
        self,
        user: UserRef,
        phone_number: str | None = None,
        *,
        chat: ChatRef | None = None,
        contact_user: UserRef | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> Injected:
        """The user shares a contact; by default their own, as a request_contact button does."""
        sender = self.user(user)
        owner = self.user(contact_user) if contact_user is not None else sender
        phone = phone_number or owner.phone_number or f"+4670{owner.id % 10_000_000:07d}"
        contact: JSON = {
            "phone_number": phone,
            "first_name": first_name or owner.first_name,
        }
        if last_name or (first_name is None and owner.last_name):
            contact["last_name"] = last_name or owner.last_name
        if contact_user is not None or first_name is None:
            contact["user_id"] = owner.id
        return self._user_message(user, chat, media={"contact": contact})

    def inject_photo(
        self, user: UserRef, *, caption: str | None = None, chat: ChatRef | None = None
    ) -> Injected:
        """The user sends a photo (three sizes, as Telegram delivers them)."""
        base = self._file("AgACAgQAAxkBAAI")
        sizes = [
            {**base, "file_id": base["file_id"] + suffix, "width": w, "height": h, "file_size": s}
            for suffix, w, h, s in (
                ("s", 90, 68, 1200),
                ("m", 320, 240, 16000),
                ("x", 800, 600, 61000),
            )
        ]
        return self._user_message(user, chat, media=self._with_caption({"photo": sizes}, caption))

    def inject_voice(
        self, user: UserRef, *, duration: int = 3, chat: ChatRef | None = None
    ) -> Injected:
        """The user sends a voice message."""
        voice = {**self._file("AwACAgQAAxkBAAI"), "duration": duration}
        voice.update(mime_type="audio/ogg", file_size=duration * 4000)
        return self._user_message(user, chat, media={"voice": voice})

    def inject_sticker(
        self, user: UserRef, *, emoji: str = "👍", chat: ChatRef | None = None
    ) -> Injected:
        """The user sends a sticker."""
        sticker = {**self._file("CAACAgIAAxkBAAI"), "type": "regular", "width": 512}
        sticker.update(height=512, is_animated=False, is_video=False, emoji=emoji)
        return self._user_message(user, chat, media={"sticker": sticker})

    def inject_location(
        self,
        user: UserRef,
        latitude: float = 59.8345,
        longitude: float = 10.4352,
        *,
        chat: ChatRef | None = None,
    ) -> Injected:
        """The user shares a location."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._user_message(user, chat, media={"location": location})

    def inject_document(
        self,
        user: UserRef,
        *,
        file_name: str = "document.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        chat: ChatRef | None = None,
    ) -> Injected:
        """The user sends a file."""
        document = {**self._file("BQACAgQAAxkBAAI"), "file_name": file_name}
        document.update(mime_type=mime_type, file_size=24_000)
        media = self._with_caption({"document": document}, caption)
        return self._user_message(user, chat, media=media)

    @staticmethod
    def _with_caption(media: JSON, caption: str | None) -> JSON:
        if caption:
            formatted = _user_text(caption, None)
            media["caption"] = formatted.text
            if formatted.entities:
                media["caption_entities"] = formatted.entities
        return media

    def press_button(
        self,
        user: UserRef,
        message: Message,
        *,
        text: str | None = None,
        data: str | None = None,
    ) -> Injected:
        """The user presses an inline button of a bot message, found by its text or data."""
        if text is None and data is None:
            raise ValueError("say which button: text= or data=")
        button = message.find_button(text=text, data=data)
        if button is None:
            buttons = [
                (b.get("text"), b.get("callback_data"))
                for row in message.inline_keyboard
                for b in row
            ]
            raise LookupError(
                f"no inline button text={text!r} data={data!r} on {message!r}; buttons: {buttons}"
            )
        if "callback_data" not in button:
            raise ValueError(f"button {button} sends no callback query")
        return self.inject_callback(user, message, str(button["callback_data"]))

    def inject_callback(self, user: UserRef, message: Message, data: str | None) -> Injected:
        """A callback query with any data, e.g. forged data no button carries."""
        sender = self.user(user)
        current = self._message_in(message.chat, message.message_id)
        if current.deleted:
            raise LookupError(f"{current!r} was deleted; its buttons are gone")
        if current.chat.is_private and current.chat.id != sender.id:
            raise ValueError(f"user {sender.id} cannot see the private chat {current.chat.id}")
        if not current.chat.is_private:
            self._sender_chat(sender, current.chat)
        query_id = str(next(self._query_ids))
        self._callbacks[query_id] = _PendingCallback(self.monotonic(), sender, current, data)
        payload: JSON = {
            "id": query_id,
            "from": sender.to_api(),
            "message": current.to_api(),
            "chat_instance": str((current.chat.id * 7919 + self.bot_user.id) % 2**63),
        }
        if data is not None:
            payload["data"] = data
        return Injected(self._enqueue("callback_query", payload), current, query_id)

    def active_reply_keyboard(self, chat: ChatRef) -> JSON | None:
        """The reply keyboard the user currently sees in a chat, if any."""
        log = self._logs.get(self._chat_id(chat))
        for message in reversed(log.bot_messages if log else []):
            markup = message.reply_markup or {}
            if "keyboard" in markup:
                return markup
            if "remove_keyboard" in markup:
                return None
        return None

    def tap_reply_button(
        self, user: UserRef, text: str, *, chat: ChatRef | None = None
    ) -> Injected:
        """The user taps a button of the current reply keyboard (request_contact shares)."""
        sender = self.user(user)
        where = chat if chat is not None else sender
        keyboard = self.active_reply_keyboard(where)
        if keyboard is None:
            raise LookupError(f"no reply keyboard is shown in chat {self._chat_id(where)}")
        for row in keyboard["keyboard"]:
            for button in row:
                if button.get("text") != text:
                    continue
                if button.get("request_contact"):
                    return self.inject_contact(sender, chat=chat)
                if button.get("request_location"):
                    return self.inject_location(sender, chat=chat)
                return self.inject_text(sender, text, chat=chat)
        texts = [b.get("text") for row in keyboard["keyboard"] for b in row]
        raise LookupError(f"no reply button {text!r}; the keyboard has {texts}")

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
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the condition, not for I/O
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
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the bot, not for I/O
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
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the bot, not for I/O
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

    # ----------------------------------------------------- faults and limits

    def add_fault(self, fault: Fault) -> Fault:
        """Activate a fault; it applies until used up or removed."""
        self._faults.append(fault)
        return fault

    def fail(
        self,
        method: str | None = None,
        *,
        status: int = 500,
        times: int | None = 1,
        chat_id: int | str | None = None,
        description: str | None = None,
    ) -> Fault:
        """Answer the next `times` matching calls with an error status."""
        return self.add_fault(
            Fault(method, chat_id, status=status, times=times, description=description)
        )

    def too_many_requests(
        self,
        retry_after: int = 1,
        method: str | None = None,
        *,
        times: int | None = 1,
        chat_id: int | str | None = None,
    ) -> Fault:
        """Answer 429 "Too Many Requests: retry after N" to the next matching calls."""
        return self.add_fault(
            Fault(method, chat_id, status=429, retry_after=retry_after, times=times)
        )

    def delay(
        self,
        seconds: float,
        method: str | None = None,
        *,
        times: int | None = 1,
        chat_id: int | str | None = None,
        after_effect: bool = False,
    ) -> Fault:
        """Answer matching calls late; with after_effect the call takes effect first."""
        return self.add_fault(
            Fault(
                method,
                chat_id,
                status=None,
                delay=seconds,
                delay_after=after_effect,
                times=times,
            )
        )

    def remove_fault(self, fault: Fault) -> None:
        """Deactivate a fault."""
        with contextlib.suppress(ValueError):
            self._faults.remove(fault)

    def clear_faults(self) -> None:
        """Deactivate all faults."""
        self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """Active faults."""
        return list(self._faults)

    def enable_rate_limits(self, limits: RateLimits | None = None) -> RateLimiter:
        """Answer 429 with a correct retry_after when the bot floods like Telegram forbids."""
        self.rate_limiter = RateLimiter(limits or RateLimits(), self.monotonic)
        return self.rate_limiter

    def disable_rate_limits(self) -> None:
        """Turn the flood limits off."""
        self.rate_limiter = None

    def _take_fault(self, method: str, chat_id: Any) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, chat_id):
                fault.hits += 1
                if fault.exhausted:
                    self._faults.remove(fault)
                return fault
        return None

    # --------------------------------------------------------------- webhook

    async def next_webhook_update(self) -> tuple[WebhookConfig, JSON]:
        """Wait for a webhook to be set and an update to deliver; returns both."""
        while True:
            if self.webhook is not None and self._updates:
                return self.webhook, self._updates[0]
            await self.wait_for_change(3600)

    def ack_webhook_update(self, update_id: int) -> None:
        """The webhook accepted this update: it is no longer pending."""
        if self._updates and self._updates[0]["update_id"] == update_id:
            self._updates.popleft()
            self._changed()

    def record_webhook_attempt(self, attempt: DeliveryAttempt) -> None:
        """Log a delivery attempt; failures show in getWebhookInfo."""
        self.webhook_attempts.append(attempt)
        if not attempt.ok and not attempt.forged:
            self._webhook_error = (self._now(), attempt.error or f"status {attempt.status}")
        self._changed()

    async def post_webhook_update(
        self, update: Mapping[str, Any], *, secret_token: str | None = None
    ) -> DeliveryAttempt:
        """POST any update to the webhook with any secret, e.g. to prove forgeries fail."""
        if self.webhook_sender is None:
            raise RuntimeError("no webhook deliverer is attached; serve the core over HTTP")
        return await self.webhook_sender.post_update(update, secret_token=secret_token)

    # ------------------------------------------------------------- API entry

    async def api(self, method: str, **params: Any) -> Any:
        """Call a Bot API method as the bot would; returns the result or raises ApiError."""
        response = await self.call(self.token, method, params)
        if not response.ok:
            raise ApiError(
                response.status,
                response.description or "",
                response.payload.get("parameters"),
            )
        return response.payload["result"]

    async def call(self, token: str, method: str, params: Mapping[str, Any]) -> ApiResponse:
        """Handle one Bot API request; never raises for API-level errors."""
        started = self.monotonic()
        entry = self._methods.get(method.lower())
        name = entry[0] if entry else method
        args = Params(params)
        try:
            if token != self.token or self._logged_out:
                status = 401 if TOKEN_PATTERN.match(token) else 404
                raise ApiError(status, "Unauthorized" if status == 401 else "Not Found")
            if entry is None:
                if method.lower() in _KNOWN_UNIMPLEMENTED:
                    _LOGGER.warning("the fake Telegram does not implement %s", method)
                raise ApiError(404, "Not Found")
            fault = self._take_fault(name, params.get("chat_id"))
            if fault is not None:
                if fault.delay and not fault.delay_after:
                    await asyncio.sleep(fault.delay)
                error = fault.error()
                if error is not None:
                    raise error
            limited_chat = self._check_flood(name, args)
            result = await entry[1](args)
            if limited_chat is not None and self.rate_limiter is not None:
                self.rate_limiter.record(limited_chat)
            if fault is not None and fault.delay and fault.delay_after:
                await asyncio.sleep(fault.delay)
            description = None
            if isinstance(result, _Described):
                result, description = result.result, result.description
            response = ApiResponse.success(result, description)
        except ApiError as error:
            response = error.to_response()
        self._record(name, args, started, response)
        return response

    def _record(self, method: str, args: Params, started: float, response: ApiResponse) -> None:
        self.calls.append(
            CallRecord(
                method=method,
                params=args.decoded,
                started=started,
                finished=self.monotonic(),
                status=response.status,
                description=response.description,
                result=response.payload.get("result"),
            )
        )
        if not response.ok:
            _LOGGER.debug("%s -> %s %s", method, response.status, response.description)
        self._changed()

    def _check_flood(self, method: str, args: Params) -> int | None:
        limiter = self.rate_limiter
        if limiter is None or not limiter.applies_to(method) or not args.has("chat_id"):
            return None
        try:
            chat = self._find_chat(args.get_chat_id())
        except ApiError:
            return None
        wait = limiter.check(chat.id, chat.is_private)
        if wait is not None:
            raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        return chat.id

    # -------------------------------------------------------- chat access

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

    def _reachable_chat(self, chat_id: int | str) -> Chat:
        """A chat the bot may act in: started, not blocked, still a member."""
        chat = self._find_chat(chat_id)
        if chat.is_private:
            if chat.id in self._blocked:
                raise forbidden("bot was blocked by the user")
        elif chat.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        elif chat.bot_status not in PRESENT_STATUSES:
            raise forbidden(f"bot is not a member of the {chat.type} chat")
        return chat

    def _format(self, text: str, args: Params, parse_mode: str | None) -> FormattedText:
        mode = (parse_mode or "").strip()
        if mode and mode.lower() != "html":
            if mode.lower() in ("markdown", "markdownv2"):
                _LOGGER.warning("the fake Telegram implements only the HTML parse mode")
            raise bad_request(f"unsupported parse_mode {mode!r} (this fake supports only HTML)")
        entities = None
        if not mode and args.has("entities"):
            entities = _check_entities(
                args.get_json("entities", error="can't parse entities JSON object"), text
            )
        try:
            formatted = format_text(
                text,
                "HTML" if mode else None,
                entities=entities,
                strict=self.strict_html,
                resolve_user=self._mention,
            )
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
        if not formatted.text:
            raise bad_request("message text is empty")
        if utf16_len(formatted.text) > MAX_MESSAGE_LENGTH:
            raise bad_request("message is too long")
        return formatted

    def _mention(self, user_id: int) -> JSON | None:
        user = self._users.get(user_id)
        return user.to_api() if user else None

    def _reply_target(self, chat: Chat, args: Params) -> Message | None:
        message_id: int | None = None
        allow_without = args.get_bool("allow_sending_without_reply")
        target_chat = chat
        parameters = args.get_json(
            "reply_parameters", error="can't parse reply parameters JSON object"
        )
        if parameters is not None:
            if not isinstance(parameters, dict) or not isinstance(
                parameters.get("message_id"), int
            ):
                raise bad_request("can't parse reply parameters JSON object")
            message_id = parameters["message_id"]
            allow_without = bool(parameters.get("allow_sending_without_reply", False))
            if parameters.get("chat_id") is not None:
                target_chat = self._find_chat(parameters["chat_id"])
        elif args.has("reply_to_message_id"):
            message_id = args.get_int("reply_to_message_id")
        if message_id is None:
            return None
        log = self._logs.get(target_chat.id)
        target = log.messages.get(message_id) if log else None
        if target is None or target.deleted:
            if allow_without:
                return None
            raise bad_request("message to be replied not found")
        return target

    # ---------------------------------------------------------- API methods

    async def _api_getMe(self, args: Params) -> Any:
        data = self.bot_user.to_api()
        data.update(
            can_join_groups=True,
            can_read_all_group_messages=not self.privacy_mode,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return data

    def _end_poll(self, outcome: str) -> None:
        if self._poll is not None:
            self._poll.outcome = outcome
            self._poll.event.set()
            self._poll = None

    @property
    def polling(self) -> bool:
        """Whether a getUpdates request is waiting for updates right now."""
        return self._poll is not None

    def interrupt_polls(self) -> None:
        """Make a pending long poll return now with what it has (used on shutdown)."""
        self._end_poll("stop")

    async def _api_getUpdates(self, args: Params) -> Any:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = args.get_int("offset") or 0
        limit = args.get_int("limit") or 100
        limit = min(max(limit, 1), 100)
        timeout = args.get_float("timeout") or 0.0
        allowed = args.get_json("allowed_updates", error="can't parse allowed_updates JSON array")
        if allowed is not None:
            self._set_allowed_updates(allowed)
        # A new request ends the previous one, which gets the 409 (as with two bot instances).
        self._end_poll("conflict")
        poll = _Poll(asyncio.Event())
        self._poll = poll
        self._changed()
        try:
            if offset < 0:
                while len(self._updates) > -offset:
                    self._updates.popleft()
            elif offset:
                while self._updates and self._updates[0]["update_id"] < offset:
                    self._updates.popleft()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while True:
                if poll.outcome == "conflict":
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only "
                        "one bot instance is running",
                    )
                if poll.outcome == "webhook":
                    raise ApiError(
                        409,
                        "Conflict: can't use getUpdates method while webhook is active; use "
                        "deleteWebhook to delete the webhook first",
                    )
                if self._updates:
                    return list(itertools.islice(self._updates, limit))
                remaining = deadline - loop.time()
                if remaining <= 0 or poll.outcome == "stop":
                    return []
                poll.event.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        await poll.event.wait()
        finally:
            if self._poll is poll:
                self._poll = None
            self._changed()

    def _set_allowed_updates(self, allowed: Any) -> None:
        if not isinstance(allowed, list) or not all(isinstance(kind, str) for kind in allowed):
            raise bad_request("can't parse allowed_updates JSON array")
        known = [kind for kind in allowed if kind in ALL_UPDATE_TYPES]
        self._explicit_allowed = tuple(known) if allowed else None
        self._allowed_updates = frozenset(known) if known else DEFAULT_UPDATE_TYPES

    async def _api_setWebhook(self, args: Params) -> Any:
        url = (args.get_str("url") or "").strip()
        if not url:
            return await self._api_deleteWebhook(args)
        scheme, _, rest = url.partition("://")
        host = rest.split("/", 1)[0].rsplit(":", 1)[0].lower() if rest else ""
        if scheme.lower() == "http" and host in _LOOPBACK:
            pass  # Real Telegram demands HTTPS; local tests get plain HTTP on loopback.
        elif scheme.lower() != "https" or not host:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = args.get_str("secret_token")
        if secret is not None and not _SECRET.match(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = args.get_int("max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("invalid max_connections specified")
        allowed = args.get_json("allowed_updates", error="can't parse allowed_updates JSON array")
        if allowed is not None:
            self._set_allowed_updates(allowed)
        if args.get_bool("drop_pending_updates"):
            self._updates.clear()
        config = WebhookConfig(
            url=url,
            secret_token=secret or None,
            max_connections=max_connections,
            ip_address=args.get_str("ip_address"),
            allowed_updates=self._explicit_allowed,
        )
        unchanged = config == self.webhook
        self.webhook = config
        self._end_poll("webhook")
        self._changed()
        return _Described(True, "Webhook is already set" if unchanged else "Webhook was set")

    async def _api_deleteWebhook(self, args: Params) -> Any:
        if args.get_bool("drop_pending_updates"):
            self._updates.clear()
        existed = self.webhook is not None
        self.webhook = None
        self._changed()
        return _Described(True, "Webhook was deleted" if existed else "Webhook is already deleted")

    async def _api_getWebhookInfo(self, args: Params) -> Any:
        info: JSON = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook is not None:
            if self.webhook.ip_address:
                info["ip_address"] = self.webhook.ip_address
            if self._webhook_error is not None:
                info["last_error_date"], info["last_error_message"] = self._webhook_error
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.allowed_updates is not None:
                info["allowed_updates"] = list(self.webhook.allowed_updates)
        return info

    async def _api_sendMessage(self, args: Params) -> Any:
        chat = self._reachable_chat(args.get_chat_id())
        text = args.get_str("text")
        if not text:
            raise bad_request("message text is empty")
        parse_mode = args.get_str("parse_mode")
        formatted = self._format(text, args, parse_mode)
        markup = validate_reply_markup(
            args.get_json("reply_markup", error="can't parse reply keyboard markup JSON object")
        )
        reply_to = self._reply_target(chat, args)
        preview = args.get_json(
            "link_preview_options", error="can't parse link preview options JSON object"
        )
        if preview is not None and not isinstance(preview, dict):
            raise bad_request("can't parse link preview options JSON object")
        if preview is None and args.get_bool("disable_web_page_preview"):
            preview = {"is_disabled": True}
        message = self._add_message(
            chat,
            self.bot_user,
            True,
            text=formatted.text,
            entities=formatted.entities,
            raw_text=text,
            parse_mode=parse_mode or None,
            reply_markup=markup,
            reply_to=reply_to,
            link_preview_options=preview or None,
            disable_notification=args.get_bool("disable_notification"),
            protect_content=args.get_bool("protect_content"),
        )
        self._emit(BotEvent("message", chat.id, message))
        return message.to_api()

    def _message_to_edit(self, args: Params) -> Message:
        if not args.has("chat_id"):
            if args.has("inline_message_id"):
                raise bad_request("MESSAGE_ID_INVALID")
            raise bad_request("chat_id is empty")
        chat = self._reachable_chat(args.get_chat_id())
        message_id = args.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = self._logs.get(chat.id, _ChatLog()).messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.outgoing:
            raise bad_request("message can't be edited")
        return message

    async def _api_editMessageText(self, args: Params) -> Any:
        message = self._message_to_edit(args)
        text = args.get_str("text")
        if not text:
            raise bad_request("message text is empty")
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        parse_mode = args.get_str("parse_mode")
        formatted = self._format(text, args, parse_mode)
        markup = validate_reply_markup(
            args.get_json("reply_markup", error="can't parse reply keyboard markup JSON object"),
            inline_only=True,
        )
        current_inline = message.reply_markup if message.inline_keyboard else None
        if (
            formatted.text == message.text
            and formatted.entities == message.entities
            and markup == current_inline
        ):
            raise bad_request(NOT_MODIFIED)
        message.history.append(_version(message))
        message.text, message.entities = formatted.text, formatted.entities
        message.raw_text, message.parse_mode = text, parse_mode or None
        if markup is not None or current_inline is not None:
            message.reply_markup = markup
        preview = args.get_json(
            "link_preview_options", error="can't parse link preview options JSON object"
        )
        if isinstance(preview, dict):
            message.link_preview_options = preview or None
        message.edit_date = self._now()
        self._emit(BotEvent("edit", message.chat.id, message))
        return message.to_api()

    async def _api_editMessageReplyMarkup(self, args: Params) -> Any:
        message = self._message_to_edit(args)
        markup = validate_reply_markup(
            args.get_json("reply_markup", error="can't parse reply keyboard markup JSON object"),
            inline_only=True,
        )
        current_inline = message.reply_markup if message.inline_keyboard else None
        if markup == current_inline:
            raise bad_request(NOT_MODIFIED)
        message.history.append(_version(message))
        message.reply_markup = markup
        self._emit(BotEvent("edit", message.chat.id, message))
        return message.to_api()

    async def _api_deleteMessage(self, args: Params) -> Any:
        chat = self._reachable_chat(args.get_chat_id())
        message_id = args.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = self._logs.get(chat.id, _ChatLog()).messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        if (
            not chat.is_private
            and not message.outgoing
            and chat.bot_status not in ("administrator", "creator")
        ):
            raise bad_request("message can't be deleted")
        message.deleted = True
        self._emit(BotEvent("delete", chat.id, message))
        return True

    async def _api_answerCallbackQuery(self, args: Params) -> Any:
        query_id = args.get_str("callback_query_id") or ""
        pending = self._callbacks.get(query_id)
        if (
            pending is None
            or pending.answered
            or self.monotonic() - pending.created > self.callback_query_ttl
        ):
            raise bad_request(QUERY_TOO_OLD)
        text = args.get_str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        pending.answered = True
        answer = CallbackAnswer(
            callback_query_id=query_id,
            text=text or None,
            show_alert=args.get_bool("show_alert"),
            url=args.get_str("url"),
            cache_time=args.get_int("cache_time") or 0,
            user_id=pending.user.id,
            message=pending.message,
            data=pending.data,
            time=self.monotonic(),
        )
        self.callback_answers.append(answer)
        detail = {"text": answer.text, "show_alert": answer.show_alert, "user_id": answer.user_id}
        self._emit(BotEvent("callback_answer", pending.message.chat.id, pending.message, detail))
        return True

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

    def _commands_args(self, args: Params) -> tuple[str, int | None, int | None, str]:
        scope = args.get_json("scope", error="can't parse BotCommandScope JSON object")
        return self._scope_key(scope, args.get_str("language_code"))

    async def _api_setMyCommands(self, args: Params) -> Any:
        commands = args.get_json("commands", error="can't parse commands JSON object")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        checked: list[JSON] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _COMMAND.match(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            checked.append({"command": name, "description": description})
        key = self._commands_args(args)
        if checked:
            self._commands[key] = checked
        else:
            self._commands.pop(key, None)
        self._emit(BotEvent("commands", key[1], None, {"scope": key[0], "commands": checked}))
        return True

    async def _api_getMyCommands(self, args: Params) -> Any:
        return [dict(command) for command in self._commands.get(self._commands_args(args), [])]

    async def _api_deleteMyCommands(self, args: Params) -> Any:
        key = self._commands_args(args)
        self._commands.pop(key, None)
        self._emit(BotEvent("commands", key[1], None, {"scope": key[0], "commands": []}))
        return True

    async def _api_sendChatAction(self, args: Params) -> Any:
        chat = self._reachable_chat(args.get_chat_id())
        action = args.get_str("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.chat_actions.append(ChatActionRecord(chat.id, action, self.monotonic()))
        self._emit(BotEvent("chat_action", chat.id, None, {"action": action}))
        return True

    async def _api_getChat(self, args: Params) -> Any:
        chat = self._find_chat(args.get_chat_id())
        if not chat.is_private and chat.bot_status not in PRESENT_STATUSES:
            raise forbidden(f"bot is not a member of the {chat.type} chat")
        return chat.to_full_info()

    async def _api_getChatMember(self, args: Params) -> Any:
        chat = self._find_chat(args.get_chat_id())
        user_id = args.get_int("user_id")
        if user_id is None:
            raise bad_request("user_id is empty")
        if user_id == self.bot_user.id:
            status = "member" if chat.is_private else chat.bot_status
            return _member_json(self.bot_user.to_api(), status)
        user = self._users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if chat.is_private:
            if user_id != chat.id:
                raise bad_request("user not found")
            return _member_json(user.to_api(), "member")
        if chat.bot_status not in PRESENT_STATUSES:
            raise forbidden(f"bot is not a member of the {chat.type} chat")
        return _member_json(user.to_api(), chat.members.get(user_id, "left"))

    async def _api_close(self, args: Params) -> Any:
        self.interrupt_polls()
        return True

    async def _api_logOut(self, args: Params) -> Any:
        self._logged_out = True
        self.interrupt_polls()
        return True


@dataclass(frozen=True, slots=True)
class _Described:
    """A result with the description Telegram adds to some successes."""

    result: Any
    description: str


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _version(message: Message) -> MessageVersion:
    return MessageVersion(
        text=message.text,
        raw_text=message.raw_text,
        parse_mode=message.parse_mode,
        entities=message.entities,
        reply_markup=message.reply_markup,
        edit_date=message.edit_date,
    )


def _utf16_slice(text: str, offset: int, length: int) -> str:
    if text.isascii():
        return text[offset : offset + length]
    encoded = text.encode("utf-16-le")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le", "replace")


def _user_text(text: str, entities: list[JSON] | None) -> FormattedText:
    """A user's message as Telegram delivers it: cleaned up, commands and links detected."""
    if entities is not None:
        return FormattedText(text, sort_entities([dict(entity) for entity in entities]))
    cleaned = clean_text(text, [])
    return FormattedText(cleaned.text, find_entities(cleaned.text))


def _check_entities(value: Any, text: str) -> list[JSON]:
    if not isinstance(value, list):
        raise bad_request("can't parse entities JSON object")
    size = utf16_len(text)
    checked: list[JSON] = []
    for entity in value:
        if (
            not isinstance(entity, dict)
            or not isinstance(entity.get("type"), str)
            or not isinstance(entity.get("offset"), int)
            or not isinstance(entity.get("length"), int)
        ):
            raise bad_request("can't parse MessageEntity JSON object")
        if entity["offset"] < 0 or entity["length"] <= 0:
            continue
        if entity["offset"] + entity["length"] > size:
            raise bad_request("can't parse entities: entity ends beyond the end of the text")
        checked.append(dict(entity))
    return checked


_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
    "can_manage_topics",
)
_RESTRICTED_RIGHTS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
    "can_edit_tag",
)


def _member_json(user: JSON, status: str) -> JSON:
    """A Bot API ChatMember object with the fields its status requires."""
    data: JSON = {"user": user, "status": status}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data.update(can_be_edited=False, is_anonymous=False)
        data.update(dict.fromkeys(_ADMIN_RIGHTS, True))
    elif status == "restricted":
        data.update(is_member=True, until_date=0)
        data.update(dict.fromkeys(_RESTRICTED_RIGHTS, False))
    elif status == "kicked":
        data["until_date"] = 0
    return data


def dump_update(update: Mapping[str, Any]) -> bytes:
    """An update as the JSON body Telegram POSTs to a webhook."""
    return json.dumps(update, ensure_ascii=False, separators=(",", ":")).encode()
