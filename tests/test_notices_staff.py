"""/notice in the staff chat: written one language at a time, previewed exactly as residents
get it, confirmed with the number of recipients; the two-person rule; pause, resume, cancel,
end; blocked residents."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.fakeapi import Fault, Message, User
from bot.messages import say
from bot.tg.notices import NoticeSender
from tests.inprocess import LiveBot, live_bot


async def in_staff_chat(
    bot: LiveBot, text: str, reply_to: Message | None = None, who: User | None = None
) -> Message:
    """A staff member writes in the staff chat; returns the bot's next message there."""
    bot.core.inject_text(who or bot.staff, text, chat=bot.staff_chat, reply_to=reply_to)
    # Progress messages of earlier notices may come in between.
    return await bot.core.wait_for_message(
        bot.staff_chat, lambda m: not (m.text or "").startswith("📢 Notice #")
    )


async def subscribe(bot: LiveBot, resident: User, *commands: str) -> None:
    for command in (*commands, "/municipality asker", "/subscribe"):
        await bot.send(resident, command)


async def write_notice(bot: LiveBot, nb: str, en: str, who: User | None = None) -> Message:
    """/notice asker with its two texts; returns the confirmation with its buttons."""
    first = await in_staff_chat(bot, "/notice asker", who=who)
    assert "Reply to this message with the text in Norwegian" in (first.text or "")
    second = await in_staff_chat(bot, nb, reply_to=first, who=who)
    assert "English" in (second.text or "")
    bot.core.inject_text(who or bot.staff, en, chat=bot.staff_chat, reply_to=second)
    return await bot.core.wait_for_message(
        bot.staff_chat,
        lambda m: any(t.startswith("📤") or t.startswith("✅") for t in m.button_texts),
    )


async def until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """Wait until `check` holds (the bot's database is written in another thread)."""
    async with asyncio.timeout(timeout):
        # The condition is in SQLite, written by the bot's writer thread: nothing to await.
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def finished(bot: LiveBot, notice_id: int = 1) -> bool:
    return await notice_state(bot, notice_id) == "done"


async def notice_state(bot: LiveBot, notice_id: int) -> str | None:
    notice = await bot.runtime.notices.get(notice_id)
    return notice.state if notice else None


async def test_a_notice_is_previewed_confirmed_and_reaches_each_resident_in_their_language(
    tmp_path: Path,
) -> None:
    async with live_bot(tmp_path) as bot:
        english = bot.core.add_user("Amy", language_code="en")
        await subscribe(bot, bot.resident)
        await subscribe(bot, english, "/language en")
        confirm = await write_notice(bot, "Kok vannet før du drikker det.", "Boil the water first.")
        assert "goes to 2 residents of Asker Municipality" in (confirm.text or "")
        previews = [
            m for m in bot.core.bot_messages(bot.staff_chat) if "/unsubscribe" in (m.text or "")
        ]
        bot.core.press_button(bot.staff, confirm, text=say("button_notice_send", "en", count="2"))
        got_nb = await bot.core.wait_for_message(
            bot.resident, lambda m: "Kok vannet" in (m.text or "")
        )
        got_en = await bot.core.wait_for_message(
            english, lambda m: "Boil the water" in (m.text or "")
        )
        # The preview is exactly what they got.
        assert [p.text for p in previews] == [got_nb.text, got_en.text]
        progress = await bot.core.wait_for_message(
            bot.staff_chat, lambda m: (m.text or "").startswith("📢 Notice #")
        )
        # Posted by the sender after its first round: both are sent already.
        assert "Sent 2 · waiting 0" in (progress.text or "")
        assert progress.button_texts == [say("button_notice_end", "en")]
        await until(lambda: finished(bot), "the notice to be sent to both")
        done = await bot.runtime.notices.progress(1)
        assert (done.sent, done.waiting, done.failed) == (2, 0, 0)
        # Sent within the minute: the progress message is not edited before the minute is up.
        edits = [
            c
            for c in bot.core.calls_to("editMessageText")
            if str(c.params.get("message_id")) == str(progress.message_id)
        ]
        assert edits == []

        # The notice is also an answer now (its index is built beside the send, which can
        # finish first), dated, in the asker's language.
        async def answers() -> bool:
            return "notice-1" in bot.runtime.knowledge.responder.kb.entries

        await until(answers, "the notice to be an answer")
        answer = await bot.send(bot.resident, "Må jeg koke vannet før jeg drikker det?")
        assert "Kok vannet før du drikker det." in (answer.text or "")


