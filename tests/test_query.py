"""A message is analysed once, and every part of the answer engine reads that analysis."""

from __future__ import annotations

from functools import cache

import pytest

import bot.answering.matching as matching
import bot.answering.query as query
import bot.language as language
from bot.answering import Responder
from bot.answering.query import analyse_query
from bot.config import DEFAULT_KNOWLEDGE_DIR
from bot.kb.loader import load_knowledge
from bot.text import fold, tokens


@cache
def _responder() -> Responder:
    return Responder(load_knowledge(DEFAULT_KNOWLEDGE_DIR).kb)


def test_the_analysis_is_the_cleaned_text_and_its_folded_words() -> None:
    found = analyse_query("Kan jeg  få utsatt\u200b fakturaen?")
    assert found.text == "Kan jeg få utsatt fakturaen?"
    assert found.words == ("kan", "jeg", "fa", "utsatt", "fakturaen")
    assert found.match_words == found.words
    assert analyse_query(found.text) is found


def test_a_long_message_is_matched_on_its_start_and_scanned_whole() -> None:
    text = "bibliotek " * 300 + "puster ikke"
    found = analyse_query(text)
    assert found.words[-2:] == ("puster", "ikke")
    assert list(found.match_words) == tokens(text)


@pytest.mark.parametrize(
    "text",
    [
        "Kan jeg få utsatt betalingen av fakturaen i Asker?",
        "kan noen handle for mor mi på Nesøya",
        "hei",
    ],
)
def test_one_answer_folds_the_message_once(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    responder = _responder()
    calls: list[str] = []

    def counted(value: str) -> str:
        calls.append(value)
        return fold(value)

    for module in (query, language, matching):
        monkeypatch.setattr(module, "fold", counted)
    responder.answer(text + " (en gang)", "asker")
    assert len(calls) == 1
