"""Typed words during a help request: a cancel word cancels, a question is answered and the step
is asked again. Through the real Application against the local Bot API."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.messages import say
from tests.inprocess import live_bot, opening


@pytest.mark.parametrize("word", ["avbryt", "Stopp!", "cancel"])
async def test_a_cancel_word_cancels_the_request(tmp_path: Path, word: str) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        await bot.at_area_step()
        reply = await bot.send(bot.resident, word)
        assert (reply.text or "").startswith(opening("intake_cancelled"))
        assert not bot.runtime.desk.conversations.is_talking(bot.resident.id)


async def test_a_question_at_the_area_step_is_answered_and_the_step_asked_again(
    tmp_path: Path,
) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        await bot.at_area_step()
        answer = await bot.send(bot.resident, "Kan jeg få utsatt betalingen av fakturaen?")
        assert "Utsatt betaling" in (answer.text or "")
        again = await bot.core.wait_for_message(bot.resident)
        assert (again.text or "").startswith(opening("intake_area"))
        conversation = await bot.runtime.desk.conversations.get(bot.resident.id)
        assert conversation is not None and conversation.step == "area"
        assert "area" not in conversation.data


async def test_a_place_is_still_taken_as_the_area(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        await bot.at_area_step()
        timing = await bot.send(bot.resident, "Heggedal")
        assert (timing.text or "").startswith(opening("intake_timing"))


async def test_a_command_in_the_middle_of_a_request_asks_before_dropping_it(
    tmp_path: Path,
) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        await bot.at_area_step()
        asked = await bot.send(bot.resident, "/volunteer")
        assert (asked.text or "").startswith(
            opening("intake_in_progress", current=say("conversation_request", "nb"))
        )
        area = await bot.press(bot.resident, asked, say("button_intake_resume", "nb"))
        assert (area.text or "").startswith(opening("intake_area"))
        conversation = await bot.runtime.desk.conversations.get(bot.resident.id)
        assert conversation is not None and conversation.kind == "request"

        asked = await bot.send(bot.resident, "/volunteer")
        await bot.press(bot.resident, asked, say("button_intake_switch_volunteer", "nb"))
        conversation = await bot.runtime.desk.conversations.get(bot.resident.id)
        assert conversation is not None and conversation.kind == "volunteer"
