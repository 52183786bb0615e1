"""The fake Telegram's core: pure asyncio, no HTTP.

One `FakeTelegram` is one bot's view of Telegram: its token, the users and chats it can
see, their messages, the update queue (long polling or webhook), commands, answered
callback queries, a log of every call, injected faults and optional flood limits. Tests
drive it from the user's side (`inject_text`, `press_button`, ...) and read back what the
bot did (`bot_messages`, `wait_for_message`, `callback_answers`, ...).

It is built in layers, one job each, every layer extending the one before:
`state` (identity, state, the change feed) < `world` (users, chats, messages) < `driver`
(what users do, as updates) < `readback` (what the bot did) < `control` (faults, flood
limits, the webhook) < `methods` (the Bot API methods, with Telegram's checks).
"""

from __future__ import annotations

from bot.fakeapi.methods import FakeTelegram
from bot.fakeapi.state import DEFAULT_TOKEN, WaitTimeout, WebhookSender, dump_update

__all__ = ["DEFAULT_TOKEN", "FakeTelegram", "WaitTimeout", "WebhookSender", "dump_update"]
