"""The fake Telegram over HTTP (aiohttp): the Bot API plus a test-control API.

Bot API: `/bot{token}/{method}`, GET or POST, parameters in the query string or an
`application/x-www-form-urlencoded`, `multipart/form-data` or `application/json` body, as
the real server accepts. PTB's `base_url` is `http://127.0.0.1:PORT/bot`.

Test control, for a process that does not share memory with the fake (JSON in, JSON out;
`token` selects the bot when several are served):

    POST /_test/reset
    POST /_test/users {first_name, user_id?, username?, language_code?, phone_number?}
    POST /_test/groups {title, chat_id?, supergroup?, members: {user_id: status}, bot_status?}
    POST /_test/member_status {chat_id, user_id, status}   POST /_test/bot_status {chat_id, status}
    POST /_test/block {user_id}   POST /_test/unblock {user_id}
    POST /_test/message {user_id, text, chat_id?, reply_to_message_id?}
    POST /_test/edit {chat_id, message_id, text}
    POST /_test/contact|photo|voice|sticker|location|document {user_id, chat_id?, ...}
    POST /_test/press {user_id, chat_id, message_id, text? | data?, forge?}
    POST /_test/tap {user_id, text, chat_id?}
    GET  /_test/messages?chat_id=&bot_only=1   GET /_test/wait_message?chat_id=&contains=&timeout=
    GET  /_test/calls?method=   /_test/callback_answers   /_test/chat_actions   /_test/state
    GET  /_test/commands?scope=&language_code=   /_test/webhook_attempts
    POST /_test/faults {method?, chat_id?, status?, retry_after?, times?, delay?}  -> {id}
    GET  /_test/faults   DELETE /_test/faults   DELETE /_test/faults/{id}
    POST /_test/rate_limits {enabled, overall?: [n, s], private_chat?, group_chat?}
    POST /_test/webhook_post {update, secret_token?}
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict
from types import TracebackType
from typing import Any

from aiohttp import web

from bot.fakeapi.core import FakeTelegram, WaitTimeout
from bot.fakeapi.faults import Fault, RateLimits
from bot.fakeapi.models import Injected, Message
from bot.fakeapi.protocol import ApiError, ApiResponse
from bot.fakeapi.webhook import WebhookDeliverer

__all__ = ["FakeTelegramServer", "serve"]

_LOGGER = logging.getLogger(__name__)

JSON = dict[str, Any]
_NOT_FOUND = ApiError(404, "Not Found").to_response()


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _reply(response: ApiResponse) -> web.Response:
    return web.Response(
        status=response.status, body=response.body(), content_type="application/json"
    )


async def _api_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.body_exists:
        return params
    content_type = request.content_type
    if content_type == "application/json":
        body = await request.read()
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON body") from None
            if not isinstance(data, dict):
                raise ApiError(400, "Bad Request: JSON body must be an object")
            params.update(data)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = f"<uploaded file {value.filename!r}>"
            else:
                params[key] = value
    return params


class _TestError(Exception):
    """A bad test-control request (answered 400)."""


def _int(data: JSON, name: str, default: int | None = None) -> int:
    value = data.get(name, default)
    if value is None:
        raise _TestError(f"{name} is required")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _TestError(f"{name} must be an integer") from None


def _opt_int(data: JSON, name: str) -> int | None:
    return _int(data, name) if data.get(name) not in (None, "") else None


def _flag(data: JSON, name: str) -> bool:
    value = data.get(name, False)
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes", "on")
    return bool(value)


def _injected(result: Injected) -> JSON:
    return {
        "update": result.update,
        "message": result.message.to_test_json() if result.message else None,
        "callback_query_id": result.callback_query_id,
    }


class FakeTelegramServer:
    """Serves cores over HTTP on 127.0.0.1 and delivers their webhooks.

    `start()` returns the Bot API base URL for PTB (`http://127.0.0.1:PORT/bot`); port 0
    picks a free port. Also an async context manager.
    """

    def __init__(
        self,
        *cores: FakeTelegram,
        host: str = "127.0.0.1",
        port: int = 0,
        deliver_webhooks: bool = True,
        webhook_initial_backoff: float = 0.05,
        webhook_max_backoff: float = 1.0,
    ) -> None:
        if not cores:
            raise ValueError("serve at least one FakeTelegram")
        self.cores = {core.token: core for core in cores}
        self.host = host
        self.port = port
        self._deliverers = (
            {
                core.token: WebhookDeliverer(
                    core,
                    initial_backoff=webhook_initial_backoff,
                    max_backoff=webhook_max_backoff,
                )
                for core in cores
            }
            if deliver_webhooks
            else {}
        )
        self._runner: web.AppRunner | None = None
        self._fault_ids = itertools.count(1)
        self._faults: dict[int, tuple[FakeTelegram, Fault]] = {}

    @property
    def url(self) -> str:
        """The server root, e.g. http://127.0.0.1:8081 (the test API is under /_test/)."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What PTB's `base_url` (and TELEGRAM_BASE_URL) should be."""
        return f"{self.url}/bot"

    def deliverer(self, core: FakeTelegram | None = None) -> WebhookDeliverer:
        """The webhook deliverer of a core (the only one by default)."""
        token = core.token if core else next(iter(self.cores))
        return self._deliverers[token]

    def build_app(self) -> web.Application:
        """The aiohttp application (also usable with aiohttp's test tools)."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("*", "/_test/{action:.*}", self._handle_test)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        return app

    async def start(self) -> str:
        """Listen and start webhook delivery; returns `base_url`."""
        if self._runner is not None:
            return self.base_url
        # handler_cancellation: a client that hangs up ends its long poll at once.
        runner = web.AppRunner(
            self.build_app(), handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        for address in runner.addresses:
            if isinstance(address, tuple):
                self.port = int(address[1])
                break
        for deliverer in self._deliverers.values():
            await deliverer.start()
        _LOGGER.info("fake Telegram listening on %s", self.url)
        return self.base_url

    async def stop(self) -> None:
        """Stop webhook delivery and the HTTP server."""
        for deliverer in self._deliverers.values():
            await deliverer.stop()
        for core in self.cores.values():
            core.interrupt_polls()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeTelegramServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------- Bot API

    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"]
        try:
            params = await _api_params(request)
        except ApiError as error:
            return _reply(error.to_response())
        core = self.cores.get(token) or next(iter(self.cores.values()))
        return _reply(await core.call(token, method, params))

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return _reply(_NOT_FOUND)

    # ---------------------------------------------------------- test API

    async def _handle_test(self, request: web.Request) -> web.Response:
        action = request.match_info["action"].strip("/")
        data: JSON = dict(request.query)
        if request.body_exists:
            try:
                body = await request.json()
            except ValueError:
                return web.json_response({"error": "the body must be JSON"}, status=400)
            if isinstance(body, dict):
                data.update(body)
        try:
            core = self._core_for(data)
            if action.startswith("faults/") and request.method == "DELETE":
                return self._json(self._delete_fault(_int({"id": action[7:]}, "id")))
            handler = self._test_actions().get((request.method, action))
            if handler is None:
                return web.json_response({"error": f"no test action {action}"}, status=404)
            return self._json(await handler(core, data))
        except WaitTimeout as error:
            return web.json_response({"error": str(error)}, status=408, dumps=_dumps)
        except (_TestError, KeyError, LookupError, ValueError, RuntimeError) as error:
            message = error.args[0] if error.args else str(error)
            return web.json_response({"error": str(message)}, status=400, dumps=_dumps)

    @staticmethod
    def _json(value: Any) -> web.Response:
        return web.json_response(value, dumps=_dumps)

    def _core_for(self, data: JSON) -> FakeTelegram:
        token = data.get("token")
        if token is None:
            if len(self.cores) > 1:
                raise _TestError("several bots are served: pass token")
            return next(iter(self.cores.values()))
        try:
            return self.cores[str(token)]
        except KeyError:
            raise _TestError(f"no bot with token {token}") from None

    def _test_actions(
        self,
    ) -> dict[tuple[str, str], Callable[[FakeTelegram, JSON], Awaitable[Any]]]:
        return {
            ("POST", "reset"): self._t_reset,
            ("POST", "users"): self._t_users,
            ("POST", "groups"): self._t_groups,
            ("POST", "member_status"): self._t_member_status,
            ("POST", "bot_status"): self._t_bot_status,
            ("POST", "block"): self._t_block,
            ("POST", "unblock"): self._t_unblock,
            ("POST", "message"): self._t_message,
            ("POST", "edit"): self._t_edit,
            ("POST", "contact"): self._t_contact,
            ("POST", "photo"): self._t_photo,
            ("POST", "voice"): self._t_voice,
            ("POST", "sticker"): self._t_sticker,
            ("POST", "location"): self._t_location,
            ("POST", "document"): self._t_document,
            ("POST", "press"): self._t_press,
            ("POST", "tap"): self._t_tap,
            ("GET", "messages"): self._t_messages,
            ("GET", "wait_message"): self._t_wait_message,
            ("GET", "calls"): self._t_calls,
            ("GET", "callback_answers"): self._t_callback_answers,
            ("GET", "chat_actions"): self._t_chat_actions,
            ("GET", "commands"): self._t_commands,
            ("GET", "webhook_attempts"): self._t_webhook_attempts,
            ("GET", "state"): self._t_state,
            ("GET", "faults"): self._t_list_faults,
            ("POST", "faults"): self._t_add_fault,
            ("DELETE", "faults"): self._t_clear_faults,
            ("POST", "rate_limits"): self._t_rate_limits,
            ("POST", "webhook_post"): self._t_webhook_post,
        }

    async def _t_reset(self, core: FakeTelegram, data: JSON) -> Any:
        core.reset()
        self._faults = {key: value for key, value in self._faults.items() if value[0] is not core}
        return {"ok": True}

    async def _t_users(self, core: FakeTelegram, data: JSON) -> Any:
        user = core.add_user(
            str(data.get("first_name", "Test")),
            user_id=_opt_int(data, "user_id"),
            last_name=data.get("last_name"),
            username=data.get("username"),
            language_code=data.get("language_code", "en"),
            phone_number=data.get("phone_number"),
        )
        return user.to_api()

    async def _t_groups(self, core: FakeTelegram, data: JSON) -> Any:
        raw = data.get("members") or {}
        members = (
            {int(key): str(value) for key, value in raw.items()}
            if isinstance(raw, dict)
            else {int(value): "member" for value in raw}
        )
        chat = core.add_group(
            str(data.get("title", "Test group")),
            chat_id=_opt_int(data, "chat_id"),
            supergroup=_flag(data, "supergroup") if "supergroup" in data else True,
            members=members,
            bot_status=str(data.get("bot_status", "member")),
            username=data.get("username"),
        )
        return chat.to_api()

    async def _t_member_status(self, core: FakeTelegram, data: JSON) -> Any:
        core.set_member_status(_int(data, "chat_id"), _int(data, "user_id"), str(data["status"]))
        return {"ok": True}

    async def _t_bot_status(self, core: FakeTelegram, data: JSON) -> Any:
        result = core.set_bot_status(
            _int(data, "chat_id"), str(data["status"]), by=_opt_int(data, "by")
        )
        return _injected(result)

    async def _t_block(self, core: FakeTelegram, data: JSON) -> Any:
        return _injected(core.block(_int(data, "user_id")))

    async def _t_unblock(self, core: FakeTelegram, data: JSON) -> Any:
        return _injected(core.unblock(_int(data, "user_id")))

    async def _t_message(self, core: FakeTelegram, data: JSON) -> Any:
        result = core.inject_text(
            _int(data, "user_id"),
            str(data.get("text", "")),
            chat=_opt_int(data, "chat_id"),
            reply_to=_opt_int(data, "reply_to_message_id"),
        )
        return _injected(result)

    async def _t_edit(self, core: FakeTelegram, data: JSON) -> Any:
        message = core.get_message(_int(data, "chat_id"), _int(data, "message_id"))
        return _injected(core.inject_edit(message, str(data["text"])))

    async def _t_contact(self, core: FakeTelegram, data: JSON) -> Any:
        result = core.inject_contact(
            _int(data, "user_id"),
            data.get("phone_number"),
            chat=_opt_int(data, "chat_id"),
            contact_user=_opt_int(data, "contact_user_id"),
        )
        return _injected(result)

    async def _t_photo(self, core: FakeTelegram, data: JSON) -> Any:
        result = core.inject_photo(
            _int(data, "user_id"), caption=data.get("caption"), chat=_opt_int(data, "chat_id")
        )
        return _injected(result)

    async def _t_voice(self, core: FakeTelegram, data: JSON) -> Any:
        result = core.inject_voice(
            _int(data, "user_id"),
            duration=_int(data, "duration", 3),
            chat=_opt_int(data, "chat_id"),
        )
        return _injected(result)

    async def _t_sticker(self, core: FakeTelegram, data: JSON) -> Any:
        result = core.inject_sticker(
            _int(data, "user_id"),
            emoji=str(data.get("emoji", "👍")),
            chat=_opt_int(data, "chat_id"),
        )
        return _injected(result)

    async def _t_location(self, core: FakeTelegram, data: JSON) -> Any:
        result = core.inject_location(
            _int(data, "user_id"),
            float(data.get("latitude", 59.8345)),
            float(data.get("longitude", 10.4352)),
            chat=_opt_int(data, "chat_id"),
        )
        return _injected(result)

    async def _t_document(self, core: FakeTelegram, data: JSON) -> Any:
        result = core.inject_document(
            _int(data, "user_id"),
            file_name=str(data.get("file_name", "document.pdf")),
            mime_type=str(data.get("mime_type", "application/pdf")),
            caption=data.get("caption"),
            chat=_opt_int(data, "chat_id"),
        )
        return _injected(result)

    async def _t_press(self, core: FakeTelegram, data: JSON) -> Any:
        message = core.get_message(_int(data, "chat_id"), _int(data, "message_id"))
        user = _int(data, "user_id")
        if _flag(data, "forge"):
            result = core.inject_callback(user, message, data.get("data"))
        else:
            result = core.press_button(user, message, text=data.get("text"), data=data.get("data"))
        return _injected(result)

    async def _t_tap(self, core: FakeTelegram, data: JSON) -> Any:
        result = core.tap_reply_button(
            _int(data, "user_id"), str(data["text"]), chat=_opt_int(data, "chat_id")
        )
        return _injected(result)

    async def _t_messages(self, core: FakeTelegram, data: JSON) -> Any:
        chat_id = _int(data, "chat_id")
        deleted = _flag(data, "include_deleted")
        if _flag(data, "bot_only"):
            found = core.bot_messages(chat_id, include_deleted=deleted)
        else:
            found = core.messages(chat_id, include_deleted=deleted)
        return [message.to_test_json() for message in found]

    async def _t_wait_message(self, core: FakeTelegram, data: JSON) -> Any:
        contains = data.get("contains")

        def predicate(message: Message) -> bool:
            return contains is None or contains in (message.text or "")

        timeout = float(data.get("timeout", 5.0))
        message = await core.wait_for_message(_int(data, "chat_id"), predicate, timeout)
        return message.to_test_json()

    async def _t_calls(self, core: FakeTelegram, data: JSON) -> Any:
        method = data.get("method")
        calls = core.calls_to(str(method)) if method else list(core.calls)
        return [asdict(call) for call in calls]

    async def _t_callback_answers(self, core: FakeTelegram, data: JSON) -> Any:
        return [
            {
                "callback_query_id": answer.callback_query_id,
                "text": answer.text,
                "show_alert": answer.show_alert,
                "url": answer.url,
                "user_id": answer.user_id,
                "data": answer.data,
                "message_id": answer.message.message_id if answer.message else None,
            }
            for answer in core.callback_answers
        ]

    async def _t_chat_actions(self, core: FakeTelegram, data: JSON) -> Any:
        return [asdict(action) for action in core.chat_actions]

    async def _t_commands(self, core: FakeTelegram, data: JSON) -> Any:
        scope = data.get("scope")
        if isinstance(scope, str):
            scope = json.loads(scope)
        return core.commands(scope, str(data.get("language_code", "")))

    async def _t_webhook_attempts(self, core: FakeTelegram, data: JSON) -> Any:
        return [asdict(attempt) for attempt in core.webhook_attempts]

    async def _t_state(self, core: FakeTelegram, data: JSON) -> Any:
        return {
            "bot": core.bot_user.to_api(),
            "users": [user.to_api() for user in core.users],
            "chats": [chat.to_api() for chat in core.chats],
            "pending_updates": core.pending_update_count,
            "webhook": asdict(core.webhook) if core.webhook else None,
            "sent_messages": core.sent_count,
            "calls": len(core.calls),
        }

    async def _t_list_faults(self, core: FakeTelegram, data: JSON) -> Any:
        active = set(map(id, core.faults))
        return [
            {"id": key, **asdict(fault)}
            for key, (owner, fault) in self._faults.items()
            if owner is core and id(fault) in active
        ]

    async def _t_add_fault(self, core: FakeTelegram, data: JSON) -> Any:
        status = data.get("status", 429)
        times = data.get("times", 1)
        fault = core.add_fault(
            Fault(
                method=data.get("method"),
                chat_id=data.get("chat_id"),
                status=None if status is None else int(status),
                retry_after=_opt_int(data, "retry_after"),
                description=data.get("description"),
                delay=float(data.get("delay", 0.0)),
                delay_after=_flag(data, "delay_after"),
                times=None if times is None else int(times),
            )
        )
        key = next(self._fault_ids)
        self._faults[key] = (core, fault)
        return {"id": key}

    def _delete_fault(self, key: int) -> Any:
        owner, fault = self._faults.pop(key, (None, None))
        if owner is None or fault is None:
            raise _TestError(f"no fault {key}")
        owner.remove_fault(fault)
        return {"ok": True}

    async def _t_clear_faults(self, core: FakeTelegram, data: JSON) -> Any:
        core.clear_faults()
        return {"ok": True}

    async def _t_rate_limits(self, core: FakeTelegram, data: JSON) -> Any:
        if not _flag(data, "enabled"):
            core.disable_rate_limits()
            return {"enabled": False}
        defaults = RateLimits()
        limits = RateLimits(
            overall=_window(data.get("overall"), defaults.overall),
            private_chat=_window(data.get("private_chat"), defaults.private_chat),
            group_chat=_window(data.get("group_chat"), defaults.group_chat),
        )
        core.enable_rate_limits(limits)
        return {"enabled": True, **asdict(limits), "methods": sorted(limits.methods)}

    async def _t_webhook_post(self, core: FakeTelegram, data: JSON) -> Any:
        update = data.get("update")
        if not isinstance(update, dict):
            raise _TestError("update must be an object")
        attempt = await core.post_webhook_update(update, secret_token=data.get("secret_token"))
        return asdict(attempt)


def _window(value: Any, default: tuple[int, float]) -> tuple[int, float]:
    if value is None:
        return default
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise _TestError("a rate limit is [count, seconds]")
    return int(value[0]), float(value[1])


@asynccontextmanager
async def serve(
    *cores: FakeTelegram, host: str = "127.0.0.1", port: int = 0, **options: Any
) -> AsyncIterator[str]:
    """`async with serve(core) as base_url:` runs the fake on 127.0.0.1 for PTB's base_url."""
    server = FakeTelegramServer(*cores, host=host, port=port, **options)
    await server.start()
    try:
        yield server.base_url
    finally:
        await server.stop()
