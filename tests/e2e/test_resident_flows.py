"""Every resident flow, through the real bot process, by polling and by webhook."""

from __future__ import annotations

from bot.fakeapi import Message
from tests.e2e.conftest import BotProcess, World


def text_of(message: Message) -> str:
    return message.text or ""


async def choose_asker(world: World) -> None:
    core, resident = world.core, world.resident
    core.inject_text(resident, "/start")
    greeting = await core.wait_for_message(resident, lambda m: "Asker kommune" in m.button_texts)
    assert "Kari" in text_of(greeting)
    core.press_button(resident, greeting, text="Asker kommune")
    await core.wait_for(
        lambda: "✅" in text_of(core.get_message(resident, greeting.message_id)),
        what="the municipality confirmation",
    )


async def test_start_greets_in_app_language_and_remembers_municipality(
    bot: BotProcess, world: World
) -> None:
    core = world.core
    core.inject_text(world.other_resident, "/start")
    greeting = await core.wait_for_message(world.other_resident)
    assert "Hej" in text_of(greeting)  # Telegram app language sv
    assert "Öckerö kommun" in greeting.button_texts
    await choose_asker(world)
    await bot.restart()
    core.inject_text(world.resident, "kan jeg få utsatt betalingsfristen på fakturaen?")
    answer = await core.wait_for_message(
        world.resident, lambda m: "forsinkelsesrente" in text_of(m)
    )
    assert answer.parse_mode == "HTML"
    assert "Oppdatert" in text_of(answer).splitlines()[-1]


async def test_answer_has_related_feedback_and_menu_buttons(bot: BotProcess, world: World) -> None:
    core, resident = world.core, world.resident
    await choose_asker(world)
    core.inject_text(resident, "jeg vil være frivillig, hvordan melder jeg meg?")
    answer = await core.wait_for_message(resident, lambda m: "Nyby" in text_of(m))
    assert {"👍", "👎", "📋 Meny"} <= set(answer.button_texts)
    core.press_button(resident, answer, text="👍")
    await core.wait_for(lambda: any(a.text for a in core.callback_answers), what="the thanks")
    assert core.callback_answers[-1].text == "Takk for tilbakemeldingen!"
    await core.wait_for(
        lambda: "👍" not in core.get_message(resident, answer.message_id).button_texts,
        what="the feedback buttons to go",
    )


async def test_unhelpful_answer_offers_staff(bot: BotProcess, world: World) -> None:
    core, resident = world.core, world.resident
    await choose_asker(world)
    core.inject_text(resident, "innbyggerservice telefonnummer")
    answer = await core.wait_for_message(resident, lambda m: "66 700 000" in text_of(m))
    core.press_button(resident, answer, text="👎")
    offer = await core.wait_for_message(resident, lambda m: bool(m.button_texts))
    assert "🙋 Send spørsmålet til kommunen" in offer.button_texts


async def test_fallback_hands_the_question_to_staff_and_back(bot: BotProcess, world: World) -> None:
    core, resident, staff = world.core, world.resident, world.staff
    await choose_asker(world)
    core.inject_text(resident, "når går neste tog til Oslo?")
    fallback = await core.wait_for_message(resident, lambda m: "vet jeg ikke" in text_of(m))
    assert "66 700 000" in text_of(fallback)
    assert "🛒 Jeg trenger praktisk hjelp" in fallback.button_texts
    core.press_button(resident, fallback, text="🙋 Send spørsmålet til kommunen")
    question = await core.wait_for_message(world.staff_chat, lambda m: "Oslo" in text_of(m))
    assert "Kari" not in text_of(question)  # staff see the question, not who asked
    await core.wait_for_message(resident, lambda m: "sendt" in text_of(m))
    core.inject_text(staff, "Togtider finner du hos Vy.", chat=world.staff_chat, reply_to=question)
    answer = await core.wait_for_message(resident, lambda m: "Vy" in text_of(m))
    assert "Svar fra kommunens ansatte" in text_of(answer)
    # Staff texts about Asker are in Norwegian.
    await core.wait_for_message(world.staff_chat, lambda m: "Sendt til innbyggeren" in text_of(m))


async def test_emergency_gets_numbers_at_once(bot: BotProcess, world: World) -> None:
    core, resident = world.core, world.resident
    await choose_asker(world)
    core.inject_text(resident, "han er bevisstløs og puster ikke")
    reply = await core.wait_for_message(resident, lambda m: "113" in text_of(m))
    assert "110" in text_of(reply) and "112" in text_of(reply)


async def test_menu_browses_topics_to_an_answer(bot: BotProcess, world: World) -> None:
    core, resident = world.core, world.resident
    await choose_asker(world)
    core.inject_text(resident, "/menu")
    menu = await core.wait_for_message(resident, lambda m: "Velg et tema" in text_of(m))
    core.press_button(resident, menu, text="💳 Betaling og fakturaer")
    await core.wait_for(
        lambda: (
            "Utsatt betaling av kommunale fakturaer"
            in core.get_message(resident, menu.message_id).button_texts
        ),
        what="the topic's entries",
    )
    core.press_button(
        resident,
        core.get_message(resident, menu.message_id),
        text="Utsatt betaling av kommunale fakturaer",
    )
    await core.wait_for_message(resident, lambda m: "forsinkelsesrente" in text_of(m))


