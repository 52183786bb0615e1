"""Everyday messages that look like emergencies, beside the real emergencies they resemble.

Every sentence here is our own (none is from a corpus). Each asserts the exact level: none,
line (the one-line warning) or full (the full emergency reply), so a rule or a word that
makes an everyday question alarming, or a real emergency quieter, fails here.
"""

from __future__ import annotations

import pytest

from bot.answering.emergency import EmergencyLevel, detector

NONE, LINE, FULL = EmergencyLevel.NONE, EmergencyLevel.MEDIUM, EmergencyLevel.HIGH


def level(text: str) -> EmergencyLevel:
    return detector().assess(text).level


# -- 1. typo tolerance never reads a correctly spelled everyday word as a danger word ---------

# Correctly spelled, common words that are a letter or two from a danger word, or end like
# one: none of them carries a concept of danger.
EVERYDAY_WORDS = [
    "shovel",  # not "shove"
    "skotta",  # Swedish: shovel snow, not "skott" (shot)
    "siste",  # Norwegian: last, not "søster"
    "sista",
    "kveld",  # Norwegian: evening, not a compound of "eld" (fire)
    "kvelden",
    "trettifire",  # Norwegian: thirty-four, not a fire
    "gjeld",  # Norwegian: debt
    "sjelden",  # Norwegian: rarely
    "blant",  # Norwegian: among, not "brant" (burnt)
    "snakke",  # Norwegian: talk, not "snake"
    "handle",  # Norwegian: shop, not "hånd"
    "skriver",  # Norwegian: writes, not "skriker" (screams)
    "legen",  # Norwegian: the doctor, not "leggen"
    "month",  # not "mouth"
    "heart",  # not "hear"
    "morning",  # not "morfin"
    "drive",  # not "drift"
]


@pytest.mark.parametrize("word", EVERYDAY_WORDS)
def test_an_everyday_word_carries_no_concept_of_danger(word: str) -> None:
    rules = detector().rules
    analysis = rules.analyse([word])
    assert not rules.has_danger(analysis), rules.concepts_of(analysis)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # everyday questions with those words
        ("Kva skjer i kveld?", NONE),
        ("Hva skjer i kveld på biblioteket?", NONE),
        ("Vi måste skotta snön framför dörren", NONE),
        ("Where can I borrow a snow shovel?", NONE),
        ("Når går siste buss i kveld?", NONE),
        ("Jeg er trettifire år gammel og trenger hjelp med søknaden", NONE),
        # the real emergencies they resemble
        ("Det brenner i kjøkkenet!", FULL),
        ("Det brenn i kveld i huset til naboen, flammane er store", FULL),
        ("Han sköts, det blöder mycket", FULL),
        ("Søstera mi puster ikke", FULL),
    ],
)
def test_typo_lookalikes(text: str, expected: EmergencyLevel) -> None:
    assert level(text) is expected
