"""One conversation, one language: every text of a reply (notices, buttons, source lines, a
staff answer's lead line) is in the resident's language, never the municipality's by itself.

The rule: the resident's explicit /language wins; else the language of what they wrote; else
the last language used with them; else their Telegram app's. Residents here speak English in
Öckerö, a Swedish municipality. Through the real Application against the local Bot API.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.answering.calibration import FEATURES, Calibration, Model, Thresholds
from bot.fakeapi import Message, User
from bot.messages import say
from bot.types import Lang
from tests.inprocess import LiveBot, live_bot

BUSES_EN = "Do the buses run as usual?"
BUSES_SV = "Går bussarna som vanligt?"
LIBRARY_EN = "Is the library open?"
LIBRARY_SV = "Är biblioteket öppet?"
# Two entries score alike: the bot asks which one is meant.
AMBIGUOUS_EN = "library and training"
AMBIGUOUS_SV = "är biblioteket fritidsgården"


def text_of(message: Message) -> str:
    return re.sub(r"<[^>]+>", "", message.text or "")


def plain(key: str, lang: Lang, **values: str) -> str:
    """The text `key` in `lang` as the resident reads it (tags dropped)."""
    return re.sub(r"<[^>]+>", "", say(key, lang, **values))


def starts_as(message: Message, key: str, lang: Lang, **values: str) -> bool:
    """The message opens with the text `key` in `lang`."""
    return text_of(message).startswith(plain(key, lang, **values)[:30])


def is_library_answer(message: Message, lang: Lang) -> bool:
    """Öckerö's library entry, from its title to its date line, in `lang` (sv or en)."""
    lines = text_of(message).splitlines()
    title, updated = {"sv": ("Biblioteket", "Uppdaterad"), "en": ("The library", "Updated")}[lang]
    return lines[0] == title and lines[-1].startswith(updated)


async def english_in_ockero(bot: LiveBot, app_language: str | None = "en") -> User:
    """A resident who writes English and has chosen Öckerö; `app_language` is their Telegram
    app's (a phone set to Swedish, or none given)."""
    emma = bot.core.add_user("Emma", language_code=app_language)
    greeting = await bot.send(emma, "/start")
    name = "Öckerö kommun" if app_language == "sv" else "Öckerö Municipality"
    bot.core.press_button(emma, greeting, text=name)
    await bot.core.wait_for(
        lambda: "✅" in (bot.core.get_message(emma, greeting.message_id).text or ""),
        what="the municipality to be set",
    )
    return emma


async def press_and_answer(bot: LiveBot, user: User, message: Message, label: str) -> str:
    """Press the button labelled `label`; returns the text the press was answered with."""
    pressed = bot.core.press_button(user, message, text=label)

    def answer() -> str | None:
        for a in bot.core.callback_answers:
            if a.callback_query_id == pressed.callback_query_id:
                return a.text or ""
        return None

    await bot.core.wait_for(lambda: answer() is not None, what="the press to be answered")
    return answer() or ""


async def send_to_staff(bot: LiveBot, user: User, message: Message, lang: Lang) -> Message:
    """Press "send to staff" (labelled in `lang`) under `message`: the confirmation is in
    `lang`; returns the question as posted in the staff chat."""
    sent = await bot.press(user, message, say("button_ask_staff", lang))
    assert text_of(sent) == plain("handoff_sent", lang)
    return await bot.core.wait_for_message(bot.staff_chat)


async def thumbs_down(bot: LiveBot, user: User, answer: Message, lang: Lang) -> Message:
    """Press 👎 under `answer`: the thanks and the "sorry" after it are in `lang`; returns the
    "sorry"."""
    assert await press_and_answer(bot, user, answer, "👎") == say("feedback_thanks", lang)
    sorry = await bot.core.wait_for_message(user)
    assert text_of(sorry) == plain("feedback_sorry", lang)
    return sorry


def fallback_buttons(lang: Lang) -> list[str]:
    return [say(key, lang) for key in ("button_ask_staff", "button_practical_help", "button_menu")]


@pytest.mark.parametrize("app_language", ["en", None, "sv"])
async def test_a_fallback_and_send_to_staff_stay_english(
    tmp_path: Path, app_language: str | None
) -> None:
    async with live_bot(tmp_path) as bot:
        emma = await english_in_ockero(bot, app_language)
        await bot.send(emma, LIBRARY_EN)  # an English conversation so far
        fallback = await bot.send(emma, BUSES_EN)
        assert starts_as(fallback, "fallback", "en"), text_of(fallback)
        assert fallback.button_texts == fallback_buttons("en")
        posted = await send_to_staff(bot, emma, fallback, "en")
        assert "buses" in text_of(posted)


