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

import datetime
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.answering.emergency.corpus import ORDINARY_CORPORA, SITUATIONS, Sample
from bot.answering.emergency.features import features
from bot.answering.emergency.model import MODEL_FORMAT, EmergencyLevel, Fusion, Thresholds
from bot.answering.emergency.rules import ConceptRules
from bot.errors import UsageError
from bot.text import tokens

# Regularisation strengths tried; the best out-of-fold log loss wins.
C_GRID = (8.0, 16.0, 32.0)
# Smoothing of the naive Bayes ratios that scale each feature before the regression (NBSVM,
# Wang and Manning 2012): a feature's weight starts from how much more often it occurs in
# emergencies than in other messages.
NB_ALPHA = 0.25
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
# Weights smaller than this are dropped from the shipped file: they change no decision.
PRUNE_BELOW = 1e-3


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


def _numpy() -> Any:
    try:
        import numpy
        import sklearn  # noqa: F401
    except ImportError:
        raise UsageError("fitting needs scikit-learn: .venv/bin/pip install -e '.[dev]'") from None
    return numpy


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
        words = tokens(sample.text, limit=10_000)
        analysis = rules.analyse(words)
        matches = rules.matches(analysis)
        found = features(words, rules.concepts_of(analysis), [m.rule for m in matches])
        scale = 1.0 / math.sqrt(found.total()) if found else 0.0
        rows.append({name: count * scale for name, count in found.items()})
        matched.append([m.rule for m in matches])
        danger.append(rules.has_danger(analysis))
    return _Vectors(rows, matched, danger)


def threshold_at(scores: Sequence[float], share: float) -> float:
    """The lowest threshold that lets at most `share` of `scores` reach it."""
    ranked = sorted(scores, reverse=True)
    allowed = int(share * len(ranked))
    if allowed >= len(ranked):
        return 0.0
    return min(1.0, ranked[allowed] + 1e-6)


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


def _compact(weight: float) -> float | int:
    """A weight rounded to what changes a decision, written short (0 rather than 0.0)."""
    rounded = round(float(weight), 3)
    return 0 if rounded == 0 else rounded


def _log_odds(p: float) -> float:
    clipped = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(clipped / (1 - clipped))


