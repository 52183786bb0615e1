"""The menu: under an answer it comes as a new message; inside the menu it replaces itself."""

from __future__ import annotations

from pathlib import Path

from bot.messages import say
from tests.inprocess import live_bot


async def test_the_menu_button_under_an_answer_keeps_the_answer(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        answer = await bot.send(bot.resident, "Kan jeg få utsatt betalingen av fakturaen?")
        answer_text = answer.text
        menu = await bot.press(bot.resident, answer, say("button_menu", "nb"))
        assert menu.message_id != answer.message_id
        assert bot.core.get_message(bot.resident, answer.message_id).text == answer_text


async def test_back_inside_the_menu_replaces_the_topic_list(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        menu = await bot.send(bot.resident, "/menu")
        topics_text = menu.text
        bot.core.press_button(bot.resident, menu, text=menu.button_texts[0])
        await bot.core.wait_for(
            lambda: bot.core.get_message(bot.resident, menu.message_id).text != topics_text,
            what="the topic's entries",
        )
        listed = bot.core.get_message(bot.resident, menu.message_id)
        count = len(bot.core.bot_messages(bot.resident))
        bot.core.press_button(bot.resident, listed, text=say("button_back", "nb"))
        await bot.core.wait_for(
            lambda: bot.core.get_message(bot.resident, menu.message_id).text == topics_text,
            what="the topics again, in place",
        )
        assert len(bot.core.bot_messages(bot.resident)) == count
