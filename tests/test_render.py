"""Splitting replies at Telegram's 4096-unit limit without breaking markup."""

from __future__ import annotations

import re

from bot.tg.render import TELEGRAM_LIMIT, split_message, utf16_length


def balanced(chunk: str) -> bool:
    opened = re.findall(r"<(b|i)>", chunk)
    closed = re.findall(r"</(b|i)>", chunk)
    return opened == closed


def test_short_text_is_one_message() -> None:
    assert split_message("<b>hei</b>") == ["<b>hei</b>"]


def test_long_text_splits_between_lines_and_keeps_everything() -> None:
    lines = [f"<b>Line {n}</b> " + "ord " * 50 for n in range(100)]
    text = "\n".join(lines)
    chunks = split_message(text)
    assert len(chunks) > 1
    assert all(utf16_length(c) <= TELEGRAM_LIMIT for c in chunks)
    assert all(balanced(c) for c in chunks)
    assert "\n".join(chunks).count("Line") == 100


def test_one_huge_line_is_cut_at_spaces() -> None:
    text = "<i>" + "ord " * 3000 + "</i>"
    chunks = split_message(text)
    assert all(utf16_length(c) <= TELEGRAM_LIMIT for c in chunks)
    assert "".join(chunks).replace(" ", "") == ("ord" * 3000)


def test_emoji_count_double_as_telegram_counts_them() -> None:
    text = "🙂" * 3000
    chunks = split_message(text)
    assert len(chunks) == 2
    assert all(utf16_length(c) <= TELEGRAM_LIMIT for c in chunks)


def test_entities_are_never_cut() -> None:
    text = "&amp;" * 2000
    for chunk in split_message(text):
        assert re.fullmatch(r"(&amp;)+", chunk)
