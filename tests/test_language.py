"""Language detection: the reply is in the language the question is written in."""

from __future__ import annotations

import pytest

from bot.language import (
    LanguageDetector,
    conversation_language,
    learn_vocabulary,
)
from bot.types import to_lang

detector = LanguageDetector()


@pytest.mark.parametrize(
    "text",
    [
        "Hvordan kan jeg søke om utsatt betaling?",
        "jeg har ikke råd til å betale nå",
        "hva gjør kommunen i påsken",
        "korleis kan eg hjelpe til",  # Nynorsk
        "kva tid opnar biblioteket, eg lurer på det",  # Nynorsk
        "ka gjør dokker i kommunen no, æ lure på det",  # dialect
        "trenger noen som kan handle for meg",
        "hvordan kan jeg hjelpe",
    ],
)
def test_norwegian_is_detected_as_nb(text: str) -> None:
    assert detector.detect(text) == "nb"


@pytest.mark.parametrize(
    "text",
    [
        "Hur kan jag hjälpa till?",
        "är biblioteket öppet idag",
        "ar biblioteket oppet",  # no diacritics
        "vad gör kommunen för föreningar",
        "jag behöver hjälp att handla",
        "vem är det som bestämmer",
    ],
)
def test_swedish_is_detected(text: str) -> None:
    assert detector.detect(text) == "sv"


@pytest.mark.parametrize(
    "text",
    [
        "How can I help?",
        "is the library open today",
        "what is the municipality doing about it",
        "I need someone to buy groceries for me",
        "there is a lot of vandalism lately",
    ],
)
def test_english_is_detected(text: str) -> None:
    assert detector.detect(text) == "en"


@pytest.mark.parametrize("text", ["", "🙂", "nyby", "66 700 000", "asker", "ok"])
def test_too_short_to_tell_returns_none(text: str) -> None:
    assert detector.detect(text) is None


def test_learnt_vocabulary_marks_words_used_in_one_language_only() -> None:
    vocabulary = learn_vocabulary(
        [
            ("nb", "betalingsutsettelse faktura"),
            ("nb", "betalingsutsettelse faktura"),
            ("sv", "faktura anstånd"),
            ("sv", "faktura anstånd"),
        ]
    )
    assert vocabulary["betalingsutsettelse"] == "nb"
    assert vocabulary["anstand"] == "sv"
    assert "faktura" not in vocabulary
    assert LanguageDetector(vocabulary).detect("betalingsutsettelse") is None  # weak alone
    assert LanguageDetector(vocabulary).detect("betalingsutsettelse fakturaen ikke") == "nb"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("nb", "nb"),
        ("nn", "nb"),
        ("no", "nb"),
        ("nb-NO", "nb"),
        ("sv-SE", "sv"),
        ("sv", "sv"),
        ("en-GB", "en"),
        ("de", "en"),
        ("", None),
        (None, None),
    ],
)
def test_telegram_language_codes_map_to_reply_languages(
    code: str | None, expected: str | None
) -> None:
    assert to_lang(code) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("nn", "nb"),
        ("no", "nb"),
        ("SV", "sv"),
        (" en ", "en"),
        ("de", None),
        ("💥", None),
        ("", None),
    ],
)
def test_a_language_typed_as_a_choice_is_one_of_ours_or_none(
    typed: str, expected: str | None
) -> None:
    assert to_lang(typed, strict=True) == expected


@pytest.mark.parametrize(
    ("chosen", "said", "last", "app", "expected"),
    [
        ("en", "sv", "nb", "nb", "en"),  # an explicit choice beats the message
        (None, "sv", "en", "en", "sv"),  # the message's language beats the last one
        (None, None, "sv", "en", "sv"),  # a message that tells nothing keeps the last one
        (None, None, None, "nn-NO", "nb"),  # then the app's language
        (None, None, None, "de", "en"),
        (None, None, None, None, None),  # nothing tells: the caller decides
    ],
)
def test_the_conversation_language_rule(
    chosen: str | None, said: str | None, last: str | None, app: str | None, expected: str | None
) -> None:
    assert conversation_language(chosen, said, last, app) == expected
