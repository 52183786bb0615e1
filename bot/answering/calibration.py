"""A calibrated confidence that a ranked entry answers the question.

The matcher ranks entries; this module says how far to trust the ranking. Each candidate of a
`Ranking` is described by a few features that are relative to the knowledge base (shares of
the question's weight, scores on the matcher's own scale, margins to the other candidates), so
a staff edit changes the features it should and never needs a refit. A logistic regression
over them, fitted by `python -m bot kb calibrate` (`bot.answering.calibrate`), is shipped as
`data/calibration.json` with the decision thresholds it chose. At runtime a confidence is a
dot product and a sigmoid.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import mul
from pathlib import Path
from typing import Any, Literal

from bot.answering.matching import Candidate, Matcher, Ranking

CALIBRATION_FORMAT = 1
CALIBRATION_FILE = Path(__file__).parent / "data" / "calibration.json"


class Signals:
    """What the features may look at: the ranking, and the matcher that made it (what they
    share is worked out once per question)."""

    __slots__ = (
        "_described",
        "_fits",
        "_topical",
        "_tops",
        "heaviest",
        "matcher",
        "ranking",
        "total",
        "unknown",
        "weights",
    )

    def __init__(self, ranking: Ranking, matcher: Matcher) -> None:
        self.ranking = ranking
        self.matcher = matcher
        self.weights = [term.weight for term in ranking.query]
        self.total = sum(self.weights) or 1.0
        self.heaviest = max(self.weights, default=1.0) or 1.0
        # The weights of the words the knowledge base has never seen.
        self.unknown = [term.weight for term in ranking.query if not term.expansions]
        self._topical: dict[int, list[float]] = {}
        self._fits: dict[int, tuple[list[float], list[float]]] = {}
        # Per candidate attribute: the position of the best value, it, and the best of the rest.
        self._tops: dict[str, tuple[int, float, float]] = {}
        # Each candidate's features, by position: the decision reads them more than once.
        self._described: dict[int, list[float]] = {}

    def candidate(self, position: int) -> Candidate:
        return self.ranking.candidates[position]

    def best_other(self, attribute: str, position: int) -> float:
        """The best value of a candidate attribute among the other candidates (0 if none)."""
        found = self._tops.get(attribute)
        if found is None:
            values = [getattr(c, attribute) for c in self.ranking.candidates]
            first = max(range(len(values)), key=values.__getitem__) if values else -1
            rest = max((v for j, v in enumerate(values) if j != first), default=0.0)
            found = self._tops[attribute] = (first, values[first] if values else 0.0, rest)
        first, best, rest = found
        return rest if position == first else best

    def topical(self, position: int) -> list[float]:
        """Per query term, its best similarity to a term the candidate is about (0 if none)."""
        found = self._topical.get(position)
        if found is None:
            about = self.matcher.topical_terms(self.candidate(position).entry)
            found = self._topical[position] = [
                max((sim for term, sim in q.expansions.items() if term in about), default=0.0)
                for q in self.ranking.query
            ]
        return found

    def fits(self, position: int) -> tuple[list[float], list[float]]:
        """Per word of the question, its best n-gram word cosine with a term the candidate is
        about (examples, title, keywords), and with a term it says anywhere (answers too)."""
        found = self._fits.get(position)
        if found is None:
            grams = self.ranking.grams
            if grams is None:
                return [], []
            topical, _, answer, _ = self.matcher.bags(self.candidate(position).entry)
            about = grams.word_fits(topical)
            said = [max(a, b) for a, b in zip(about, grams.word_fits(answer), strict=True)]
            found = self._fits[position] = (about, said)
        return found

    def word_weights(self) -> list[float]:
        """Each word of the question's share of its n-gram weight (rare n-grams weigh more)."""
        grams = self.ranking.grams
        if grams is None:
            return []
        squared = [own for _, own in grams.words]
        total = sum(squared) or 1.0
        return [x / total for x in squared]


def _fuzzy_share(fits: list[float], weights: list[float]) -> float:
    return sum(w * f for w, f in zip(weights, fits, strict=True))


def _fuzzy_missed(fits: list[float], weights: list[float]) -> float:
    """The heaviest word's weight (relative to the heaviest) times how far it is from the
    nearest word of the candidate."""
    heaviest = max(weights, default=0.0) or 1.0
    return max((w / heaviest * (1.0 - f) for w, f in zip(weights, fits, strict=True)), default=0.0)


def _unknown_share(s: Signals, i: int) -> float:
    """How much of the question the knowledge base has never seen, by weight."""
    return sum(s.unknown) / s.total


def _heaviest_unknown(s: Signals, i: int) -> float:
    """The weight of the heaviest unknown word, as a share of the question's weight."""
    return max(s.unknown, default=0.0) / s.total


