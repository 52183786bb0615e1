"""👍/👎 under an answer: the vote counts once per answer, and 👎 hands staff that very question.

Through the real Application against the local Bot API.
"""

from __future__ import annotations

from pathlib import Path

from bot.fakeapi import Message
from bot.messages import say
from tests.inprocess import LiveBot, live_bot

INVOICE = "Kan jeg få utsatt betalingen av fakturaen fra kommunen?"
POLICE = "Hva gjør politiet i påsken?"


def text_of(message: Message) -> str:
    return message.text or ""


def data_of(message: Message, text: str) -> str:
    button = message.find_button(text=text)
    assert button is not None, message.button_texts
    return str(button["callback_data"])


async def press_and_wait(bot: LiveBot, message: Message, data: str) -> None:
    """Press a button (by its data: it may be gone from the message already, as when an old
    client replays it) and wait until the bot has answered the press."""
    pressed = bot.core.inject_callback(bot.resident, message, data)
    await bot.core.wait_for(
        lambda: any(
            a.callback_query_id == pressed.callback_query_id for a in bot.core.callback_answers
        ),
        what="the press to be answered",
    )


async def answered(bot: LiveBot, question: str) -> Message:
    answer = await bot.send(bot.resident, question)
    assert "👎" in answer.button_texts, text_of(answer)
    return answer


async def test_thumbs_down_hands_staff_the_question_behind_that_answer(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        first = await answered(bot, INVOICE)
        await answered(bot, POLICE)  # a later, unrelated question
        sorry = await bot.press(bot.resident, first, "👎")
        bot.core.press_button(bot.resident, sorry, text=say("button_ask_staff", "nb"))
        forwarded = await bot.core.wait_for_message(bot.staff_chat)
        assert "fakturaen" in text_of(forwarded)
        assert "politiet" not in text_of(forwarded)


async def test_a_vote_counts_once_per_answer_and_a_new_press_replaces_it(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        answer = await answered(bot, INVOICE)
        up, down = data_of(answer, "👍"), data_of(answer, "👎")
        for _ in range(3):  # the same button again, and again after it is gone
            await press_and_wait(bot, answer, up)
        assert await bot.runtime.feedback.summary() == [("asker-invoice-deferral", 1, 0)]
        await press_and_wait(bot, answer, down)
        await bot.core.wait_for_message(bot.resident)  # "sorry: send it to staff?"
        assert await bot.runtime.feedback.summary() == [("asker-invoice-deferral", 0, 1)]
        second = await answered(bot, INVOICE)  # another answer gets its own vote
        await press_and_wait(bot, second, data_of(second, "👍"))
        assert await bot.runtime.feedback.summary() == [("asker-invoice-deferral", 1, 1)]
