"""The answer engine's share of the knowledge cache: each topic file's index part and word
counts, so a reload analyses only the entries of the files that changed.

The loader tells which runs of entries come from which file record (`FileSegment`); a part is
filed under that record's key, the words the matcher ignores and this code's digest, and is
used only when the run holds the very entry objects the loader made from that record (not
others of the same ids, such as a live notice in an entry's place). A part or lengths record
that still does not fit is a cache miss: the Responder then builds the index from nothing. The
merge in `Matcher` and `VocabularyCounter` gives what one pass over all entries gives.
"""

from __future__ import annotations

import logging
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from operator import is_
from pathlib import Path
from typing import Any

from bot.answering.matching import PART_ENTRIES, IndexPart, Lexicon, entry_length, index_part
from bot.answering.ngrams import NgramSpace
from bot.kb.cache import CacheStore, code_digest, content_key
from bot.kb.knowledge import Entry
from bot.kb.loader import FileSegment
from bot.language import VocabularyCounter
from bot.text import fold, words
from bot.types import LANGS, Lang

logger = logging.getLogger(__name__)

INDEX_KIND = "ix"
WORDS_KIND = "vo"
# Per run: its entries' BM25 lengths, needed before the first part is merged.
LENGTHS_KIND = "ln"
# One record: the last lexicon (the matcher's vocabulary with its typo and compound indexes).
LEXICON_KIND = "lx"
# One record: the last n-gram space (its weights and norms depend on every term and their order).
NGRAMS_KIND = "ng"
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
            here / "ngrams.py",
            Path(__file__),
            bot / "language.py",
            bot / "text.py",
            bot / "stopwords.py",
            bot / "kb" / "knowledge.py",
        ]
    )


def _run_sizes(entries: Sequence[Entry]) -> dict[Lang, tuple[int, int]]:
    """Per language, the characters of a run's texts and of its last one."""
    length: Counter[Lang] = Counter()
    last: dict[Lang, int] = {}
    for lang, text in knowledge_texts(entries):
        length[lang] += len(text)
        last[lang] = len(text)
    return {lang: (length[lang], last[lang]) for lang in last}


