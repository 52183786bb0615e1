"""Flood control covers button presses too, through the real Application."""

from __future__ import annotations

from pathlib import Path

from bot.tg.runtime import PRESSES_PER_WINDOW
from tests.inprocess import live_bot

PRESSES = 100


async def test_a_hundred_presses_at_once_get_answered_but_not_a_hundred_messages(
    tmp_path: Path,
) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        answer = await bot.send(bot.resident, "Kan jeg få utsatt betalingen av fakturaen?")
        related = next(t for t in answer.button_texts if "Innbyggerservice" in t)
        before = len(bot.core.bot_messages(bot.resident))
        pressed = [
            bot.core.press_button(bot.resident, answer, text=related) for _ in range(PRESSES)
        ]
        ids = {p.callback_query_id for p in pressed}
        await bot.core.wait_for(
            lambda: ids <= {a.callback_query_id for a in bot.core.callback_answers},
            timeout=30,
            what="every press to be answered",
        )
        sent = len(bot.core.bot_messages(bot.resident)) - before
        assert 0 < sent <= PRESSES_PER_WINDOW
        alerts = [a for a in bot.core.callback_answers if a.callback_query_id in ids and a.text]
        assert len(alerts) == 1, "one notice per burst"
