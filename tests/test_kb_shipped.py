"""The shipped knowledge base: valid, complete, and every entry found by its own examples."""

from __future__ import annotations

from datetime import date
from functools import cache

import pytest

from bot.answering import Responder
from bot.answering.regression import run_examples
from bot.config import DEFAULT_KNOWLEDGE_DIR
from bot.kb.loader import load_knowledge

result = load_knowledge(DEFAULT_KNOWLEDGE_DIR, today=date(2026, 11, 22))
responder = Responder(result.kb)


def test_shipped_knowledge_has_no_errors() -> None:
    assert [str(p) for p in result.errors] == []


def test_every_shipped_entry_is_stamped_and_no_language_is_stale() -> None:
    stamped = sum(
        path.read_text(encoding="utf-8").count("\n    reviewed_hashes: {")
        for path in DEFAULT_KNOWLEDGE_DIR.glob("*/*.yaml")
    )
    assert stamped == len(result.kb.entries)
    assert [str(w) for w in result.warnings if "since the review" in w.message] == []


def test_all_four_municipalities_and_both_countries() -> None:
    kb = result.kb
    assert set(kb.municipalities) == {"asker", "ockero", "hallstahammar", "katrineholm"}
    assert set(kb.emergency) == {"NO", "SE"}
    assert kb.municipalities["asker"].phone == "66 700 000"
    for municipality in kb.municipalities:
        assert kb.entries_for(municipality), municipality


def test_every_entry_has_english_and_its_local_language() -> None:
    kb = result.kb
    for entry in kb.entries.values():
        assert "en" in entry.answer, entry.id


@cache
def _misses_by_entry() -> dict[str, list[tuple[str, str, str, str | None]]]:
    """Every example question asked once, its misses grouped by the entry it belongs to."""
    found: dict[str, list[tuple[str, str, str, str | None]]] = {}
    for o in run_examples(responder):
        if not o.passed:
            found.setdefault(o.entry.id, []).append(
                (o.language, o.question, o.reply.kind, o.reply.entry_id)
            )
    return found


@pytest.mark.parametrize("entry_id", sorted(result.kb.entries))
def test_every_example_question_finds_its_own_entry(entry_id: str) -> None:
    assert _misses_by_entry().get(entry_id, []) == []


def test_every_shipped_answer_fits_one_message() -> None:
    assert [str(p) for p in result.warnings if "in parts" in p.message] == []
