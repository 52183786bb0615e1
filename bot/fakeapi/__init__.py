"""A faithful local stand-in for the Telegram Bot API, for tests, the chat mode and benchmarks.

In-process with python-telegram-bot::

    core = FakeTelegram()
    app = (
        ApplicationBuilder().token(core.token)
        .request(FakeRequest(core)).get_updates_request(FakeRequest(core)).build()
    )

Over HTTP on 127.0.0.1::

    async with serve(core) as base_url:  # "http://127.0.0.1:PORT/bot", PTB's base_url
        ...

The core (`FakeTelegram`) imports no HTTP library; `serve`, `FakeTelegramServer` and
`WebhookDeliverer` need aiohttp and are imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.fakeapi.core import DEFAULT_TOKEN, FakeTelegram, WaitTimeout
from bot.fakeapi.faults import Fault, RateLimiter, RateLimits
from bot.fakeapi.html import EntityParseError, FormattedText, format_text, parse_html, utf16_len
from bot.fakeapi.models import (
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
from bot.fakeapi.protocol import ApiError, ApiResponse

if TYPE_CHECKING:
    from bot.fakeapi.server import FakeTelegramServer, serve
    from bot.fakeapi.transport import FakeRequest
    from bot.fakeapi.webhook import WebhookDeliverer

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "ApiResponse",
    "BotEvent",
    "CallRecord",
    "CallbackAnswer",
    "Chat",
    "ChatActionRecord",
    "DeliveryAttempt",
    "EntityParseError",
    "FakeRequest",
    "FakeTelegram",
    "FakeTelegramServer",
    "Fault",
    "FormattedText",
    "Injected",
    "Message",
    "MessageVersion",
    "RateLimiter",
    "RateLimits",
    "User",
    "WaitTimeout",
    "WebhookConfig",
    "WebhookDeliverer",
    "format_text",
    "parse_html",
    "serve",
    "utf16_len",
]

_LAZY = {
    "FakeRequest": "bot.fakeapi.transport",
    "FakeTelegramServer": "bot.fakeapi.server",
    "serve": "bot.fakeapi.server",
    "WebhookDeliverer": "bot.fakeapi.webhook",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)
