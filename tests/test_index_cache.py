"""The answer engine's index from the knowledge cache: after any edit, the very index (and
so the very replies) that building it from nothing gives."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot import language
from bot.answering import Responder
from bot.kb.cache import CACHE_FOLDER, CacheStore
from bot.kb.loader import load_knowledge

TODAY = date(2026, 12, 1)


def _state(responder: Responder) -> list[Any]:
    """Everything the matcher and the language detector answer from."""
    matcher = responder.matcher
    examples = matcher._examples
    for i in range(len(matcher.entries)):
        matcher._index_examples(i)
    totals = matcher._totals.tobytes()
    answers = matcher._answers
    # Each entry's bags for the n-gram cosines, with their norms.
    bags = []
    for i in range(len(matcher.entries)):
        topical, topical_norm, said, said_norm = matcher._entry_bags(i)
        bags.append([*(a.tobytes() for a in topical + said), topical_norm, said_norm])
    return [
        matcher.ngrams.to_plain(),
        [answers.terms.tobytes(), answers.counts.tobytes(), answers.ends.tobytes()],
        [answers.refs.tobytes(), answers.first.tobytes()],
        bags,
        list(matcher._ids.items()),
        [(a.tobytes(), b.tobytes(), c.tobytes()) for a, b, c in matcher._postings],
        matcher._idf.tobytes(),
        matcher._lexical_idf.tobytes(),
        examples.terms.tobytes(),
        examples.ends.tobytes(),
        examples.field_weights.tobytes(),
        examples.first.tobytes(),
        totals,
        sorted(matcher.lexicon.terms),
        sorted(responder.detector._vocabulary.items()),
        matcher._unknown_weight,
        [
            matcher.lexicon._longer,
            matcher.lexicon._deletes,
            matcher.lexicon._tails,
            matcher.lexicon._heads,
        ],
    ]


def _cached(root: Path, folder: Path) -> Responder:
    store = CacheStore(folder)
    result = load_knowledge(root, TODAY, store)
    return Responder(result.kb, segments=result.segments, cache=store)


def _plain(root: Path) -> Responder:
    return Responder(load_knowledge(root, TODAY).kb)


def _questions(responder: Responder) -> list[tuple[str, str | None]]:
    asked = []
    for entry in responder.kb.entries.values():
        for questions in entry.questions.values():
            for question in questions:
                scope = entry.scope if entry.scope != "shared" else None
                asked.append((question, scope))
    return asked


def test_an_edit_gives_the_index_a_build_from_nothing_gives(
    kb_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A small limit puts the end of the text the vocabulary reads inside a file.
    monkeypatch.setattr(language, "LEARN_CHARS_PER_LANGUAGE", 20_000)
    folder = tmp_path / CACHE_FOLDER
    cold = _cached(kb_copy, folder)
    assert _state(cold) == _state(_plain(kb_copy))
    warm = _cached(kb_copy, folder)
    assert _state(warm) == _state(cold)
    payments = kb_copy / "asker" / "payments.yaml"
    text = payments.read_text(encoding="utf-8")
    # New words and a longer entry (BM25's average length changes); a file saved again.
    text = text.replace("faktura", "snøfreserfaktura", 1)
    payments.write_text(text, encoding="utf-8")
    national = kb_copy / "shared" / "national.yaml"
    national.write_text(
        national.read_text(encoding="utf-8").replace("questions:", "questions:\n", 1),
        encoding="utf-8",
    )
    edited, plain = _cached(kb_copy, folder), _plain(kb_copy)
    assert _state(edited) == _state(plain)
    for question, scope in _questions(plain)[:400]:
        assert edited.answer(question, scope).to_json() == plain.answer(question, scope).to_json()
    # A file taken out: its words leave the lexicon.
    municipality = kb_copy / "asker" / "municipality.yaml"
    municipality.write_text(
        municipality.read_text(encoding="utf-8").replace("  - children.yaml\n", ""),
        encoding="utf-8",
    )
    fewer = _cached(kb_copy, folder)
    assert len(fewer.kb.entries) < len(plain.kb.entries)
    assert fewer.matcher.lexicon.terms < plain.matcher.lexicon.terms
    assert _state(fewer) == _state(_plain(kb_copy))


def test_live_notices_and_a_kb_without_segments_are_indexed_as_before(
    kb_copy: Path, tmp_path: Path
) -> None:
    from dataclasses import replace

    store = CacheStore(tmp_path / CACHE_FOLDER)
    result = load_knowledge(kb_copy, TODAY, store)
    entry = next(iter(result.kb.entries.values()))
    notice = replace(entry, id="notice-1", title={"nb": "Kok vannet", "en": "Boil the water"})
    kb = replace(result.kb, entries={**result.kb.entries, notice.id: notice})
    with_notice = Responder(kb, segments=result.segments, cache=store)
    assert _state(with_notice) == _state(Responder(kb))


@pytest.mark.parametrize("kind", ["ix", "vo", "ng"])
def test_a_damaged_index_record_is_ignored(
    kind: str, kb_copy: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / CACHE_FOLDER
    _cached(kb_copy, folder)
    for record in folder.glob(f"{kind}-*.rec"):
        raw = record.read_bytes()
        record.write_bytes(raw[:-3] + b"xyz")
    caplog.set_level(logging.WARNING, logger="bot.kb.cache")
    assert _state(_cached(kb_copy, folder)) == _state(_plain(kb_copy))
    assert any("damaged or forged" in r.getMessage() for r in caplog.records)


def test_the_ngram_space_is_read_back_only_for_the_same_terms(
    kb_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.answering import index_cache
    from bot.answering.ngrams import NgramSpace

    folder = tmp_path / CACHE_FOLDER
    cold = _cached(kb_copy, folder)
    built: list[int] = []  # the sizes of the spaces built from terms

    class Counted(NgramSpace):
        def __init__(self, terms: Sequence[str]) -> None:
            if terms:
                built.append(len(terms))
            super().__init__(terms)

    monkeypatch.setattr(index_cache, "NgramSpace", Counted)
    warm = _cached(kb_copy, folder)
    assert built == []  # unchanged files: the space is the record's
    assert _state(warm) == _state(cold)
    payments = kb_copy / "asker" / "payments.yaml"
    text = payments.read_text(encoding="utf-8").replace("faktura", "snøfreserfaktura", 1)
    payments.write_text(text, encoding="utf-8")
    edited = _cached(kb_copy, folder)
    assert len(built) == 1  # a new word: the space is built again
    assert _state(edited) == _state(_plain(kb_copy))


def test_an_entry_in_another_entrys_place_is_indexed_as_itself(
    kb_copy: Path, tmp_path: Path
) -> None:
    """A run whose entries are not the very ones its file record gave (here one replaced
    by another of the same id) is indexed from its entries, not taken from the cache."""
    from dataclasses import replace

    folder = tmp_path / CACHE_FOLDER
    _cached(kb_copy, folder)  # every file's index part is written
    store = CacheStore(folder)
    result = load_knowledge(kb_copy, TODAY, store)
    entry = result.kb.entries["asker-invoice-deferral"]
    other = replace(
        entry,
        title={"nb": "Kok vannet", "en": "Boil the water"},
        answer={"nb": "Kok alt drikkevann i ett minutt.", "en": "Boil all drinking water."},
        questions={},
        keywords={},
    )
    kb = replace(result.kb, entries={**result.kb.entries, entry.id: other})
    assert _state(Responder(kb, segments=result.segments, cache=store)) == _state(Responder(kb))


def test_index_records_that_do_not_fit_are_a_cache_miss(kb_copy: Path, tmp_path: Path) -> None:
    """An index part and a lengths record that disagree (one made from other entries) never
    raise: the index is built from the entries."""
    from array import array

    from bot.answering.index_cache import LENGTHS_KIND, IndexCache
    from bot.answering.responder import _GENERIC_WORDS

    folder = tmp_path / CACHE_FOLDER
    plain = _state(_plain(kb_copy))
    _cached(kb_copy, folder)
    store = CacheStore(folder)
    result = load_knowledge(kb_copy, TODAY, store)
    ignore = frozenset(Responder._alias_table(result.kb)) | _GENERIC_WORDS
    index = IndexCache(store, list(result.kb.entries.values()), ignore, result.segments)
    key, run = next((k, r) for k, r in index.runs if k is not None)
    ids = tuple(entry.id for entry in run)
    store.put(LENGTHS_KIND, key, (ids, array("d", [1.0] * len(run)).tobytes()))
    assert _state(_cached(kb_copy, folder)) == plain


def test_an_index_without_the_files_records_prunes_nothing(kb_copy: Path, tmp_path: Path) -> None:
    # A start with a broken file answers from the snapshot, with no file records: the index
    # records stay for the reload once staff fix the file.
    folder = tmp_path / CACHE_FOLDER
    _cached(kb_copy, folder)
    kept = sorted(p.name for p in folder.glob("[iv][xo]-*.rec"))
    assert kept
    store = CacheStore(folder)
    Responder(load_knowledge(kb_copy, TODAY, store).kb, segments=(), cache=store)
    assert sorted(p.name for p in folder.glob("[iv][xo]-*.rec")) == kept


def test_a_damaged_word_counts_record_is_written_again(
    kb_copy: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / CACHE_FOLDER
    _cached(kb_copy, folder)
    for record in folder.glob("vo-*.rec"):
        record.write_bytes(record.read_bytes()[:20])
    _cached(kb_copy, folder)  # counts text by text, and keeps the counts again
    caplog.set_level(logging.WARNING, logger="bot.kb.cache")
    caplog.clear()
    assert _state(_cached(kb_copy, folder)) == _state(_plain(kb_copy))
    assert not any("damaged or forged" in r.getMessage() for r in caplog.records)
