"""/help for residents and for staff, through the real Application against the local Bot API."""

from __future__ import annotations

from pathlib import Path

from tests.inprocess import live_bot


async def test_residents_help_lists_volunteering_and_forgetting(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        reply = await bot.send(bot.resident, "/help")
        assert "/volunteer" in (reply.text or "")
        assert "/forgetme" in (reply.text or "")


async def test_staff_get_their_own_help_in_the_staff_chat(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        bot.core.inject_text(bot.staff, "/help", chat=bot.staff_chat)
        reply = await bot.core.wait_for_message(bot.staff_chat)
        text = reply.text or ""
        assert "/reload" in text and "/unanswered" in text
        assert "https://t.me/" not in text
        assert text.startswith("For kommunens ansatte"), "in the staff member's language (nb)"