def _word_run(entries: Sequence[Entry]) -> _WordRun:
    """The word counts of a run of entries, per language."""
    counts: dict[Lang, Counter[str]] = {}
    for lang, text in knowledge_texts(entries):
        counts.setdefault(lang, Counter()).update(set(words(fold(text))))
    sizes = _run_sizes(entries)
    return {lang: (dict(found), *sizes[lang]) for lang, found in counts.items()}


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
    """The index parts and word counts of one knowledge base's entries: from the cache for
    the runs of unchanged files, else made (and kept for the next time)."""

    def __init__(
        self,
        store: CacheStore | None,
        entries: Sequence[Entry],
        ignore: frozenset[str],
        segments: Sequence[FileSegment] = (),
    ) -> None:
        self.store = store
        self.ignore = ignore
        ignored = content_key(*sorted(ignore))
        # The entries in runs, each with the key of its records (None: not cached).
        self.runs: list[tuple[str | None, Sequence[Entry]]] = []
        offset = 0
        if store is not None and sum(s.count for s in segments) <= len(entries):
            for segment in segments:
                run = entries[offset : offset + segment.count]
                # Keyed only when the run holds the very entries the file's record gave: an
                # entry put in another's place (the same id) is indexed from what it is.
                same = len(segment.entries) == len(run) and all(map(is_, run, segment.entries))
                key = (
                    content_key(_index_code(), segment.key, ignored)
                    if segment.key and same
                    else None
                )
                self.runs.append((key, run))
                offset += segment.count
        # Entries from no file (live notices), or all of them without a cache: in runs of a
        # size that keeps the memory a build needs small, not cached.
        for start in range(offset, len(entries), PART_ENTRIES):
            self.runs.append((None, entries[start : start + PART_ENTRIES]))

    def parts(self) -> Iterator[IndexPart]:
        """The index parts of the entries in order, made one at a time as they are used."""
        store = self.store
        for key, run in self.runs:
            ids = tuple(entry.id for entry in run)
            part = self._cached_part(key, ids) if key is not None else None
            if part is not None:
                yield part
                continue
            part = index_part(run, self.ignore)
            if store is not None and key is not None:
                store.put(INDEX_KIND, key, part.to_plain())
            yield part

    def vocabulary(self) -> VocabularyCounter:
        """The entries' words counted for the vocabulary: a file's counts at once while the
        limit of text read per language is not reached inside it; else (or without counts)
        its texts one by one."""
        counter = VocabularyCounter()
        for key, run in self.runs:
            if all(counter.read[lang] >= counter.limit for lang in LANGS):
                break  # every language's limit is reached: nothing more is read
            counted: _WordRun | None = None
            if self.store is not None and key is not None:
                ids = tuple(entry.id for entry in run)
                counted = _usable_words(self.store.get(WORDS_KIND, key), ids)
                if counted is None and self._counted_whole(counter, run):
                    # Counted and kept only for the files read whole: those past the limit
                    # are not read at all (as without the cache), unless an edit moves it.
                    counted = _word_run(run)
                    self.store.put(WORDS_KIND, key, (ids, counted))
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
        return counter

    def lexicon(self, terms: Iterable[str]) -> Lexicon:
        """The lexicon of `terms`: the last one kept when its vocabulary is the same, else
        that one updated for the terms added and removed (or built when there is none)."""
        store = self.store
        if store is None:
            return Lexicon(terms)
        key = content_key(_index_code(), LEXICON_KIND)
        previous: Lexicon | None = None
        data = store.get(LEXICON_KIND, key)
        if data is not None:
            try:
                previous = Lexicon.from_plain(data)
            except ValueError:
                logger.warning("knowledge cache lexicon does not fit; rebuilt")
        wanted = frozenset(terms)
        if previous is not None and previous.terms == wanted:
            return previous
        lexicon = Lexicon(wanted, previous)
        store.put(LEXICON_KIND, key, lexicon.to_plain())
        return lexicon

    def ngrams(self, terms: Sequence[str]) -> NgramSpace:
        """The n-gram space of `terms` (in term id order): the last one kept when the terms
        are the same, in the same order (a restart with unchanged files), else built."""
        store = self.store
        if store is None:
            return NgramSpace(terms)
        key = content_key(_index_code(), NGRAMS_KIND)
        wanted = tuple(terms)
        data = store.get(NGRAMS_KIND, key)
        if isinstance(data, tuple) and len(data) == 2 and data[0] == wanted:
            try:
                return NgramSpace.from_plain(data[1], len(wanted))
            except (TypeError, ValueError):
                logger.warning("knowledge cache n-gram space does not fit; rebuilt")
        space = NgramSpace(wanted)
        store.put(NGRAMS_KIND, key, (wanted, space.to_plain()))
        return space

    def lengths(self) -> array[float]:
        """Each entry's BM25 length (`entry_length`), in order."""
        store = self.store
        lengths = array("d")
        for key, run in self.runs:
            ids = tuple(entry.id for entry in run)
            data = store.get(LENGTHS_KIND, key) if store is not None and key is not None else None
            if (
                isinstance(data, tuple)
                and len(data) == 2
                and data[0] == ids
                and isinstance(data[1], bytes)
                and len(data[1]) == lengths.itemsize * len(run)
            ):
                lengths.frombytes(data[1])
                continue
            made = array("d", map(entry_length, run))
            lengths.extend(made)
            if store is not None and key is not None:
                store.put(LENGTHS_KIND, key, (ids, made.tobytes()))
        return lengths

    @staticmethod
    def _counted_whole(counter: VocabularyCounter, run: Sequence[Entry]) -> bool:
        """True when the vocabulary reads all of the run's texts in some language and the
        limit falls inside it in none."""
        whole = False
        for lang, (length, last) in _run_sizes(run).items():
            before = counter.read[lang]
            if before >= counter.limit:
                continue
            if before + length - last >= counter.limit:
                return False
            whole = True
        return whole

    def prune(self) -> None:
        """Drop the records no run used (files edited or removed since). Not when no run had
        a key (the snapshot answering for broken files): the files' records are kept for the
        reload once the files are fixed."""
        if self.store is not None and any(key is not None for key, _ in self.runs):
            for kind in (INDEX_KIND, WORDS_KIND, LENGTHS_KIND):
                self.store.prune(kind)

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
