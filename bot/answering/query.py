"""A resident's message, analysed once: cleaned, folded and split into words.

The emergency detector, the help-request detector, small talk, municipality mentions and the
matcher all read the same analysis, so one message is cleaned and folded once, however many
of them look at it (the language detector reads the cleaned text: it needs the letters å, ä
and ö that folding removes).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

from bot.text import MAX_MATCH_CHARS, clean, fold, words

# The detectors read this much of a message: all of any real message. The cost is linear.
SCAN_CHARS: Final = 10_000
# Each message is analysed once, and looked at by several parts within moments: the last few
# analyses are kept.
_KEPT: Final = 256


@dataclass(frozen=True, slots=True)
class Query:
    """One message, analysed."""

    text: str  # as the resident meant it: NFC, no control or zero-width characters
    words: tuple[str, ...]  # the folded words of its first SCAN_CHARS characters
    match_words: tuple[str, ...]  # the folded words of its first MAX_MATCH_CHARS characters


_analysed: OrderedDict[str, Query] = OrderedDict()


def forget_analysed() -> None:
    """Drop the kept analyses: they hold recent messages' texts (after an erasure)."""
    _analysed.clear()


def analyse_query(message: str) -> Query:
    """The analysis of a message, as written or already cleaned (both give the same one)."""
    found = _analysed.get(message)
    if found is not None:
        _analysed.move_to_end(message)
        return found
    text = clean(message)
    scanned = tuple(words(fold(text[:SCAN_CHARS])))
    if len(text) <= MAX_MATCH_CHARS:
        matched = scanned
    else:
        matched = tuple(words(fold(text[:MAX_MATCH_CHARS])))
    found = Query(text, scanned, matched)
    # Kept under the message and under its cleaned text: the parts after the first are
    # given the cleaned text.
    for key in {message, text}:
        _analysed[key] = found
        _analysed.move_to_end(key)
    while len(_analysed) > _KEPT:
        _analysed.popitem(last=False)
    return found
