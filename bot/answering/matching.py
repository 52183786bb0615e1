"""Find the knowledge-base entries that best answer a question.

A question is reduced to content words (folded, stopwords removed). Each word is expanded to
the knowledge base's own terms it may stand for: itself, an inflected form ("fakturaen" →
"faktura"), a typo within one or two edits, the parts of a compound ("betalingsutsettelse" →
"betaling" + "utsettelse"), or a compound it is part of. Entries are scored on two signals:

- coverage: how much of the question, weighted by how specific each word is (IDF), the entry
  speaks to; a word the knowledge base has never seen counts against every entry, which is
  what keeps out-of-scope questions ("når går toget?") from getting a confident wrong answer;
- example fit: the best weighted F-score between the question and one example question,
  keyword or title of the entry, so that a question must also resemble something staff wrote;
- lexical: Okapi BM25 over all of the entry's words, answers included, through the same
  expansions, as a share of what the question could score at most;
- n-grams: for the few best candidates, the cosine of character n-grams between the question
  and the entry's example questions, title and keywords, and its answers (`ngrams.py`): what a
  word looks like, where the expansions above need a rule for each form.

The candidates are ordered by `order`: `relevance` (coverage, example fit and lexical) with the
two n-gram cosines. `score` (coverage and example fit) is on the same [0, 100] scale. The class
is plain Python with no Telegram types.
"""

from __future__ import annotations

import heapq
import math
from array import array
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Callable, Iterable, KeysView, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, compress, repeat
from operator import mul
from typing import Any

from rapidfuzz.distance import OSA

from bot.answering.ngrams import Bag, NgramSpace, QueryGrams, add_into
from bot.kb.knowledge import Entry, KnowledgeBase
from bot.stopwords import STOPWORDS
from bot.text import fold, tokens, words

# How much a match through each field counts, relative to an example question.
FIELD_WEIGHTS = {"question": 1.0, "title": 1.0, "keyword": 0.9, "answer": 0.55}
# Similarity of a word to a knowledge-base term, by how they matched.
SIM_EXACT = 1.0
SIM_INFLECTION = 0.92
SIM_TYPO_1 = 0.85
SIM_TYPO_2 = 0.72
SIM_COMPOUND = 0.72
SIM_PART = 0.9
# The score the responder's thresholds read: coverage and example fit, this much coverage.
SCORE_COVERAGE_SHARE = 0.6
# The order: the blend of the three signals (coverage, lexical, the rest example fit). Chosen by
# right-entry-first on the in-scope corpus's tuning authors, one author left out at a time
# (the same blend won every fold): see "Ranking" in README.md.
COVERAGE_SHARE = 0.2
LEXICAL_SHARE = 0.5
# The order adds to the relevance (in [0, 1]) the n-gram cosines with the entry's example
# questions, title and keywords, and with its answers, this much each, for the best
# RERANK_TOP candidates by relevance. Chosen by right-entry-first on the in-scope corpus's
# tuning authors, one author left out at a time (see "Ranking" in README.md).
NGRAM_SHARE = 1.0
NGRAM_ANSWER_SHARE = 1.0
RERANK_TOP = 8
# An example fit this close to 1 is an example question asked as written.
EXAMPLE_AS_WRITTEN = 0.99
# Okapi BM25's usual term-frequency saturation and length normalisation.
BM25_K1 = 1.2
BM25_B = 0.75
# How much one occurrence of a word counts towards BM25's term frequency, by field: a title
# names what the entry is about, keywords are staff's own pointers to it.
BM25_FIELDS = {"question": 1.0, "title": 3.0, "keyword": 2.0, "answer": 1.0}
# A word unknown to the knowledge base weighs this fraction of the rarest known word, scaled
# by its length: short words are mostly common ones ("bidra", "lagt"), long ones specific
# nouns that name another topic ("skattemeldingen", "boliglånet").
UNKNOWN_WEIGHT = 1.0
UNKNOWN_TYPICAL_LENGTH = 8
UNKNOWN_SCALE = (0.7, 1.3)
MAX_QUERY_TERMS = 24
RESCORE_TOP = 12
# Entries whose examples are indexed by term at a time: the ones questions come close to
# (1,024 took 6.6 MB at 10,000 entries, 2.4 MB more than 512, with the bench worker's peak RSS
# over its 200 MB limit).
EXAMPLE_INDEX_CACHE = 512
# One tuple per example number below this, shared by the example indexes' terms held by that
# example alone (most of them; a tuple each took 3 MB at 10,000 entries).
_SINGLE_EXAMPLE = tuple((number,) for number in range(256))
# Entries whose bags of terms (arrays, about 2 kB an entry) are kept for the n-gram cosines.
BAG_CACHE = 512
# Entries indexed at a time when no cache gives the parts: the memory a build needs.
PART_ENTRIES = 256

# Postings hold field weights in hundredths and BM25 weights in 255ths, a byte each: a
# 10,000-entry index has over a million postings, and floats would cost 6 bytes more each.
_FIELD_SCALE = 100
_FIELD_LEVELS = {w: round(w * _FIELD_SCALE) for w in FIELD_WEIGHTS.values()}
_LEVELS = 255
# A term's postings: entry indices, field weights and saturated term frequencies.
_Postings = tuple["array[int]", "array[int]", "array[int]"]
# A municipality's cut of a term none of its entries has (one object shared by all).
_NO_POSTINGS: _Postings = (array("i"), array("B"), array("B"))

_MIN_STEM = 4
_MAX_SUFFIX = 4
# Inflectional endings of nb, nn, sv and en. A longer word matches its stem only through one
# of these (after an optional doubled consonant: hjem → hjemmet), so "permit" does not match
# "permittert" and "park" does not match "parking".
_SUFFIXES = frozenset(
    """e en et er ene ere erne ert a ar ane arna erna orna or na n t s es ed ly ers ens ets as
    ad ade ande ende te de ne ns ta ene enes ernes arnas ernas ing ings ied ies""".split()
)
_MIN_TYPO_LEN = 5
_MIN_TYPO2_LEN = 9
_MIN_COMPOUND_PART = 4
_MIN_TYPO_TAIL = 7  # a compound's tail may carry a typo from this length
_LINKING = ("s", "e")
# Longer words are matched only as written, never as a typo, inflection or compound.
MAX_TYPO_WORD = 40


