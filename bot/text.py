"""Text normalisation shared by matching, language detection and intent detection.

Residents type on phones, in a hurry, often without å, ä, ö or ø. Everything that compares
text goes through `fold` so that "fritidsgard" and "fritidsgård" are the same word.
"""

from __future__ import annotations

import re
import unicodedata

# Longer input is cut here before matching: no real question is longer, and the cost of
# matching must not grow with what a resident pastes.
MAX_MATCH_CHARS = 1000
# The longest message Telegram accepts, in UTF-16 code units of the text it shows.
TELEGRAM_MESSAGE_UNITS = 4096

_SPECIAL_FOLDS: dict[str, str | None] = {
    "ø": "o",
    "æ": "ae",
    "ß": "ss",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ł": "l",
    "œ": "oe",
}
# Every combining mark lies below this code point (tests/test_text.py checks it).
COMBINING_MARKS_BELOW = 0x1F000
# One table for one pass after decomposition: the letters that do not decompose ("ø") and
# every combining mark (the accents that NFKD splits off "å", "é", "ü").
_FOLD_TABLE: dict[int, str | None] = {
    **{c: None for c in range(COMBINING_MARKS_BELOW) if unicodedata.combining(chr(c))},
    **str.maketrans(_SPECIAL_FOLDS),
}
# What decomposed Nordic text holds besides ASCII, folded with one str.replace each. A
# translate with the table pays a failed lookup for every character it leaves alone; this
# leaves it for text that still holds a character of the table afterwards.
_COMMON_FOLDS = (("\u030a", ""), ("\u0308", ""), ("\u0301", ""), ("ø", "o"), ("æ", "ae"))
_FOLDED_CHARS = frozenset(map(chr, _FOLD_TABLE))
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


def clean(text: str) -> str:
    """Return `text` as a resident meant it: NFC, no control, zero-width or bidi characters.

    Lone surrogates (from undecodable bytes) are dropped; whitespace runs become one space.
    """
    if text.isprintable():
        # No control, format, private-use, unassigned or surrogate characters, no line breaks:
        # the common case, without a look at every character.
        return " ".join(unicodedata.normalize("NFC", text).split())
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = unicodedata.normalize("NFC", text)
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in "\n\t\r" or category.startswith("Z"):
            kept.append(" ")
        elif category in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        else:
            kept.append(ch)
    return " ".join("".join(kept).split())


def fold(text: str) -> str:
    """Casefold and strip diacritics so that typing with or without å/ä/ö/ø compares equal.

    "aa" becomes "a" too: on a keyboard without å, Norwegians type "paa" and "naa".
    """
    if text.isascii():
        # Nothing to decompose, and casefold is lower for ASCII: most text, at a fraction.
        return text.lower().replace("aa", "a")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = decomposed
    for mark, replacement in _COMMON_FOLDS:
        folded = folded.replace(mark, replacement)
    if not folded.isascii() and not _FOLDED_CHARS.isdisjoint(folded):
        folded = decomposed.translate(_FOLD_TABLE)
    return folded.replace("aa", "a")


def words(text: str) -> list[str]:
    """Split already folded text into word tokens (letters and digits)."""
    return _WORD_RE.findall(text)


def tokens(text: str, limit: int = MAX_MATCH_CHARS) -> list[str]:
    """Clean, fold and split the first `limit` characters of `text`."""
    return words(fold(clean(text[: limit * 2])[:limit]))


def has_letters(text: str) -> bool:
    """True when `text` contains at least one letter or digit (not only emoji or punctuation)."""
    return bool(_WORD_RE.search(text))


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts it (an emoji such as 🙂 is two)."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass")) // 2
