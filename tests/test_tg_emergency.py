"""Emergency first, in every state: through the real Application against the local Bot API."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from bot.answering.emergency import EmergencyLevel, EmergencyVerdict
from bot.fakeapi import Message
from bot.messages import say
from tests.inprocess import live_bot, opening

NOT_EMERGENCY = say("button_not_emergency", "nb")
CONTINUE = say("button_continue_request", "nb")


def text_of(message: Message) -> str:
    return message.text or ""


def is_emergency_reply(message: Message) -> bool:
    return "🚨" in text_of(message) and NOT_EMERGENCY in message.button_texts


async def test_a_plain_message_gets_the_full_reply_and_can_take_it_back(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        reply = await bot.send(bot.resident, "pappa puster ikke")
        assert is_emergency_reply(reply)
        assert "113" in text_of(reply)
        normal = await bot.press(bot.resident, reply, NOT_EMERGENCY)
        assert "🚨" not in text_of(normal)
        assert normal.message_id != reply.message_id


async def test_an_emergency_typed_at_the_area_step_is_not_stored_as_the_area(
    tmp_path: Path,
) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        await bot.at_area_step()
        reply = await bot.send(bot.resident, "min far puster ikke")
        assert is_emergency_reply(reply)
        assert text_of(reply).index("113") < text_of(reply).index(
            say("emergency_conversation_paused", "nb")
        )
        conversation = await bot.runtime.desk.conversations.get(bot.resident.id)
        assert conversation is not None
        assert conversation.step == "area" and "area" not in conversation.data
        again = await bot.press(bot.resident, reply, CONTINUE)
        assert text_of(again).startswith(opening("intake_area"))
        timing = await bot.send(bot.resident, "Heggedal")
        assert text_of(timing).startswith(opening("intake_timing"))


async def test_not_an_emergency_at_a_step_takes_the_text_as_the_answer(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        await bot.at_area_step()
        reply = await bot.send(bot.resident, "min far puster ikke")
        assert is_emergency_reply(reply)
        timing = await bot.press(bot.resident, reply, NOT_EMERGENCY)
        assert text_of(timing).startswith(opening("intake_timing"))
        conversation = await bot.runtime.desk.conversations.get(bot.resident.id)
        assert conversation is not None and conversation.data["area"] == "min far puster ikke"


async def test_a_fire_typed_at_a_buttons_only_step_gets_the_fire_reply(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        await bot.at_area_step()
        timing = await bot.send(bot.resident, "Heggedal")
        assert text_of(timing).startswith(opening("intake_timing"))
        reply = await bot.send(bot.resident, "det brenner i kjøkkenet")
        assert is_emergency_reply(reply)
        assert "110" in text_of(reply)
        assert say("emergency_advice_fire", "nb") in text_of(reply)
        assert say("intake_use_buttons", "nb") not in text_of(reply)


async def test_an_emergency_during_volunteer_registration(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        prompt = await bot.send(bot.volunteer, "/volunteer")
        assert text_of(prompt).startswith(opening("volunteer_name"))
        reply = await bot.send(bot.volunteer, "hjelp, mannen min er bevisstløs")
        assert is_emergency_reply(reply)
        conversation = await bot.runtime.desk.conversations.get(bot.volunteer.id)
        assert conversation is not None and conversation.step == "name"


async def test_an_emergency_in_a_command_argument(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        reply = await bot.send(bot.resident, "/municipality huset vårt brenner")
        assert is_emergency_reply(reply)
        normal = await bot.press(bot.resident, reply, NOT_EMERGENCY)
        assert text_of(normal).startswith(
            say("municipality_unknown", "nb", value="", choices="")[:15]
        )


async def test_an_emergency_in_a_reply_to_a_bot_message(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        greeting = await bot.send(bot.resident, "/start")
        reply = await bot.send(bot.resident, "hun har sluttet å puste", reply_to=greeting)
        assert is_emergency_reply(reply)


async def test_a_command_name_alone_is_not_read_as_an_emergency(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        prompt = await bot.send(bot.resident, "/hjelp")
        assert not is_emergency_reply(prompt)


async def test_an_unsure_verdict_in_a_conversation_sends_the_line_then_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        await bot.at_area_step()
        responder = bot.runtime.knowledge.responder
        unsure = EmergencyVerdict(EmergencyLevel.MEDIUM, "medical", 0.3)
        monkeypatch.setattr(responder, "assess", lambda text: unsure)
        line = await bot.send(bot.resident, "Heggedal, nær legesenteret")
        assert "113" in text_of(line) and "⚠️" in text_of(line)
        timing = await bot.core.wait_for_message(bot.resident)
        assert text_of(timing).startswith(opening("intake_timing"))


async def test_a_stale_not_an_emergency_button_expires(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        reply = await bot.send(bot.resident, "pappa puster ikke")
        assert is_emergency_reply(reply)
        await bot.runtime.questions.purge(-1)  # retention erased the question's text
        press = bot.core.press_button(bot.resident, reply, text=NOT_EMERGENCY)
        answer = await bot.core.wait_for(
            lambda: next(
                (
                    a
                    for a in bot.core.callback_answers
                    if a.callback_query_id == press.callback_query_id
                ),
                None,
            ),
            what="the answer to the press",
        )
        assert answer.text == say("button_expired", "nb")


async def test_an_unsure_verdict_on_a_commands_words_is_in_their_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The line comes in the language the words were written in, as every reply does."""
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()  # Kari's Telegram app is in Norwegian
        responder = bot.runtime.knowledge.responder
        unsure = EmergencyVerdict(EmergencyLevel.MEDIUM, "medical", 0.3)
        monkeypatch.setattr(responder, "assess", lambda text: unsure)
        line = await bot.send(
            bot.resident, "/municipality my mother fell down the stairs and seems confused"
        )
        english = re.sub(r"<[^>]+>", "", responder.warning_line("asker", "en", "medical"))
        assert text_of(line) == html.unescape(english)
