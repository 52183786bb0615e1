"""The learned part: a logistic regression over `features`, shipped as a JSON file of weights.

Fitting needs scikit-learn (`python -m bot emergency fit`); scoring needs only a dot product.
"""

from __future__ import annotations

import enum
import itertools
import json
import math
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.answering.emergency.features import (
    CONCEPT_REACH,
    LENGTH_BUCKETS,
    MAX_WORD_CHARS,
    WINDOW_WORDS,
    context_features,
    windows,
    word_features,
)

MODEL_FORMAT = 1


class DetectorDataError(ValueError):
    """A data file of a detector (emergency, help request, small talk) is missing or malformed."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def _sigmoid(x: float) -> float:
    if x < -30.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


class EmergencyLevel(enum.IntEnum):
    """How sure the detector is that someone is in danger now."""

    NONE = 0
    MEDIUM = 1  # the normal reply, with the emergency numbers as its first line
    HIGH = 2  # the full emergency reply, before anything else


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Where the fused score turns into a reply level (fitted with the weights)."""

    high: float  # the full emergency reply
    medium: float  # the one-line warning above the normal reply

    def level(self, score: float, rule_matched: bool, danger: bool = True) -> EmergencyLevel:
        """The reply level: a concept rule that matched always gives at least the warning, and
        a message with no word of danger at all (a phone number, a street name) nothing."""
        if not danger:
            return EmergencyLevel.NONE
        if score >= self.high:
            return EmergencyLevel.HIGH
        if score >= self.medium or rule_matched:
            return EmergencyLevel.MEDIUM
        return EmergencyLevel.NONE


@dataclass(frozen=True, slots=True)
class Fusion:
    """How the model's probability and the concept rules combine into one score.

    A logistic regression over the model's log-odds and whether a concept rule matched,
    fitted on out-of-fold probabilities. The model has already weighed each rule (its rules
    are features); this adds the rules' vote once more, so that a rule still counts when the
    model has never seen anything like the message.
    """

    model: float
    rule: float
    bias: float

    def score(self, probability: float, rule_matched: bool) -> float:
        """The fused score, 0 to 1."""
        clipped = min(max(probability, 1e-6), 1 - 1e-6)
        total = self.bias + self.model * math.log(clipped / (1 - clipped))
        return _sigmoid(total + (self.rule if rule_matched else 0.0))


_NO_POSITIONS: tuple[int, ...] = ()
_Sums = tuple[int, float, tuple[int, ...]]  # how many features, their weight, the known positions


@dataclass(frozen=True, slots=True)
class _Message:
    """For each word of a message: its own and its concepts' features, the pair with the next
    word if the model knows it, and the pairs of its concepts with those of the next words."""

    own: list[_Sums]
    bigrams: list[_Sums | None]
    concept_pairs: list[list[tuple[int, _Sums]]]
    words: list[str]
    full_n: list[int]
    full_w: list[float]


def _ignore(_: object) -> None:
    """Stands in for list.append where nothing is kept."""


