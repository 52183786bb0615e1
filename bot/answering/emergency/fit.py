"""Fitting the learned part (`python -m bot emergency fit`); needs scikit-learn (the dev extra).

The fit uses the tuning authors only, and is reproducible: the same corpus gives the same file.
Every choice is made on out-of-fold predictions, where each author is scored by a model fitted
without them, so the choices reflect writers the model has never seen:
- the regularisation strength, by log loss;
- the fusion of the model with the concept rules (a logistic regression over the model's
  log-odds and the rule hits);
- the two thresholds on the fused score, by the share of non-emergencies they let through.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.answering.emergency.corpus import ORDINARY_CORPORA, SITUATIONS, Sample
from bot.answering.emergency.features import features
from bot.answering.emergency.model import EmergencyLevel, Thresholds
from bot.answering.emergency.rules import ConceptRules
from bot.answering.linear_fit import (
    Design,
    design,
    fit_fusion,
    model_document,
    numpy_or_fail,
    out_of_fold,
    threshold_at,
)
from bot.answering.query import analyse_query
from bot.errors import UsageError

# Regularisation strengths tried; the best out-of-fold log loss wins. The best lay at the
# grid's edge (32) once the corpus grew, so the grid reaches beyond it.
C_GRID = (16.0, 32.0, 64.0)
# Smoothings of the naive Bayes ratios that scale each feature before the regression (NBSVM,
# Wang and Manning 2012): a feature's weight starts from how much more often it occurs in
# emergencies than in other messages. Chosen with C, by the same out-of-fold log loss.
NB_ALPHAS = (0.1, 0.25)
# Out of fold, at most this share of non-emergencies may get the full emergency reply, and at
# most this share the reply or the one-line warning. The requirements are 3% and 3% + 10%:
# the margin is for writers unlike any in the corpus.
FULL_FALSE_ALARMS = 0.025
ANY_FALSE_ALARMS = 0.12
# A feature seen in fewer authors' messages than this is a habit of one writer, not a sign of
# an emergency: it is left out, so the model generalises to writers it has never seen.
MIN_AUTHORS = 3
# The traps of the ordinary corpora's messages: everyday questions, none an emergency.
ORDINARY = frozenset({"kb", *(root.name for root in ORDINARY_CORPORA)})
# The ordinary corpora teach the model what everyday messages look like, but count less than
# the emergency corpus: they are many, easy, and full of the same topic words (library,
# school) that a real emergency can also contain.
ORDINARY_WEIGHT = 0.3


@dataclass
class FitReport:
    """What a fit chose and how it did out of fold."""

    model: dict[str, Any]
    lines: list[str]
    # Per tuning message: probability from a model fitted without its author, the rule hits,
    # and the fused score.
    out_of_fold: list[float] = field(default_factory=list)
    matched: list[bool] = field(default_factory=list)
    fused: list[float] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Vectors:
    rows: list[dict[str, float]]
    matched: list[list[str]]  # the rules that match each message
    danger: list[bool]  # whether it has a word of a concept of danger


def _vectors(samples: Sequence[Sample], rules: ConceptRules) -> _Vectors:
    """Each message's features, and which kind of concept rule matches it."""
    rows: list[dict[str, float]] = []
    matched: list[list[str]] = []
    danger: list[bool] = []
    for sample in samples:
        words = list(analyse_query(sample.text).words)
        analysis = rules.analyse(words)
        matches = rules.matches(analysis)
        found = features(words, rules.concepts_of(analysis), [m.rule for m in matches])
        scale = 1.0 / math.sqrt(found.total()) if found else 0.0
        rows.append({name: count * scale for name, count in found.items()})
        matched.append([m.rule for m in matches])
        danger.append(rules.has_danger(analysis))
    return _Vectors(rows, matched, danger)


def rates(levels: Sequence[EmergencyLevel], truth: Sequence[bool]) -> dict[str, float]:
    """How the reply levels treat emergencies and non-emergencies."""
    positives = [level for level, y in zip(levels, truth, strict=True) if y]
    negatives = [level for level, y in zip(levels, truth, strict=True) if not y]
    high, medium = EmergencyLevel.HIGH, EmergencyLevel.MEDIUM
    return {
        "full_recall": sum(level is high for level in positives) / max(1, len(positives)),
        "any_recall": sum(level >= medium for level in positives) / max(1, len(positives)),
        "full_false": sum(level is high for level in negatives) / max(1, len(negatives)),
        "medium_false": sum(level is medium for level in negatives) / max(1, len(negatives)),
    }