def content_words(text: str, ignore: frozenset[str] = frozenset()) -> list[str]:
    """The folded words of `text` that carry meaning, in order, without repeats."""
    return content_words_of(tokens(text), ignore)


def content_words_of(folded: Iterable[str], ignore: frozenset[str] = frozenset()) -> list[str]:
    """The words of already folded words (`bot.text.tokens`) that carry meaning, in order,
    without repeats."""
    seen: set[str] = set()
    result: list[str] = []
    for word in folded:
        if word in STOPWORDS or word in ignore or word in seen:
            continue
        if len(word) < 2 and not word.isdigit():
            continue
        seen.add(word)
        result.append(word)
        if len(result) == MAX_QUERY_TERMS:
            break
    return result


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def is_inflection(stem: str, word: str) -> bool:
    """True when `word` is `stem` plus an inflectional ending, such as faktura → fakturaen."""
    ending = word[len(stem) :]
    if ending in _SUFFIXES:
        return True
    return len(ending) > 1 and ending[0] == stem[-1] and ending[1:] in _SUFFIXES


def _plausible_typo(word: str, term: str) -> bool:
    """Typos rarely change a word's first letter; allow only a swap of the first two."""
    return word[0] == term[0] or (word[:2] == term[1::-1] and len(term) > 1)


# A word index: key -> the one term filed under it, or a tuple of the terms when several
# are. Most keys have one term; a list for each would cost a tenth of a 10,000-entry index.
_WordIndex = dict[str, str | tuple[str, ...]]


def _file(index: _WordIndex, key: str, term: str) -> None:
    known = index.get(key)
    if known is None:
        index[key] = term
    elif isinstance(known, str):
        index[key] = (known, term)
    else:
        index[key] = (*known, term)


def _file_in_order(index: _WordIndex, key: str, term: str) -> None:
    """`_file`, keeping a key's terms in sorted order (as a build in sorted order files them)."""
    known = index.get(key)
    if known is None:
        index[key] = term
    elif isinstance(known, str):
        index[key] = (known, term) if known < term else (term, known)
    else:
        terms = list(known)
        insort(terms, term)
        index[key] = tuple(terms)


def _unfile(index: _WordIndex, key: str, term: str) -> None:
    known = index.get(key)
    if known == term:
        del index[key]
    elif isinstance(known, tuple):
        rest = tuple(t for t in known if t != term)
        index[key] = rest[0] if len(rest) == 1 else rest


# A lexicon whose vocabulary differs from the new one by more than this share of its terms
# is built again rather than updated.
LEXICON_UPDATE_SHARE = 0.25


def _filed(index: _WordIndex, key: str) -> tuple[str, ...]:
    known = index.get(key)
    if known is None:
        return ()
    return (known,) if isinstance(known, str) else known


