"""Splitting replies at Telegram's 4096-unit limit without breaking markup."""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser

import pytest

from bot.fakeapi.html import format_text, utf16_len
from bot.messages import escape
from bot.text import utf16_length
from bot.tg.render import TELEGRAM_LIMIT, split_message


class _Reader(HTMLParser):
    """Reads one part as a browser would: its shown text, and every tag closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.shown: list[str] = []
        self.stack: list[str] = []
        self.misnested: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.misnested.append(tag)

    def handle_data(self, data: str) -> None:
        self.shown.append(data)


def read(part: str) -> _Reader:
    reader = _Reader()
    reader.feed(part)
    reader.close()
    return reader


def shown(text: str) -> str:
    return "".join(read(text).shown)


def assert_valid_parts(text: str, parts: list[str], limit: int = TELEGRAM_LIMIT) -> None:
    """Every part well-formed and accepted by Telegram's parser within `limit`; together
    they show what `text` shows (less whitespace at the very end, which Telegram trims)."""
    for part in parts:
        reader = read(part)
        assert reader.misnested == [] and reader.stack == [], part[-200:]
        assert utf16_length("".join(reader.shown)) <= limit
        assert "".join(reader.shown).strip()
        telegram = format_text(part, "HTML")  # raises EntityParseError like Telegram would
        assert 0 < utf16_len(telegram.text) <= limit
    joined, original = "".join(shown(p) for p in parts), shown(text)
    assert original.startswith(joined)
    assert original[len(joined) :].strip() == ""


def test_short_text_is_one_message() -> None:
    assert split_message("<b>hei</b>") == ["<b>hei</b>"]


def test_long_text_splits_between_lines_and_keeps_everything() -> None:
    lines = [f"<b>Line {n}</b> " + "ord " * 50 for n in range(100)]
    text = "\n".join(lines)
    chunks = split_message(text)
    assert len(chunks) > 1
    assert_valid_parts(text, chunks)
    assert all(c.endswith("\n") for c in chunks[:-1])  # cut at line ends, not in a line
    assert "".join(chunks).count("Line") == 100


def test_one_huge_line_is_cut_at_spaces_and_keeps_its_formatting() -> None:
    text = "<i>" + "ord " * 3000 + "</i>"
    chunks = split_message(text)
    assert len(chunks) == 3
    assert_valid_parts(text, chunks)
    for chunk in chunks:
        assert chunk.startswith("<i>ord") and chunk.endswith(" </i>")


def test_emoji_count_double_as_telegram_counts_them() -> None:
    text = "🙂" * 3000
    chunks = split_message(text)
    assert len(chunks) == 2
    assert_valid_parts(text, chunks)


def test_entities_are_never_cut_and_count_as_one_character() -> None:
    text = "&amp;" * 5000  # 25,000 characters written, 5,000 shown
    chunks = split_message(text)
    assert len(chunks) == 2
    for chunk in chunks:
        assert re.fullmatch(r"(&amp;)+", chunk)
    assert_valid_parts(text, chunks)


def test_a_cut_inside_a_link_closes_it_and_opens_it_again() -> None:
    text = 'Se <a href="https://example.org/a?b=1&amp;c=2">' + "lenke " * 1000 + "</a> nå."
    chunks = split_message(text)
    assert len(chunks) == 2
    assert chunks[0].endswith("</a>")
    assert chunks[1].startswith('<a href="https://example.org/a?b=1&amp;c=2">lenke')
    assert_valid_parts(text, chunks)


def test_nested_tags_are_reopened_in_order() -> None:
    text = "<b>Viktig: <i>" + "ord " * 2000 + "</i> slutt</b>"
    first, second = split_message(text)
    assert first.endswith("</i></b>") and second.startswith("<b><i>")
    assert_valid_parts(text, [first, second])


def test_an_answer_with_a_warning_line_is_split_into_valid_parts() -> None:
    """The shape of a long answer: bold title, escaped body with '&', italic footer."""
    body = "\n".join(escape(f"Punkt {n}: vann & strøm <viktig> – sjekk. ") * 8 for n in range(40))
    text = f"⚠️ <b>Ring 113</b>\n\n<b>Tittel</b>\n\n{body}\n\n<i>Oppdatert 22.11.2026</i>"
    chunks = split_message(text)
    assert len(chunks) > 1
    assert_valid_parts(text, chunks)


def test_paragraphs_win_over_lines_and_lines_over_sentences() -> None:
    paragraph = ("Første setning. " * 140).strip()  # more than half of the room
    more = "En setning til. " * 60
    first = split_message(f"{paragraph}\n\n{more}\n{paragraph}", limit=4000)[0]
    assert first == f"{paragraph}\n\n"
    first = split_message(f"{paragraph}\n{more}{paragraph}", limit=4000)[0]
    assert first == f"{paragraph}\n"
    sentences = "Kort setning her. " * 300
    first = split_message(sentences, limit=1000)[0]
    assert first.endswith("her. ")


def test_the_cut_falls_late_in_the_part_not_at_an_early_paragraph() -> None:
    text = "Innledning.\n\n" + "ord " * 2000
    first = split_message(text, limit=4000)[0]
    assert utf16_length(first) > 3000


def test_a_word_longer_than_a_message_is_cut_without_splitting_an_emoji() -> None:
    text = "a" + "👍🏽" * 3000  # a thumb with a skin tone: two characters, four units
    chunks = split_message(text)
    assert_valid_parts(text, chunks)
    for chunk in chunks[1:]:
        assert chunk.startswith("👍")


def test_nothing_but_whitespace_is_never_sent() -> None:
    text = "hei" + " " * 5000 + "\n" * 5000 + "<b>der</b>"
    chunks = split_message(text)
    assert [c.strip() for c in chunks][::2] == ["hei", "<b>der</b>"][: len(chunks[::2])]
    for chunk in chunks:
        assert shown(chunk).strip()
    assert "".join(shown(c) for c in chunks).split() == ["hei", "der"]


_WORDS = [
    "hei",
    "vann",
    "strøm",
    "Øckerö",
    "&amp;",
    "&lt;tag&gt;",
    "&quot;",
    "🙂",
    "👍🏽",
    "e\u0301",
]
_TAGS = [
    ("<b>", "</b>"),
    ("<i>", "</i>"),
    ("<u>", "</u>"),
    ("<code>", "</code>"),
    ('<a href="https://example.org/?q=1&amp;r=2">', "</a>"),
    ("<blockquote>", "</blockquote>"),
    ("<tg-spoiler>", "</tg-spoiler>"),
]


def _generate(rng: random.Random, size: int) -> str:
    """Random Telegram HTML: words, entities, emoji, long words and breaks, in nested tags."""
    out: list[str] = []
    stack: list[str] = []
    while len(out) < size:
        roll = rng.random()
        if roll < 0.08 and len(stack) < 3:
            opening, closing = rng.choice(_TAGS)
            if closing not in stack and "</code>" not in stack:
                out.append(opening)
                stack.append(closing)
        elif roll < 0.14 and stack:
            out.append(stack.pop())
        elif roll < 0.17:
            out.append("\n\n" if rng.random() < 0.5 else "\n")
        elif roll < 0.19:
            out.append(rng.choice(_WORDS) * rng.randint(50, 1500))  # a very long "word"
        elif roll < 0.25:
            out.append(rng.choice([". ", "! ", "? "]))
        else:
            out.append(rng.choice(_WORDS) + " ")
    out.extend(reversed(stack))
    return "".join(out)


@pytest.mark.parametrize("seed", range(60))
def test_random_html_splits_into_valid_parts_that_keep_every_character(seed: int) -> None:
    rng = random.Random(seed)
    text = _generate(rng, rng.randint(200, 4000))
    limit = rng.choice([TELEGRAM_LIMIT, TELEGRAM_LIMIT, 1000, 300, 64])
    parts = split_message(text, limit)
    assert_valid_parts(text, parts, limit)
    if utf16_length(shown(text)) <= limit:
        assert parts == [text]
