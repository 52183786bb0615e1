"""Character n-gram similarity between a question and an entry's words.

Residents write words the knowledge base has in another form: an inflection the suffix list
lacks, a dialect spelling, a compound split differently, a typo in a short word. Character
n-grams (3 to 5 letters of each word padded with spaces) see those as near the same word
without a rule for each. Each n-gram weighs by how rare it is among the knowledge base's words
(an ending such as "en " is in thousands of words, a stem in a few), so the similarity is
relative to the knowledge base and needs no refit when staff edit it.

An entry's words are kept as bags of the matcher's term ids (its example questions, title and
keywords; its answers), so an entry's n-gram vector is the sum of its terms' vectors. Its cosine
with the question is then a sum over the entry's terms of one number per term and question,
worked out once per question for the terms of the few candidates the matcher shortlists.
Norms treat an entry's (and a question's) different words as sharing no n-gram: a close bound
that needs no vector per entry, whose cost at 10,000 entries would be the index's.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import repeat
from operator import add, mul
from typing import Any, Final, TypeVar

_K = TypeVar("_K")

NGRAM_SIZES: Final = (3, 4, 5)
# A question's word counts towards a term whose n-gram cosine with it is at least this: below,
# they share an ending or a syllable, not a meaning.
MIN_WORD_COSINE: Final = 0.05
# N-grams held by more terms than this are not looked up: they weigh little (an ending, a
# common syllable), and it bounds the cost of a word at any size of knowledge base.
COMMON_TERMS: Final = 150
# A word counts towards this many terms at most, the nearest: in a large knowledge base a word
# may share a syllable with thousands (and a question's cost and memory are bounded).
MAX_NEAR: Final = 30
# Questions' words whose near terms are kept: residents' words repeat (a word's take about half
# a kilobyte, as arrays).
WORD_CACHE: Final = 2048

# A bag of terms: the term ids and their counts, as compact arrays (an entry's bags are kept
# for the entries questions come close to; dicts took five times the memory).
Bag = tuple["array[int]", "array[int]"]


def word_grams(word: str) -> dict[str, int]:
    """The character n-grams of one folded word padded with spaces, with their counts."""
    padded = f" {word} "
    found: dict[str, int] = {}
    for size in NGRAM_SIZES:
        for start in range(len(padded) - size + 1):
            gram = padded[start : start + size]
            found[gram] = found.get(gram, 0) + 1
    return found


def add_into(total: dict[_K, float], more: Mapping[_K, float]) -> None:
    """Add `more` into `total`, key by key."""
    overlap = total.keys() & more.keys()
    before = {key: total[key] for key in overlap}
    total.update(more)
    for key, value in before.items():
        total[key] += value


class QueryGrams:
    """A question's similarity to each knowledge-base term it resembles, for cosines."""

    __slots__ = ("_norms", "norm", "similar", "words")

    def __init__(self, space: NgramSpace, words: Iterable[str]) -> None:
        # Per term, the dot product of its vector with the question's: the words' own dot
        # products added up (merged at C speed; few terms are near two words of a question).
        similar: dict[int, float] = {}
        # Per word: the terms near it with their dot products, and its squared norm.
        self.words: list[tuple[dict[int, float], float]] = []
        self._norms = space.term_norms
        total = 0.0
        for word in words:
            near, squared = space.similar(word)
            add_into(similar, near)
            total += squared
            self.words.append((near, squared))
        self.similar = similar
        self.norm = math.sqrt(total)

    def word_fits(self, bag: Bag) -> list[float]:
        """Per word of the question, its best word cosine with a term of the bag (0 if none)."""
        fits = []
        norms = self._norms
        ids = bag[0]
        for near, squared in self.words:
            shared = near.keys() & ids
            if not shared or not squared:
                fits.append(0.0)
                continue
            best = max(near[t] / math.sqrt(norms[t]) for t in shared)
            fits.append(best / math.sqrt(squared))
        return fits

    def cosine(self, bag: Bag, norm: float) -> float:
        """The cosine between the question and a bag of terms whose vector has this norm."""
        if not norm or not self.norm or not self.similar:
            return 0.0
        similar = self.similar
        ids, counts = bag
        # Over the smaller of the two: a long word of a large knowledge base is near many.
        dot: float
        if len(ids) < len(similar):
            dot = sum(map(mul, counts, map(similar.get, ids, repeat(0.0))))
        else:
            get = dict(zip(ids, counts, strict=True)).get
            dot = sum(map(mul, similar.values(), map(get, similar.keys(), repeat(0.0))))
        return dot / (norm * self.norm)


