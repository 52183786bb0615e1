"""Message helpers: durations with the right plural in each language."""

from __future__ import annotations

import pytest

from bot.messages import format_minutes


@pytest.mark.parametrize(
    ("minutes", "lang", "expected"),
    [
        (1, "en", "1 minute"),
        (2, "en", "2 minutes"),
        (60, "en", "1 hour"),
        (125, "en", "2 hours 5 minutes"),
        (61, "en", "1 hour 1 minute"),
        (0, "en", "0 minutes"),
        (1, "nb", "1 minutt"),
        (90, "nb", "1 time 30 minutter"),
        (1, "sv", "1 minut"),
        (180, "sv", "3 timmar"),
    ],
)
def test_durations_say_the_right_plural(minutes: int, lang: str, expected: str) -> None:
    assert format_minutes(minutes, lang) == expected  # type: ignore[arg-type]
