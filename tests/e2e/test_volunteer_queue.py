"""The volunteer queue end to end: the real bot process, from registration to erasure.

Volunteers register and are approved by staff, residents ask for help, volunteers claim, release
and finish requests; the tests also crash the bot, storm it with 429s, forge buttons, and read
the database file to prove that erased personal data has left the disk.
"""

from __future__ import annotations

import asyncio
import html
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any, TypeVar

from bot.fakeapi import CallbackAnswer, CallRecord, FakeTelegram, Injected, Message, User
from bot.helpdesk.desk import HelpDesk
from bot.helpdesk.intake import Conversation
from bot.messages import MESSAGES, say
from bot.storage import Database
from bot.types import Lang
from tests.e2e.conftest import STAFF_CHAT_ID, VOLUNTEER_CHAT_ID, BotProcess, World

T = TypeVar("T")

DESCRIPTION = "Melk, brød og kaffe fra butikken, handleliste XQZ-7781"
AREA = "Heggedal"
PHONE_TYPED = "912 34 567"
PHONE = "91234567"  # as the bot stores and shows it
TAKE = say("button_take", "nb")  # the group's language is Asker's: Norwegian
WAIT = 10.0  # seconds for anything that goes through the outbox


# -- reading what the bot said ---------------------------------------------------------------


def text_of(message: Message) -> str:
    return message.text or ""


def versions(message: Message) -> list[str]:
    """Every text a message has shown, edits included."""
    return [text_of(message), *(version.text or "" for version in message.history)]


def plain(key: str, lang: Lang = "nb", **values: str) -> str:
    """A message as the user sees it: tags gone, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", say(key, lang, **values)))


def lead(key: str, lang: Lang = "nb") -> str:
    """The fixed start of a message, up to its first placeholder."""
    template = MESSAGES[key][lang].split("{")[0]
    return html.unescape(re.sub(r"<[^>]+>", "", template)).strip()


def ref_in(text: str) -> str:
    found = re.search(r"\b[A-Z]-\d+\b", text)
    assert found, f"no reference in {text!r}"
    return found.group(0)


def errors_in(said: list[str]) -> list[str]:
    """The "something went wrong" notices among what the bot said, in any language."""
    notices = [plain("error", lang) for lang in ("nb", "sv", "en")]
    return [text for text in said if any(notice in text for notice in notices)]


def texts(core: FakeTelegram, chat: User | int) -> list[str]:
    return [text_of(m) for m in core.bot_messages(chat)]


async def reply(core: FakeTelegram, chat: User | int, needle: str, within: float = WAIT) -> Message:
    """The next bot message in `chat` containing `needle`."""
    return await core.wait_for_message(chat, lambda m: needle in text_of(m), within)


async def seen(core: FakeTelegram, chat: User | int, needle: str, within: float = WAIT) -> Message:
    """A bot message in `chat` containing `needle`, sent at any time (cursor untouched)."""

    def found() -> Message | None:
        return next((m for m in core.bot_messages(chat) if needle in text_of(m)), None)

    return await core.wait_for(found, within, what=f"{needle!r} in chat {chat}")


async def answer_to(core: FakeTelegram, pressed: Injected) -> CallbackAnswer:
    """The bot's answer to one button press."""

    def found() -> CallbackAnswer | None:
        return next(
            (a for a in core.callback_answers if a.callback_query_id == pressed.callback_query_id),
            None,
        )

    return await core.wait_for(found, WAIT, what="the answer to a button press")


async def eventually(
    core: FakeTelegram, condition: Callable[[], T], within: float = WAIT, what: str = ""
) -> T:
    """Wait for a condition the fake Telegram does not announce (a file, a fault's hits)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not (value := condition()):
        if loop.time() > deadline:
            raise AssertionError(f"waited {within}s for {what or 'a condition'}")
        await core.wait_for_change(0.05)
    return value


def group_post(core: FakeTelegram, ref: str) -> Message | None:
    """The volunteer group's message about `ref`, if there is one."""
    posts = [m for m in core.bot_messages(VOLUNTEER_CHAT_ID) if f"{ref} ·" in text_of(m)]
    assert len(posts) <= 1, f"{ref} was posted {len(posts)} times: {posts}"
    return posts[0] if posts else None


async def posted(core: FakeTelegram, ref: str, within: float = WAIT) -> Message:
    return await core.wait_for(lambda: group_post(core, ref), within, what=f"{ref} in the group")


async def shows(core: FakeTelegram, message: Message, needle: str) -> None:
    await core.wait_for(lambda: needle in text_of(message), WAIT, what=f"{needle!r} in {message}")


# -- the database file -----------------------------------------------------------------------


def db_path(world: World) -> Path:
    return world.data_dir / "bot.db"


def stored_bytes(world: World) -> bytes:
    """The database and its write-ahead log, byte for byte."""
    paths = [db_path(world), db_path(world).with_name("bot.db-wal")]
    return b"".join(path.read_bytes() for path in paths if path.exists())