class Lexicon:
    """The knowledge base's vocabulary, with indexes to expand a word in constant time."""

    def __init__(self, terms: Iterable[str], previous: Lexicon | None = None) -> None:
        """The lexicon of `terms`. With `previous` (which must not be used afterwards), its
        indexes are updated for the terms added and removed instead of built again: the same
        indexes, since each key's terms are kept in sorted order either way."""
        self.terms: frozenset[str] = frozenset(terms)
        removed = previous.terms - self.terms if previous is not None else frozenset()
        added = self.terms - previous.terms if previous is not None else self.terms
        if previous is None or len(removed) + len(added) > LEXICON_UPDATE_SHARE * len(self.terms):
            previous, removed, added = None, frozenset(), self.terms
        self._longer: _WordIndex  # stem -> terms that extend it by a suffix
        self._deletes: _WordIndex  # one-letter deletion -> terms
        self._tails: _WordIndex  # tail of a compound -> compounds
        self._heads: _WordIndex  # head of a compound -> compounds
        if previous is None:
            self._longer, self._deletes, self._tails, self._heads = {}, {}, {}, {}
            for term in sorted(added):
                self._index(term, _file)
        else:
            self._longer, self._deletes = previous._longer, previous._deletes
            self._tails, self._heads = previous._tails, previous._heads
            for term in removed:
                self._index(term, _unfile)
            for term in added:
                self._index(term, _file_in_order)
        self.expand = lru_cache(maxsize=65536)(self._expand)

    def _index(self, term: str, file: Callable[[_WordIndex, str, str], None]) -> None:
        """File (or unfile) `term` under each key that finds it."""
        if term.isdigit() or len(term) > MAX_TYPO_WORD:
            # The typo and compound indexes grow with the square of a word's length: a word
            # longer than any real one is matched as written only.
            return
        n = len(term)
        for cut in range(max(_MIN_STEM, n - _MAX_SUFFIX), n):
            file(self._longer, term[:cut], term)
        if n >= _MIN_TYPO_LEN:
            for variant in _deletions(term):
                file(self._deletes, variant, term)
        for cut in range(_MIN_COMPOUND_PART + 1, n - _MIN_COMPOUND_PART + 1):
            if n - cut > _MAX_SUFFIX:
                file(self._heads, term[:cut], term)
            if cut > _MAX_SUFFIX:
                file(self._tails, term[-cut:], term)

    def to_plain(self) -> tuple[Any, ...]:
        """The lexicon as plain data (for a cache record)."""
        return (tuple(sorted(self.terms)), self._longer, self._deletes, self._tails, self._heads)

    @classmethod
    def from_plain(cls, data: Any) -> Lexicon:
        """The lexicon `to_plain` gave; ValueError when `data` is not one."""
        if not (
            isinstance(data, tuple)
            and len(data) == 5
            and isinstance(data[0], tuple)
            and all(isinstance(index, dict) for index in data[1:])
        ):
            raise ValueError("not a lexicon")
        lexicon = cls(())
        lexicon.terms = frozenset(data[0])
        lexicon._longer, lexicon._deletes, lexicon._tails, lexicon._heads = data[1:]
        return lexicon

    def _inflections(self, word: str) -> dict[str, float]:
        found: dict[str, float] = {}
        for term in _filed(self._longer, word):
            if is_inflection(word, term):
                found[term] = SIM_INFLECTION
        for cut in range(max(_MIN_STEM, len(word) - _MAX_SUFFIX), len(word)):
            if word[:cut] in self.terms and is_inflection(word[:cut], word):
                found[word[:cut]] = SIM_INFLECTION
        return found

    def _typos(self, word: str) -> dict[str, float]:
        if len(word) < _MIN_TYPO_LEN:
            return {}
        limit = 2 if len(word) >= _MIN_TYPO2_LEN else 1
        candidates: set[str] = set()
        for key in (word, *_deletions(word)):
            if key != word and key in self.terms:
                candidates.add(key)
            candidates.update(_filed(self._deletes, key))
        found: dict[str, float] = {}
        for term in candidates:
            if term == word or not _plausible_typo(word, term):
                continue
            distance = OSA.distance(word, term, score_cutoff=limit)
            if distance <= limit:
                found[term] = SIM_TYPO_1 if distance <= 1 else SIM_TYPO_2
        return found

    def _compounds(self, word: str) -> dict[str, float]:
        found: dict[str, float] = {}
        for term in (*_filed(self._heads, word), *_filed(self._tails, word)):
            found[term] = SIM_COMPOUND
        return found

    def _direct(self, word: str) -> dict[str, float]:
        if word in self.terms:
            found = {word: SIM_EXACT}
            found.update(self._inflections(word))
            return found
        found = self._inflections(word)
        for term, sim in self._typos(word).items():
            found.setdefault(term, sim)
        if not found:
            found = self._compounds(word)
        return found

    def split_compound(self, word: str, typo_tail: bool = False) -> tuple[str, str] | None:
        """Split an unknown compound into two parts the vocabulary knows, preferring long heads.

        With `typo_tail`, a long tail may carry a typo ("betalings|utsetelse"): residents mistype
        the long words, and a compound's tail is where its meaning sits.
        """
        n = len(word)
        for cut in range(n - _MIN_COMPOUND_PART, _MIN_COMPOUND_PART - 1, -1):
            head, tail = word[:cut], word[cut:]
            if typo_tail and len(tail) < _MIN_TYPO_TAIL:
                continue
            heads = [head] + [head[:-1] for link in _LINKING if head.endswith(link)]
            for candidate in heads:
                if len(candidate) < _MIN_COMPOUND_PART or not self._known(candidate):
                    continue
                if self._known(tail) or (typo_tail and self._typos(tail)):
                    return candidate, tail
        return None

    def _known(self, word: str) -> bool:
        return word in self.terms or bool(self._inflections(word))

    def _part(self, word: str) -> dict[str, float]:
        """What one part of a split compound stands for."""
        found = {word: SIM_EXACT} if word in self.terms else {}
        for term, sim in self._inflections(word).items():
            found.setdefault(term, sim)
        if not found and len(word) >= _MIN_TYPO_TAIL:
            found = self._typos(word)
        return found

    def _expand(
        self, word: str, compounds: bool = True
    ) -> tuple[tuple[tuple[str, float], ...], ...]:
        """Groups of (term, similarity): one group per part the word stands for.

        Compounds are split only when `compounds` is set: Nordic languages write them as one
        word, English does not, and splitting English words finds false parts.
        """
        if word.isdigit():
            return (((word, SIM_EXACT),),) if word in self.terms else ((),)
        direct = self._direct(word)
        if direct and (word in self.terms or max(direct.values()) >= SIM_INFLECTION):
            return (tuple(direct.items()),)
        if not (compounds and len(word) >= 2 * _MIN_COMPOUND_PART):
            return (tuple(direct.items()),)
        # A clean split beats a typo of a whole word; a typo of a whole word beats a split
        # that needs a typo of its own.
        parts = self.split_compound(word)
        if parts is None and not direct:
            parts = self.split_compound(word, typo_tail=True)
        if parts is not None:
            return tuple(
                tuple((t, s * SIM_PART) for t, s in self._part(part).items()) for part in parts
            )
        return (tuple(direct.items()),)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One entry's fit to a question. `score` and `relevance` lie in [0, 100].

    `score` (coverage and example fit) is what the responder's thresholds read; `relevance`
    adds the lexical score and orders the candidates, so a runner-up may have a higher score.
    """

    entry: Entry
    score: float
    coverage: float
    example_fit: float
    # Okapi BM25 over the entry's words, as a share of what the question's words could score
    # at most (a word the knowledge base lacks counts in that maximum too), in [0, 1].
    lexical: float = 0.0
    relevance: float = 0.0
    # The character n-gram cosines with the entry's example questions, title and keywords,
    # and with its answers, in [0, 1] (0 below the RERANK_TOP best by relevance).
    ngram: float = 0.0
    ngram_answer: float = 0.0
    # What the candidates are ordered by: relevance with the n-gram cosines, in [0, 100].
    order: float = 0.0


@dataclass(frozen=True, slots=True)
class _Examples:
    """Every entry's example questions, titles and keywords, as flat arrays of term ids.

    Entry e has the examples `first[e]` to `first[e + 1] - 1`; example i holds the terms
    `terms[ends[i - 1]:ends[i]]`. Flat arrays keep a 10,000-entry index to a few bytes per
    word instead of a Python object per example (or four arrays per entry).
    """

    terms: array[int] = field(default_factory=lambda: array("i"))
    ends: array[int] = field(default_factory=lambda: array("i"))
    field_weights: array[float] = field(default_factory=lambda: array("f"))
    first: array[int] = field(default_factory=lambda: array("i"))


@dataclass(frozen=True, slots=True)
class _Answers:
    """Every entry's answers' words (term ids and their counts, capped at 255), for the n-gram
    cosine, as flat arrays.

    Answer a holds the terms `terms[ends[a - 1]:ends[a]]` with their counts in `counts`; an
    answer that several entries have word for word is kept once. Entry e has the answers
    `refs[first[e]:first[e + 1]]`.
    """

    terms: array[int] = field(default_factory=lambda: array("i"))
    counts: array[int] = field(default_factory=lambda: array("B"))
    ends: array[int] = field(default_factory=lambda: array("i"))
    refs: array[int] = field(default_factory=lambda: array("i"))
    first: array[int] = field(default_factory=lambda: array("i"))


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """One word of a question as the index sees it: the terms it may stand for, its weight."""

    expansions: dict[int, float]  # term id -> similarity
    weight: float
    lexical_weight: float = 0.0  # BM25's idf of the term it stands for


@dataclass(frozen=True, slots=True)
class Ranking:
    """A question's terms and the entries that best answer it, best first."""

    query: list[QueryTerm]
    candidates: list[Candidate]
    # The question's n-grams, for the calibration's features (None with no candidates).
    grams: QueryGrams | None = None


