"""The fake Telegram's Bot API methods, with Telegram's checks and errors."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Mapping
from typing import Any

from bot.fakeapi.control import Control
from bot.fakeapi.html import (
    MAX_MESSAGE_LENGTH,
    EntityParseError,
    FormattedText,
    format_text,
    utf16_len,
)
from bot.fakeapi.markup import validate_reply_markup
from bot.fakeapi.models import (
    PRESENT_STATUSES,
    BotEvent,
    CallbackAnswer,
    CallRecord,
    Chat,
    ChatActionRecord,
    Message,
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
from bot.fakeapi.state import (
    _COMMAND,
    _KNOWN_UNIMPLEMENTED,
    _LOOPBACK,
    _SECRET,
    ALL_UPDATE_TYPES,
    CHAT_ACTIONS,
    DEFAULT_UPDATE_TYPES,
    JSON,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    _ChatLog,
    _check_entities,
    _Described,
    _member_json,
    _Poll,
    _version,
)

_LOGGER = logging.getLogger(__name__)


class FakeTelegram(Control):
    """A local stand-in for the Telegram Bot API, seen from one bot (see `CoreState`)."""

    # -------------------------------------------------------- chat access

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
                if fault.gate is not None:
                    await fault.gate.wait()
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
