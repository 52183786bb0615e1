"""Fit replies into Telegram messages: at most 4096 UTF-16 code units each.

Telegram counts a message's length after parsing its HTML: tags count nothing and `&amp;` is
one character. Long text is cut between characters, never inside a tag or an entity; a tag
open at a cut is closed at the end of the part and opened again at the start of the next, so
every part is valid HTML on its own.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from bot.text import TELEGRAM_MESSAGE_UNITS, utf16_length

TELEGRAM_LIMIT = TELEGRAM_MESSAGE_UNITS
# A tag, or a character reference that Telegram decodes; everything else is one character.
_MARKUP = re.compile(r"<(/?)([A-Za-z][\w-]*)[^<>]*>|&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z]+);")
_SENTENCE_ENDS = frozenset(".!?…:;")
ZERO_WIDTH_JOINER = "\u200d"
# What attaches to the character before it: the joiner and the emoji variation selectors.
_JOINERS = frozenset({ZERO_WIDTH_JOINER, "\ufe0e", "\ufe0f"})


@dataclass(frozen=True, slots=True)
class _Piece:
    """One character as written (`raw`) and as shown (`shown`), or a tag (`shown` empty)."""

    raw: str
    shown: str = ""
    tag: str | None = None
    closing: bool = False


def _pieces(text: str) -> list[_Piece]:
    pieces: list[_Piece] = []
    position = 0
    for match in _MARKUP.finditer(text):
        pieces.extend(_Piece(char, char) for char in text[position : match.start()])
        if match.group(2):
            pieces.append(
                _Piece(match.group(0), tag=match.group(2).lower(), closing=bool(match[1]))
            )
        else:
            pieces.append(_Piece(match.group(0), html.unescape(match.group(0))))
        position = match.end()
    pieces.extend(_Piece(char, char) for char in text[position:])
    return pieces


PARAGRAPH, LINE, SENTENCE, WORD = range(4)


def _boundary(shown: list[str], start: int, cut: int, kind: int) -> bool:
    """Is cutting before character `cut` a boundary of `kind` (PARAGRAPH ... WORD)?"""
    before = shown[cut - 1]
    if kind == PARAGRAPH:
        return before == "\n" and cut - 2 >= start and shown[cut - 2] == "\n"
    if kind == LINE:
        return before == "\n"
    if kind == SENTENCE:
        return before.isspace() and cut - 2 >= start and shown[cut - 2][-1] in _SENTENCE_ENDS
    return before.isspace()


def _cut(shown: list[str], units: list[int], start: int, limit: int) -> int:
    """Where the part starting at character `start` ends: the best boundary that fits."""
    end, used = start, 0
    while end < len(shown) and used + units[end] <= limit:
        used += units[end]
        end += 1
    if end == len(shown):
        return end
    end = max(end, start + 1)  # one character wider than the limit still makes progress
    # A strong boundary in the first half of the room would waste most of a message: there,
    # only the last space of any kind is taken, and only when the second half has none.
    late = (start + end) // 2 + 1
    for kind in range(WORD + 1):
        for cut in range(end, late - 1, -1):
            if _boundary(shown, start, cut, kind):
                return cut
    for cut in range(late - 1, start, -1):
        if _boundary(shown, start, cut, WORD):
            return cut
    while end > start + 1 and _joined(shown, end):
        end -= 1
    return end


def _joined(shown: list[str], cut: int) -> bool:
    """Would cutting before character `cut` split what is shown as one character (an accent,
    an emoji with a skin tone or a joiner)?"""
    after, before = shown[cut][0], shown[cut - 1][-1]
    return (
        unicodedata.combining(after) > 0
        or after in _JOINERS
        or before == ZERO_WIDTH_JOINER
        or "\U0001f3fb" <= after <= "\U0001f3ff"
    )


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split Telegram HTML into parts of at most `limit` units as Telegram counts them.

    Cuts prefer a paragraph break, then a line break, then the end of a sentence, then a
    space. The whitespace at a cut ends the part before it (Telegram trims it); a part that
    would show nothing but whitespace is not sent.
    """
    if utf16_length(text) <= limit:
        return [text]  # what Telegram shows is never longer than the HTML
    pieces = _pieces(text)
    characters = [i for i, piece in enumerate(pieces) if piece.shown]
    shown = [pieces[i].shown for i in characters]
    units = [utf16_length(s) for s in shown]
    if sum(units) <= limit:
        return [text]
    parts: list[str] = []
    open_tags: list[_Piece] = []
    first, start = 0, 0
    while first < len(pieces):
        cut = _cut(shown, units, start, limit)
        last = _part_end(pieces, characters, cut)
        prefix = "".join(tag.raw for tag in open_tags)
        body = pieces[first:last]
        _follow(open_tags, body)
        suffix = "".join(f"</{tag.tag}>" for tag in reversed(open_tags))
        if "".join(shown[start:cut]).strip():
            parts.append(prefix + "".join(piece.raw for piece in body) + suffix)
        first, start = last, cut
    return parts


def _part_end(pieces: list[_Piece], characters: list[int], cut: int) -> int:
    """The piece index where a part ending before character `cut` ends: closing tags right
    after its last character stay with it, opening tags go with the next part."""
    if cut >= len(characters):
        return len(pieces)
    index = characters[cut - 1] + 1
    while index < characters[cut] and pieces[index].closing:
        index += 1
    return index


def _follow(open_tags: list[_Piece], pieces: list[_Piece]) -> None:
    """Update the stack of open tags with the tags in `pieces`."""
    for piece in pieces:
        if piece.tag is None:
            continue
        if not piece.closing:
            open_tags.append(piece)
            continue
        for index in range(len(open_tags) - 1, -1, -1):
            if open_tags[index].tag == piece.tag:
                del open_tags[index]
                break
