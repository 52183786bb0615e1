"""Matching a volunteer's areas to a request's: typed by residents and volunteers on phones,
with and without å, ä, ö and ø, and with typos ("Hegedal" is Heggedal, "Hono" is Hönö)."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from bot.text import tokens

# Two words at least this similar (rapidfuzz's ratio of their folded forms) are the same name
# mistyped: "heggedal" and "hegedal" score 93, "asker" and "vollen" 18.
SAME_WORD = 80.0
# Where one listed area ends and the next begins: "Heggedal, Vollen og Asker sentrum".
_BETWEEN_AREAS = re.compile(r"[,;/&+\n]|\s(?:og|och|and|eller|or)\s", re.IGNORECASE)


def areas_of(listed: str | None) -> list[tuple[str, ...]]:
    """The areas in what a volunteer wrote, each as its folded words."""
    found = [tuple(tokens(part)) for part in _BETWEEN_AREAS.split(listed or "")]
    return [words for words in found if words]


def same_area(listed: tuple[str, ...], asked: tuple[str, ...]) -> bool:
    """True when every word of the shorter name is (up to a typo) a word of the other:
    "Heggedal" is in "Heggedal sentrum", but "Asker sentrum" is not "Heggedal sentrum"."""
    if not listed or not asked:
        return False
    shorter, longer = sorted((listed, asked), key=len)
    return all(max(fuzz.ratio(word, other) for other in longer) >= SAME_WORD for word in shorter)


def covers(listed: str | None, asked: str | None) -> bool:
    """Whether one of the areas a volunteer listed is the request's area."""
    wanted = tuple(tokens(asked or ""))
    return any(same_area(area, wanted) for area in areas_of(listed))
