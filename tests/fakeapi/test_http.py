"""The fake over HTTP: request encodings, error shapes, the test API and webhook delivery."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.fakeapi import FakeTelegram, FakeTelegramServer, User, serve

TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"


@pytest.fixture
async def server(core: FakeTelegram) -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer(core) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def fetch(
    http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> tuple[int, Any]:
    async with http.request(method, url, **kwargs) as response:
        return response.status, await response.json(content_type=None)


async def test_serve_gives_ptb_base_url(core: FakeTelegram, http: aiohttp.ClientSession) -> None:
    async with serve(core) as base_url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/bot", base_url)
        status, body = await fetch(http, "GET", f"{base_url}{TOKEN}/getMe")
    assert status == 200
    assert body["ok"] is True
    assert body["result"]["username"] == "crisis_help_test_bot"


async def test_every_request_encoding(
    core: FakeTelegram, ann: User, server: FakeTelegramServer, http: aiohttp.ClientSession
) -> None:
    url = f"{server.base_url}{TOKEN}/sendMessage"
    markup = json.dumps({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]})
    requests: list[dict[str, Any]] = [
        {"method": "GET", "params": {"chat_id": ann.id, "text": "query string"}},
        {
            "method": "POST",
            "data": {"chat_id": str(ann.id), "text": "form", "reply_markup": markup},
        },
        {
            "method": "POST",
            "json": {"chat_id": ann.id, "text": "json", "reply_markup": json.loads(markup)},
        },
        {"method": "POST", "params": {"chat_id": ann.id}, "data": {"text": "query and form"}},
    ]
    for request in requests:
        status, body = await fetch(http, request.pop("method"), url, **request)
        assert status == 200, body
    form = aiohttp.FormData()
    form.add_field("chat_id", str(ann.id))
    form.add_field("text", "multipart")
    form.add_field("document", b"%PDF", filename="a.pdf", content_type="application/pdf")
    status, body = await fetch(http, "POST", url, data=form)
    assert status == 200, body
    texts = [m.text for m in core.bot_messages(ann)]
    assert texts == ["query string", "form", "json", "query and form", "multipart"]
    assert core.bot_messages(ann)[2].inline_keyboard == [[{"text": "A", "callback_data": "a"}]]
    assert core.calls_to("sendMessage")[1].params["reply_markup"] == json.loads(markup)


async def test_error_shapes(server: FakeTelegramServer, http: aiohttp.ClientSession) -> None:
    assert await fetch(http, "POST", f"{server.base_url}{TOKEN}/noSuchMethod") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    other = "999:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
    assert await fetch(http, "GET", f"{server.base_url}{other}/getMe") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert (await fetch(http, "GET", f"{server.url}/elsewhere"))[0] == 404
    status, body = await fetch(
        http, "POST", f"{server.base_url}{TOKEN}/sendMessage", json={"chat_id": 1}
    )
    assert (status, body["description"]) == (400, "Bad Request: chat not found")


async def test_the_test_control_api(
    core: FakeTelegram, server: FakeTelegramServer, http: aiohttp.ClientSession
) -> None:
    test = f"{server.url}/_test"
    api = f"{server.base_url}{TOKEN}"
    status, user = await fetch(http, "POST", f"{test}/users", json={"first_name": "Eva"})
    assert status == 200
    status, injected = await fetch(
        http, "POST", f"{test}/message", json={"user_id": user["id"], "text": "/start"}
    )
    assert injected["update"]["message"]["entities"][0]["type"] == "bot_command"
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    await fetch(
        http,
        "POST",
        f"{api}/sendMessage",
        json={"chat_id": user["id"], "text": "Hi", "reply_markup": markup},
    )
    status, message = await fetch(
        http, "GET", f"{test}/wait_message", params={"chat_id": user["id"], "contains": "Hi"}
    )
    assert (status, message["text"], message["outgoing"]) == (200, "Hi", True)
    status, pressed = await fetch(
        http,
        "POST",
        f"{test}/press",
        json={
            "user_id": user["id"],
            "chat_id": user["id"],
            "message_id": message["message_id"],
            "text": "Go",
        },
    )
    assert pressed["update"]["callback_query"]["data"] == "go"
    status, missing = await fetch(
        http, "GET", f"{test}/wait_message", params={"chat_id": user["id"], "timeout": "0.01"}
    )
    assert status == 408
    assert "already taken" in missing["error"]
    status, fault = await fetch(
        http,
        "POST",
        f"{test}/faults",
        json={"method": "sendMessage", "retry_after": 4, "times": None},
    )
    status, body = await fetch(
        http, "POST", f"{api}/sendMessage", json={"chat_id": user["id"], "text": "x"}
    )
    assert (status, body["parameters"]) == (429, {"retry_after": 4})
    assert (await fetch(http, "DELETE", f"{test}/faults/{fault['id']}"))[0] == 200
    status, body = await fetch(
        http, "POST", f"{api}/sendMessage", json={"chat_id": user["id"], "text": "x"}
    )
    assert status == 200
    status, calls = await fetch(http, "GET", f"{test}/calls", params={"method": "sendMessage"})
    assert [call["status"] for call in calls] == [200, 429, 200]
    status, messages = await fetch(
        http, "GET", f"{test}/messages", params={"chat_id": user["id"], "bot_only": "1"}
    )
    assert [m["raw_text"] for m in messages] == ["Hi", "x"]
    assert (await fetch(http, "POST", f"{test}/message", json={"user_id": 5, "text": "x"}))[
        0
    ] == 400
    assert (await fetch(http, "POST", f"{test}/reset"))[0] == 200
    assert core.users == []


class Receiver:
    """A tiny webhook endpoint that records requests and answers scripted statuses."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = statuses or []
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.json()))
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(status=status)


