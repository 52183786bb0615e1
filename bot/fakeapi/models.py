"""The fake Telegram's world: users, chats, messages and the records tests read back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "BotEvent",
    "CallRecord",
    "CallbackAnswer",
    "Chat",
    "ChatActionRecord",
    "DeliveryAttempt",
    "Injected",
    "Message",
    "MessageVersion",
    "User",
    "WebhookConfig",
]

JSON = dict[str, Any]
ChatType = Literal["private", "group", "supergroup", "channel"]
MemberStatus = Literal["creator", "administrator", "member", "restricted", "left", "kicked"]
MEMBER_STATUSES: frozenset[str] = frozenset(
    {"creator", "administrator", "member", "restricted", "left", "kicked"}
)
PRESENT_STATUSES: frozenset[str] = frozenset({"creator", "administrator", "member", "restricted"})


@dataclass(eq=False)
class User:
    """A Telegram account; `phone_number` is what a contact share reveals."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    phone_number: str | None = None

    def to_api(self) -> JSON:
        """The Bot API `User` object."""
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    @property
    def full_name(self) -> str:
        """First and last name, as clients show them."""
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass(eq=False)
class Chat:
    """A private chat (id = the user's id) or a group (negative id) with its members."""

    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    members: dict[int, str] = field(default_factory=dict)
    bot_status: str = "member"

    @property
    def is_private(self) -> bool:
        """Whether this is a one-to-one chat with a user."""
        return self.type == "private"

    def to_api(self) -> JSON:
        """The Bot API `Chat` object."""
        data: JSON = {"id": self.id}
        if self.title is not None:
            data["title"] = self.title
        if self.username:
            data["username"] = self.username
        if self.first_name is not None:
            data["first_name"] = self.first_name
        if self.last_name:
            data["last_name"] = self.last_name
        data["type"] = self.type
        if self.type == "group":
            data["all_members_are_administrators"] = False
        return data

    def to_full_info(self) -> JSON:
        """The Bot API `ChatFullInfo` object returned by getChat."""
        data = self.to_api()
        data.pop("all_members_are_administrators", None)
        data["accent_color_id"] = 0
        data["max_reaction_count"] = 11
        data["accepted_gift_types"] = {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        }
        if not self.is_private:
            data["permissions"] = {
                "can_send_messages": True,
                "can_send_audios": True,
                "can_send_documents": True,
                "can_send_photos": True,
                "can_send_videos": True,
                "can_send_video_notes": True,
                "can_send_voice_notes": True,
                "can_send_polls": True,
                "can_send_other_messages": True,
                "can_add_web_page_previews": True,
                "can_change_info": False,
                "can_invite_users": True,
                "can_pin_messages": False,
                "can_manage_topics": False,
            }
        return data


@dataclass(frozen=True, slots=True)
class MessageVersion:
    """A message's content before an edit."""

    text: str | None
    raw_text: str | None
    parse_mode: str | None
    entities: list[JSON]
    reply_markup: JSON | None
    edit_date: int | None