def _margin(s: Signals, i: int) -> float:
    """The candidate's score minus the best other candidate's (negative below the top)."""
    return (s.candidate(i).score - s.best_other("score", i)) / 100.0


def _lexical_margin(s: Signals, i: int) -> float:
    """The candidate's lexical (BM25) share minus the best other candidate's."""
    return s.candidate(i).lexical - s.best_other("lexical", i)


def _fit_margin(s: Signals, i: int) -> float:
    return s.candidate(i).example_fit - s.best_other("example_fit", i)


def _ngram_margin(s: Signals, i: int) -> float:
    """The candidate's n-gram cosine with its examples minus the best other candidate's."""
    return s.candidate(i).ngram - s.best_other("ngram", i)


def _ngram_answer_margin(s: Signals, i: int) -> float:
    return s.candidate(i).ngram_answer - s.best_other("ngram_answer", i)


def _order_margin(s: Signals, i: int) -> float:
    """The candidate's order (relevance with the n-gram cosines) minus the best other's."""
    return (s.candidate(i).order - s.best_other("order", i)) / 100.0


def _topical_share(s: Signals, i: int) -> float:
    """How much of the question, by weight, is about what the candidate is about."""
    matched = s.topical(i)
    return sum(w * m for w, m in zip(s.weights, matched, strict=True)) / s.total


def _missed_heaviest(s: Signals, i: int) -> float:
    """The heaviest word the candidate is not about, relative to the question's heaviest."""
    matched = s.topical(i)
    missed = [w for w, m in zip(s.weights, matched, strict=True) if not m]
    return max(missed, default=0.0) / s.heaviest


def _heaviest_matched(s: Signals, i: int) -> float:
    """1 when the candidate is about the question's most specific word."""
    matched = s.topical(i)
    weights = s.weights
    return matched[weights.index(s.heaviest)] if s.heaviest in weights else 0.0


def _missed_known(s: Signals, i: int) -> float:
    """The share of the question the knowledge base knows but the candidate is not about:
    words of another topic."""
    matched = s.topical(i)
    missed = sum(
        q.weight for q, m in zip(s.ranking.query, matched, strict=True) if q.expansions and not m
    )
    return missed / s.total


Feature = Callable[[Signals, int], float]

# Candidates per question the fit describes and the decision weighs: the top one and the
# alternatives after it (a lower one was never measured as an alternative).
POSITIONS = 3

# Every signal the confidence uses, by name: adding one is one line here and a refit. Each
# takes the signals and the position of the candidate it describes (0 is the top).
FEATURES: dict[str, Feature] = {
    "score": lambda s, i: s.candidate(i).score / 100.0,
    "coverage": lambda s, i: s.candidate(i).coverage,
    "example_fit": lambda s, i: s.candidate(i).example_fit,
    "margin": _margin,
    "lexical": lambda s, i: s.candidate(i).lexical,
    "lexical_margin": _lexical_margin,
    "relevance": lambda s, i: s.candidate(i).relevance / 100.0,
    "fit_margin": _fit_margin,
    "ngram": lambda s, i: s.candidate(i).ngram,
    "ngram_margin": _ngram_margin,
    "ngram_answer": lambda s, i: s.candidate(i).ngram_answer,
    "ngram_answer_margin": _ngram_answer_margin,
    "order": lambda s, i: s.candidate(i).order / 100.0,
    "order_margin": _order_margin,
    "fuzzy_about": lambda s, i: _fuzzy_share(s.fits(i)[0], s.word_weights()),
    "fuzzy_about_missed": lambda s, i: _fuzzy_missed(s.fits(i)[0], s.word_weights()),
    "fuzzy_said": lambda s, i: _fuzzy_share(s.fits(i)[1], s.word_weights()),
    "fuzzy_said_missed": lambda s, i: _fuzzy_missed(s.fits(i)[1], s.word_weights()),
    "topical_share": _topical_share,
    "missed_heaviest": _missed_heaviest,
    "heaviest_matched": _heaviest_matched,
    "missed_known": _missed_known,
    "unknown_share": _unknown_share,
    "heaviest_unknown": _heaviest_unknown,
    "content_words": lambda s, i: math.log1p(len(s.ranking.query)),
    "single_word": lambda s, i: float(len(s.ranking.query) == 1),
}


def features(signals: Signals, position: int) -> list[float]:
    """The candidate at `position` described by FEATURES, in their order."""
    found = signals._described.get(position)
    if found is None:
        found = signals._described[position] = [
            feature(signals, position) for feature in FEATURES.values()
        ]
    return found


