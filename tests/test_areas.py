"""A volunteer's areas against a request's: typos, missing diacritics, several areas."""

from __future__ import annotations

import pytest

from bot.helpdesk.areas import areas_of, covers


@pytest.mark.parametrize(
    ("listed", "asked"),
    [
        ("Heggedal", "Heggedal"),
        ("Heggedal, Asker sentrum", "hegedal"),  # a typo
        ("Hönö og Öckerö", "Hono"),  # without diacritics
        ("Björkö", "BJÖRKÖ"),
        ("Vollen; Blakstad", "Blakstad"),
        ("Heggedal", "Heggedal sentrum"),  # a part of the area asked for
        ("Asker sentrum", "sentrum"),
        ("Fotö / Hönö och Rörö", "rörö"),
    ],
)
def test_these_are_the_same_area(listed: str, asked: str) -> None:
    assert covers(listed, asked)


@pytest.mark.parametrize(
    ("listed", "asked"),
    [
        ("Asker sentrum", "Heggedal sentrum"),  # another place's centre
        ("Hönö", "Öckerö"),
        ("Fotö", "Hönö"),
        ("Vollen", "Asker"),
        ("", "Heggedal"),
        (None, "Heggedal"),
        ("Heggedal", None),
        ("!!!", "Heggedal"),
    ],
)
def test_these_are_not(listed: str | None, asked: str | None) -> None:
    assert not covers(listed, asked)


def test_areas_are_split_on_commas_and_the_word_for_and() -> None:
    assert areas_of("Heggedal, Asker sentrum og Vollen and Hönö") == [
        ("heggedal",),
        ("asker", "sentrum"),
        ("vollen",),
        ("hono",),
    ]