async def test_clarify_offers_municipalities_and_answers_for_the_choice(
    bot: BotProcess, world: World
) -> None:
    core, resident = world.core, world.resident
    core.inject_text(resident, "I want to volunteer")
    clarify = await core.wait_for_message(resident, lambda m: "None of these" in m.button_texts)
    assert {"Asker Municipality", "Öckerö Municipality"} <= set(clarify.button_texts)
    core.press_button(resident, clarify, text="Öckerö Municipality")
    answer = await core.wait_for_message(resident, lambda m: "ockero.se/virus" in text_of(m))
    assert "frivillig" in text_of(answer).lower()


async def test_commands_with_arguments(bot: BotProcess, world: World) -> None:
    core, resident = world.core, world.resident
    core.inject_text(resident, "/municipality öckerö")
    await core.wait_for_message(resident, lambda m: "Öckerö" in text_of(m))
    core.inject_text(resident, "/language en")
    await core.wait_for_message(resident, lambda m: "Language: English" in text_of(m))
    core.inject_text(resident, "/municipality oslo")
    await core.wait_for_message(resident, lambda m: "oslo" in text_of(m) and "asker" in text_of(m))
    core.inject_text(resident, "/help")
    await core.wait_for_message(resident, lambda m: "/municipality" in text_of(m))
    core.inject_text(resident, "/privacy")
    await core.wait_for_message(resident, lambda m: "30 days" in text_of(m))


async def test_non_text_gets_a_short_text_only_reply(bot: BotProcess, world: World) -> None:
    core, resident = world.core, world.resident
    for inject in (core.inject_photo, core.inject_voice, core.inject_sticker, core.inject_location):
        inject(resident)
        reply = await core.wait_for_message(resident)
        assert "bare tekst" in text_of(reply)


async def test_forged_and_stale_buttons_expire_and_change_nothing(
    bot: BotProcess, world: World
) -> None:
    core, resident = world.core, world.resident
    await choose_asker(world)
    core.inject_text(resident, "/menu")
    menu = await core.wait_for_message(resident, lambda m: "Velg et tema" in text_of(m))
    before = text_of(core.get_message(resident, menu.message_id))
    for forged in ("m|ockero|AAAAAAAA", "m|ockero", "garbage", "e|no-such-entry|xxxxxxxx"):
        core.inject_callback(resident, menu, forged)
        await core.wait_for(
            lambda data=forged: core.callback_answers and core.callback_answers[-1].data == data,
            what="an answer to the forged button",
        )
        assert core.callback_answers[-1].text == "Denne knappen har utløpt."
    assert text_of(core.get_message(resident, menu.message_id)) == before
    core.inject_text(resident, "/municipality")
    picker = await core.wait_for_message(resident, lambda m: "Velg kommunen" in text_of(m))
    assert picker  # still Asker: the forged "m|ockero" changed nothing
    core.inject_text(resident, "biblioteket")
    reply = await core.wait_for_message(resident)
    assert "Öckerö" not in text_of(reply)


async def test_groups_get_only_commands_addressed_to_the_bot(bot: BotProcess, world: World) -> None:
    core = world.core
    core.inject_text(world.volunteer, "hei alle sammen", chat=world.volunteer_chat)
    core.inject_text(world.volunteer, "/help@crisis_help_bot", chat=world.volunteer_chat)
    reply = await core.wait_for_message(world.volunteer_chat)
    assert "t.me/crisis_help_bot" in text_of(reply)
    assert len(core.bot_messages(world.volunteer_chat)) == 1


async def test_flood_gets_one_notice_and_others_are_not_slowed(
    polling_bot: BotProcess, world: World
) -> None:
    core = world.core
    for n in range(25):
        core.inject_text(world.resident, f"melding nummer {n}")
    core.inject_text(world.other_resident, "hej")
    await core.wait_for_message(world.other_resident)
    await core.wait_for(
        lambda: any("mange meldinger" in text_of(m) for m in core.bot_messages(world.resident)),
        what="the slow-down notice",
    )
    await core.wait_for(lambda: core.pending_update_count == 0, what="all updates fetched")
    notices = [m for m in core.bot_messages(world.resident) if "mange meldinger" in text_of(m)]
    assert len(notices) == 1


async def test_long_message_gets_a_reply_not_a_crash(bot: BotProcess, world: World) -> None:
    core, resident = world.core, world.resident
    await choose_asker(world)
    core.inject_text(resident, "faktura " * 500)
    reply = await core.wait_for_message(resident, lambda m: "✅" not in text_of(m))
    assert text_of(reply)