def choose_thresholds(scores: Sequence[float], matched: Sequence[bool]) -> Thresholds:
    """Thresholds on the fused scores of non-emergencies: at most FULL_FALSE_ALARMS of them get
    the full reply, at most ANY_FALSE_ALARMS the full reply or the warning (a rule that matches
    gives the warning whatever the score)."""
    high = threshold_at(scores, FULL_FALSE_ALARMS)
    full = sum(s >= high for s in scores)
    by_rule = sum(m and s < high for s, m in zip(scores, matched, strict=True))
    rest = [s for s, m in zip(scores, matched, strict=True) if not m and s < high]
    room = ANY_FALSE_ALARMS * len(scores) - full - by_rule
    if room <= 0 or not rest:
        return Thresholds(high, high)
    return Thresholds(high, min(high, threshold_at(rest, room / len(rest))))


def _best_fit(data: Design, lines: list[str]) -> tuple[float, float, Any]:
    """The regularisation and smoothing with the best out-of-fold log loss, and their
    out-of-fold probabilities."""
    from sklearn.metrics import log_loss

    best: tuple[float, float, float, Any] | None = None
    for alpha in NB_ALPHAS:
        tried: list[str] = []
        c, oof = out_of_fold(data, C_GRID, alpha, MIN_AUTHORS, tried, weighted_loss=False)
        lines += [f"{line}, smoothing {alpha:g}" for line in tried]
        loss = float(log_loss(data.y, oof))
        if best is None or loss < best[0]:
            best = (loss, c, alpha, oof)
    assert best is not None
    return best[1], best[2], best[3]


def fit(tuning: Sequence[Sample], rules: ConceptRules, corpus_digest: str) -> FitReport:
    """Fit the model on `tuning`, with the concept rules as features and as a second opinion."""
    numpy_or_fail()  # a clear message before any work when scikit-learn is missing

    if not tuning:
        raise UsageError("the tuning part of the corpus is empty")
    vectors = _vectors(tuning, rules)
    data = design(
        vectors.rows,
        [s.emergency for s in tuning],
        [s.author for s in tuning],
        [ORDINARY_WEIGHT if s.trap in ORDINARY else 1.0 for s in tuning],
    )
    lines = [f"tuning part: {len(tuning)} messages by {len(data.authors)} authors"]
    c, alpha, oof = _best_fit(data, lines)

    matched = [bool(names) for names in vectors.matched]
    fusion = fit_fusion(oof, matched, data, weighted=False)
    # A message with no word of danger gets nothing, whatever its score (see Thresholds.level).
    fused = [
        fusion.score(p, m) if d else 0.0
        for p, m, d in zip(oof, matched, vectors.danger, strict=True)
    ]
    # The thresholds answer to the emergency corpus's non-emergencies, the hard ones; the
    # ordinary corpora only teach the model.
    judged = [not s.emergency and s.trap not in ORDINARY for s in tuning]
    thresholds = choose_thresholds(
        [f for f, j in zip(fused, judged, strict=True) if j],
        [m for m, j in zip(matched, judged, strict=True) if j],
    )
    high, medium = thresholds.high, thresholds.medium
    levels = [
        thresholds.level(f, m, d) for f, m, d in zip(fused, matched, vectors.danger, strict=True)
    ]
    counted = [s.emergency or j for s, j in zip(tuning, judged, strict=True)]
    found = rates(
        [level for level, c in zip(levels, counted, strict=True) if c],
        [bool(truth) for truth, c in zip(data.y, counted, strict=True) if c],
    )
    ordinary = [level for level, s in zip(levels, tuning, strict=True) if s.trap in ORDINARY]
    lines.append(
        f"chosen C={c:g}, smoothing {alpha:g}; fusion: model {fusion.model:.2f}, "
        f"rule {fusion.rule:.2f}, bias {fusion.bias:.2f}; thresholds: full reply "
        f"{high:.3f}, warning {medium:.3f}"
    )
    lines.append(
        "out of fold: full reply for "
        f"{found['full_recall']:.1%} of emergencies, full reply or warning "
        f"{found['any_recall']:.1%}; full reply for {found['full_false']:.1%} of "
        f"non-emergencies, warning {found['medium_false']:.1%}"
    )
    if ordinary:
        lines.append(
            f"out of fold, ordinary questions ({len(ordinary)}): full reply "
            f"{sum(v is EmergencyLevel.HIGH for v in ordinary) / len(ordinary):.1%}, warning "
            f"{sum(v is EmergencyLevel.MEDIUM for v in ordinary) / len(ordinary):.1%}"
        )

    model = model_document(
        data,
        (c, alpha, MIN_AUTHORS),
        [s.situation for s in tuning],
        SITUATIONS,
        thresholds,
        fusion,
        (corpus_digest, found),
        lines,
    )
    # The concepts the model was fitted with: a concept added to the tables later is no
    # feature of it (EmergencyDetector reports only these).
    model["info"]["concepts"] = sorted(rules.concept_bits)
    return FitReport(model, lines, [float(p) for p in oof], matched, fused)
