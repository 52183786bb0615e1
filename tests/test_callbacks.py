"""Button data: opaque, signed, at most 64 bytes; forged or moved buttons are rejected."""

from __future__ import annotations

import pytest

from bot.tg.callbacks import MAX_BYTES, Callback, CallbackCodec, CallbackTooLong

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
