"""Fixtures for the fake Telegram's tests: a core, users who started the bot, free ports."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from bot.fakeapi import FakeTelegram, User


@pytest.fixture
def core() -> FakeTelegram:
    """A fresh fake Telegram with the default token."""
    return FakeTelegram()


def drain(core: FakeTelegram) -> None:
    """Forget the pending updates, as if the bot had fetched and confirmed them."""
    while core.pending_update_count:
        core.ack_webhook_update(core.pending_updates[0]["update_id"])


@pytest.fixture
def ann(core: FakeTelegram) -> User:
    """A user who has started the bot (her private chat exists); no update is pending."""
    user = core.add_user("Ann", username="ann_k", language_code="sv")
    core.inject_text(user, "/start")
    drain(core)
    return user


@pytest.fixture
def free_port() -> Callable[[], int]:
    """A function returning a currently free TCP port on 127.0.0.1."""

    def pick() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
            return port

    return pick
