"""Staff commands through the real Application: only staff can use them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.messages import STAFF_LANG, say
from tests.inprocess import STAFF_CHAT_ID, live_bot


@pytest.mark.parametrize("command", ["/reload", "/unanswered"])
async def test_a_staff_command_from_a_resident_is_refused_and_does_nothing(
    tmp_path: Path, command: str
) -> None:
    async with live_bot(tmp_path) as bot:
        reloads: list[object] = []
        reload = bot.runtime.knowledge.reload

        async def counted_reload() -> object:
            reloads.append(1)
            return await reload()

        bot.runtime.knowledge.reload = counted_reload  # type: ignore[method-assign,assignment]
        reply = await bot.send(bot.resident, command)
        assert reply.text == say("staff_only_command", STAFF_LANG)
        assert reloads == []


async def test_staff_can_list_what_was_not_answered(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        bot.core.inject_text(bot.staff, "/unanswered", chat=STAFF_CHAT_ID)
        reply = await bot.core.wait_for_message(STAFF_CHAT_ID)
        assert reply.text == say("staff_unanswered_none", STAFF_LANG, days="7")
