"""Resident-message fuzzing: hostile and random texts in every state of a conversation.

Through the real Application against the local Bot API. Every message gets at least one reply,
never the generic error notice and never a logged error; every reply is HTML Telegram accepts;
a conversation in progress is never dropped without the resident being told.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.fakeapi import Message, User
from bot.fakeapi.html import clean_text, find_entities
from bot.helpdesk import intake
from bot.helpdesk.intake import Conversation
from bot.messages import say
from bot.storage import now
from tests.harness import ADVERSARIAL_TEXTS, html_problem, random_text, seeds
from tests.inprocess import LiveBot, live_bot

INVOICE = "Kan jeg få utsatt betalingen av fakturaen fra kommunen?"
UNANSWERABLE = "Når tømmes søppelet i Heggedal?"
APP_LANGUAGES = ("nb", "nb", "sv", "en", None, "de")
MAX_REPLIES = 4


Step = Callable[[Conversation, str], intake.Outcome]


def _walk(first: Conversation, answers: list[tuple[str, Step]]) -> dict[str, Conversation]:
    """The conversation at each step, built by the intake rules from honest answers."""
    conversation = first
    steps = {conversation.step: conversation}
    for value, answer in answers:
        outcome = answer(conversation, value)
        assert outcome.error is None, (conversation.step, outcome.error)
        conversation = outcome.conversation
        steps[conversation.step] = conversation
    return steps


def _choose_municipality(conversation: Conversation, value: str) -> intake.Outcome:
    return intake.volunteer_choice(conversation, value, ("asker", "ockero"))


REQUEST_STEPS = _walk(
    intake.start_request(),
    [
        ("groceries", intake.request_choice),
        ("Melk, brød og kaffe fra butikken", intake.request_text),
        ("Heggedal", intake.request_text),
        ("today", intake.request_choice),
        ("phone", intake.request_choice),
        ("+47 987 65 432", intake.request_text),
        ("yes", intake.request_choice),
    ],
)
VOLUNTEER_STEPS = _walk(
    intake.start_volunteer(),
    [
        ("Ola Nordmann", intake.volunteer_text),
        ("asker", _choose_municipality),
        ("done", _choose_municipality),
        ("Heggedal", intake.volunteer_text),
        ("dog", intake.volunteer_choice),
        ("done", intake.volunteer_choice),
        ("+47 987 65 432", intake.volunteer_text),
    ],
)


Setup = Callable[[LiveBot, User], Awaitable[Message | None]]


def _in_conversation(conversation: Conversation) -> Setup:
    async def setup(bot: LiveBot, user: User) -> None:
        await bot.runtime.residents.save(user.id, municipality="asker")
        data = {**conversation.data, "lang": lang_of(user), "opened": str(now())}
        await bot.runtime.desk.conversations.save(
            user.id, Conversation(conversation.kind, conversation.step, data)
        )

    return setup


async def _new(bot: LiveBot, user: User) -> None:
    """Never talked to the bot."""


async def _idle(bot: LiveBot, user: User) -> None:
    await bot.runtime.residents.save(user.id, municipality="asker")


async def _after_thumbs_down(bot: LiveBot, user: User) -> None:
    """Pressed 👎 under an answer and was offered to send the question to staff."""
    await bot.runtime.residents.save(user.id, municipality="asker")
    answer = await bot.send(user, INVOICE)
    await bot.press(user, answer, "👎")


async def _talking_to_staff(bot: LiveBot, user: User) -> Message:
    """Asked staff, and staff answered: the resident's next message may reply to that."""
    await bot.runtime.residents.save(user.id, municipality="asker")
    fallback = await bot.send(user, UNANSWERABLE)
    bot.core.press_button(user, fallback, text=say("button_ask_staff", "nb"))
    posted = await bot.core.wait_for_message(bot.staff_chat, lambda m: "søppelet" in (m.text or ""))
    await bot.core.wait_for_message(user)  # "sent to staff"
    bot.core.inject_text(bot.staff, "Tirsdager.", chat=bot.staff_chat, reply_to=posted)
    return await bot.core.wait_for_message(user, lambda m: "Tirsdager" in (m.text or ""))