async def test_the_two_person_rule_refuses_the_writer_and_lets_a_second_staff_member_send(
    tmp_path: Path,
) -> None:
    async with live_bot(tmp_path, notice_needs_second_staff=True) as bot:
        second = bot.core.add_user("Per", language_code="nb")
        bot.core.set_member_status(bot.staff_chat, second, "member")
        await subscribe(bot, bot.resident)
        confirm = await write_notice(
            bot, "Tilfluktsrommet på skolen er åpent.", "The shelter is open."
        )
        approve = say("button_notice_approve", "en", count="1")
        refused = bot.core.press_button(bot.staff, confirm, text=approve)
        await bot.until_handled(refused)
        assert await notice_state(bot, 1) == "ready"
        assert not [
            m for m in bot.core.bot_messages(bot.resident) if "Tilfluktsrommet" in (m.text or "")
        ]
        approved = bot.core.press_button(second, confirm, text=approve)
        await bot.until_handled(approved)
        await bot.core.wait_for_message(bot.resident, lambda m: "Tilfluktsrommet" in (m.text or ""))
        notice = await bot.runtime.notices.get(1)
        assert notice is not None and notice.approved_by == second.id


async def held_notice(bot: LiveBot) -> Message:
    """A notice to one subscriber whose chat Telegram holds back for an hour: it stays
    "sending" while a test looks at it. Returns its progress message."""
    await subscribe(bot, bot.resident)
    bot.core.add_fault(Fault("sendMessage", chat_id=bot.resident.id, retry_after=3600))
    confirm = await write_notice(bot, "Apoteket har flyttet.", "The pharmacy has moved.")
    bot.core.press_button(bot.staff, confirm, text=say("button_notice_send", "en", count="1"))
    return await bot.core.wait_for_message(
        bot.staff_chat, lambda m: (m.text or "").startswith("📢 Notice #")
    )