class CalibrationError(ValueError):
    """The calibration file is missing or malformed."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem} (refit it with: python -m bot kb calibrate)")
        self.path = path


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Where a confidence turns into a decision (chosen on data by `kb calibrate`)."""

    answer: float  # the top candidate is answered outright
    unsure: float  # below this, the bot says it does not know
    alternative: float  # another candidate this likely is a real alternative for "did you mean"


Decision = Literal["answer", "unsure", "clarify", "fallback"]


def decide(confidences: Sequence[float], thresholds: Thresholds) -> tuple[Decision, list[int]]:
    """What to do with a ranking whose candidates have these confidences (best first), and
    the positions to offer: answer the top one, answer it with "Not what you asked?", ask
    "did you mean" between two or more real alternatives, or say "I don't know"."""
    if not confidences or confidences[0] < thresholds.unsure:
        return "fallback", []
    alternatives = [
        i for i in range(1, len(confidences)) if confidences[i] >= thresholds.alternative
    ]
    if confidences[0] >= thresholds.answer:
        return "answer", alternatives
    if alternatives:
        return "clarify", [0, *alternatives]
    # One plausible entry is not a choice: answer it, with a way to staff.
    return "unsure", []


@dataclass(frozen=True, slots=True)
class Model:
    """One logistic regression over FEATURES."""

    weights: tuple[float, ...]
    bias: float

    def probability(self, values: Sequence[float]) -> float:
        if len(values) != len(self.weights):
            raise ValueError(f"{len(values)} values for {len(self.weights)} weights")
        x = self.bias + sum(map(mul, self.weights, values))
        if x < -30.0:
            return 0.0
        return 1.0 / (1.0 + math.exp(-x))


# The top candidate and the ones below it have a regression each.
MODELS = ("top", "alternative")


@dataclass(frozen=True, slots=True)
class Calibration:
    """The fitted regressions and their thresholds."""

    top: Model
    alternative: Model
    thresholds: Thresholds

    def confidence(self, signals: Signals, position: int = 0) -> float:
        """The probability that the candidate at `position` is a right entry."""
        model = self.top if position == 0 else self.alternative
        return model.probability(features(signals, position))

    def as_top(self, signals: Signals, position: int) -> float:
        """The confidence the candidate would have as the answer: for a resident who chose no
        municipality, whether another municipality's entry is as plausible as the top one."""
        return self.top.probability(features(signals, position))

    @classmethod
    def from_document(cls, document: Mapping[str, Any], path: Path) -> Calibration:
        """Check a parsed calibration file and build the model from it."""
        if not isinstance(document, Mapping):
            raise CalibrationError(path, "expected a JSON object")
        if document.get("format") != CALIBRATION_FORMAT:
            raise CalibrationError(
                path, f"format {document.get('format')!r}, expected {CALIBRATION_FORMAT}"
            )
        names = document.get("features")
        if names != list(FEATURES):
            raise CalibrationError(
                path, f"fitted for the features {names}, but the code has {list(FEATURES)}"
            )
        weights, biases = document.get("weights"), document.get("bias")
        if not isinstance(weights, Mapping) or not isinstance(biases, Mapping):
            raise CalibrationError(path, f"weights and bias need an entry for each of {MODELS}")
        models = {}
        for kind in MODELS:
            row: Any = weights.get(kind)
            bias: Any = biases.get(kind)
            if not _numbers(row) or len(row) != len(names) or not _numbers([bias]):
                raise CalibrationError(
                    path, f"{kind}: the weights must be one number per feature, bias a number"
                )
            models[kind] = Model(tuple(float(w) for w in row), float(bias))
        chosen = document.get("thresholds")
        try:
            if not isinstance(chosen, Mapping):
                raise TypeError
            thresholds = Thresholds(
                answer=float(chosen["answer"]),
                unsure=float(chosen["unsure"]),
                alternative=float(chosen["alternative"]),
            )
        except (KeyError, TypeError, ValueError):
            raise CalibrationError(
                path, "thresholds needs numbers for answer, unsure and alternative"
            ) from None
        if not 0.0 <= thresholds.unsure <= thresholds.answer <= 1.0:
            raise CalibrationError(path, "thresholds must satisfy 0 <= unsure <= answer <= 1")
        return cls(models["top"], models["alternative"], thresholds)


def _numbers(values: Any) -> bool:
    return isinstance(values, Sequence) and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values
    )


def load_calibration(path: Path = CALIBRATION_FILE) -> Calibration:
    """The calibration in `path`; a missing or broken file fails with what is wrong."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CalibrationError(path, f"cannot be read ({error.strerror})") from None
    except ValueError as error:
        raise CalibrationError(path, f"is not JSON ({error})") from None
    return Calibration.from_document(document, path)


@lru_cache(maxsize=1)
def shipped_calibration() -> Calibration:
    """The calibration shipped with the package, loaded once per process."""
    return load_calibration()