async def test_the_apps_language_alone_does_not_decide_a_button_press(tmp_path: Path) -> None:
    """A phone set to Swedish, a resident who writes English: the buttons under an English
    reply answer in English."""
    async with live_bot(tmp_path) as bot:
        emma = await english_in_ockero(bot, "sv")
        answer = await bot.send(emma, LIBRARY_EN)
        assert is_library_answer(answer, "en")
        sorry = await thumbs_down(bot, emma, answer, "en")
        await send_to_staff(bot, emma, sorry, "en")


async def test_one_swedish_question_gets_swedish_and_the_next_english_one_english(
    tmp_path: Path,
) -> None:
    async with live_bot(tmp_path) as bot:
        emma = await english_in_ockero(bot)
        swedish = await bot.send(emma, LIBRARY_SV)
        assert is_library_answer(swedish, "sv")
        assert say("button_menu", "sv") in swedish.button_texts
        # Its 👎 answers in Swedish too, though the resident's app is English.
        sorry = await thumbs_down(bot, emma, swedish, "sv")
        assert sorry.button_texts == [say("button_ask_staff", "sv")]

        english = await bot.send(emma, LIBRARY_EN)
        assert is_library_answer(english, "en")
        assert say("button_menu", "en") in english.button_texts
        thanks = await press_and_answer(bot, emma, english, "👍")
        assert thanks == say("feedback_thanks", "en")


