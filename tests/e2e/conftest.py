"""End-to-end: the real `python -m bot run` as a subprocess against the local Bot API over HTTP."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.config import DEFAULT_KNOWLEDGE_DIR
from bot.fakeapi import Chat, FakeTelegram, User
from bot.fakeapi.server import FakeTelegramServer

STAFF_CHAT_ID = -1001000000001
VOLUNTEER_CHAT_ID = -1001000000002
WEBHOOK_SECRET = "e2e-secret-0123456789"
START_TIMEOUT = 20.0
BIND_ATTEMPTS = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class World:
    """The local Telegram with the people and groups the tests act through."""

    core: FakeTelegram
    url: str
    resident: User
    other_resident: User
    staff: User
    volunteer: User
    staff_chat: Chat
    volunteer_chat: Chat
    data_dir: Path
    knowledge_dir: Path


@dataclass
class BotProcess:
    """One running bot; `restart` keeps its data, `kill` is a kill -9."""

    world: World
    webhook: bool
    log: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    process: asyncio.subprocess.Process | None = None
    # The bot's HTTP server (console, health, metrics, and the webhook in webhook mode).
    port: int = 0

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TELEGRAM_", "WEBHOOK_", "CONSOLE_"))
            and k not in ("PORT", "LISTEN")
        }
        env.update(
            TELEGRAM_BOT_TOKEN=self.world.core.token,
            TELEGRAM_BASE_URL=self.world.url,
            DATA_DIR=str(self.world.data_dir),
            KNOWLEDGE_DIR=str(self.world.knowledge_dir),
            STAFF_CHAT_ID=str(STAFF_CHAT_ID),
            VOLUNTEER_CHAT_ID=str(VOLUNTEER_CHAT_ID),
            LOG_LEVEL="INFO",
            SEND_RATE_PER_SECOND="0",
            GROUP_RATE_PER_MINUTE="0",
            PYTHONUNBUFFERED="1",
            LISTEN="127.0.0.1",
        )
        self.port = self.port or free_port()
        env["PORT"] = str(self.port)
        if self.webhook:
            env.update(
                WEBHOOK_URL=f"http://127.0.0.1:{self.port}/telegram",
                WEBHOOK_SECRET=WEBHOOK_SECRET,
            )
        env.update(self.extra_env)
        return env

    async def start(self) -> None:
        # A port found free can be taken by another test run before the bot binds it (two
        # runs side by side): the bot then exits at once, and a fresh port is tried.
        for _ in range(BIND_ATTEMPTS - 1):
            written = self.log.stat().st_size if self.log.exists() else 0
            try:
                await self._start()
                return
            except AssertionError:
                taken = "address already in use" in self.output()[written:]
                if not taken or "PORT" in self.extra_env:
                    raise
                self.port = 0
        await self._start()

    async def _start(self) -> None:
        command = [sys.executable, "-m", "bot", "run", *(["--webhook"] if self.webhook else [])]
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *command, env=self.env(), stdout=log, stderr=log
            )
        core = self.world.core
        # After a restart the old process's webhook is still registered: only a new
        # setWebhook, from this process, shows it is up.
        earlier = core.webhook

        def ready() -> bool:
            if self.process is not None and self.process.returncode is not None:
                raise AssertionError(f"the bot exited early:\n{self.output()}")
            if self.webhook:
                return core.webhook is not None and core.webhook is not earlier
            return core.polling

        await core.wait_for(ready, timeout=START_TIMEOUT, what="the bot to start")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def stop(self) -> None:
        """SIGTERM, as a host stops a process; PTB shuts down cleanly."""
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.process.wait(), 20)

    async def kill(self) -> None:
        """kill -9: no cleanup at all."""
        if self.process is None or self.process.returncode is not None:
            return
        self.process.kill()
        await asyncio.wait_for(self.process.wait(), 20)

    async def restart(self) -> None:
        await self.stop()
        await self.start()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    core = FakeTelegram(username="crisis_help_bot")
    resident = core.add_user("Kari", user_id=1001, language_code="nb")
    other = core.add_user("Anna", user_id=1002, language_code="sv")
    staff = core.add_user("Siri", user_id=3001, language_code="nb")
    volunteer = core.add_user("Ola", user_id=2001, language_code="nb")
    staff_chat = core.add_group("Staff", chat_id=STAFF_CHAT_ID, members={staff: "administrator"})
    volunteer_chat = core.add_group(
        "Volunteers", chat_id=VOLUNTEER_CHAT_ID, members={volunteer: "member"}
    )
    server = FakeTelegramServer(core)
    url = await server.start()
    try:
        yield World(
            core,
            url,
            resident,
            other,
            staff,
            volunteer,
            staff_chat,
            volunteer_chat,
            tmp_path / "data",
            DEFAULT_KNOWLEDGE_DIR,
        )
    finally:
        await server.stop()


@pytest.fixture
def editable_knowledge(world: World, tmp_path: Path) -> Path:
    """A copy of the shipped knowledge base that the world's bot reads, for tests to edit."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, knowledge)
    world.knowledge_dir = knowledge
    return knowledge


@pytest.fixture(params=["polling", "webhook"])
async def bot(
    request: pytest.FixtureRequest, world: World, tmp_path: Path
) -> AsyncIterator[BotProcess]:
    """The bot running as a subprocess, once with polling and once with a webhook."""
    process = BotProcess(world, webhook=request.param == "webhook", log=tmp_path / "bot.log")
    await process.start()
    try:
        yield process
    finally:
        await process.stop()
        if process.process is not None and process.process.returncode not in (0, -15):
            print(process.output())


@pytest.fixture
async def polling_bot(world: World, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """The bot with long polling only, for tests where the transport does not matter."""
    process = BotProcess(world, webhook=False, log=tmp_path / "bot.log")
    await process.start()
    try:
        yield process
    finally:
        await process.stop()