class LinearModel:
    """Scores how likely a message describes an emergency now, and which kind."""

    def __init__(
        self,
        index: Mapping[str, int],
        weights: Sequence[float],
        bias: float,
        situations: Sequence[str],
        situation_weights: Sequence[Sequence[float]],
        situation_bias: Sequence[float],
        thresholds: Thresholds,
        fusion: Fusion,
        info: Mapping[str, Any],
    ) -> None:
        self.index = dict(index)
        self.weights = array("d", weights)
        self.weight_list = list(self.weights)
        # The weight of each feature by name: the one lookup scoring a word needs.
        self.weight_of = {name: self.weights[position] for name, position in self.index.items()}
        # The weights of word pairs by their first word, then the second: most words begin no
        # pair the model knows, so they carry no pair weight and no pair's name is built.
        self.pair_weights: dict[str, dict[str, float]] = {}
        for name, weight in self.weight_of.items():
            if name.startswith("b:"):
                first, _, second = name[2:].partition(" ")
                self.pair_weights.setdefault(first, {})[second] = weight
        self.bias = bias
        self.situations = tuple(situations)
        # Each kind's weights in a column of their own: a kind's sum is one pass in C.
        self.kinds = len(situations)
        self.kind_columns = [array("d", row) for row in situation_weights]
        self.situation_bias = tuple(situation_bias)
        self.thresholds = thresholds
        self.fusion = fusion
        self.info = dict(info)
        # Words repeat from message to message: their features are summed once.
        self._cached_word = lru_cache(maxsize=1 << 16)(self._word)
        self._cached_situations = lru_cache(maxsize=1 << 12)(self._word_situations)
        self._cached_concepts = lru_cache(maxsize=1 << 12)(self._concepts)
        self._cached_pairs = lru_cache(maxsize=1 << 15)(self._concept_pairs)

    def _word(self, word: str) -> tuple[int, float, tuple[int, ...]]:
        """A word's own features: how many, their weight, and the positions of those the
        model knows (the only ones that carry weight)."""
        return self._known(word_features(word))

    def _word_situations(self, word: str) -> tuple[float, ...] | None:
        """The weight of a word's own features for each kind of emergency; None for a word
        none of whose features the model knows (it carries no weight)."""
        known = self._cached_word(word)[2]
        return self._kinds(known) if known else None

    def _known(self, found: list[str]) -> tuple[int, float, tuple[int, ...]]:
        """How many features these are, their weight, and the positions of the known ones."""
        # A tuple of the index's own ints and a list of boxed weights: nothing is allocated
        # per known feature.
        known = tuple([p for p in map(self.index.get, found) if p is not None])
        return len(found), sum(map(self.weight_list.__getitem__, known)), known

    def _concepts(self, names: tuple[str, ...]) -> tuple[int, float, tuple[int, ...]]:
        """The features of a word's concepts ("c:breathe")."""
        return self._known(["c:" + name for name in names])

    def _concept_pairs(
        self, names: tuple[str, ...], later: tuple[str, ...]
    ) -> tuple[int, float, tuple[int, ...]]:
        """The features of the concepts of two words near each other ("p:breathe|not")."""
        return self._known(
            [
                f"p:{name}|{other}" if name < other else f"p:{other}|{name}"
                for name in names
                for other in later
                if other != name
            ]
        )

    def _kinds(self, known: Sequence[int]) -> tuple[float, ...]:
        """The weights of the features at these positions summed for each kind."""
        if not known:
            return (0.0,) * self.kinds
        return tuple(sum(map(column.__getitem__, known)) for column in self.kind_columns)

    def _context(
        self,
        words: Sequence[str],
        concepts: Sequence[Sequence[str]],
        rules: Sequence[str],
        positions: bool = True,
    ) -> tuple[int, float, list[tuple[int, ...]]]:
        """The context features of one window (`context_features`) without building the names
        of those the model cannot know: how many, their weight, the positions of known ones.

        Words begin few pairs the model knows, and the concepts of a word and of two words
        near each other repeat from message to message: their sums are kept. Without
        `positions`, only how many and their weight (the kinds need the positions)."""
        count, total, known = self._known(context_features(words, (), rules, pairs=False))
        found = [known]
        add = found.append if positions else _ignore
        # Every pair of neighbouring words is a feature; only the known ones add weight.
        count += max(len(words) - 1, 0)
        pairs = self.pair_weights.get
        cut = [each[:MAX_WORD_CHARS] for each in words]
        for previous, each in itertools.pairwise(cut):
            following = pairs(previous)
            if following is not None:
                weight = following.get(each)
                if weight is not None:
                    total += weight
                    if positions:
                        add((self.index[f"b:{previous} {each}"],))
        alone, near = self._cached_concepts, self._cached_pairs
        # The concepts of a word come as tuples (`ConceptRules.concepts_of`): keys as they are.
        keys = [names if isinstance(names, tuple) else tuple(names) for names in concepts]
        for position, key in enumerate(keys):
            if not key:
                continue
            n, weight, known = alone(key)
            count += n
            total += weight
            add(known)
            for later in keys[position + 1 : position + 1 + CONCEPT_REACH]:
                if later:
                    n, weight, known = near(key, later)
                    count += n
                    total += weight
                    add(known)
        return count, total, found

    def prepare(self, words: Sequence[str], concepts: Sequence[Sequence[str]]) -> _Message | None:
        """What each word of a message brings to the features of a window (`features`),
        worked out once for a message of several windows: they overlap, and the kinds reuse
        it. None for a message of one window, scored in one pass (`_context`)."""
        if len(words) <= WINDOW_WORDS:
            return None
        word, alone, near = self._cached_word, self._cached_concepts, self._cached_pairs
        pairs = self.pair_weights.get
        cut = [each[:MAX_WORD_CHARS] for each in words]
        # The concepts of a word come as tuples (`ConceptRules.concepts_of`): keys as they are.
        keys = [names if isinstance(names, tuple) else tuple(names) for names in concepts]
        own: list[_Sums] = []
        listed: list[str] = []
        bigrams: list[_Sums | None] = []
        concept_pairs: list[list[tuple[int, _Sums]]] = []
        for position, each in enumerate(words):
            n, weight, _ = word(each)
            key = keys[position]
            if key:
                # The word's concepts' features; the positions of the word's own features
                # are not needed here (the kinds sum them per word, `_cached_situations`).
                n_c, weight_c, known_c = alone(key)
                own.append((n + n_c, weight + weight_c, known_c))
            else:
                own.append((n, weight, _NO_POSITIONS))
            listed.append(each)
            # The pair with the next word: a feature whatever it is, with weight if known.
            bigram: _Sums | None = None
            if position + 1 < len(words):
                following = pairs(cut[position])
                second = cut[position + 1]
                if following is not None and second in following:
                    index = self.index[f"b:{cut[position]} {second}"]
                    bigram = (1, following[second], (index,))
            bigrams.append(bigram)
            near_pairs = []
            if key:
                for later in range(position + 1, min(position + 1 + CONCEPT_REACH, len(words))):
                    if keys[later]:
                        near_pairs.append((later, near(key, keys[later])))
            concept_pairs.append(near_pairs)
        # What each word brings when its window goes on past its pairs (all but the last few
        # words of a window): summed over a window at once.
        full_n = [n for n, _, _ in own]
        full_w = [w for _, w, _ in own]
        for position in range(len(words)):
            pair = bigrams[position]
            if pair is not None:
                full_w[position] += pair[1]
            for _, (n, weight, _) in concept_pairs[position]:
                full_n[position] += n
                full_w[position] += weight
        return _Message(own, bigrams, concept_pairs, listed, full_n, full_w)

    def _window(
        self,
        message: _Message,
        start: int,
        end: int,
        rules: Sequence[str],
        positions: bool = True,
    ) -> tuple[int, float, list[tuple[int, ...]]]:
        """How many features a window of a message has, their weight, and the positions of
        the known ones: the same as `features` of the window's words."""
        fixed = ["r:" + rule for rule in rules]
        fixed.append(f"n:{min(end - start, LENGTH_BUCKETS)}")
        count, total, known = self._known(fixed)
        found = [known]
        # Every pair of neighbouring words in the window is a feature.
        count += max(end - start - 1, 0)
        if not positions:
            count += sum(message.full_n[start:end])
            total += sum(message.full_w[start:end])
            # The last words' pairs with words past the window do not count.
            for position in range(max(start, end - CONCEPT_REACH), end):
                bigram = message.bigrams[position]
                if bigram is not None and position + 1 >= end:
                    total -= bigram[1]
                for later, (n, weight, _) in message.concept_pairs[position]:
                    if later >= end:
                        count -= n
                        total -= weight
            return count, total, found
        for position in range(start, end):
            n, weight, places = message.own[position]
            count += n
            total += weight
            found.append(places)
            bigram = message.bigrams[position]
            if bigram is not None and position + 1 < end:
                total += bigram[1]
                found.append(bigram[2])
            for later, (n, weight, places) in message.concept_pairs[position]:
                if later < end:
                    count += n
                    total += weight
                    found.append(places)
        return count, total, found

    def probability(
        self,
        words: Sequence[str],
        concepts: Sequence[Sequence[str]],
        rules: Sequence[str],
        message: _Message | None = None,
    ) -> float:
        """The probability that the message describes an emergency: its most alarming window.

        `concepts` holds the names of the concepts of each word (`ConceptRules.concepts_of`),
        `rules` the concept rules that match the whole message; `message` is what `prepare`
        gave for the same words and concepts, if the caller kept it.
        """
        if len(words) <= WINDOW_WORDS:
            count, total, _ = self._context(words, concepts, rules, positions=False)
            for each in words:
                n, weight, _ = self._cached_word(each)
                count += n
                total += weight
            return _sigmoid(self.bias + total / math.sqrt(count)) if count else 0.0
        if message is None:
            message = self.prepare(words, concepts)
        assert message is not None  # a message of several windows
        best = 0.0
        for window in windows(len(words)):
            end = min(window.stop, len(words))
            count, total, _ = self._window(message, window.start, end, rules, positions=False)
            if count:
                best = max(best, _sigmoid(self.bias + total / math.sqrt(count)))
        return best

    def best_situation(
        self,
        words: Sequence[str],
        concepts: Sequence[Sequence[str]],
        rules: Sequence[str],
        message: _Message | None = None,
    ) -> str:
        """The most likely kind of emergency of the window where it is likeliest."""
        if len(words) <= WINDOW_WORDS:
            return self.situation(words, concepts, rules)[0]
        if message is None:
            message = self.prepare(words, concepts)
        assert message is not None  # a message of several windows
        found = [
            self._situation_of(message, w.start, min(w.stop, len(words)), rules)
            for w in windows(len(words))
        ]
        return max(found, key=lambda each: each[1])[0]

    def situation(
        self, words: Sequence[str], concepts: Sequence[Sequence[str]], rules: Sequence[str]
    ) -> tuple[str, float]:
        """The most likely kind of emergency, and its probability among the kinds."""
        count, _, known = self._context(words, concepts, rules)
        count += sum(self._cached_word(each)[0] for each in words)
        return self._kind_of(count, known, words)

    def _situation_of(
        self, message: _Message, start: int, end: int, rules: Sequence[str]
    ) -> tuple[str, float]:
        """The likeliest kind in one window of a message, and its probability among them."""
        count, _, known = self._window(message, start, end, rules)
        return self._kind_of(count, known, message.words[start:end])

    def _kind_of(
        self, count: int, known: list[tuple[int, ...]], words: Sequence[str]
    ) -> tuple[str, float]:
        """The likeliest kind, given how many features a window has, the positions of its
        known context features, and its words (their own features' kinds are kept per word)."""
        found = [self._kinds([p for part in known for p in part])]
        kinds_of = self._cached_situations
        for each in words:
            sums_of_word = kinds_of(each)
            if sums_of_word is not None:
                found.append(sums_of_word)
        sums: list[float] = list(map(sum, zip(*found, strict=True)))
        scale = 1.0 / math.sqrt(count) if count else 0.0
        scores = [b + scale * s for b, s in zip(self.situation_bias, sums, strict=True)]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        best = max(range(len(scores)), key=scores.__getitem__)
        return self.situations[best], exps[best] / sum(exps)

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        """Read a model written by `python -m bot emergency fit`."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise DetectorDataError(path, f"cannot read it ({error.strerror})") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise DetectorDataError(path, f"not valid JSON ({error})") from None
        try:
            if data["format"] != MODEL_FORMAT:
                raise DetectorDataError(path, f"format {data['format']!r}, expected 1")
            names = data["features"]
            weights = data["weights"]
            situations = data["situations"]
            situation_weights = data["situation_weights"]
            if len(weights) != len(names) or any(
                len(row) != len(names) for row in situation_weights
            ):
                raise DetectorDataError(path, "weights and features differ in length")
            if len(situation_weights) != len(situations):
                raise DetectorDataError(path, "one row of situation weights per situation")
            t = data["thresholds"]
            thresholds = Thresholds(float(t["high"]), float(t["medium"]))
            f = data["fusion"]
            fusion = Fusion(float(f["model"]), float(f["rule"]), float(f["bias"]))
            return cls(
                {name: position for position, name in enumerate(names)},
                [float(w) for w in weights],
                float(data["bias"]),
                [str(s) for s in situations],
                [[float(w) for w in row] for row in situation_weights],
                [float(b) for b in data["situation_bias"]],
                thresholds,
                fusion,
                data.get("info", {}),
            )
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, DetectorDataError):
                raise
            raise DetectorDataError(path, f"malformed model ({error!r})") from None