def query(world: World, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read the bot's database (read-only, one short transaction)."""
    uri = db_path(world).as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        return list(connection.execute(sql, params).fetchall())


async def seed_approved_volunteers(world: World, users: list[User]) -> None:
    """Approved volunteers written straight to the database, before the bot starts."""
    stamp = int(time.time())
    async with Database(db_path(world)) as db:
        await db.write_many(
            """INSERT INTO volunteers (user_id, name, area, skills, phone, language, state,
                 confidentiality_accepted_at, registered_at, decided_at, decided_by)
               VALUES (?, ?, 'Asker', 'groceries', NULL, 'nb', 'approved', ?, ?, ?, ?)""",
            [(u.id, f"{u.first_name} Test", stamp, stamp, stamp, STAFF_CHAT_ID) for u in users],
        )


@asynccontextmanager
async def running_bot(world: World, tmp_path: Path, **env: str) -> AsyncIterator[BotProcess]:
    """A polling bot with extra settings, stopped afterwards."""
    process = BotProcess(world, webhook=False, log=tmp_path / "bot.log", extra_env=env)
    await process.start()
    try:
        yield process
    finally:
        await process.stop()


# -- people doing things ---------------------------------------------------------------------


async def choose_asker(core: FakeTelegram, user: User) -> None:
    core.inject_text(user, "/municipality asker")
    await reply(core, user, "Asker")


async def register_volunteer(
    world: World, user: User, name: str, *, approve: bool = True, lang: Lang = "nb"
) -> None:
    """/volunteer through every step; staff press Approve and the volunteer is told."""
    core = world.core
    core.set_member_status(world.volunteer_chat, user, "member")
    core.inject_text(user, "/volunteer")
    await reply(core, user, "(1/6)")
    core.inject_text(user, name)
    prompt = await reply(core, user, "(2/6)")
    core.press_button(user, prompt, text="Asker kommune")
    prompt = await core.wait_for_message(user, lambda m: "✅ Asker kommune" in m.button_texts)
    core.press_button(user, prompt, text=say("button_skills_done", lang))
    await reply(core, user, "(3/6)")
    core.inject_text(user, "Asker sentrum")
    prompt = await reply(core, user, "(4/6)")
    groceries = say("category_groceries", lang)
    core.press_button(user, prompt, text=groceries)
    prompt = await core.wait_for_message(user, lambda m: f"✅ {groceries}" in m.button_texts)
    core.press_button(user, prompt, text=say("button_skills_done", lang))
    prompt = await reply(core, user, "(5/6)")
    core.press_button(user, prompt, text=say("button_skip", lang))
    prompt = await reply(core, user, "(6/6)")
    core.press_button(user, prompt, text=say("button_accept", lang))
    await reply(core, user, plain("volunteer_submitted", lang))
    card = await reply(core, world.staff_chat, f"(id {user.id})")
    assert name in text_of(card)
    if approve:
        # Asker's staff texts are in Norwegian.
        core.press_button(world.staff, card, text=say("button_approve", "nb"))
        await seen(core, user, plain("volunteer_approved_for", lang, places="Asker kommune"))
        await shows(core, card, plain("staff_approved_by", who="Siri"))


async def ola_volunteers_and_kari_lives_in_asker(world: World) -> None:
    """The usual cast: Ola is an approved volunteer; Kari has chosen Asker."""
    await register_volunteer(world, world.volunteer, "Ola Nordmann")
    await choose_asker(world.core, world.resident)


async def fill_request(
    core: FakeTelegram,
    user: User,
    *,
    lang: Lang = "nb",
    category: str = "groceries",
    description: str = DESCRIPTION,
    phone: str | None = None,
    area: str = AREA,
) -> Message:
    """Answer every intake step; returns the summary with its Send button."""
    core.inject_text(user, "/requesthelp")
    prompt = await reply(core, user, "(1/6)")
    core.press_button(user, prompt, text=say(f"category_{category}", lang))
    await reply(core, user, "(2/6)")
    core.inject_text(user, description)
    await reply(core, user, "(3/6)")
    core.inject_text(user, area)
    prompt = await reply(core, user, "(4/6)")
    core.press_button(user, prompt, text=say("timing_today", lang))
    prompt = await reply(core, user, "(5/6)")
    if phone is None:
        core.press_button(user, prompt, text=say("contact_choice_telegram", lang))
    else:
        core.press_button(user, prompt, text=say("contact_choice_phone", lang))
        await reply(core, user, plain("intake_phone", lang))
        core.inject_text(user, phone)
    prompt = await reply(core, user, "(6/6)")
    core.press_button(user, prompt, text=say("button_consent", lang))
    return await reply(core, user, lead("intake_summary", lang))


async def send_request(core: FakeTelegram, user: User, summary: Message, lang: Lang = "nb") -> str:
    """Press Send; returns the reference the resident is given."""
    core.press_button(user, summary, text=say("button_send_request", lang))
    return ref_in(text_of(await reply(core, user, lead("request_stored", lang))))


async def ask_for_help(
    core: FakeTelegram, user: User, *, category: str = "groceries", phone: str | None = None
) -> str:
    summary = await fill_request(core, user, category=category, phone=phone)
    return await send_request(core, user, summary)


async def take(core: FakeTelegram, volunteer: User, ref: str) -> Message:
    """The volunteer presses "I'll take it" and wins; returns their private details."""
    post = await posted(core, ref)
    pressed = core.press_button(volunteer, post, text=TAKE)
    assert (await answer_to(core, pressed)).text == plain("claim_won", ref=ref)
    return await seen(core, volunteer, f"Du har tatt {ref}")


async def status_of(core: FakeTelegram, user: User, ref: str, lang: Lang = "nb") -> str:
    """What /status says about `ref`."""
    core.inject_text(user, "/status")
    status = await reply(core, user, plain("status_title", lang))
    line = next((line for line in text_of(status).splitlines() if ref in line), "")
    assert line, text_of(status)
    return line


# -- 1. the whole path -----------------------------------------------------------------------


async def test_whole_path_from_registration_to_done(bot: BotProcess, world: World) -> None:
    core, resident, ola = world.core, world.resident, world.volunteer
    resident.last_name, resident.username = "Nordby", "kari_nordby"

    await register_volunteer(world, ola, "Ola Nordmann")
    card = await seen(core, world.staff_chat, f"(id {ola.id})")
    assert say("button_revoke", "nb") in card.button_texts

    # Cancel at a step (in Swedish): nothing is stored, nothing is posted.
    anna = world.other_resident
    core.inject_text(anna, "/requesthelp")
    prompt = await reply(core, anna, "(1/6)")
    core.press_button(anna, prompt, text=say("category_dog", "sv"))
    prompt = await reply(core, anna, "(2/6)")
    core.press_button(anna, prompt, text=say("button_intake_cancel", "sv"))
    await reply(core, anna, plain("intake_cancelled", "sv"))

    # Intake, with every kind of refused input asked again.
    await choose_asker(core, resident)
    core.inject_text(resident, "/requesthelp")
    prompt = await reply(core, resident, "(1/6)")
    core.press_button(resident, prompt, text=say("category_groceries", "nb"))
    await reply(core, resident, "(2/6)")
    core.inject_text(resident, "brød og melk " * 30)
    await reply(core, resident, plain("intake_description_too_long"))
    await reply(core, resident, "(2/6)")
    core.inject_text(resident, f"Ring meg på {PHONE_TYPED} når du er her")
    await reply(core, resident, plain("intake_no_contact_details"))
    await reply(core, resident, "(2/6)")
    core.inject_text(resident, DESCRIPTION)
    await reply(core, resident, "(3/6)")
    core.inject_text(resident, "Storgata 12")
    await reply(core, resident, plain("intake_area_no_address"))
    await reply(core, resident, "(3/6)")
    core.inject_text(resident, AREA)
    prompt = await reply(core, resident, "(4/6)")
    core.press_button(resident, prompt, text=say("timing_today", "nb"))
    prompt = await reply(core, resident, "(5/6)")
    core.press_button(resident, prompt, text=say("button_intake_back", "nb"))
    prompt = await reply(core, resident, "(4/6)")
    core.press_button(resident, prompt, text=say("timing_week", "nb"))
    prompt = await reply(core, resident, "(5/6)")
    core.press_button(resident, prompt, text=say("contact_choice_phone", "nb"))
    await reply(core, resident, plain("intake_phone"))
    core.inject_text(resident, "12ab")
    await reply(core, resident, plain("intake_phone_invalid"))
    await reply(core, resident, plain("intake_phone"))
    core.inject_text(resident, PHONE_TYPED)
    prompt = await reply(core, resident, "(6/6)")
    core.press_button(resident, prompt, text=say("button_consent", "nb"))
    summary = await reply(core, resident, lead("intake_summary"))
    for shown in (DESCRIPTION, AREA, PHONE, say("timing_week", "nb")):
        assert shown in text_of(summary)
    ref = await send_request(core, resident, summary)
    assert ref == "A-1001"
    assert say("state_open", "nb") in await status_of(core, resident, ref)

    # The group sees the request without personal data, and one volunteer takes it.
    post = await posted(core, ref)
    assert TAKE in post.button_texts
    assert DESCRIPTION in text_of(post) and AREA in text_of(post)
    details = await take(core, ola, ref)
    for shown in (DESCRIPTION, AREA, "Kari", PHONE):
        assert shown in text_of(details)
    assert say("button_done", "nb") in details.button_texts
    assert say("button_release", "nb") in details.button_texts
    await shows(core, post, "Tatt av Ola")
    assert not post.button_texts
    await seen(core, resident, plain("notice_claimed", name="Ola", ref=ref))
    assert say("state_claimed", "nb") in await status_of(core, resident, ref)

    # Done: the resident is told, the group message closes, the buttons go.
    pressed = core.press_button(ola, details, text=say("button_done", "nb"))
    assert (await answer_to(core, pressed)).text == plain("volunteer_marked_done", ref=ref)
    await seen(core, resident, plain("notice_done", ref=ref))
    await shows(core, post, say("state_done", "nb"))
    assert DESCRIPTION not in text_of(post)
    await core.wait_for(lambda: not details.button_texts, what="the details' buttons to go")
    assert say("state_done", "nb") in await status_of(core, resident, ref)

    # Nothing personal ever reached the group: no name, username or phone in any version.
    for message in core.bot_messages(VOLUNTEER_CHAT_ID, include_deleted=True):
        for text in versions(message):
            for secret in ("Kari", "Nordby", "kari_nordby", PHONE, PHONE_TYPED, "Anna"):
                assert secret not in text, f"{secret!r} in the group: {text!r}"
    assert core.bot_messages(VOLUNTEER_CHAT_ID) == [post]  # Anna's cancelled one never came

    # The log carries ids only: no names, usernames, phone numbers or what anyone wrote.
    log = bot.output()
    assert "help request" in log  # the log is being written
    for secret in ("Kari", "Nordby", "kari_nordby", PHONE, "XQZ-7781", AREA, "Ola Nordmann"):
        assert secret not in log, secret


async def test_back_at_the_phone_and_consent_steps(polling_bot: BotProcess, world: World) -> None:
    """Back from the phone step's own keyboard, and from consent back to the phone."""
    core, resident = world.core, world.resident
    core.inject_text(resident, "/requesthelp")
    prompt = await reply(core, resident, "(1/6)")
    core.press_button(resident, prompt, text=say("category_pharmacy", "nb"))
    await reply(core, resident, "(2/6)")
    core.inject_text(resident, "Hente medisin på apoteket")
    await reply(core, resident, "(3/6)")
    core.inject_text(resident, AREA)
    prompt = await reply(core, resident, "(4/6)")
    core.press_button(resident, prompt, text=say("timing_flexible", "nb"))
    prompt = await reply(core, resident, "(5/6)")
    core.press_button(resident, prompt, text=say("contact_choice_phone", "nb"))
    await reply(core, resident, plain("intake_phone"))
    core.inject_text(resident, say("button_intake_back", "nb"))  # the reply keyboard's Back
    prompt = await reply(core, resident, "(5/6)")
    core.press_button(resident, prompt, text=say("contact_choice_phone", "nb"))
    await reply(core, resident, plain("intake_phone"))
    core.inject_text(resident, PHONE_TYPED)
    prompt = await reply(core, resident, "(6/6)")
    core.press_button(resident, prompt, text=say("button_intake_back", "nb"))
    await reply(core, resident, plain("intake_phone"))
    core.inject_text(resident, PHONE_TYPED)
    prompt = await reply(core, resident, "(6/6)")
    core.press_button(resident, prompt, text=say("button_intake_cancel", "nb"))
    await reply(core, resident, plain("intake_cancelled"))
    assert query(world, "SELECT COUNT(*) FROM help_requests") == [(0,)]
    assert query(world, "SELECT COUNT(*) FROM conversations") == [(0,)]


# -- 2. release --------------------------------------------------------------------------------


async def test_release_reopens_the_request_for_another_volunteer(
    polling_bot: BotProcess, world: World
) -> None:
    core, resident, ola = world.core, world.resident, world.volunteer
    per = core.add_user("Per", user_id=2002, language_code="nb")
    await register_volunteer(world, ola, "Ola Nordmann")
    await register_volunteer(world, per, "Per Hansen")
    await choose_asker(core, resident)
    ref = await ask_for_help(core, resident)
    post = await posted(core, ref)
    details = await take(core, ola, ref)
    await shows(core, post, "Tatt av Ola")
    await seen(core, resident, plain("notice_claimed", name="Ola", ref=ref))
    done_button = details.find_button(text=say("button_done", "nb"))
    assert done_button is not None

    pressed = core.press_button(ola, details, text=say("button_release", "nb"))
    assert (await answer_to(core, pressed)).text == plain("volunteer_released", ref=ref)
    await seen(core, resident, plain("notice_released", ref=ref))
    await core.wait_for(lambda: TAKE in post.button_texts, WAIT, what="the take button back")
    assert DESCRIPTION in text_of(post) and "Tatt av" not in text_of(post)
    await core.wait_for(lambda: not details.button_texts, what="Ola's buttons to go")

    per_details = await take(core, per, ref)
    assert "Kari" in text_of(per_details)
    await shows(core, post, "Tatt av Per")
    await seen(core, resident, plain("notice_claimed", name="Per", ref=ref))

    # Ola's old "Done" (a button he once had) is someone else's request now: refused.
    stale = core.inject_callback(ola, details, str(done_button["callback_data"]))
    refused = await answer_to(core, stale)
    assert refused.text == plain("volunteer_not_yours")
    assert refused.show_alert
    assert "Tatt av Per" in text_of(post)

    core.press_button(per, per_details, text=say("button_done", "nb"))
    await seen(core, resident, plain("notice_done", ref=ref))
    await shows(core, post, say("state_done", "nb"))
    assert sum(plain("notice_done", ref=ref) in t for t in texts(core, resident)) == 1


# -- 3. concurrent claims ----------------------------------------------------------------------


async def seed_requests(world: World, residents: list[User]) -> list[str]:
    """One stored request per resident, queued for the group, before the bot starts."""
    data = {
        "category": "groceries",
        "description": DESCRIPTION,
        "area": AREA,
        "timing": "today",
        "contact": "telegram",
        "consent": "yes",
    }
    async with Database(db_path(world)) as db:
        desk = HelpDesk.build(
            db,
            volunteer_chat_id=VOLUNTEER_CHAT_ID,
            staff_chat_id=STAFF_CHAT_ID,
            contact_line=lambda municipality, lang: "",
        )
        await desk.start()
        refs = []
        for resident in residents:
            conversation = Conversation("request", "confirm", dict(data))
            request, _ = await desk.requests.submit(
                resident.id, resident.first_name, None, "asker", "nb", conversation
            )
            refs.append(request.ref)
        return refs


async def answers_to(core: FakeTelegram, presses: list[Injected]) -> list[CallbackAnswer]:
    """The bot's answers to every press in `presses`, once all have come."""
    ids = {p.callback_query_id for p in presses}

    def all_answered() -> list[CallbackAnswer] | None:
        found = [a for a in core.callback_answers if a.callback_query_id in ids]
        return found if len(found) == len(ids) else None

    return await core.wait_for(all_answered, 30, what=f"{len(ids)} answers")


async def test_fifty_volunteers_press_at_once_and_exactly_one_wins(
    world: World, tmp_path: Path
) -> None:
    core = world.core
    volunteers = [core.add_user(f"Hjelper{n:02d}", language_code="nb") for n in range(50)]
    residents = [core.add_user(f"Beboer{n}", language_code="nb") for n in range(5)]
    await seed_approved_volunteers(world, volunteers)
    async with running_bot(world, tmp_path):
        for volunteer in volunteers:  # a volunteer has a private chat with the bot
            core.set_member_status(world.volunteer_chat, volunteer, "member")
            core.inject_text(volunteer, "/start")
        await core.wait_for(
            lambda: all(core.bot_messages(v) for v in volunteers), 20, what="50 greetings"
        )

        async def request_from(resident: User) -> str:
            await choose_asker(core, resident)
            return await ask_for_help(core, resident)

        refs = await asyncio.gather(*(request_from(r) for r in residents))
        assert len(set(refs)) == 5
        names = {v.id: v.first_name for v in volunteers}
        for ref, resident in zip(refs, residents, strict=True):
            post = await posted(core, ref)
            presses = [core.press_button(v, post, text=TAKE) for v in volunteers]
            answers = await answers_to(core, presses)
            won = [a for a in answers if a.text == plain("claim_won", ref=ref)]
            taken = [a for a in answers if a.text == plain("claim_taken")]
            assert (len(won), len(taken)) == (1, 49), [a.text for a in answers]
            assert all(a.show_alert for a in taken)
            winner = won[0].user_id
            await seen(core, winner, f"Du har tatt {ref}")
            await shows(core, post, f"Tatt av {names[winner]}")
            await seen(core, resident, plain("notice_claimed", name=names[winner], ref=ref))

        for ref, resident in zip(refs, residents, strict=True):
            post = group_post(core, ref)
            assert post is not None
            edits = [
                c
                for c in core.calls_to("editMessageText")
                if c.ok and str(c.params.get("message_id")) == str(post.message_id)
            ]
            assert len(edits) == 1, edits
            details = [
                m
                for v in volunteers
                for m in core.bot_messages(v)
                if f"Du har tatt {ref}" in text_of(m)
            ]
            assert len(details) == 1
            notices = [t for t in texts(core, resident) if lead("notice_claimed") in t]
            assert len(notices) == 1, notices


async def test_a_hundred_rounds_of_fifty_simultaneous_claims(world: World, tmp_path: Path) -> None:
    """The issue's 50 presses x 100, through the real bot and the Bot API over HTTP."""
    core = world.core
    volunteers = [core.add_user(f"Hjelper{n:02d}", language_code="nb") for n in range(50)]
    residents = [core.add_user(f"Beboer{n}", language_code="nb") for n in range(100)]
    await seed_approved_volunteers(world, volunteers)
    refs = await seed_requests(world, residents)
    async with running_bot(world, tmp_path):
        for volunteer in volunteers:
            core.set_member_status(world.volunteer_chat, volunteer, "member")
            core.inject_text(volunteer, "/start")
        await core.wait_for(
            lambda: all(core.bot_messages(v) for v in volunteers), 20, what="50 greetings"
        )
        winners: dict[str, int] = {}
        for ref in refs:
            post = await posted(core, ref, within=30)
            answers = await answers_to(
                core, [core.press_button(v, post, text=TAKE) for v in volunteers]
            )
            won = [a for a in answers if a.text == plain("claim_won", ref=ref)]
            taken = [a for a in answers if a.text == plain("claim_taken")]
            assert (len(won), len(taken)) == (1, 49), [a.text for a in answers]
            winners[ref] = won[0].user_id
    stored = dict(
        query(world, "SELECT ref, volunteer_id FROM help_requests WHERE state = 'claimed'")
    )
    assert stored == winners


# -- 4. crash safety ---------------------------------------------------------------------------


async def test_kill_between_storing_and_posting_posts_exactly_once(
    polling_bot: BotProcess, world: World
) -> None:
    core, resident = world.core, world.resident
    await choose_asker(core, resident)
    summary = await fill_request(core, resident)
    stall = core.delay(30.0, "sendMessage", chat_id=VOLUNTEER_CHAT_ID)
    ref = await send_request(core, resident, summary)
    await eventually(core, lambda: stall.hits >= 1, what="the group post to be under way")
    await polling_bot.kill()
    core.remove_fault(stall)
    assert not core.bot_messages(VOLUNTEER_CHAT_ID)

    await polling_bot.start()
    post = await posted(core, ref, within=15)
    assert TAKE in post.button_texts
    await eventually(
        core,
        lambda: query(world, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'") == [(0,)],
        what="the outbox to be empty",
    )
    assert [ref_in(text_of(m)) for m in core.bot_messages(VOLUNTEER_CHAT_ID)] == [ref]
    # The resident was told once, and nothing odd came after the restart.
    await status_of(core, resident, ref)
    stored = [t for t in texts(core, resident) if lead("request_stored") in t]
    assert len(stored) == 1
    assert not errors_in(texts(core, resident))


async def test_kill_before_the_resident_is_told_still_tells_them_the_reference(
    polling_bot: BotProcess, world: World
) -> None:
    """The request is stored, then the bot dies before confirming it to the resident."""
    core, resident = world.core, world.resident
    await choose_asker(core, resident)
    summary = await fill_request(core, resident)
    stall = core.delay(30.0, "sendMessage", chat_id=resident.id)
    core.press_button(resident, summary, text=say("button_send_request", "nb"))
    await eventually(core, lambda: stall.hits >= 1, what="the confirmation to be under way")
    # The group post goes out beside the confirmation. Killing the bot between Telegram taking
    # that post and the outbox recording it would post it twice (delivery is at least once, and
    # the Bot API has no idempotency key), which is not what this test is about.
    await eventually(
        core,
        lambda: query(world, "SELECT 1 FROM outbox WHERE kind = 'group' AND state = 'sent'"),
        what="the group post to be recorded as sent",
    )
    await polling_bot.kill()
    core.remove_fault(stall)
    [(ref,)] = query(world, "SELECT ref FROM help_requests")

    await polling_bot.start()
    await posted(core, ref, within=15)
    await status_of(core, resident, ref)
    said = texts(core, resident)
    assert not errors_in(said), said
    assert [t for t in said if lead("request_stored") in t and ref in t], said


async def test_kill_while_telegram_takes_the_group_post_posts_it_again_marked_as_a_repeat(
    polling_bot: BotProcess, world: World
) -> None:
    """Telegram took the post but the bot died before hearing so: at least once, same
    reference, and the second copy says what it is."""
    core, resident, ola = world.core, world.resident, world.volunteer
    await ola_volunteers_and_kari_lives_in_asker(world)
    summary = await fill_request(core, resident)
    late = core.delay(30.0, "sendMessage", chat_id=VOLUNTEER_CHAT_ID, after_effect=True)
    ref = await send_request(core, resident, summary)
    await eventually(core, lambda: late.hits >= 1, what="the group post to be under way")
    await eventually(
        core,
        lambda: query(world, "SELECT state FROM outbox WHERE kind = 'group'") == [("sending",)],
        what="the post to be recorded as sending",
    )
    await polling_bot.kill()
    core.remove_fault(late)
    [first] = core.bot_messages(VOLUNTEER_CHAT_ID)
    repeat_note = plain("group_post_repeated", ref=ref)
    assert repeat_note not in text_of(first)

    await polling_bot.start()
    await eventually(
        core, lambda: len(core.bot_messages(VOLUNTEER_CHAT_ID)) == 2, what="the post again"
    )
    second = core.bot_messages(VOLUNTEER_CHAT_ID)[1]
    assert ref_in(text_of(second)) == ref and repeat_note in text_of(second)
    # Either copy's button takes the same request, once.
    pressed = core.press_button(ola, first, text=TAKE)
    assert (await answer_to(core, pressed)).text == plain("claim_won", ref=ref)
    await shows(core, second, "Tatt av Ola")
    assert query(world, "SELECT state, volunteer_id FROM help_requests") == [("claimed", ola.id)]


# -- 5. 429s -----------------------------------------------------------------------------------


def calls_to_chat(core: FakeTelegram, chat_id: int) -> list[CallRecord]:
    calls = [*core.calls_to("sendMessage"), *core.calls_to("editMessageText")]
    return sorted(
        (c for c in calls if str(c.params.get("chat_id")) == str(chat_id)), key=lambda c: c.started
    )


async def test_429_storm_on_the_group_is_waited_out_and_everything_arrives(
    polling_bot: BotProcess, world: World
) -> None:
    core, resident, ola = world.core, world.resident, world.volunteer
    await ola_volunteers_and_kari_lives_in_asker(world)
    summary = await fill_request(core, resident)
    # More 429s than the rate limiter retries by itself (5), so the outbox's hold is used too.
    core.too_many_requests(retry_after=1, method="sendMessage", times=6, chat_id=VOLUNTEER_CHAT_ID)
    ref = await send_request(core, resident, summary)
    post = await posted(core, ref, within=20)

    core.too_many_requests(retry_after=2, method="editMessageText", chat_id=VOLUNTEER_CHAT_ID)
    details = await take(core, ola, ref)
    assert "Kari" in text_of(details)
    await seen(core, resident, plain("notice_claimed", name="Ola", ref=ref))
    await core.wait_for(lambda: "Tatt av Ola" in text_of(post), 15, what="the taken edit")

    calls = calls_to_chat(core, VOLUNTEER_CHAT_ID)
    refused = [c for c in calls if c.status == 429]
    assert len(refused) == 7
    for hit in refused:
        wait = 2.0 if hit.method == "editMessageText" else 1.0
        later = [c for c in calls if c.started > hit.started]
        assert later, "nothing was sent after a 429"
        assert min(c.started for c in later) >= hit.finished + wait - 0.05, (hit, later[0])
    assert [m.message_id for m in core.bot_messages(VOLUNTEER_CHAT_ID)] == [post.message_id]


async def test_429_in_the_group_does_not_hold_back_answers_to_residents(
    polling_bot: BotProcess, world: World
) -> None:
    """Telegram's 429 is for one chat; a resident elsewhere should not wait for it."""
    core, resident, anna = world.core, world.resident, world.other_resident
    await choose_asker(core, resident)
    summary = await fill_request(core, resident)
    core.too_many_requests(retry_after=3, method="sendMessage", chat_id=VOLUNTEER_CHAT_ID)
    ref = await send_request(core, resident, summary)
    await core.wait_for(
        lambda: [c for c in calls_to_chat(core, VOLUNTEER_CHAT_ID) if c.status == 429],
        what="the 429",
    )
    asked = core.monotonic()
    core.inject_text(anna, "/help")
    await core.wait_for_message(anna, timeout=WAIT)
    answered = next(c for c in calls_to_chat(core, anna.id))
    await posted(core, ref)
    assert answered.started - asked < 1.0, f"the answer waited {answered.started - asked:.1f}s"


# -- 6. forged, stale and unauthorised buttons -------------------------------------------------


async def test_take_button_refuses_forgers_strangers_and_the_unapproved(
    polling_bot: BotProcess, world: World
) -> None:
    core, resident, ola, anna = world.core, world.resident, world.volunteer, world.other_resident
    per = core.add_user("Per", user_id=2002, language_code="nb")
    eva = core.add_user("Eva", user_id=2003, language_code="nb")
    await register_volunteer(world, ola, "Ola Nordmann")
    await register_volunteer(world, per, "Per Hansen")
    await register_volunteer(world, eva, "Eva Pending", approve=False)
    await choose_asker(core, resident)
    ref = await ask_for_help(core, resident)
    post = await posted(core, ref)
    before = text_of(post)
    take_data = str(post.find_button(text=TAKE)["callback_data"])  # type: ignore[index]
    request_id = ref.split("-")[1]

    # A resident who is in the group, and a volunteer still waiting for approval.
    core.set_member_status(world.volunteer_chat, anna, "member")
    for stranger in (anna, eva):
        answer = await answer_to(core, core.press_button(stranger, post, text=TAKE))
        denials = {plain("claim_not_volunteer", lang) for lang in ("nb", "sv", "en")}
        assert answer.text in denials
        assert answer.show_alert

    # Forged data: wrong signature, none, garbage, and a real button moved from another chat.
    card = await seen(core, world.staff_chat, f"(id {ola.id})")
    revoke = card.find_button(text=say("button_revoke", "nb"))
    assert revoke is not None  # signed, but for the staff chat
    forged = [f"c|{request_id}|AAAAAAAA", f"c|{request_id}", "c", take_data + "x"]
    forged.append(str(revoke["callback_data"]))
    for data in forged:
        answer = await answer_to(core, core.inject_callback(ola, post, data))
        assert answer.text == plain("button_expired"), data

    assert text_of(post) == before
    assert TAKE in post.button_texts
    assert not [c for c in calls_to_chat(core, VOLUNTEER_CHAT_ID) if c.method != "sendMessage"]
    assert say("state_open", "nb") in await status_of(core, resident, ref)

    # The real claim still works, and it is the only one the resident hears of.
    await take(core, ola, ref)
    await seen(core, resident, plain("notice_claimed", name="Ola", ref=ref))
    await shows(core, post, "Tatt av Ola")

    # A stale press of the take button, by an approved volunteer: already taken.
    stale = await answer_to(core, core.inject_callback(per, post, take_data))
    assert stale.text == plain("claim_taken")
    assert not [m for m in core.bot_messages(per) if f"Du har tatt {ref}" in text_of(m)]
    assert "Tatt av Ola" in text_of(post)
    assert len([t for t in texts(core, resident) if lead("notice_claimed") in t]) == 1


async def test_refusal_is_in_the_pressers_language(polling_bot: BotProcess, world: World) -> None:
    """Anna's app is Swedish and so is her profile: the refusal should be in Swedish too."""
    core, resident, anna = world.core, world.resident, world.other_resident
    await choose_asker(core, resident)
    ref = await ask_for_help(core, resident)
    post = await posted(core, ref)
    core.inject_text(anna, "/start")
    await reply(core, anna, "Hej")
    answer = await answer_to(core, core.press_button(anna, post, text=TAKE))
    assert answer.text == plain("claim_not_volunteer", "sv")


# -- 7. escalation -----------------------------------------------------------------------------


async def test_unclaimed_requests_escalate_to_staff_who_close_or_hand_them_over(
    world: World, tmp_path: Path
) -> None:
    core, resident, ola = world.core, world.resident, world.volunteer
    async with running_bot(
        world, tmp_path, ESCALATE_AFTER_MINUTES="0.02", JOB_INTERVAL_SECONDS="0.5"
    ):
        await ola_volunteers_and_kari_lives_in_asker(world)
        resident.username = "kari_nordby"
        to_close = await ask_for_help(core, resident, phone=PHONE_TYPED)
        to_hand = await ask_for_help(core, resident, category="pharmacy")
        alerts = {}
        for ref in (to_close, to_hand):
            alerts[ref] = await core.wait_for(
                lambda ref=ref: next(
                    (m for m in core.bot_messages(world.staff_chat) if f"⏰ {ref}" in text_of(m)),
                    None,
                ),
                WAIT,
                what=f"the staff alert for {ref}",
            )
            buttons = {say("button_staff_close", "nb"), say("button_staff_assign", "nb")}
            assert buttons <= set(alerts[ref].button_texts)
            for secret in ("Kari", "kari_nordby", PHONE):
                assert secret not in text_of(alerts[ref])
            slow = await seen(core, resident, f"{lead('notice_slow')} {ref}")
            assert ref in text_of(slow) and "66 700 000" in text_of(slow)

        # Close: the resident is told, with the municipality's number.
        core.press_button(world.staff, alerts[to_close], text=say("button_staff_close", "nb"))
        await shows(core, alerts[to_close], plain("staff_closed_by", who="Siri"))
        closed = await seen(core, resident, f"{lead('notice_closed_by_staff')} {to_close}")
        assert to_close in text_of(closed) and "66 700 000" in text_of(closed)
        await shows(core, await posted(core, to_close), say("state_cancelled", "nb"))

        # Hand to a named volunteer: they get the details.
        core.press_button(world.staff, alerts[to_hand], text=say("button_staff_assign", "nb"))
        picker = await core.wait_for_message(
            world.staff_chat, lambda m: "Ola Nordmann" in m.button_texts, WAIT
        )
        core.press_button(world.staff, picker, text="Ola Nordmann")
        details = await seen(core, ola, f"Du har tatt {to_hand}")
        assert "Kari" in text_of(details) and "kari_nordby" in text_of(details)
        await seen(core, resident, plain("notice_claimed", name="Ola", ref=to_hand))
        await shows(core, await posted(core, to_hand), "Tatt av Ola")
        await shows(core, picker, plain("staff_handed_by", who="Siri"))
        # Each request was escalated once.
        alerts_sent = [t for t in texts(core, world.staff_chat) if t.startswith("⏰")]
        assert len(alerts_sent) == 2


# -- 8. retention and /forgetme ----------------------------------------------------------------


def personal(world: World) -> list[bytes]:
    """The resident's personal data that can be found in the database files."""
    found = stored_bytes(world)
    needles = [b"XQZ-7781", DESCRIPTION.encode(), PHONE.encode(), PHONE_TYPED.encode()]
    return [needle for needle in needles if needle in found]


async def test_retention_erases_phone_and_description_from_the_file(
    world: World, tmp_path: Path
) -> None:
    core, resident, ola = world.core, world.resident, world.volunteer
    bot = BotProcess(
        world,
        webhook=False,
        log=tmp_path / "bot.log",
        extra_env={"RETENTION_DAYS": "0.00001", "JOB_INTERVAL_SECONDS": "0.3"},
    )
    await bot.start()
    try:
        await ola_volunteers_and_kari_lives_in_asker(world)
        ref = await ask_for_help(core, resident, phone=PHONE_TYPED)
        assert personal(world), "the request should be in the file while it is open"
        details = await take(core, ola, ref)
        assert PHONE in text_of(details)
        core.press_button(ola, details, text=say("button_done", "nb"))
        await seen(core, resident, plain("notice_done", ref=ref))
        await eventually(core, lambda: not personal(world), what="the data to leave the file")
    finally:
        await bot.stop()
    assert personal(world) == []
    [(phone, description, erased)] = query(
        world, "SELECT phone, description, erased_at FROM help_requests WHERE ref = ?", ref
    )
    assert (phone, description) == (None, None) and erased is not None


async def test_forgetme_cancels_the_active_request_and_erases_the_file(
    world: World, tmp_path: Path
) -> None:
    core, resident, ola = world.core, world.resident, world.volunteer
    async with running_bot(world, tmp_path) as bot:
        await ola_volunteers_and_kari_lives_in_asker(world)
        ref = await ask_for_help(core, resident, phone=PHONE_TYPED)
        details = await take(core, ola, ref)
        done_button = details.find_button(text=say("button_done", "nb"))
        assert done_button is not None
        post = await posted(core, ref)
        await shows(core, post, "Tatt av Ola")
        assert personal(world)

        core.inject_text(resident, "/forgetme")
        confirm = await reply(core, resident, plain("forget_confirm"))
        core.press_button(resident, confirm, text=say("button_forget_yes", "nb"))
        await reply(core, resident, plain("forget_done"))
        told = await seen(core, ola, f"{lead('volunteer_request_cancelled')} {ref}")
        assert ref in text_of(told)
        await shows(core, post, say("state_cancelled", "nb"))
        assert DESCRIPTION not in text_of(post)
        await eventually(core, lambda: not personal(world), what="the data to leave the file")
        core.inject_text(resident, "/status")
        await reply(core, resident, plain("status_none"))
        # The volunteer's message no longer holds the contact details or buttons, and an old
        # client's press of its Done button is refused: the request is gone.
        await shows(core, details, "Kontaktopplysningene er fjernet")
        assert PHONE_TYPED not in text_of(details) and not details.button_texts
        refused = await answer_to(
            core, core.inject_callback(ola, details, str(done_button["callback_data"]))
        )
        assert refused.text == plain("volunteer_not_yours")
        await bot.stop()
        assert personal(world) == []


# -- 9. /cancel while a volunteer has it ------------------------------------------------------


async def test_cancel_while_taken_tells_the_volunteer_and_clears_the_group_message(
    polling_bot: BotProcess, world: World
) -> None:
    core, resident, ola = world.core, world.resident, world.volunteer
    await ola_volunteers_and_kari_lives_in_asker(world)
    ref = await ask_for_help(core, resident)
    details = await take(core, ola, ref)
    done_data = str((details.find_button(text=say("button_done", "nb")) or {})["callback_data"])
    post = await posted(core, ref)
    await shows(core, post, "Tatt av Ola")

    core.inject_text(resident, "/cancel")
    which = await reply(core, resident, plain("cancel_which"))
    core.press_button(resident, which, text=say("button_cancel_request", "nb", ref=ref))
    await seen(core, resident, plain("notice_cancelled", ref=ref))
    told = await seen(core, ola, f"{lead('volunteer_request_cancelled')} {ref}")
    assert ref in text_of(told)
    await shows(core, post, say("state_cancelled", "nb"))
    assert DESCRIPTION not in text_of(post) and AREA not in text_of(post)
    assert not post.button_texts
    assert say("state_cancelled", "nb") in await status_of(core, resident, ref)
    # The details message loses the contact and its buttons; an old client's press is refused.
    await shows(core, details, "Kontaktopplysningene er fjernet")
    refused = await answer_to(core, core.inject_callback(ola, details, done_data))
    assert refused.text == plain("volunteer_not_yours")


# -- duplicates --------------------------------------------------------------------------------


async def test_the_same_request_again_is_pointed_at_the_first_and_can_be_sent_anyway(
    polling_bot: BotProcess, world: World
) -> None:
    core, resident = world.core, world.resident
    await choose_asker(core, resident)
    first = await ask_for_help(core, resident)
    summary = await fill_request(core, resident)
    notice = await seen(core, resident, lead("intake_active_already"))
    assert first in text_of(notice), "said when the intake starts, not after six steps"
    core.press_button(resident, summary, text=say("button_send_request", "nb"))
    duplicate = await reply(core, resident, lead("request_duplicate"))
    assert first in text_of(duplicate)
    core.press_button(resident, duplicate, text=say("button_send_anyway", "nb"))
    second = ref_in(text_of(await reply(core, resident, lead("request_stored"))))
    assert second != first
    # Another kind of help is not a duplicate at all.
    other = await ask_for_help(core, resident, category="pharmacy")
    assert other not in (first, second)
