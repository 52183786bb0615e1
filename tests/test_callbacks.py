"""Button data: opaque, signed, at most 64 bytes; forged or moved buttons are rejected."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest

from bot.fakeapi import User
from bot.messages import say
from bot.tg.callbacks import MAX_BYTES, Callback, CallbackCodec, CallbackTooLong
from bot.types import Action
from tests.harness import random_callback_data, seeds
from tests.inprocess import LiveBot, live_bot

codec = CallbackCodec(b"k" * 32)


def test_round_trip() -> None:
    data = codec.encode(42, "e", "asker-invoice-deferral")
    assert len(data.encode()) <= MAX_BYTES
    assert codec.decode(42, data) == Callback("e", ("asker-invoice-deferral",))


def test_longest_entry_id_fits() -> None:
    data = codec.encode(-1001234567890, "f", "x" * 40, 1)
    assert len(data.encode()) <= MAX_BYTES


def test_too_long_is_refused_when_building() -> None:
    with pytest.raises(CallbackTooLong):
        codec.encode(1, "e", "x" * 60)


@pytest.mark.parametrize(
    "forged",
    [
        "e|asker-invoice-deferral",  # no signature
        "e|asker-invoice-deferral|AAAAAAAA",  # wrong signature
        "",
        "|",
        "x" * 65,
        "é" * 40,
    ],
)
def test_forged_data_is_rejected(forged: str) -> None:
    assert codec.decode(42, forged) is None


def test_altered_argument_is_rejected() -> None:
    data = codec.encode(42, "s", 17)
    assert codec.decode(42, data.replace("s|17", "s|18")) is None


def test_button_moved_to_another_chat_is_rejected() -> None:
    assert codec.decode(43, codec.encode(42, "m", "asker")) is None


def test_another_key_is_rejected() -> None:
    assert CallbackCodec(b"z" * 32).decode(42, codec.encode(42, "m", "asker")) is None


def test_separator_in_arguments_is_refused() -> None:
    with pytest.raises(ValueError):
        codec.encode(1, "e", "a|b")


@pytest.mark.parametrize(
    "data", ["ä|b|AAAAAAAA", "a|b|ÅÄÖØæ", "a|🙂🙂", "a|\ud800", "\x00|\x00", "|", "a|"]
)
def test_forged_data_with_any_characters_is_refused_not_raised(data: str) -> None:
    assert CallbackCodec(b"k" * 32).decode(42, data) is None


# -- the attack harness: random and replayed buttons (tests/harness.py; `make soak` runs more) --


def _honest(rng: random.Random) -> tuple[int, str]:
    """A chat and the data of a button the bot could really have sent there."""
    chat_id = rng.choice([42, -1001234567890, 7])
    return chat_id, codec.encode(chat_id, rng.choice(["m", "e", "ik", "s"]), rng.randint(0, 10**6))


@pytest.mark.soak
def test_random_data_is_refused_and_never_raises() -> None:
    for seed in seeds(bounded=2000, soak=500_000):
        data = random_callback_data(random.Random(seed))
        assert codec.decode(42, data) is None, f"seed {seed}: {data!r}"


@pytest.mark.soak
def test_any_change_to_an_honest_button_is_refused() -> None:
    for seed in seeds(bounded=300, soak=100_000):
        rng = random.Random(seed)
        chat_id, data = _honest(rng)
        position = rng.randrange(len(data))
        changed = (
            data[:position] + rng.choice(["", "A", "é", "|", "0", data]) + data[position + 1 :]
        )
        if changed == data:
            continue
        assert codec.decode(chat_id, changed) is None, f"seed {seed}: {changed!r}"


def _transportable(data: str) -> bool:
    """What the Bot API can hand over: Telegram's JSON carries UTF-8 text, never a lone
    surrogate (the codec's own tests above send those)."""
    try:
        data.encode()
    except UnicodeEncodeError:
        return False
    return True


async def _forged(bot: LiveBot, rng: random.Random, user: User) -> tuple[str, str]:
    """A button press no honest button of this chat makes: (kind, data)."""
    kind = rng.choice(["random", "unsigned", "other chat", "other key", "too long", "stale"])
    action, args = rng.choice([("m", ["asker"]), ("e", ["asker-invoice-deferral"]), ("l", ["en"])])
    if kind == "random":
        data = random_callback_data(rng)
        while not _transportable(data):
            data = random_callback_data(rng)
    elif kind == "unsigned":
        data = "|".join([action, *args, "".join(rng.choice("AbCd-_01") for _ in range(8))])
    elif kind == "other chat":
        data = bot.runtime.codec.encode(bot.resident.id, action, *args)
    elif kind == "other key":
        data = CallbackCodec(rng.randbytes(32)).encode(user.id, action, *args)
    elif kind == "too long":
        data = bot.runtime.codec.encode(user.id, action, *args) + "x" * rng.randint(1, 300)
    else:
        # Signed for this chat, but what it was for is gone or was never this resident's: a
        # request to cancel, a request to send, a step of an intake that has ended.
        stale = rng.choice(
            [
                (Action.RESIDENT_CANCEL, str(rng.randint(1, 10**6))),
                (Action.SEND, str(rng.randint(1, 10**9))),
                (Action.CHOOSE, "groceries"),
                (Action.BACK, ""),
                (Action.QUIT, ""),
            ]
        )
        data = bot.runtime.codec.encode(user.id, *stale)
    return kind, data


@pytest.mark.soak
async def test_forged_and_stale_buttons_expire_and_change_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with live_bot(tmp_path) as bot:
        for seed in seeds(bounded=40, soak=5000):
            rng = random.Random(seed)
            lang = rng.choice(["nb", "sv", "en"])
            user = bot.core.add_user("Kari", language_code=lang)
            greeting = await bot.send(user, "/start")
            kind, data = await _forged(bot, rng, user)
            case = f"seed {seed} ({kind}): {data!r}"
            caplog.clear()
            calls_before = len(bot.core.calls)
            pressed = bot.core.inject_callback(user, greeting, data)
            await bot.until_handled(pressed)
            [answer] = [
                a
                for a in bot.core.callback_answers
                if a.callback_query_id == pressed.callback_query_id
            ]
            assert (answer.text, answer.show_alert) == (say("button_expired", lang), True), case
            assert bot.core.bot_messages(user) == [greeting], case
            assert greeting.history == [], case  # not edited either
            resident = await bot.runtime.residents.get(user.id)
            # /start stores nothing until a choice is made; a forged press must not make one.
            assert resident is None or resident.municipality is None, case
            refused = [c for c in list(bot.core.calls)[calls_before:] if not c.ok]
            assert not refused, case
            assert not [r for r in caplog.records if r.levelno >= logging.ERROR], case