def _entry_fields(entry: Entry) -> Iterable[tuple[str, str]]:
    for questions in entry.questions.values():
        for question in questions:
            yield "question", question
    for title in entry.title.values():
        yield "title", title
    for keywords in entry.keywords.values():
        for keyword in keywords:
            yield "keyword", keyword
    for answer in entry.answer.values():
        yield "answer", answer


def _reused_texts(entries: Iterable[Entry]) -> set[str]:
    """The titles and answers that more than one entry has (example questions are each
    entry's own: the loader refuses a repeated one)."""
    seen: set[str] = set()
    reused: set[str] = set()
    for entry in entries:
        for texts in (entry.title, entry.answer):
            for text in texts.values():
                if text in seen:
                    reused.add(text)
                else:
                    seen.add(text)
    return reused


# The typecodes of an index part's arrays, in the order of its fields, for its plain form.
_PART_ARRAYS = (
    ("starts", "i"),
    ("entries", "i"),
    ("pairs", "i"),
    ("tfs", "d"),
    ("pair_lengths", "d"),
    ("topical", "i"),
    ("lengths", "d"),
    ("ex_terms", "i"),
    ("ex_ends", "i"),
    ("ex_weights", "f"),
    ("ex_first", "i"),
    ("ans_terms", "i"),
    ("ans_counts", "B"),
    ("ans_ends", "i"),
    ("ans_refs", "i"),
    ("ans_first", "i"),
)


@dataclass(frozen=True, slots=True)
class IndexPart:
    """What a run of entries (one topic file's) adds to the index, in its own term numbers.

    Nothing in it depends on the other entries, so a reload can keep the parts of unchanged
    files and redo only the edited one's; `Matcher` merges the parts. What does depend on all
    entries (term ids, idf, BM25's average length) is worked out in the merge. Local term t
    has the postings `starts[t]` to `starts[t + 1] - 1`: each an entry of the part, its field
    weight level, and its (term frequency, entry length) pair, from which the merge takes the
    saturated frequency once the average length is known.
    """

    ids: tuple[str, ...]  # the entries' ids, in order
    terms: tuple[str, ...]  # by first appearance
    starts: array[int]
    entries: array[int]
    levels: bytes
    pairs: array[int]
    tfs: array[float]
    pair_lengths: array[float]
    topical: array[int]  # per term: how many of the part's entries are about it
    lengths: array[float]  # per entry: BM25's length
    ex_terms: array[int]  # the examples, as in `_Examples`, numbered within the part
    ex_ends: array[int]
    ex_weights: array[float]
    ex_first: array[int]
    ans_terms: array[int]  # the answers, as in `_Answers`, numbered within the part
    ans_counts: array[int]
    ans_ends: array[int]
    ans_refs: array[int]
    ans_first: array[int]

    def to_plain(self) -> tuple[Any, ...]:
        """The part as plain data (for a cache record)."""
        arrays = tuple(getattr(self, name).tobytes() for name, _ in _PART_ARRAYS)
        return (self.ids, self.terms, self.levels, *arrays)

    @classmethod
    def from_plain(cls, data: Any) -> IndexPart:
        """The part `to_plain` gave; ValueError or TypeError when `data` is not one."""
        ids, terms, levels, *raw = data
        if len(raw) != len(_PART_ARRAYS) or not isinstance(levels, bytes):
            raise ValueError("not an index part")
        arrays: dict[str, Any] = {}
        for (name, code), blob in zip(_PART_ARRAYS, raw, strict=True):
            arrays[name] = array(code)
            arrays[name].frombytes(blob)
        part = cls(ids=tuple(ids), terms=tuple(terms), levels=levels, **arrays)
        postings = len(part.entries)
        if not (
            len(part.starts) == len(part.terms) + 1
            and part.starts[-1] == postings == len(levels) == len(part.pairs)
            and len(part.topical) == len(part.terms)
            and len(part.lengths) == len(part.ex_first) == len(part.ids)
            and len(part.tfs) == len(part.pair_lengths)
            and len(part.ex_ends) == len(part.ex_weights)
            and len(part.ans_first) == len(part.ids)
            and len(part.ans_terms) == len(part.ans_counts)
        ):
            raise ValueError("an index part whose arrays do not fit together")
        return part


def _words_counted(words_: Iterable[str], ignore: frozenset[str]) -> dict[str, int]:
    """The words the index keeps, in the order they first appear, with how often each occurs."""
    found: dict[str, int] = {}
    for w in words_:
        if w not in STOPWORDS and w not in ignore and (len(w) > 1 or w.isdigit()):
            found[w] = found.get(w, 0) + 1
    return found


