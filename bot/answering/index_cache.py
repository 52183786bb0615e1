"""The answer engine's share of the knowledge cache: each topic file's index part and word
counts, so a reload analyses only the entries of the files that changed.

The loader tells which runs of entries come from which file record (`FileSegment`); a part is
filed under that record's key, the words the matcher ignores and this code's digest, and holds
the ids of the entries it was made from, so it is used only for exactly those entries. The
merge in `Matcher` and `VocabularyCounter` gives what one pass over all entries gives.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.answering.matching import IndexPart, index_part
from bot.kb.cache import CacheStore, code_digest, content_key
from bot.kb.knowledge import Entry
from bot.kb.loader import FileSegment
from bot.language import VocabularyCounter
from bot.text import fold, words
from bot.types import Lang

logger = logging.getLogger(__name__)

INDEX_KIND = "ix"
WORDS_KIND = "vo"
# A run's word counts: per language, (word -> in how many texts, characters, last text's).
_WordRun = dict[Lang, tuple[dict[str, int], int, int]]


def knowledge_texts(entries: Iterable[Entry]) -> Iterator[tuple[Lang, str]]:
    """Every text of the entries with its language, in the order the vocabulary reads them."""
    for entry in entries:
        for lang, questions in entry.questions.items():
            for question in questions:
                yield lang, question
        for lang, keywords in entry.keywords.items():
            yield lang, " ".join(keywords)
        yield from entry.title.items()
        yield from entry.answer.items()


@lru_cache(maxsize=1)
def _index_code() -> str:
    """The code an index part depends on."""
    here = Path(__file__).parent
    bot = here.parent
    return code_digest(
        [
            here / "matching.py",
            Path(__file__),
            bot / "language.py",
            bot / "text.py",
            bot / "stopwords.py",
            bot / "kb" / "knowledge.py",
        ]
    )


def _word_run(entries: Sequence[Entry], folded: dict[str, list[str]]) -> _WordRun:
    """The word counts of a run of entries; `folded` has the words of most of its texts."""
    counts: dict[Lang, Counter[str]] = {}
    length: Counter[Lang] = Counter()
    last: dict[Lang, int] = {}
    for lang, text in knowledge_texts(entries):
        found = folded.get(text)
        counts.setdefault(lang, Counter()).update(
            set(words(fold(text)) if found is None else found)
        )
        length[lang] += len(text)
        last[lang] = len(text)
    return {lang: (dict(found), length[lang], last[lang]) for lang, found in counts.items()}


def _usable_words(data: Any, ids: tuple[str, ...]) -> _WordRun | None:
    if not (isinstance(data, tuple) and len(data) == 2 and data[0] == ids):
        return None
    run = data[1]
    if not isinstance(run, dict) or not all(
        isinstance(v, tuple) and len(v) == 3 and isinstance(v[0], dict) for v in run.values()
    ):
        return None
    return run


class IndexCache:
    """Index parts and word counts of a knowledge base's files, from the cache or made."""

    def __init__(self, store: CacheStore | None) -> None:
        self.store = store

    def _runs(
        self, entries: Sequence[Entry], segments: Sequence[FileSegment]
    ) -> list[tuple[str | None, Sequence[Entry]]]:
        """The entries in runs, each with its file record's key (None: not cached)."""
        runs: list[tuple[str | None, Sequence[Entry]]] = []
        offset = 0
        if self.store is not None and sum(s.count for s in segments) <= len(entries):
            for segment in segments:
                runs.append((segment.key, entries[offset : offset + segment.count]))
                offset += segment.count
        if offset < len(entries):
            # Entries from no file (live notices), or no cache: one run, not cached.
            runs.append((None, entries[offset:]))
        return runs

    def parts(
        self,
        entries: Sequence[Entry],
        ignore: frozenset[str],
        segments: Sequence[FileSegment],
    ) -> tuple[list[IndexPart], VocabularyCounter]:
        """The index parts of `entries` in order, and their words counted for the
        vocabulary."""
        store = self.store
        ignored = content_key(*sorted(ignore))
        parts: list[IndexPart] = []
        runs = self._runs(entries, segments)
        keys = [
            content_key(_index_code(), file_key, ignored) if file_key and store else None
            for file_key, _ in runs
        ]
        for key, (_, run) in zip(keys, runs, strict=True):
            ids = tuple(entry.id for entry in run)
            part = self._cached_part(key, ids) if key is not None else None
            if part is not None:
                parts.append(part)
                continue
            folded: dict[str, list[str]] = {}

            def split(text: str, folded: dict[str, list[str]] = folded) -> list[str]:
                found = folded[text] = words(fold(text))
                return found

            parts.append(index_part(run, ignore, split if key is not None else None))
            if store is not None and key is not None:
                store.put(INDEX_KIND, key, parts[-1].to_plain())
                store.put(WORDS_KIND, key, (ids, _word_run(run, folded)))
        # The vocabulary: a file's counts at once while the limit of text read per language
        # is not reached inside it; else (or without counts) its texts one by one.
        counter = VocabularyCounter()
        for key, (_, run) in zip(keys, runs, strict=True):
            counted: _WordRun | None = None
            if store is not None and key is not None:
                ids = tuple(entry.id for entry in run)
                counted = _usable_words(store.get(WORDS_KIND, key), ids)
            pending: set[Lang] | None = None  # the languages to count text by text; None: all
            if counted is not None:
                pending = {
                    lang
                    for lang, (counts, length, last) in counted.items()
                    if not counter.add_run(lang, counts, length, last)
                }
                if not pending:
                    continue
            for lang, text in knowledge_texts(run):
                if pending is None or lang in pending:
                    counter.add(lang, text)
        if store is not None:
            store.prune(INDEX_KIND)
            store.prune(WORDS_KIND)
        return parts, counter

    def _cached_part(self, key: str, ids: tuple[str, ...]) -> IndexPart | None:
        if self.store is None:
            return None
        data = self.store.get(INDEX_KIND, key)
        if data is None:
            return None
        try:
            part = IndexPart.from_plain(data)
        except (TypeError, ValueError):
            logger.warning("knowledge cache index part %s does not fit; rebuilt", key[:12])
            return None
        return part if part.ids == ids else None