STATES: dict[str, Setup] = {
    "new": _new,
    "idle": _idle,
    **{f"request:{step}": _in_conversation(c) for step, c in REQUEST_STEPS.items()},
    **{f"volunteer:{step}": _in_conversation(c) for step, c in VOLUNTEER_STEPS.items()},
    "after thumbs down": _after_thumbs_down,
    "reply to staff's answer": _talking_to_staff,  # the message is sent as a reply to it
}


def lang_of(user: User) -> str:
    """The language the bot talks to `user` in before they choose one."""
    return (
        user.language_code
        if user.language_code in ("nb", "sv", "en")
        else ("nb" if user.language_code is None else "en")
    )


def told(replies: list[Message], *keys: str) -> bool:
    """True when one of `replies` is one of the messages `keys`, in any language."""
    openings = tuple(
        re.sub(r"<[^>]+>", "", say(key, lang))[:20] for key in keys for lang in ("nb", "sv", "en")
    )
    return any((reply.text or "").startswith(openings) for reply in replies)


def deliverable(text: str) -> bool:
    """Telegram delivers no message that its clean-up leaves empty."""
    return bool(clean_text(text, []).text)


async def _check_one(bot: LiveBot, seed: int, caplog: pytest.LogCaptureFixture) -> None:
    """Run case `seed`: one message in one state, and everything that must hold after it."""
    rng = random.Random(seed)
    names = list(STATES)
    state = names[seed % len(names)]
    text = ADVERSARIAL_TEXTS[seed] if seed < len(ADVERSARIAL_TEXTS) else random_text(rng)
    # Sometimes exactly as typed: a client (or the Bot API) that skips Telegram's clean-up.
    raw = rng.random() < 0.2
    user = bot.core.add_user(
        rng.choice(["Kari", "Åsa", "<Bob> & Co", "💥"]),
        language_code=rng.choice(APP_LANGUAGES),
    )
    case = f"seed {seed}, state {state!r}, raw={raw}, text {text[:300]!r}"
    caplog.clear()
    calls_before = len(bot.core.calls)
    reply_to = await STATES[state](bot, user)
    if not (text if raw else deliverable(text)):
        return  # Telegram never delivers an empty message
    seen = len(bot.core.bot_messages(user))
    before = await bot.runtime.desk.conversations.get(user.id)
    injected = bot.core.inject_text(
        user, text, reply_to=reply_to, entities=find_entities(text) if raw else None
    )
    await bot.until_handled(injected)
    replies = bot.core.bot_messages(user)[seen:]
    assert replies, f"no reply: {case}"
    # An answer split in two and the step asked again is the most; more would be a loop.
    assert len(replies) <= MAX_REPLIES, f"{len(replies)} replies: {case}"
    assert not told(replies, "error"), f"the error notice: {case}"
    for reply in replies:
        problem = html_problem(reply.raw_text or "")
        assert problem is None, f"{problem} in {reply.raw_text!r}: {case}"
    refused = [c for c in list(bot.core.calls)[calls_before:] if not c.ok]
    assert not refused, f"Telegram refused {[(c.method, c.description) for c in refused]}: {case}"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, f"logged {[r.getMessage() for r in errors]}: {case}"
    if before is not None and await bot.runtime.desk.conversations.get(user.id) is None:
        assert told(replies, "intake_cancelled", "volunteer_submitted"), (
            f"the conversation was dropped silently: {case}"
        )


@pytest.mark.soak
async def test_every_message_in_every_state_gets_a_clean_reply(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with live_bot(tmp_path) as bot:
        for seed in seeds(bounded=len(ADVERSARIAL_TEXTS) + 16, soak=8000):
            try:
                await _check_one(bot, seed, caplog)
            except BaseException:
                print(f"failing case: SOAK_SEED={seed} SOAK_CASES=1")
                raise


def test_every_state_is_reached() -> None:
    assert list(REQUEST_STEPS) == list(intake.REQUEST_STEPS)
    assert list(VOLUNTEER_STEPS) == list(intake.VOLUNTEER_STEPS)
    assert deliverable("hei") and not deliverable(" \n\x00 ")