def index_part(entries: Sequence[Entry], ignore: frozenset[str]) -> IndexPart:
    """The index part of `entries`."""
    local: dict[str, int] = {}
    terms: list[str] = []
    post_entries: list[array[int]] = []
    post_levels: list[bytearray] = []
    post_pairs: list[array[int]] = []
    topical = array("i")
    pair_of: dict[tuple[float, float], int] = {}
    tfs = array("d")
    pair_lengths = array("d")
    lengths = array("d", (entry_length(entry) for entry in entries))
    ex_terms = array("i")
    ex_ends = array("i")
    ex_weights = array("f")
    ex_first = array("i")
    ans_terms = array("i")
    ans_counts = array("B")
    ans_ends = array("i")
    ans_refs = array("i")
    ans_first = array("i")
    answer_numbers: dict[str, int] = {}  # a reused answer's number in the part
    # The terms of a text that is used more than once (answers and titles are often reused
    # word for word), worked out once: folding and splitting is most of the cost.
    reused = _reused_texts(entries)
    known: dict[str, tuple[list[int], list[int]]] = {}
    for index, entry in enumerate(entries):
        best: dict[int, float] = {}
        lowest = math.inf  # the lowest weight in `best`
        about: set[int] = set()
        counts: dict[int, float] = {}
        ex_first.append(len(ex_ends))
        ans_first.append(len(ans_refs))
        for kind, text in _entry_fields(entry):
            weight = FIELD_WEIGHTS[kind]
            found = known.get(text) if text in reused else None
            if found is None:
                ids: list[int] = []
                repeats: list[int] = []
                for word, times in _words_counted(words(fold(text)), ignore).items():
                    term_id = local.get(word)
                    if term_id is None:
                        term_id = local[word] = len(terms)
                        terms.append(word)
                        post_entries.append(array("i"))
                        post_levels.append(bytearray())
                        post_pairs.append(array("i"))
                        topical.append(0)
                    ids.append(term_id)
                    repeats.append(times)
                found = ids, repeats
                if text in reused:
                    known[text] = found
            ids, repeats = found
            share = BM25_FIELDS[kind]
            for term_id, times in zip(ids, repeats, strict=True):
                counts[term_id] = counts.get(term_id, 0.0) + share * times
            if weight <= lowest:
                # Nothing in `best` weighs less: merged at C speed, the terms already
                # there keep their weight (the fields come heaviest first).
                fresh = dict.fromkeys(ids, weight)
                fresh.update(best)
                best, lowest = fresh, weight
            else:
                for term_id in ids:
                    if best.get(term_id, 0.0) < weight:
                        best[term_id] = weight
            if kind == "answer":
                number = answer_numbers.get(text) if text in reused else None
                if number is None:
                    number = len(ans_ends)
                    ans_terms.extend(ids)
                    ans_counts.extend(min(n, 255) for n in repeats)
                    ans_ends.append(len(ans_terms))
                    if text in reused:
                        answer_numbers[text] = number
                ans_refs.append(number)
            elif ids:
                about.update(ids)
                ex_terms.extend(ids)
                ex_ends.append(len(ex_terms))
                ex_weights.append(weight)
        length = lengths[index]
        for term_id, weight in best.items():
            post_entries[term_id].append(index)
            post_levels[term_id].append(_FIELD_LEVELS[weight])
            tf = counts[term_id]
            pair = pair_of.get((tf, length))
            if pair is None:
                pair = pair_of[tf, length] = len(tfs)
                tfs.append(tf)
                pair_lengths.append(length)
            post_pairs[term_id].append(pair)
        for term_id in about:
            topical[term_id] += 1
    flat_entries = array("i")
    flat_pairs = array("i")
    for entry_numbers, pairs in zip(post_entries, post_pairs, strict=True):
        flat_entries.extend(entry_numbers)
        flat_pairs.extend(pairs)
    return IndexPart(
        ids=tuple(entry.id for entry in entries),
        terms=tuple(terms),
        starts=array("i", accumulate(map(len, post_entries), initial=0)),
        entries=flat_entries,
        levels=b"".join(post_levels),
        pairs=flat_pairs,
        tfs=tfs,
        pair_lengths=pair_lengths,
        topical=topical,
        lengths=lengths,
        ex_terms=ex_terms,
        ex_ends=ex_ends,
        ex_weights=ex_weights,
        ex_first=ex_first,
        ans_terms=ans_terms,
        ans_counts=ans_counts,
        ans_ends=ans_ends,
        ans_refs=ans_refs,
        ans_first=ans_first,
    )


def entry_length(entry: Entry) -> float:
    """BM25's length of an entry, counted in characters: known before any text is split into
    words, so each posting gets its final weight in one pass over the parts."""
    return sum(BM25_FIELDS[kind] * len(text) for kind, text in _entry_fields(entry))