@asynccontextmanager
async def receiving(receiver: Receiver, port: int = 0) -> AsyncIterator[Receiver]:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    host, bound = runner.addresses[0][:2]
    receiver.url = f"http://{host}:{bound}/hook"
    try:
        yield receiver
    finally:
        await runner.cleanup()


async def test_webhook_delivery_in_order_with_secret(
    core: FakeTelegram, ann: User, server: FakeTelegramServer
) -> None:
    async with receiving(Receiver()) as receiver:
        await core.api("setWebhook", url=receiver.url, secret_token="S3cr3t_-")
        for text in ("one", "two", "three"):
            core.inject_text(ann, text)
        await core.wait_for(lambda: len(receiver.requests) == 3, what="three deliveries")
    headers, _ = receiver.requests[0]
    assert headers["X-Telegram-Bot-Api-Secret-Token"] == "S3cr3t_-"
    assert headers["Content-Type"] == "application/json"
    assert [body["message"]["text"] for _, body in receiver.requests] == ["one", "two", "three"]
    assert core.pending_update_count == 0
    assert [attempt.status for attempt in core.webhook_attempts] == [200, 200, 200]


async def test_webhook_retries_until_accepted(
    core: FakeTelegram, ann: User, server: FakeTelegramServer
) -> None:
    async with receiving(Receiver([500, 403])) as receiver:
        await core.api("setWebhook", url=receiver.url)
        core.inject_text(ann, "retry me")
        await core.wait_for(lambda: core.pending_update_count == 0, what="delivery")
    assert [attempt.status for attempt in core.webhook_attempts] == [500, 403, 200]
    assert [body["message"]["text"] for _, body in receiver.requests] == ["retry me"] * 3
    assert "X-Telegram-Bot-Api-Secret-Token" not in receiver.requests[0][0]
    info = await core.api("getWebhookInfo")
    assert info["last_error_message"] == "Wrong response from the webhook: 403 Forbidden"
    assert info["pending_update_count"] == 0


async def test_webhook_survives_connection_refused(
    core: FakeTelegram, ann: User, server: FakeTelegramServer, free_port: Callable[[], int]
) -> None:
    await core.api("setWebhook", url=f"http://127.0.0.1:{free_port()}/hook")
    core.inject_text(ann, "anyone there?")
    await core.wait_for(lambda: len(core.webhook_attempts) >= 2, what="two failed attempts")
    assert core.webhook_attempts[0].error == "Connection refused"
    assert (await core.api("getWebhookInfo"))["last_error_message"] == "Connection refused"
    async with receiving(Receiver()) as receiver:
        await core.api("setWebhook", url=receiver.url)
        await core.wait_for(lambda: receiver.requests, what="delivery to the new URL")
    assert receiver.requests[0][1]["message"]["text"] == "anyone there?"


async def test_forged_webhook_posts(core: FakeTelegram, server: FakeTelegramServer) -> None:
    async with receiving(Receiver([403])) as receiver:
        await core.api("setWebhook", url=receiver.url, secret_token="right")
        attempt = await core.post_webhook_update({"update_id": 1}, secret_token="wrong")
    assert (attempt.status, attempt.forged, attempt.secret_token) == (403, True, "wrong")
    assert receiver.requests[0][0]["X-Telegram-Bot-Api-Secret-Token"] == "wrong"
    assert (await core.api("getWebhookInfo")).get("last_error_message") is None


async def test_long_poll_over_http_ends_when_the_client_leaves(
    core: FakeTelegram, server: FakeTelegramServer, http: aiohttp.ClientSession
) -> None:
    url = f"{server.base_url}{TOKEN}/getUpdates"
    poll = asyncio.create_task(fetch(http, "POST", url, json={"timeout": 30}))
    await core.wait_for(lambda: core.polling, what="the long poll")
    poll.cancel()
    await core.wait_for(lambda: not core.polling, what="the server to notice")


async def test_command_line_entry_point(free_port: Callable[[], int]) -> None:
    port = free_port()
    token = "42:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.fakeapi",
        "--port",
        str(port),
        "--token",
        token,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        line = b""
        async with asyncio.timeout(10):
            while b"Bot API base URL" not in line:
                line = await process.stderr.readline()
                assert line, "the server exited early"
        async with aiohttp.ClientSession() as http:
            status, body = await fetch(http, "GET", f"http://127.0.0.1:{port}/bot{token}/getMe")
        assert (status, body["result"]["id"]) == (200, 42)
    finally:
        process.terminate()
        async with asyncio.timeout(10):
            await process.wait()
    assert process.returncode == 0
