"""Normalisation: what every comparison of resident text goes through."""

from __future__ import annotations

import random
import sys
import unicodedata

import pytest

from bot.text import _FOLD_TABLE, COMBINING_MARKS_BELOW, clean, fold, has_letters, tokens


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  hei\tder\n", "hei der"),
        ("zero\u200bwidth", "zerowidth"),
        ("\u202ebidi override\u202c", "bidi override"),
        ("bell\x07 char", "bell char"),
        ("lone \ud800 surrogate", "lone ? surrogate"),
        ("nbsp\u00a0space", "nbsp space"),
        ("e\u0301", "é"),
    ],
)
def test_clean_removes_invisible_and_control_characters(raw: str, expected: str) -> None:
    assert clean(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Fritidsgård", "fritidsgard"),
        ("ÖPPET", "oppet"),
        ("bærum", "baerum"),
        ("Bøker", "boker"),
        ("läget", "laget"),
        ("Straße", "strasse"),
        ("café", "cafe"),
    ],
)
def test_fold_strips_diacritics_and_case(raw: str, expected: str) -> None:
    assert fold(raw) == expected


def test_tokens_split_words_and_ignore_punctuation() -> None:
    assert tokens("Er biblioteket åpent?! 🙂 ring 66 700 000") == [
        "er",
        "biblioteket",
        "apent",
        "ring",
        "66",
        "700",
        "000",
    ]


def test_tokens_are_bounded_for_very_long_input() -> None:
    assert len(tokens("ord " * 10_000)) <= 1000


@pytest.mark.parametrize(
    ("raw", "expected"), [("🙂🙂", False), ("", False), ("?!", False), ("a", True), ("٣", True)]
)
def test_has_letters(raw: str, expected: bool) -> None:
    assert has_letters(raw) is expected


def test_every_combining_mark_is_below_the_folding_tables_limit() -> None:
    beyond = [
        c for c in range(COMBINING_MARKS_BELOW, sys.maxunicode + 1) if unicodedata.combining(chr(c))
    ]
    assert beyond == []


def test_letters_that_decompose_to_special_letters_fold_too() -> None:
    assert fold("Ǿ") == fold("Ø") == "o"
    assert fold("ǽ") == "ae"
    assert fold("Fritidsgården på Nesøya, Öckerö, café") == "fritidsgarden pa nesoya, ockero, cafe"


def test_the_ascii_fast_path_of_fold_folds_as_the_full_one() -> None:
    every_ascii = "".join(chr(c) for c in range(128))
    for text in (every_ascii, every_ascii.upper(), "Paa BIBLIOTEKET naa", "AA aA Aa"):
        full = unicodedata.normalize("NFKD", text.casefold()).translate(_FOLD_TABLE)
        assert fold(text) == full.replace("aa", "a")


def _folded_by_the_table(text: str) -> str:
    return unicodedata.normalize("NFKD", text.casefold()).translate(_FOLD_TABLE).replace("aa", "a")


def test_the_nordic_fast_path_of_fold_folds_as_the_table_for_every_character() -> None:
    # Each character alone and among the letters the fast path replaces itself.
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        for text in (char, f"Å{char}ø"):
            assert fold(text) == _folded_by_the_table(text), hex(code)


def test_fold_folds_mixed_text_as_the_table() -> None:
    rng = random.Random(3)
    pool = "aåäöøæéèüÅÄÖØÆ –«»•🙂Жяß łđœ\u0301\u0308\u030a\u0327x"
    for _ in range(20_000):
        text = "".join(rng.choice(pool) for _ in range(rng.randrange(12)))
        assert fold(text) == _folded_by_the_table(text), text