@dataclass(eq=False)
class Message:
    """A message in a chat, from a user or sent by the bot.

    For bot messages `raw_text` is the text exactly as the bot sent it and `text` is what
    users see after Telegram parsed `parse_mode`; `entities` are Telegram's (UTF-16 units).
    `reply_markup` is whatever markup the bot attached, reply keyboards included (the Bot
    API only echoes inline keyboards back). `media` holds the other Bot API fields:
    contact, photo, voice, sticker, location, document, caption...
    """

    message_id: int
    chat: Chat
    date: int
    sender: User | None
    outgoing: bool
    text: str | None = None
    entities: list[JSON] = field(default_factory=list)
    raw_text: str | None = None
    parse_mode: str | None = None
    reply_markup: JSON | None = None
    reply_to: Message | None = None
    edit_date: int | None = None
    media: JSON = field(default_factory=dict)
    link_preview_options: JSON | None = None
    disable_notification: bool = False
    protect_content: bool = False
    deleted: bool = False
    history: list[MessageVersion] = field(default_factory=list)

    @property
    def chat_id(self) -> int:
        """The id of the chat the message is in."""
        return self.chat.id

    @property
    def inline_keyboard(self) -> list[list[JSON]]:
        """Rows of inline buttons, or [] without an inline keyboard."""
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            rows: list[list[JSON]] = self.reply_markup["inline_keyboard"]
            return rows
        return []

    @property
    def button_texts(self) -> list[str]:
        """Texts of all buttons (inline or reply keyboard), row by row."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or self.reply_markup.get("keyboard") or []
        return [
            button if isinstance(button, str) else str(button.get("text", ""))
            for row in rows
            for button in row
        ]

    def find_button(self, *, text: str | None = None, data: str | None = None) -> JSON | None:
        """The inline button with this text and/or callback_data, if any."""
        for row in self.inline_keyboard:
            for button in row:
                if text is not None and button.get("text") != text:
                    continue
                if data is not None and button.get("callback_data") != data:
                    continue
                return button
        return None

    def to_api(self, *, with_reply: bool = True) -> JSON:
        """The Bot API `Message` object, as Telegram would return or deliver it."""
        data: JSON = {"message_id": self.message_id}
        if self.sender is not None:
            data["from"] = self.sender.to_api()
        data["chat"] = self.chat.to_api()
        data["date"] = self.date
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.protect_content:
            data["has_protected_content"] = True
        if with_reply and self.reply_to is not None:
            data["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        data.update(self.media)
        if self.link_preview_options:
            data["link_preview_options"] = self.link_preview_options
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data

    def to_test_json(self) -> JSON:
        """Everything a test may want to assert on, for the HTTP test API."""
        return {
            "message_id": self.message_id,
            "chat_id": self.chat.id,
            "date": self.date,
            "from": self.sender.to_api() if self.sender else None,
            "outgoing": self.outgoing,
            "text": self.text,
            "raw_text": self.raw_text,
            "parse_mode": self.parse_mode,
            "entities": self.entities,
            "reply_markup": self.reply_markup,
            "reply_to_message_id": self.reply_to.message_id if self.reply_to else None,
            "edit_date": self.edit_date,
            "edits": len(self.history),
            "deleted": self.deleted,
            "media": self.media,
            "api": self.to_api(),
        }

    def __repr__(self) -> str:
        who = "bot" if self.outgoing else (self.sender.first_name if self.sender else "?")
        shown = self.text if self.text is not None else ",".join(self.media) or "-"
        flags = " edited" if self.history else ""
        flags += " deleted" if self.deleted else ""
        return f"<Message #{self.message_id} chat={self.chat.id} {who}: {shown!r}{flags}>"


@dataclass(frozen=True, slots=True)
class Injected:
    """What an injected user action produced.

    `update` is None when Telegram would not deliver it to the bot (privacy mode in groups,
    an update type excluded by allowed_updates).
    """

    update: JSON | None
    message: Message | None = None
    callback_query_id: str | None = None

    @property
    def update_id(self) -> int | None:
        """The update's id, if one was queued."""
        return int(self.update["update_id"]) if self.update else None


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One Bot API call: parameters as decoded, monotonic times, HTTP status and outcome."""

    method: str
    params: JSON
    started: float
    finished: float
    status: int
    description: str | None = None
    result: Any = None

    @property
    def ok(self) -> bool:
        """Whether Telegram answered with success."""
        return 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    """An answerCallbackQuery the bot made."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int
    user_id: int
    message: Message | None
    data: str | None
    time: float


@dataclass(frozen=True, slots=True)
class ChatActionRecord:
    """A sendChatAction the bot made."""

    chat_id: int
    action: str
    time: float


@dataclass(frozen=True, slots=True)
class BotEvent:
    """Something the bot did that a watcher (tests, the terminal chat) may show.

    kind is "message", "edit", "delete", "callback_answer", "chat_action" or "commands".
    """

    kind: str
    chat_id: int | None = None
    message: Message | None = None
    detail: JSON = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """The webhook as set with setWebhook."""

    url: str
    secret_token: str | None
    max_connections: int
    ip_address: str | None
    allowed_updates: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One POST of an update to the webhook: status is None when no HTTP answer came."""

    update_id: int | None
    url: str
    secret_token: str | None
    status: int | None
    error: str | None
    started: float
    finished: float
    forged: bool = False

    @property
    def ok(self) -> bool:
        """Whether the bot accepted the update (a 2xx answer)."""
        return self.status is not None and 200 <= self.status < 300
