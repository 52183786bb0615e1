"""/healthz's verdict and /metrics' registry, on the bot's own services."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.config import Settings
from bot.monitoring import Metrics, health
from bot.services import Services


def services(tmp_path: Path) -> Services:
    return Services(replace(Settings(), data_dir=tmp_path / "data"))


async def test_healthy_with_an_open_database_and_a_knowledge_base(tmp_path: Path) -> None:
    async with services(tmp_path) as opened:
        found = await health(opened, 0.0)
    assert found.healthy and found.report["status"] == "ok"
    assert found.report["database"]["ok"] is True
    assert found.report["outbox"] == {"backlog": 0, "overdue": False}
    assert found.report["last_update_at"] is None


async def test_unhealthy_when_the_database_cannot_be_read(tmp_path: Path) -> None:
    closed = services(tmp_path)
    found = await health(closed, 0.0)
    assert not found.healthy and found.report["status"] == "unhealthy"
    assert "the database cannot be read" in found.report["problems"]


async def test_unhealthy_when_outbox_messages_are_overdue(tmp_path: Path) -> None:
    async with services(tmp_path) as opened:
        await opened.db.write(
            """INSERT INTO outbox (kind, chat_id, payload, not_before, created_at)
               VALUES ('message', 1, '{}', 1000, 1000)"""
        )
        found = await health(opened, 0.0)
    assert not found.healthy
    assert found.report["outbox"] == {"backlog": 1, "overdue": True}


async def test_each_bot_counts_into_its_own_registry(tmp_path: Path) -> None:
    first, second = Metrics(), Metrics()
    first.reply("answer", "nb", 0.002)
    first.too_many_requests.inc()
    async with services(tmp_path) as opened:
        counted = (await first.exposition(opened)).decode()
        untouched = (await second.exposition(opened)).decode()
    assert 'bot_replies_total{kind="answer",language="nb"} 1.0' in counted
    assert "bot_telegram_429_total 1.0" in counted
    assert 'bot_replies_total{kind="answer"' not in untouched
    assert "bot_telegram_429_total 0.0" in untouched