class NgramSpace:
    """The n-gram weights of a knowledge base's vocabulary (the matcher's terms, by id), and
    which terms hold each n-gram."""

    def __init__(self, terms: Sequence[str]) -> None:
        frequency: dict[str, int] = {}
        for term in terms:
            for gram in word_grams(term):
                frequency[gram] = frequency.get(gram, 0) + 1
        count = max(len(terms), 1)
        # Each n-gram's number, and its weight by number: compact arrays, not a float object
        # and an array object per n-gram (that took 5 MB at 10,000 entries).
        self._grams = {gram: number for number, gram in enumerate(frequency)}
        self._idf = array("d", (math.log(1.0 + count / n) for n in frequency.values()))
        # An n-gram no term has is as rare as can be.
        self._unseen = math.log(1.0 + count)
        # The terms that hold each n-gram, but for the common ones; a term that holds one
        # twice or more ("anna": " an", "nna", "ann" once, "an" twice) is in `repeated`.
        holding: dict[int, list[int]] = {}
        repeated: dict[int, list[tuple[int, int]]] = {}
        norms = self._norms = array("d")
        idf, numbers = self._idf, self._grams
        for term_id, term in enumerate(terms):
            squared = 0.0
            for gram, n in word_grams(term).items():
                number = numbers[gram]
                squared += (n * idf[number]) ** 2
                if frequency[gram] <= COMMON_TERMS:
                    if n == 1:
                        holding.setdefault(number, []).append(term_id)
                    else:
                        repeated.setdefault(number, []).append((term_id, n))
            norms.append(squared)
        # `holding` as one array of term ids, each n-gram's from starts[number] on.
        starts = self._starts = array("i", repeat(0, len(numbers) + 1))
        held = self._held = array("i")
        for number in range(len(numbers)):
            held.extend(holding.get(number, ()))
            starts[number + 1] = len(held)
        self._repeated = repeated
        # Each term's squared norm, by id.
        self.term_norms: Sequence[float] = norms
        self._near = lru_cache(maxsize=WORD_CACHE)(self._nearest)

    def to_plain(self) -> tuple[Any, ...]:
        """The space as plain data (for a cache record)."""
        arrays = (self._idf, self._norms, self._starts, self._held)
        return (tuple(self._grams), *(a.tobytes() for a in arrays), self._unseen, self._repeated)

    @classmethod
    def from_plain(cls, data: Any, terms: int) -> NgramSpace:
        """The space `to_plain` gave for `terms` terms; ValueError or TypeError when `data`
        is not one."""
        grams, idf, norms, starts, held, unseen, repeated = data
        space = cls(())
        space._grams = {gram: number for number, gram in enumerate(grams)}
        space._idf.frombytes(idf)
        space._norms.frombytes(norms)
        space._starts = array("i")
        space._starts.frombytes(starts)
        space._held.frombytes(held)
        if not (
            isinstance(unseen, float)
            and isinstance(repeated, dict)
            and len(space._grams) == len(grams) == len(space._idf)
            and len(space._starts) == len(grams) + 1
            and space._starts[-1] == len(space._held)
            and len(space._norms) == terms
        ):
            raise ValueError("not an n-gram space")
        space._unseen = unseen
        space._repeated = repeated
        return space

    def idf(self, gram: str) -> float:
        number = self._grams.get(gram)
        return self._unseen if number is None else self._idf[number]

    def similar(self, word: str) -> tuple[dict[int, float], float]:
        """The terms whose n-gram vector has a cosine of at least MIN_WORD_COSINE with the
        word's (the MAX_NEAR nearest), each with the dot product of the two; and the word's
        squared norm."""
        ids, dots, squared = self._near(word)
        return dict(zip(ids, dots, strict=True)), squared

    def _nearest(self, word: str) -> tuple[array[int], array[float], float]:
        """`similar` as arrays, for the cache."""
        # The word's n-grams the knowledge base has, by number, with their weights; `every`
        # holds the weights of all, in order, for the word's norm.
        weights: dict[int, float] = {}
        every = []
        numbers, idf = self._grams, self._idf
        for gram, n in word_grams(word).items():
            number = numbers.get(gram)
            if number is None:
                every.append(n * self._unseen)
            else:
                every.append(weight := n * idf[number])
                weights[number] = weight
        dots: dict[int, float] = {}
        get = dots.get
        starts, held, repeated = self._starts, self._held, self._repeated
        for number, weight in weights.items():
            gained = weight * idf[number]
            first, after = starts[number], starts[number + 1]
            if first < after:
                terms = held[first:after]
                # Each term is once in `terms`: read all, then write all, at C speed.
                values = map(add, map(get, terms, repeat(0.0)), repeat(gained))
                dots.update(zip(terms, values, strict=False))
            for term_id, n in repeated.get(number, ()):
                dots[term_id] = get(term_id, 0.0) + n * weight * idf[number]
        squared = sum(x * x for x in every)
        norms = self._norms
        least = MIN_WORD_COSINE * MIN_WORD_COSINE * squared
        # dot / sqrt(squared * norm) >= MIN_WORD_COSINE, without the square roots.
        near = {t: dot for t, dot in dots.items() if dot * dot >= least * norms[t]}
        if len(near) > MAX_NEAR:
            # The nearest only (dot^2 / norm is the squared cosine times the word's norm).
            kept = heapq.nlargest(MAX_NEAR, near, key=lambda t: near[t] * near[t] / norms[t])
            near = {t: near[t] for t in kept}
        return array("i", near.keys()), array("d", near.values()), squared

    def norm(self, bag: Bag) -> float:
        """The norm of a bag's vector, its terms taken as sharing no n-gram."""
        ids, counts = bag
        squares = map(mul, counts, counts)
        return math.sqrt(sum(map(mul, squares, map(self._norms.__getitem__, ids))))

    def query(self, words: Iterable[str]) -> QueryGrams:
        return QueryGrams(self, words)
