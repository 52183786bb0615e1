"""The fake Telegram's identity and state: who the bot is, its chats, updates and calls."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from bot.fakeapi.faults import Fault, RateLimiter
from bot.fakeapi.html import (
    FormattedText,
    clean_text,
    find_entities,
    sort_entities,
    utf16_len,
)
from bot.fakeapi.models import (
    BotEvent,
    CallbackAnswer,
    CallRecord,
    Chat,
    ChatActionRecord,
    DeliveryAttempt,
    Message,
    MessageVersion,
    User,
    WebhookConfig,
)
from bot.fakeapi.protocol import (
    TOKEN_PATTERN,
    Params,
    bad_request,
)

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


class CoreState:
    """A local stand-in for the Telegram Bot API, seen from one bot: its identity and state.

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

    def _end_poll(self, outcome: str) -> None:
        if self._poll is not None:
            self._poll.outcome = outcome
            self._poll.event.set()
            self._poll = None


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
    "can_react_to_messages",  # python-telegram-bot 22 requires it of a restricted member
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
