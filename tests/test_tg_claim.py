"""A volunteer's claim through the real Application: a send that fails is retried, never the
claim itself."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from bot.fakeapi import Message
from bot.helpdesk.intake import Conversation
from bot.messages import say
from tests.inprocess import VOLUNTEER_CHAT_ID, LiveBot, live_bot

TAKE = say("button_take", "nb")


async def a_posted_request(bot: LiveBot) -> tuple[str, Message]:
    """Ola is an approved volunteer and Kari's request is in the group; returns its reference
    and the group post."""
    await bot.send(bot.volunteer, "/start")  # a bot can only write to those who started it
    desk = bot.runtime.desk
    registration = Conversation(
        "volunteer", "submitted", {"name": "Ola Nordmann", "area": "Asker", "skills": "groceries"}
    )
    await desk.volunteers.register(bot.volunteer.id, registration, "nb")
    assert await desk.volunteers.decide(bot.volunteer.id, True, staff_id=9) is not None
    filled = Conversation(
        "request",
        "confirm",
        {
            "category": "groceries",
            "description": "melk og brød",
            "area": "Heggedal",
            "timing": "today",
            "contact": "telegram",
            "consent": "yes",
        },
    )
    request, _ = await desk.requests.submit(bot.resident.id, "Kari", None, "asker", "nb", filled)
    post = await bot.core.wait_for(
        lambda: next(
            (m for m in bot.core.bot_messages(VOLUNTEER_CHAT_ID) if request.ref in (m.text or "")),
            None,
        ),
        what="the group post",
    )
    assert post is not None
    return request.ref, post


async def handled(bot: LiveBot, update_id: int) -> None:
    """Wait until the bot has finished with an update (retries included)."""
    for _ in range(200):
        if await bot.runtime.inbox.is_processed(update_id):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"update {update_id} was never marked processed")


async def test_a_timed_out_answer_to_take_retries_the_answer_not_the_claim(
    tmp_path: Path,
) -> None:
    """answerCallbackQuery took effect but its answer came too late for the bot."""
    async with live_bot(tmp_path, read_timeout=0.5) as bot:
        ref, post = await a_posted_request(bot)
        claims: list[int] = []
        claim = bot.runtime.desk.requests.claim

        async def counted_claim(request_id: int, volunteer_id: int) -> object:
            claims.append(volunteer_id)
            return await claim(request_id, volunteer_id)

        bot.runtime.desk.requests.claim = counted_claim  # type: ignore[method-assign,assignment]
        late = bot.core.delay(1.0, "answerCallbackQuery", after_effect=True)
        pressed = bot.core.press_button(bot.volunteer, post, text=TAKE)
        details = await bot.core.wait_for_message(
            bot.volunteer, lambda m: ref in (m.text or ""), timeout=10
        )
        assert "Kari" in (details.text or "")
        await bot.core.wait_for(lambda: late.hits >= 1, what="the late answer")
        assert pressed.update_id is not None
        await handled(bot, pressed.update_id)
        # Whatever else the bot does, it never tells the winner someone else took it.
        await bot.core.wait_for(
            lambda: (
                ref in (bot.core.get_message(VOLUNTEER_CHAT_ID, post.message_id).text or "")
                and "Ola" in (bot.core.get_message(VOLUNTEER_CHAT_ID, post.message_id).text or "")
            ),
            what="the post to show Ola took it",
        )
        answers = [
            a.text
            for a in bot.core.callback_answers
            if a.callback_query_id == pressed.callback_query_id
        ]
        assert answers == [say("claim_won", "nb", ref=ref)], answers
        assert claims == [bot.volunteer.id]
        taken = say("claim_taken", "nb")
        assert not [m for m in bot.core.bot_messages(bot.volunteer) if taken in (m.text or "")]
        assert not [
            m for m in bot.core.bot_messages(bot.volunteer) if say("error", "nb") in (m.text or "")
        ]


async def test_a_stored_message_this_version_cannot_draw_fails_and_the_chat_goes_on(
    tmp_path: Path,
) -> None:
    """A view stored by another version (renamed since) is marked failed; the chat's later
    messages are not held behind it."""
    async with live_bot(tmp_path) as bot:
        await bot.send(bot.volunteer, "/start")
        desk = bot.runtime.desk
        unknown = {"view": {"name": "a_view_renamed_since", "to": "volunteer", "values": {}}}
        known = {"text": "Takk for hjelpen!", "buttons": []}
        await desk.outbox.transaction(
            lambda c: [
                c.execute(
                    # Created now: one created at 0 is past retention, and housekeeping
                    # may erase the failed row before it is read.
                    """INSERT INTO outbox (kind, chat_id, payload, not_before, created_at)
                       VALUES ('message', ?, ?, 0, ?)""",
                    (bot.volunteer.id, json.dumps(payload), int(time.time())),
                )
                for payload in (unknown, known)
            ]
        )
        told = await bot.core.wait_for_message(bot.volunteer)
        assert told.text == "Takk for hjelpen!"
        deadline = asyncio.get_running_loop().time() + 10
        while True:  # the sender records the send just after Telegram has it
            rows = await bot.runtime.db.fetchall("SELECT state FROM outbox ORDER BY id")
            states = [row["state"] for row in rows][-2:]
            if states == ["failed", "sent"] or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.02)
        assert states == ["failed", "sent"]
