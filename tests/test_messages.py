"""Message helpers: durations with the right plural in each language."""

from __future__ import annotations

import string
from datetime import date
from pathlib import Path

import pytest

from bot.messages import CATALOGUE_DIR, format_date, format_minutes, load_catalogue
from bot.types import LANGS, Lang


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


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_key_is_in_every_language_with_the_same_placeholders() -> None:
    catalogue = load_catalogue()
    for key, texts in catalogue.items():
        assert set(texts) == set(LANGS), f"{key} is missing in {set(LANGS) - set(texts)}"
        expected = placeholders(texts["en"])
        for lang, template in texts.items():
            assert placeholders(template) == expected, (key, lang)


def test_a_catalogue_missing_a_key_in_one_language_is_caught(tmp_path: Path) -> None:
    for lang in LANGS:
        text = (CATALOGUE_DIR / f"{lang}.yaml").read_text(encoding="utf-8")
        if lang == "sv":
            text = "\n".join(line for line in text.splitlines() if not line.startswith("updated:"))
        (tmp_path / f"{lang}.yaml").write_text(text, encoding="utf-8")
    assert set(load_catalogue(tmp_path)["updated"]) == {"nb", "en"}


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("nb", "22.11.2026"), ("sv", "2026-11-22"), ("en", "22 November 2026")],
)
def test_dates_are_written_as_residents_write_them(lang: Lang, expected: str) -> None:
    assert format_date(date(2026, 11, 22), lang) == expected