async def test_a_word_that_tells_no_language_keeps_the_last_one(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        emma = await english_in_ockero(bot)
        await bot.send(emma, BUSES_SV)
        unreadable = await bot.send(emma, "12")
        assert starts_as(unreadable, "fallback", "sv"), text_of(unreadable)
        menu = await bot.send(emma, "/menu")
        assert starts_as(menu, "menu_topics", "sv", name="Öckerö kommun"), text_of(menu)


async def test_a_swedish_bus_question_from_someone_who_chose_english_is_answered_in_english(
    tmp_path: Path,
) -> None:
    async with live_bot(tmp_path) as bot:
        emma = await english_in_ockero(bot, "sv")
        chosen = await bot.send(emma, "/language en")
        assert text_of(chosen) == plain("language_set", "en")
        fallback = await bot.send(emma, BUSES_SV)
        assert starts_as(fallback, "fallback", "en"), text_of(fallback)
        assert fallback.button_texts == fallback_buttons("en")
        await send_to_staff(bot, emma, fallback, "en")


@pytest.fixture
def unsure_between_all(monkeypatch: pytest.MonkeyPatch) -> None:
    """A calibration under which no entry is sure and every ranked one is a real alternative:
    these tests check the "did you mean" reply itself (its language and buttons); when the
    shipped calibration asks is for tests/test_calibration.py."""
    even = Model((0.0,) * len(FEATURES), 0.0)  # every candidate: 0.5
    chosen = Calibration(even, even, Thresholds(answer=0.9, unsure=0.4, alternative=0.4))
    monkeypatch.setattr("bot.answering.responder.shipped_calibration", lambda: chosen)


@pytest.mark.usefixtures("unsure_between_all")
async def test_did_you_mean_and_none_of_these_in_english(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        emma = await english_in_ockero(bot, "sv")
        clarify = await bot.send(emma, AMBIGUOUS_EN)
        assert starts_as(clarify, "clarify_entries", "en"), text_of(clarify)
        assert clarify.button_texts == [
            "The library",
            "Associations and sports training",
            say("button_none", "en"),
        ]
        answer = await bot.press(emma, clarify, "The library")
        assert is_library_answer(answer, "en")
        none = await bot.press(emma, clarify, say("button_none", "en"))
        assert starts_as(none, "fallback", "en"), text_of(none)
        assert none.button_texts == fallback_buttons("en")[:2]


@pytest.mark.usefixtures("unsure_between_all")
async def test_a_swedish_did_you_mean_stays_swedish_for_an_english_app(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        emma = await english_in_ockero(bot)
        clarify = await bot.send(emma, AMBIGUOUS_SV)
        assert starts_as(clarify, "clarify_entries", "sv"), text_of(clarify)
        # Both entries are named equally; the ranking decides which comes first.
        assert sorted(clarify.button_texts[:2]) == ["Biblioteket", "Fritidsgården"]
        assert clarify.button_texts[2:] == [say("button_none", "sv")]
        answer = await bot.press(emma, clarify, "Biblioteket")
        assert is_library_answer(answer, "sv")
        none = await bot.press(emma, clarify, say("button_none", "sv"))
        assert starts_as(none, "fallback", "sv"), text_of(none)
        assert none.button_texts == fallback_buttons("sv")[:2]


async def make_request_in_english(bot: LiveBot, emma: User) -> Message:
    """/requesthelp after an English question, every step answered; returns the confirmation."""
    await bot.send(emma, LIBRARY_EN)
    category = await bot.send(emma, "/requesthelp")
    assert text_of(category) == plain("intake_category", "en")
    assert say("button_intake_cancel", "en") in category.button_texts
    description = await bot.press(emma, category, say("category_groceries", "en"))
    assert text_of(description) == plain("intake_description", "en")
    area = await bot.send(emma, "Milk and bread from the shop")
    assert text_of(area) == plain("intake_area", "en")
    timing = await bot.send(emma, "Hönö")  # a place: no language to tell
    assert text_of(timing) == plain("intake_timing", "en")
    contact = await bot.press(emma, timing, say("timing_week", "en"))
    assert text_of(contact) == plain("intake_contact", "en")
    consent = await bot.press(emma, contact, say("contact_choice_telegram", "en"))
    assert starts_as(consent, "intake_consent", "en", days="30"), text_of(consent)
    summary = await bot.press(emma, consent, say("button_consent", "en"))
    assert say("button_send_request", "en") in summary.button_texts
    return await bot.press(emma, summary, say("button_send_request", "en"))


async def cancel_request(bot: LiveBot, user: User, ref: str, lang: Lang) -> None:
    """/cancel, then the request's button: the question and the confirmation are in `lang`."""
    which = await bot.send(user, "/cancel")
    assert text_of(which) == plain("cancel_which", lang)
    cancelled = await bot.press(user, which, say("button_cancel_request", lang, ref=ref))
    assert starts_as(cancelled, "notice_cancelled", lang, ref=ref), text_of(cancelled)


async def test_a_help_request_started_in_english_stays_english_and_cancels_in_english(
    tmp_path: Path,
) -> None:
    async with live_bot(tmp_path) as bot:
        emma = await english_in_ockero(bot, "sv")
        stored = await make_request_in_english(bot, emma)
        assert starts_as(stored, "request_stored", "en", ref="O-1001"), text_of(stored)
        await cancel_request(bot, emma, "O-1001", "en")


async def test_cancel_asks_and_confirms_in_the_language_it_is_asked_in(tmp_path: Path) -> None:
    """A request made in English, a conversation in Swedish since: /cancel's question and its
    confirmation are both Swedish."""
    async with live_bot(tmp_path) as bot:
        emma = await english_in_ockero(bot)
        await make_request_in_english(bot, emma)
        await bot.send(emma, LIBRARY_SV)
        await cancel_request(bot, emma, "O-1001", "sv")


async def test_cancel_in_the_middle_of_an_english_request_is_english(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        emma = await english_in_ockero(bot, "sv")
        await bot.send(emma, LIBRARY_EN)
        category = await bot.send(emma, "/requesthelp")
        assert text_of(category) == plain("intake_category", "en")
        cancelled = await bot.send(emma, "/cancel")
        assert text_of(cancelled) == plain("intake_cancelled", "en")


async def test_staffs_answer_reaches_the_resident_under_a_lead_line_in_their_language(
    tmp_path: Path,
) -> None:
    """Asked in Swedish, English chosen since: the chosen language wins for the lead line."""
    async with live_bot(tmp_path) as bot:
        emma = await english_in_ockero(bot)
        fallback = await bot.send(emma, BUSES_SV)
        assert fallback.button_texts == fallback_buttons("sv")
        posted = await send_to_staff(bot, emma, fallback, "sv")
        await bot.send(emma, "/language en")
        bot.core.inject_text(
            bot.staff, "Bussarna går som vanligt.", chat=bot.staff_chat, reply_to=posted
        )
        answer = await bot.core.wait_for_message(emma)
        assert text_of(answer) == plain("staff_answer", "en", text="Bussarna går som vanligt.")


async def test_staffs_answer_to_an_english_question_leads_in_english(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        emma = await english_in_ockero(bot, "sv")
        fallback = await bot.send(emma, BUSES_EN)
        posted = await send_to_staff(bot, emma, fallback, "en")
        bot.core.inject_text(bot.staff, "They do.", chat=bot.staff_chat, reply_to=posted)
        answer = await bot.core.wait_for_message(emma)
        assert text_of(answer) == plain("staff_answer", "en", text="They do.")


async def test_the_something_went_wrong_notice_is_in_the_conversations_language(
    tmp_path: Path,
) -> None:
    async with live_bot(tmp_path) as bot:
        emma = await english_in_ockero(bot, "sv")
        await bot.send(emma, LIBRARY_EN)
        bot.core.fail(
            "sendMessage", status=400, chat_id=emma.id, description="Bad Request: can't parse"
        )
        notice = await bot.send(emma, "Is the youth centre open?")
        assert text_of(notice) == plain("error", "en")
