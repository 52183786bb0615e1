"""The bot's one HTTP server, in polling and webhook mode alike: /healthz and /metrics."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp

from tests.e2e.conftest import BotProcess, World


async def get(bot: BotProcess, path: str) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{bot.port}{path}") as response,
    ):
        return response.status, response.headers["Content-Type"], await response.text()


async def test_healthz_reports_the_knowledge_base_database_and_outbox(bot: BotProcess) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{bot.port}/healthz") as response,
    ):
        assert response.status == 200
        report = await response.json()
    assert report["status"] == "ok"
    assert report["knowledge"]["entries"] > 0
    assert report["knowledge"]["loaded_at"].endswith("Z")
    assert report["database"]["ok"] is True
    assert report["outbox"]["backlog"] >= 0


async def test_metrics_count_updates_and_replies_in_prometheus_text(bot: BotProcess) -> None:
    core, resident = bot.world.core, bot.world.resident
    core.inject_text(resident, "Kan jeg utsette fakturaen?")
    await core.wait_for_message(resident)

    async def counted() -> str:
        status, kind, body = await get(bot, "/metrics")
        assert status == 200 and kind.startswith("text/plain")
        return body

    # The update counts once all its handlers have run, just after the reply is sent: ask
    # again until it does (a condition with a deadline, not a fixed wait).
    deadline = asyncio.get_running_loop().time() + 10
    body = await counted()
    while "bot_updates_total 0.0" in body and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
        body = await counted()
    assert "bot_updates_total 0.0" not in body
    assert "bot_matcher_seconds_bucket" in body
    assert 'bot_help_requests{state="open"} 0.0' in body
    assert "bot_outbox_backlog" in body
    assert "bot_telegram_429_total 0.0" in body
    assert 'bot_replies_total{kind="' in body


async def test_a_port_taken_before_the_bot_binds_it_is_replaced(
    world: World, tmp_path: Path
) -> None:
    """Another run took the port found free: the bot exits at once, and starts on another."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        process = BotProcess(world, webhook=False, log=tmp_path / "bot.log", port=port)
        await process.start()
        try:
            assert process.port not in (0, port)
            assert "address already in use" in process.output()
        finally:
            await process.stop()
