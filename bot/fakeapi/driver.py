"""The user's side of the fake Telegram: messages, button presses and joins injected as updates."""

from __future__ import annotations

import logging
from typing import Any

from bot.fakeapi.models import (
    PRESENT_STATUSES,
    Chat,
    Injected,
    Message,
    User,
)
from bot.fakeapi.state import (
    JSON,
    ChatRef,
    UserRef,
    _ChatLog,
    _PendingCallback,
    _user_text,
    _utf16_slice,
    _version,
)
from bot.fakeapi.world import World

_LOGGER = logging.getLogger(__name__)


class Driver(World):
    """The user's side: what users do, injected as updates."""

    # ---------------------------------------------------------------- updates

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