class Matcher:
    """An index over a knowledge base's entries; `search` ranks them for a question."""

    def __init__(
        self,
        kb: KnowledgeBase,
        ignore: frozenset[str] = frozenset(),
        parts: Iterable[IndexPart] | None = None,
        lexicon: Callable[[Iterable[str]], Lexicon] = Lexicon,
        lengths: array[float] | None = None,
        ngrams: Callable[[Sequence[str]], NgramSpace] = NgramSpace,
    ) -> None:
        """`parts` are the index parts of `kb`'s entries, in order (see `index_part`), and
        `lengths` each entry's `entry_length`; by default they are worked out here."""
        self.kb = kb
        self.ignore = ignore
        self.entries: list[Entry] = list(kb.entries.values())
        if parts is None:
            parts = (
                index_part(self.entries[i : i + PART_ENTRIES], ignore)
                for i in range(0, len(self.entries), PART_ENTRIES)
            )
        self._ids: dict[str, int] = {}  # term -> term id
        # Postings, in compact arrays: entry indices, field weights in hundredths and BM25's
        # saturated, length-normalised term frequency in 1/255ths, per term id.
        indices: list[array[int]] = []
        weights: list[array[int]] = []
        frequencies: list[array[int]] = []
        # BM25's average length, known before the first posting's saturated frequency is
        # worked out: no temporary copy of a large index's postings.
        if lengths is None:
            lengths = array("d", map(entry_length, self.entries))
        average = (sum(lengths) / len(lengths) if lengths else 0.0) or 1.0
        # How many entries are *about* a term (it is in their questions, title or keywords).
        # Answers often mention a contact such as Innbyggerservice in passing; that must not
        # make the term look common.
        topical: array[int] = array("i")
        examples = self._examples = _Examples()
        answers = self._answers = _Answers()
        # An answer's number by the hash of its terms and counts: entries of other files that
        # have it word for word share it (the bench's large bases reuse a few hundred answers).
        answer_numbers: dict[int, int] = {}
        term_ids = self._ids
        merged_ids: list[str] = []
        # One part at a time: a large knowledge base's parts are never all in memory at once.
        for part in parts:
            # Term ids in order of first appearance across the parts, as one pass over the
            # entries would number them.
            local_ids: list[int] = []
            offset = len(merged_ids)
            if part.lengths != lengths[offset : offset + len(part.ids)]:
                raise ValueError("an index part of other entries")
            saturation = [
                round(_LEVELS * tf / (tf + BM25_K1 * (1 - BM25_B + BM25_B * n / average)))
                for tf, n in zip(part.tfs, part.pair_lengths, strict=True)
            ]
            saturated = bytes(map(saturation.__getitem__, part.pairs))
            numbers = array("i", map(offset.__add__, part.entries)) if offset else part.entries
            levels = part.levels
            starts = part.starts
            for term, start, end, about in zip(
                part.terms, starts[:-1], starts[1:], part.topical, strict=True
            ):
                term_id = term_ids.get(term)
                if term_id is None:
                    term_id = term_ids[term] = len(indices)
                    indices.append(numbers[start:end])
                    weights.append(array("B", levels[start:end]))
                    frequencies.append(array("B", saturated[start:end]))
                    topical.append(about)
                else:
                    indices[term_id].extend(numbers[start:end])
                    weights[term_id].frombytes(levels[start:end])
                    frequencies[term_id].frombytes(saturated[start:end])
                    topical[term_id] += about
                local_ids.append(term_id)
            examples_before, terms_before = len(examples.ends), len(examples.terms)
            examples.first.extend(map(examples_before.__add__, part.ex_first))
            examples.terms.extend(map(local_ids.__getitem__, part.ex_terms))
            examples.ends.extend(map(terms_before.__add__, part.ex_ends))
            examples.field_weights.extend(part.ex_weights)
            self._merge_answers(part, local_ids, answer_numbers)
            merged_ids.extend(part.ids)
        del parts, answer_numbers
        answers.first.append(len(answers.refs))
        if merged_ids != list(kb.entries):
            raise ValueError("the index parts are not the knowledge base's entries")
        count = max(len(self.entries), 1)
        self._lexical_idf = array(
            "d", (math.log(1.0 + (count - len(i) + 0.5) / (len(i) + 0.5)) for i in indices)
        )
        self._idf = array(
            "d",
            (
                math.log(1.0 + count / (about or len(entries)))
                for about, entries in zip(topical, indices, strict=True)
            ),
        )
        self._postings = list(zip(indices, weights, frequencies, strict=True))
        self._unknown_weight = UNKNOWN_WEIGHT * math.log(1.0 + count)
        self.lexicon = lexicon(self._ids)
        self.ngrams = ngrams(list(self._ids))
        examples.first.append(len(examples.ends))
        # Which of an entry's examples hold each term, for the entries questions come close to.
        self._examples_holding = lru_cache(maxsize=EXAMPLE_INDEX_CACHE)(self._index_examples)
        # Each example's total idf, worked out with its entry's first example index.
        self._totals = array("d", bytes(8 * len(examples.ends)))
        self._totalled = bytearray(len(self.entries))
        # The entry's bags of terms and their n-gram norms, for the entries questions come
        # close to.
        self._bags = lru_cache(maxsize=BAG_CACHE)(self._entry_bags)
        self._positions = {entry.id: index for index, entry in enumerate(self.entries)}
        # Per municipality, a byte per entry: 1 where a resident there can get the entry.
        self._scopes: dict[str | None, bytearray] = {None: bytearray(b"\x01" * len(self.entries))}
        for municipality in kb.municipalities:
            allowed = {e.id for e in kb.entries_for(municipality)}
            self._scopes[municipality] = bytearray(e.id in allowed for e in self.entries)
        # Per municipality, the postings of the terms its residents' questions used, cut to
        # the entries they can get: a question then reads only its own municipality's
        # postings (a quarter of a large national index), filled in as terms are first used.
        # A cut that keeps every posting, or none, is shared rather than copied.
        self._scoped: dict[str, dict[int, _Postings]] = {m: {} for m in kb.municipalities}

    def _merge_answers(
        self, part: IndexPart, local_ids: Sequence[int], numbers: dict[int, int]
    ) -> None:
        """Add a part's answers to `_answers`, in the merged term ids; `numbers` holds the
        answers already there by the hash of their terms and counts."""
        answers = self._answers
        merged: list[int] = []  # the number of each of the part's answers
        start = 0
        for end in part.ans_ends:
            ids = array("i", map(local_ids.__getitem__, part.ans_terms[start:end]))
            counts = part.ans_counts[start:end]
            key = hash((ids.tobytes(), counts.tobytes()))
            number = numbers.get(key)
            if number is not None:
                # The same hash is, all but surely, the same answer: checked, not trusted.
                first = answers.ends[number - 1] if number else 0
                after = answers.ends[number]
                if answers.terms[first:after] != ids or answers.counts[first:after] != counts:
                    number = None
            if number is None:
                number = len(answers.ends)
                answers.terms.extend(ids)
                answers.counts.extend(counts)
                answers.ends.append(len(answers.terms))
                numbers.setdefault(key, number)
            merged.append(number)
            start = end
        refs_before = len(answers.refs)
        answers.first.extend(map(refs_before.__add__, part.ans_first))
        answers.refs.extend(map(merged.__getitem__, part.ans_refs))

    def _postings_in(self, municipality: str | None) -> Callable[[int], _Postings]:
        """The postings of a term id, cut to the entries a resident of `municipality` can get
        (all entries for None or an unknown municipality)."""
        scoped = self._scoped.get(municipality) if municipality is not None else None
        if scoped is None:
            return self._postings.__getitem__
        allowed = self._scopes[municipality].__getitem__
        postings = self._postings

        def cut(term_id: int) -> _Postings:
            found = scoped.get(term_id)
            if found is None:
                indices, field_weights, saturated = postings[term_id]
                keep = bytes(map(allowed, indices))
                kept = len(keep) - keep.count(0)
                if kept == len(keep):
                    found = postings[term_id]
                elif not kept:
                    found = _NO_POSTINGS
                else:
                    found = (
                        array("i", compress(indices, keep)),
                        array("B", compress(field_weights, keep)),
                        array("B", compress(saturated, keep)),
                    )
                scoped[term_id] = found
            return found

        return cut

    def unknown_weight(self, word: str) -> float:
        """The weight of a word the knowledge base has never seen."""
        low, high = UNKNOWN_SCALE
        scale = min(max(len(word) / UNKNOWN_TYPICAL_LENGTH, low), high)
        return self._unknown_weight * scale

    def analyse(self, words_: Sequence[str], compounds: bool = True) -> list[QueryTerm]:
        """Expand content words into weighted query terms.

        A term weighs as much as the knowledge-base term it most resembles (the least specific
        of equally close ones), so "korona" weighs as "korona", not as its rare compounds.
        """
        result: list[QueryTerm] = []
        for word in words_:
            for group in self.lexicon.expand(word, compounds):
                expansions = {self._ids[term]: sim for term, sim in group}
                if expansions:
                    closest = max(expansions.values())
                    nearest = [t for t, s in expansions.items() if s == closest]
                    weight = min(self._idf[t] for t in nearest)
                    lexical = min(self._lexical_idf[t] for t in nearest)
                else:
                    weight = lexical = self.unknown_weight(word)
                result.append(QueryTerm(expansions, weight, lexical))
        return result

    def search(
        self,
        words_: Sequence[str],
        municipality: str | None = None,
        limit: int = 5,
        compounds: bool = True,
    ) -> list[Candidate]:
        """Rank the entries for `municipality` (all entries when None) for these content words."""
        return self.rank(words_, municipality, limit, compounds).candidates

    def rank(
        self,
        words_: Sequence[str],
        municipality: str | None = None,
        limit: int = 5,
        compounds: bool = True,
    ) -> Ranking:
        """The question's terms and the best entries for `municipality` (all when None)."""
        query = self.analyse(words_, compounds)
        if not query or not any(q.expansions for q in query):
            return Ranking(query, [])
        postings_of = self._postings_in(municipality)
        total = sum(q.weight for q in query)
        # coverage[i] = sum over query terms of weight * (best similarity x field weight in i).
        lexical_total = sum(q.lexical_weight for q in query)
        # mixed[i] = the coverage and lexical parts of entry i's relevance, summed over the
        # query terms in one pass over their postings (one sum per posting, not two: the cost
        # per question is this loop). Each shortlisted entry's signals are then worked out.
        mixed = [0.0] * len(self.entries)
        # The entries the postings reach, in the order they are first reached (the shortlist's
        # order among equal sums): merged a term at a time at C speed, not a posting at a time.
        touched: dict[int, None] = {}
        coverage_unit = COVERAGE_SHARE / total / _FIELD_SCALE
        lexical_unit = LEXICAL_SHARE / lexical_total / _LEVELS
        for term in query:
            by_field = term.weight * coverage_unit
            by_tf = term.lexical_weight * lexical_unit
            if len(term.expansions) == 1:
                ((term_id, sim),) = term.expansions.items()
                indices, field_weights, saturated = postings_of(term_id)
                touched |= dict.fromkeys(indices)
                # The products are taken by map at C speed; the loop only adds them up.
                for index, by_weight, by_frequency in zip(
                    indices,
                    map(mul, repeat(by_field * sim), field_weights),
                    map(mul, repeat(by_tf * sim), saturated),
                    strict=True,
                ):
                    mixed[index] += by_weight + by_frequency
                continue
            best: dict[int, float] = {}
            for term_id, sim in term.expansions.items():
                indices, field_weights, saturated = postings_of(term_id)
                for index, by_weight, by_frequency in zip(
                    indices,
                    map(mul, repeat(by_field * sim), field_weights),
                    map(mul, repeat(by_tf * sim), saturated),
                    strict=True,
                ):
                    value = by_weight + by_frequency
                    if value > best.get(index, 0.0):
                        best[index] = value
            touched |= dict.fromkeys(best)
            for index, value in best.items():
                mixed[index] += value
        shortlist = heapq.nlargest(RESCORE_TOP, touched, key=mixed.__getitem__)
        weights = [term.weight for term in query]
        by_term: dict[int, list[tuple[int, float]]] = {}
        for query_position, term in enumerate(query):
            for term_id, sim in term.expansions.items():
                by_term.setdefault(term_id, []).append((query_position, sim))
        # Per term id: its idf times its best similarity to a query word (what an example
        # holding it gains), and its (query position, similarity) pairs; once per question.
        idf = self._idf
        scored = [
            (term_id, idf[term_id] * max(sim for _, sim in hits), hits)
            for term_id, hits in by_term.items()
        ]
        signals = []
        fit_share = 1.0 - COVERAGE_SHARE - LEXICAL_SHARE
        for index in shortlist:
            covered, matched = self._signals(query, index)
            share = covered / total
            fit = self._example_fit(weights, total, index, scored)
            lex = matched / lexical_total
            relevance = COVERAGE_SHARE * share + fit_share * fit + LEXICAL_SHARE * lex
            signals.append((fit >= EXAMPLE_AS_WRITTEN, relevance, index, share, fit, lex))
        # A question that is one of an entry's examples as written (up to stopwords, typos
        # and inflections) is what staff said that entry answers: it comes first. The best
        # by relevance are then ordered with their n-gram cosines.
        signals.sort(key=lambda found: (found[0], found[1]), reverse=True)
        grams = self.ngrams.query(words_)
        scale = 100.0 / (1.0 + NGRAM_SHARE + NGRAM_ANSWER_SHARE)
        candidates = []
        for rank, (_, relevance, index, share, fit, lex) in enumerate(signals):
            ngram = ngram_answer = 0.0
            if rank < RERANK_TOP:
                topical, topical_norm, answer, answer_norm = self._bags(index)
                ngram = grams.cosine(topical, topical_norm)
                ngram_answer = grams.cosine(answer, answer_norm)
            order = relevance + NGRAM_SHARE * ngram + NGRAM_ANSWER_SHARE * ngram_answer
            score = 100.0 * (SCORE_COVERAGE_SHARE * share + (1 - SCORE_COVERAGE_SHARE) * fit)
            candidates.append(
                Candidate(
                    self.entries[index],
                    score,
                    share,
                    fit,
                    lex,
                    100.0 * relevance,
                    ngram,
                    ngram_answer,
                    scale * order,
                )
            )
        candidates.sort(key=lambda c: (c.example_fit >= EXAMPLE_AS_WRITTEN, c.order), reverse=True)
        return Ranking(query, candidates[:limit], grams)

    def bags(self, entry: Entry) -> tuple[Bag, float, Bag, float]:
        """The entry's terms with their counts, in its example questions, titles and keywords
        and in its answers, each with the norm of its n-gram vector."""
        return self._bags(self._positions[entry.id])

    def _entry_bags(self, entry_index: int) -> tuple[Bag, float, Bag, float]:
        """The entry's terms with their counts, in its example questions, titles and keywords
        and in its answers, each bag with the norm of its n-gram vector."""
        examples = self._examples
        first, after = examples.first[entry_index], examples.first[entry_index + 1]
        start = examples.ends[first - 1] if first else 0
        end = examples.ends[after - 1] if after > first else start
        counted = Counter(examples.terms[start:end])
        topical = (array("i", counted.keys()), array("i", counted.values()))
        said: dict[int, float] = {}
        answers = self._answers
        ends = answers.ends
        for number in answers.refs[answers.first[entry_index] : answers.first[entry_index + 1]]:
            first, after = ends[number - 1] if number else 0, ends[number]
            ids, counts = answers.terms[first:after], answers.counts[first:after]
            add_into(said, dict(zip(ids, counts, strict=True)))
        answer = (array("i", said.keys()), array("i", map(int, said.values())))
        norm = self.ngrams.norm
        return topical, norm(topical), answer, norm(answer)

    def _signals(self, query: Sequence[QueryTerm], entry_index: int) -> tuple[float, float]:
        """Entry `entry_index`'s coverage and BM25 sums for the query: for each term, its
        weight times the best (similarity x field weight), and the best (similarity x
        saturated term frequency), over the terms it may stand for."""
        covered = matched = 0.0
        for term in query:
            best_field = best_tf = 0.0
            for term_id, sim in term.expansions.items():
                indices, field_weights, saturated = self._postings[term_id]
                # Postings are in entry order: found by bisection.
                at = bisect_left(indices, entry_index)
                if at < len(indices) and indices[at] == entry_index:
                    best_field = max(best_field, sim * field_weights[at])
                    best_tf = max(best_tf, sim * saturated[at])
            covered += term.weight * best_field / _FIELD_SCALE
            matched += term.lexical_weight * best_tf / _LEVELS
        return covered, matched

    def topical_terms(self, entry: Entry) -> KeysView[int]:
        """The term ids of an entry's example questions, title and keywords: what it is about
        (for the answer confidence)."""
        return self._examples_holding(self._positions[entry.id]).keys()

    def _index_examples(self, entry_index: int) -> dict[int, tuple[int, ...]]:
        """For each term of an entry's examples, the numbers of the examples that hold it.

        The first time, also each example's total idf: worked out for the entries questions
        come close to, rather than for all of a large knowledge base's examples at each load,
        and kept (unlike this index, which is rebuilt when it falls out of its cache)."""
        examples = self._examples
        first, after = examples.first[entry_index], examples.first[entry_index + 1]
        holding: dict[int, list[int]] = {}
        start = examples.ends[first - 1] if first else 0
        terms = examples.terms
        totals = None if self._totalled[entry_index] else self._totals
        idf = self._idf
        for number, end in enumerate(examples.ends[first:after]):
            example = terms[start:end]
            if totals is not None:
                totals[first + number] = sum(map(idf.__getitem__, example))
            for term_id in example:
                found = holding.get(term_id)
                if found is None:
                    holding[term_id] = [number]
                else:
                    found.append(number)
            start = end
        self._totalled[entry_index] = 1
        # Most terms are in one example: those share one tuple per example number.
        single = _SINGLE_EXAMPLE
        return {
            term_id: single[numbers[0]]
            if len(numbers) == 1 and numbers[0] < len(single)
            else tuple(numbers)
            for term_id, numbers in holding.items()
        }

    def _example_fit(
        self,
        weights: Sequence[float],
        total: float,
        entry_index: int,
        scored: Sequence[tuple[int, float, Sequence[tuple[int, float]]]],
    ) -> float:
        """The best weighted F-score between the question and one of the entry's examples.

        `scored` holds each term id the question may stand for, its idf times its best
        similarity, and its (query position, similarity) pairs. Only the examples that share
        a term with the question are visited.
        """
        examples = self._examples
        first = examples.first[entry_index]  # the entry's examples are numbered from here
        holding = self._examples_holding(entry_index)
        totals = self._totals
        # Per example: its matched weight, and each query position's best similarity in it.
        matched_examples: dict[int, float] = {}
        tops_of: dict[int, dict[int, float]] = {}
        for term_id, gained, hits in scored:
            numbers = holding.get(term_id)
            if numbers is None:
                continue
            for number in numbers:
                matched_examples[number] = matched_examples.get(number, 0.0) + gained
                tops = tops_of.setdefault(number, {})
                for query_position, sim in hits:
                    if sim > tops.get(query_position, 0.0):
                        tops[query_position] = sim
        best = 0.0
        for number, tops in tops_of.items():
            matched_query = 0.0
            for query_position, weight in enumerate(weights):
                found = tops.get(query_position)
                if found:
                    matched_query += weight * found
            if not matched_query:
                continue
            precision = matched_query / total
            recall = matched_examples[number] / totals[first + number]
            if precision + recall:
                fit = 2 * precision * recall / (precision + recall)
                best = max(best, fit * examples.field_weights[first + number])
        return best