async def test_pause_resume_cancel_and_end_from_the_progress_message(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        progress = await held_notice(bot)
        await bot.core.wait_for(lambda: not bot.core.faults, what="the 429 to be used")
        await until(
            lambda: bot.runtime.db.fetchval(
                "SELECT state = 'waiting' AND attempts = 1 FROM notice_deliveries"
            ),
            "the delivery to wait for its retry",
        )

        async def press(label: str, state: str) -> None:
            current = bot.core.get_message(bot.staff_chat, progress.message_id)
            handled = bot.core.press_button(bot.staff, current, text=say(label, "en"))
            await bot.until_handled(handled)
            assert await notice_state(bot, 1) == state

        await press("button_notice_pause", "paused")
        await press("button_notice_resume", "sending")
        await press("button_notice_cancel", "cancelled")
        cancelled = await bot.runtime.notices.progress(1)
        assert (cancelled.sent, cancelled.waiting, cancelled.cancelled) == (0, 0, 1)
        assert not [m for m in bot.core.bot_messages(bot.resident) if "Apoteket" in (m.text or "")]
        # Still an answer until staff end it.
        assert "notice-1" in bot.runtime.knowledge.responder.kb.entries
        await press("button_notice_end", "cancelled")
        assert "notice-1" not in bot.runtime.knowledge.responder.kb.entries


async def test_a_resident_who_blocked_the_bot_is_unsubscribed_counted_and_not_retried(
    tmp_path: Path,
) -> None:
    async with live_bot(tmp_path) as bot:
        other = bot.core.add_user("Ola", language_code="nb")
        await subscribe(bot, bot.resident)
        await subscribe(bot, other)
        bot.core.block(other)
        confirm = await write_notice(bot, "Strømmen er tilbake.", "Power is back.")
        bot.core.press_button(bot.staff, confirm, text=say("button_notice_send", "en", count="2"))
        await bot.core.wait_for_message(bot.resident, lambda m: "Strømmen" in (m.text or ""))
        await until(lambda: finished(bot), "the notice to be done")
        progress = await bot.runtime.notices.progress(1)
        assert (progress.sent, progress.blocked, progress.waiting) == (1, 1, 0)
        assert await bot.runtime.subscriptions.active(other.id) == []
        attempts = [
            c
            for c in bot.core.calls_to("sendMessage")
            if c.params.get("chat_id") == other.id and "Viktig varsel" in c.params.get("text", "")
        ]
        assert len(attempts) == 1
        # The next notice is not tried on them at all.
        confirm = await write_notice(bot, "Skolen er åpen igjen.", "The school is open again.")
        assert "goes to 1 residents" in (confirm.text or "")


async def test_the_progress_message_is_edited_once_a_minute_at_most(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        progress = await held_notice(bot)
        await until(
            lambda: bot.runtime.db.fetchval(
                "SELECT progress_message_id IS NOT NULL FROM notices WHERE id = 1"
            ),
            "the progress message to be recorded",
        )
        sender = NoticeSender(bot.runtime, bot.application.bot)

        def edits() -> int:
            return sum(
                str(c.params.get("message_id")) == str(progress.message_id)
                for c in bot.core.calls_to("editMessageText")
            )

        await sender.report()
        assert edits() == 0  # posted just now
        # A minute later (the last edit's time moved back), the next round edits it ...
        await bot.runtime.db.write(
            "UPDATE notices SET progress_edited_at = progress_edited_at - 61"
        )
        await sender.report()
        # This report, or the bot's own reporter if it came first, edits it (only one of
        # them takes the minute's edit; the other's may still be on its way).
        await bot.core.wait_for(lambda: edits() >= 1, what="the minute's edit")
        shown = edits()
        assert shown == 1
        # ... and not again within the minute.
        await sender.report()
        await sender.report()
        assert edits() == shown


async def test_a_notice_to_all_asks_for_each_language_and_an_unknown_place_is_explained(
    tmp_path: Path,
) -> None:
    async with live_bot(tmp_path) as bot:
        swede = bot.core.add_user("Anna", language_code="sv")
        await subscribe(bot, bot.resident)
        for command in ("/municipality ockero", "/subscribe"):
            await bot.send(swede, command)
        unknown = await in_staff_chat(bot, "/notice narnia")
        assert "narnia" in (unknown.text or "") and "asker" in (unknown.text or "")
        prompt = await in_staff_chat(bot, "/notice all")
        texts = {"Norwegian": "Stormen: hold deg inne.", "Swedish": "Stormen: stanna inne."}
        for language, text in texts.items():
            assert f"the text in {language}" in (prompt.text or "")
            prompt = await in_staff_chat(bot, text, reply_to=prompt)
        assert "the text in English" in (prompt.text or "")
        bot.core.inject_text(
            bot.staff, "The storm: stay inside.", chat=bot.staff_chat, reply_to=prompt
        )
        confirm = await bot.core.wait_for_message(
            bot.staff_chat, lambda m: any(t.startswith("📤") for t in m.button_texts)
        )
        assert "goes to 2 residents of all municipalities" in (confirm.text or "")
        bot.core.press_button(bot.staff, confirm, text=say("button_notice_send", "en", count="2"))
        await bot.core.wait_for_message(bot.resident, lambda m: "hold deg inne" in (m.text or ""))
        got = await bot.core.wait_for_message(swede, lambda m: "stanna inne" in (m.text or ""))
        assert "Öckerö" in (got.text or "")


ASKER_STAFF_CHAT = -1001000000777


async def test_in_a_municipality_s_own_staff_chat_notices_are_for_it_only_and_in_its_language(
    tmp_path: Path,
) -> None:
    """Asker's staff chat writes Asker's notices, in Norwegian, and sees their progress there;
    another municipality, or all, is refused and writes nothing."""
    async with live_bot(tmp_path, staff_chats={"asker": ASKER_STAFF_CHAT}) as bot:
        anna = bot.core.add_user("Anna", language_code="en")
        chat = bot.core.add_group(
            "Asker staff", chat_id=ASKER_STAFF_CHAT, members={anna: "administrator"}
        )
        await subscribe(bot, bot.resident)

        async def in_asker_chat(text: str, reply_to: Message | None = None) -> Message:
            bot.core.inject_text(anna, text, chat=chat, reply_to=reply_to)
            return await bot.core.wait_for_message(
                chat, lambda m: not (m.text or "").startswith("📢")
            )

        refused = await in_asker_chat("/notice all")
        choices = "asker"
        assert refused.text == say("staff_notice_not_yours", "nb", choices=choices)
        refused = await in_asker_chat("/notice ockero")
        assert refused.text == say("staff_notice_not_yours", "nb", choices=choices)
        assert await bot.runtime.notices.latest(10) == []
        # No argument needed: this chat's municipality is Asker.
        prompt = await in_asker_chat("/notice")
        assert "Varsel #1 til Asker kommune" in (prompt.text or "")
        assert "teksten på norsk" in (prompt.text or "").lower()
        prompt = await in_asker_chat("Vannet er trygt igjen.", reply_to=prompt)
        assert "engelsk" in (prompt.text or "").lower()
        bot.core.inject_text(anna, "The water is safe again.", chat=chat, reply_to=prompt)
        confirm = await bot.core.wait_for_message(
            chat, lambda m: any(t.startswith("📤") for t in m.button_texts)
        )
        assert "går til 1 innbyggere i Asker kommune" in (confirm.text or "")
        bot.core.press_button(anna, confirm, text=say("button_notice_send", "nb", count="1"))
        await bot.core.wait_for_message(bot.resident, lambda m: "Vannet er trygt" in (m.text or ""))
        # Its progress is in the chat it was written in, in that chat's language.
        progress = await bot.core.wait_for_message(
            chat, lambda m: (m.text or "").startswith("📢 Varsel #1")
        )
        assert "Sendt 1" in (progress.text or "")
        assert not [
            m for m in bot.core.bot_messages(bot.staff_chat) if "Varsel #1" in (m.text or "")
        ]
        notice = await bot.runtime.notices.get(1)
        assert notice is not None and notice.staff_chat_id == ASKER_STAFF_CHAT