def fit(tuning: Sequence[Sample], rules: ConceptRules, corpus_digest: str) -> FitReport:
    """Fit the model on `tuning`, with the concept rules as features and as a second opinion."""
    numpy = _numpy()
    from scipy import sparse
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    if not tuning:
        raise UsageError("the tuning part of the corpus is empty")
    vectors = _vectors(tuning, rules)
    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform(vectors.rows).tocsr()
    y = numpy.array([s.emergency for s in tuning])
    authors = sorted({s.author for s in tuning})
    groups = numpy.array([authors.index(s.author) for s in tuning])
    present = (x > 0).astype(float)
    # authors x features: 1 where an author's messages use the feature
    by_author = (
        sparse.csr_matrix(
            (numpy.ones(len(groups)), (groups, numpy.arange(len(groups)))),
            shape=(len(authors), len(groups)),
        )
        @ present
        > 0
    ).astype(float)
    author_counts = numpy.asarray(by_author.sum(axis=0)).ravel()

    weight = numpy.array([ORDINARY_WEIGHT if s.trap in ORDINARY else 1.0 for s in tuning])

    def trained(rows: Any, c: float, without: int | None) -> tuple[Any, Any, Any]:
        """A model fitted on `rows` (optionally leaving author `without` out of the feature
        counts): the columns it uses, their naive Bayes ratios and the regression."""
        counts = author_counts - (
            by_author[without].toarray().ravel() if without is not None else 0
        )
        columns = numpy.where(counts >= MIN_AUTHORS)[0]
        used = present[rows][:, columns]
        label = y[rows]
        weights = weight[rows]
        pos = NB_ALPHA + numpy.asarray(used[label].T @ weights[label]).ravel()
        neg = NB_ALPHA + numpy.asarray(used[~label].T @ weights[~label]).ravel()
        ratios = numpy.log((pos / pos.sum()) / (neg / neg.sum()))
        scaled = x[rows][:, columns] @ sparse.diags(ratios)
        regression = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
        return columns, ratios, regression.fit(scaled, label, sample_weight=weights)

    lines = [f"tuning part: {len(tuning)} messages by {len(authors)} authors"]
    best: tuple[float, float, Any] | None = None
    for c in C_GRID:
        oof = numpy.zeros(len(tuning))
        for held in range(len(authors)):
            train, test = groups != held, groups == held
            columns, ratios, regression = trained(train, c, held)
            scaled = x[test][:, columns] @ sparse.diags(ratios)
            oof[test] = regression.predict_proba(scaled)[:, 1]
        loss = log_loss(y, oof)
        lines.append(f"  C={c:g}: out-of-fold log loss {loss:.4f}")
        if best is None or loss < best[0]:
            best = (loss, c, oof)
    assert best is not None
    _, c, oof = best

    matched = [bool(names) for names in vectors.matched]
    signals = numpy.array([[_log_odds(p), m] for p, m in zip(oof, matched, strict=True)])
    combiner = LogisticRegression(C=100.0, max_iter=1000).fit(signals, y)
    weights = combiner.coef_[0]
    fusion = Fusion(float(weights[0]), float(weights[1]), float(combiner.intercept_[0]))
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
        [bool(truth) for truth, c in zip(y, counted, strict=True) if c],
    )
    ordinary = [level for level, s in zip(levels, tuning, strict=True) if s.trap in ORDINARY]
    lines.append(
        f"chosen C={c:g}; fusion: model {fusion.model:.2f}, rule {fusion.rule:.2f}, "
        f"bias {fusion.bias:.2f}; thresholds: full reply "
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

    columns, ratios, final = trained(numpy.ones(len(tuning), dtype=bool), c, None)
    emergencies = [i for i, s in enumerate(tuning) if s.emergency]
    kinds = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(
        x[emergencies][:, columns], [tuning[i].situation for i in emergencies]
    )
    classes = [str(k) for k in kinds.classes_]
    if sorted(classes) != sorted(SITUATIONS):
        raise UsageError(f"the corpus lacks emergencies of some kinds: it has {classes}")
    names = vectorizer.get_feature_names_out()[columns]
    # the naive Bayes ratios fold into the weights: the bot needs only the dot product
    binary_weights = final.coef_[0] * ratios
    situation_weights = kinds.coef_
    keep = [
        i
        for i in range(len(names))
        if abs(binary_weights[i]) >= PRUNE_BELOW or max(abs(situation_weights[:, i])) >= PRUNE_BELOW
    ]
    lines.append(
        f"features: {len(vectorizer.feature_names_)}, used {len(names)}, shipped {len(keep)}"
    )
    model = {
        "format": MODEL_FORMAT,
        "info": {
            "fitted": datetime.date.today().isoformat(),
            "corpus_sha256": corpus_digest,
            "authors": authors,
            "messages": len(tuning),
            "C": c,
            "out_of_fold": {k: round(v, 4) for k, v in found.items()},
        },
        "thresholds": {"high": round(high, 4), "medium": round(medium, 4)},
        "fusion": {
            "model": round(fusion.model, 4),
            "rule": round(fusion.rule, 4),
            "bias": round(fusion.bias, 4),
        },
        "bias": round(float(final.intercept_[0]), 5),
        "features": [str(names[i]) for i in keep],
        "weights": [_compact(binary_weights[i]) for i in keep],
        "situations": classes,
        "situation_bias": [round(float(b), 5) for b in kinds.intercept_],
        "situation_weights": [[_compact(row[i]) for i in keep] for row in situation_weights],
    }
    return FitReport(model, lines, [float(p) for p in oof], matched, fused)


def corpus_digest(roots: Sequence[Path]) -> str:
    """A digest of the corpus files, recorded in the model so a fit can be traced to its data."""
    digest = hashlib.sha256()
    for root in roots:
        for path in [*sorted(root.glob("*.jsonl")), root / "split.yaml"]:
            digest.update(f"{root.name}/{path.name}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def write_model(model: dict[str, Any], path: Path) -> None:
    """Write the model compactly, one field per line, so diffs stay readable."""
    with path.open("w", encoding="utf-8") as out:
        out.write("{\n")
        items = list(model.items())
        for index, (key, value) in enumerate(items):
            comma = "," if index < len(items) - 1 else ""
            out.write(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{comma}\n")
        out.write("}\n")
