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


async def test_a_reply_to_a_staff_answer_goes_back_to_staff_in_the_same_thread(
    tmp_path: Path,
) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        fallback = await bot.send(bot.resident, "Når tømmes søppelet i Heggedal?")
        bot.core.press_button(bot.resident, fallback, text=say("button_ask_staff", "nb"))
        posted = await bot.core.wait_for_message(bot.staff_chat)
        await bot.core.wait_for_message(bot.resident)  # "sent to staff"
        bot.core.inject_text(
            bot.staff, "Tirsdager, men sjekk kalenderen.", chat=bot.staff_chat, reply_to=posted
        )
        answer = await bot.core.wait_for_message(bot.resident)
        assert "Tirsdager" in text_of(answer)
        await bot.core.wait_for_message(bot.staff_chat)  # "sent to the resident"

        bot.core.inject_text(bot.resident, "Gjelder det også hytta?", reply_to=answer)
        follow_up = await bot.core.wait_for_message(bot.staff_chat)
        assert "Gjelder det også hytta?" in text_of(follow_up)
        assert follow_up.reply_to is not None and follow_up.reply_to.message_id == posted.message_id
        told = await bot.core.wait_for_message(bot.resident)
        assert told.text == say("handoff_sent", "nb")

        # Staff can answer the follow-up too.
        bot.core.inject_text(bot.staff, "Ja.", chat=bot.staff_chat, reply_to=follow_up)
        second = await bot.core.wait_for_message(bot.resident)
        assert "Ja." in text_of(second)


async def test_an_unsure_answer_says_so_and_not_what_you_asked_hands_staff_the_question(
    tmp_path: Path,
) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        # Under the calibrated decision, an out-of-scope tax question is no longer answered at
        # all; this vague in-scope one is answered with "Not what you asked?".
        question = "hvor ringer jeg kommunen"
        answer = await answered(bot, question)
        assert say("answer_unsure", "nb").split(".")[0] in text_of(answer)
        bot.core.press_button(bot.resident, answer, text=say("button_not_what_asked", "nb"))
        forwarded = await bot.core.wait_for_message(bot.staff_chat)
        assert "ringer" in text_of(forwarded)
        told = await bot.core.wait_for_message(bot.resident)
        assert told.text == say("handoff_sent", "nb")


def test_one_plausible_entry_is_answered_not_offered_as_the_only_choice() -> None:
    from bot.answering import Responder
    from bot.config import DEFAULT_KNOWLEDGE_DIR
    from bot.kb.loader import load_knowledge

    responder = Responder(load_knowledge(DEFAULT_KNOWLEDGE_DIR).kb)
    reply = responder.answer("hvor ringer jeg kommunen", "asker")
    assert (reply.kind, reply.unsure) == ("answer", True)
    assert reply.to_json()["unsure"] is True
    confident = responder.answer(INVOICE, "asker")
    assert (confident.kind, confident.unsure) == ("answer", False)
