"""The notices' own sendMessage client against the local Bot API over HTTP: Telegram's answers
become PTB's errors, so the sender treats them as it treats PTB's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram.error import Forbidden, NetworkError, RetryAfter

from bot.fakeapi import FakeTelegram, Fault
from bot.fakeapi.server import FakeTelegramServer
from bot.tg.ratelimit import ChatRateLimiter
from bot.tg.rawsend import RawSender


@pytest.fixture
async def api() -> AsyncIterator[tuple[FakeTelegram, RawSender]]:
    core = FakeTelegram()
    server = FakeTelegramServer(core)
    url = await server.start()
    sender = RawSender(url, core.token, ChatRateLimiter(1000, 0), 4)
    try:
        yield core, sender
    finally:
        await sender.close()
        await server.stop()


async def test_a_notice_is_sent_as_html_and_its_message_id_comes_back(
    api: tuple[FakeTelegram, RawSender],
) -> None:
    core, sender = api
    resident = core.add_user("Kari")
    core.open_chat(resident)
    message_id = await sender.send(resident.id, "<b>Kokevarsel</b> &amp; mer")
    shown = core.bot_messages(resident)
    assert [m.message_id for m in shown] == [message_id]
    assert shown[0].text == "Kokevarsel & mer"


async def test_blocked_is_forbidden_and_a_429_is_retry_after(
    api: tuple[FakeTelegram, RawSender],
) -> None:
    core, sender = api
    blocked, held = core.add_user("Ola"), core.add_user("Per")
    core.open_chat(held)
    core.block(blocked)
    with pytest.raises(Forbidden):
        await sender.send(blocked.id, "Kokevarsel")
    core.add_fault(Fault("sendMessage", chat_id=held.id, retry_after=30))
    with pytest.raises(RetryAfter):
        await sender.send(held.id, "Kokevarsel")
    assert core.bot_messages(held) == []


async def test_a_network_error_never_carries_the_url_with_the_token() -> None:
    # Nothing listens on port 9: the connection is refused.
    sender = RawSender("http://127.0.0.1:9/bot", "123456:SECRET-TOKEN", None, 1)
    try:
        with pytest.raises(NetworkError) as raised:
            await sender.send(1, "x")
    finally:
        await sender.close()
    assert "SECRET-TOKEN" not in str(raised.value)
