"""Fitting the learned detectors (emergency, help request); needs scikit-learn (the dev extra).

Both detectors fit the same way: naive Bayes scaled features and a logistic regression (NBSVM,
Wang and Manning 2012), with leave-one-author-out folds, so every choice is made on
predictions for writers the model has never seen. This module holds that shared part; each
detector's `fit` chooses its thresholds and writes its file.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.answering.emergency.model import MODEL_FORMAT, Fusion, Thresholds
from bot.errors import UsageError

# Weights smaller than this are dropped from the shipped file: they change no decision.
PRUNE_BELOW = 1e-3


def numpy_or_fail() -> Any:
    """numpy, after checking that scikit-learn is installed."""
    try:
        import numpy
        import sklearn  # noqa: F401
    except ImportError:
        raise UsageError("fitting needs scikit-learn: .venv/bin/pip install -e '.[dev]'") from None
    return numpy


@dataclass
class Design:
    """The labelled messages as a matrix, with who wrote each one."""

    x: Any  # messages x features, each row count/sqrt(total)
    names: Any  # the feature names
    y: Any  # True for the positive class
    weight: Any  # each message's weight in the fit
    groups: Any  # each message's author, as an index into `authors`
    authors: list[str]
    present: Any  # x > 0
    by_author: Any  # authors x features: 1 where an author's messages use the feature
    author_counts: Any  # in how many authors' messages each feature occurs
    allowed: Any  # features the model may use at all


def design(
    rows: Sequence[dict[str, float]],
    labels: Sequence[bool],
    authors_of: Sequence[str],
    weights: Sequence[float],
    unused_prefixes: tuple[str, ...] = (),
) -> Design:
    """The design matrix of the messages; features starting with `unused_prefixes` are never
    used."""
    numpy = numpy_or_fail()
    from scipy import sparse
    from sklearn.feature_extraction import DictVectorizer

    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform(rows).tocsr()
    names = vectorizer.get_feature_names_out()
    authors = sorted(set(authors_of))
    groups = numpy.array([authors.index(a) for a in authors_of])
    present = (x > 0).astype(float)
    membership = sparse.csr_matrix(
        (numpy.ones(len(groups)), (groups, numpy.arange(len(groups)))),
        shape=(len(authors), len(groups)),
    )
    by_author = ((membership @ present) > 0).astype(float)
    return Design(
        x=x,
        names=names,
        y=numpy.array(labels, dtype=bool),
        weight=numpy.array(weights, dtype=float),
        groups=groups,
        authors=authors,
        present=present,
        by_author=by_author,
        author_counts=numpy.asarray(by_author.sum(axis=0)).ravel(),
        allowed=numpy.array([not str(n).startswith(unused_prefixes) for n in names]),
    )


@dataclass(frozen=True)
class Trained:
    """A model fitted on some rows: the columns it uses, their naive Bayes ratios and the
    regression."""

    columns: Any
    ratios: Any
    regression: Any

    def scaled(self, data: Design, rows: Any) -> Any:
        from scipy import sparse

        return data.x[rows][:, self.columns] @ sparse.diags(self.ratios)

    def probabilities(self, data: Design, rows: Any) -> Any:
        return self.regression.predict_proba(self.scaled(data, rows))[:, 1]


def train(
    data: Design, rows: Any, c: float, alpha: float, min_authors: int, without: int | None
) -> Trained:
    """Fit on `rows`. A feature seen in fewer than `min_authors` authors' messages (not
    counting author `without`, left out of this fold) is one writer's habit: it is left out, so
    the model generalises to writers it has never seen."""
    numpy = numpy_or_fail()
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    counts = data.author_counts - (
        data.by_author[without].toarray().ravel() if without is not None else 0
    )
    columns = numpy.where((counts >= min_authors) & data.allowed)[0]
    used = data.present[rows][:, columns]
    label = data.y[rows]
    weights = data.weight[rows]
    # A feature's weight starts from how much more often it occurs in the positive class.
    pos = alpha + numpy.asarray(used[label].T @ weights[label]).ravel()
    neg = alpha + numpy.asarray(used[~label].T @ weights[~label]).ravel()
    ratios = numpy.log((pos / pos.sum()) / (neg / neg.sum()))
    scaled = data.x[rows][:, columns] @ sparse.diags(ratios)
    regression = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    return Trained(columns, ratios, regression.fit(scaled, label, sample_weight=weights))


def out_of_fold(
    data: Design,
    grid: Sequence[float],
    alpha: float,
    min_authors: int,
    lines: list[str],
    weighted_loss: bool = True,
) -> tuple[float, Any]:
    """The regularisation strength with the best out-of-fold log loss (with the messages'
    weights, or each message counted once), and those out-of-fold probabilities: each author's
    messages scored by a model fitted without them."""
    numpy = numpy_or_fail()
    from sklearn.metrics import log_loss

    best: tuple[float, float, Any] | None = None
    for c in grid:
        oof = numpy.zeros(len(data.y))
        for held in range(len(data.authors)):
            trained = train(data, data.groups != held, c, alpha, min_authors, held)
            oof[data.groups == held] = trained.probabilities(data, data.groups == held)
        loss = log_loss(data.y, oof, sample_weight=data.weight if weighted_loss else None)
        lines.append(f"  C={c:g}: out-of-fold log loss {loss:.4f}")
        if best is None or loss < best[0]:
            best = (loss, c, oof)
    assert best is not None
    return best[1], best[2]


def log_odds(p: float) -> float:
    clipped = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(clipped / (1 - clipped))


def fit_fusion(
    probabilities: Any, matched: Sequence[bool], data: Design, weighted: bool = True
) -> Fusion:
    """How the model's out-of-fold probability and a rule's verdict combine: a logistic
    regression over the model's log-odds and whether the rule matched."""
    numpy = numpy_or_fail()
    from sklearn.linear_model import LogisticRegression

    signals = numpy.array([[log_odds(p), m] for p, m in zip(probabilities, matched, strict=True)])
    combiner = LogisticRegression(C=100.0, max_iter=1000).fit(
        signals, data.y, sample_weight=data.weight if weighted else None
    )
    weights = combiner.coef_[0]
    return Fusion(float(weights[0]), float(weights[1]), float(combiner.intercept_[0]))


def threshold_at(scores: Sequence[float], share: float) -> float:
    """The lowest threshold that lets at most `share` of `scores` reach it."""
    ranked = sorted(scores, reverse=True)
    allowed = int(share * len(ranked))
    if allowed >= len(ranked):
        return 0.0
    return min(1.0, ranked[allowed] + 1e-6)


def _compact(weight: float) -> float | int:
    """A weight rounded to what changes a decision, written short (0 rather than 0.0)."""
    rounded = round(float(weight), 3)
    return 0 if rounded == 0 else rounded


def model_document(
    data: Design,
    fitted: tuple[float, float, int],
    kinds_of: Sequence[str | None],
    expected_kinds: Sequence[str],
    thresholds: Thresholds,
    fusion: Fusion,
    fit_info: tuple[str, Mapping[str, float]],
    lines: list[str],
) -> dict[str, Any]:
    """Fit the shipped model on every message (`fitted` is C, the naive Bayes smoothing and
    the minimum number of authors) and a second regression for the kind of each positive
    (`kinds_of`), and return the file's content, recording `fit_info` (the corpus digest and
    the out-of-fold rates): the naive Bayes ratios folded into the weights
    (the bot needs only a dot product), tiny weights pruned."""
    numpy = numpy_or_fail()
    from sklearn.linear_model import LogisticRegression

    c, alpha, min_authors = fitted
    final = train(data, numpy.ones(len(data.y), dtype=bool), c, alpha, min_authors, None)
    positives = [i for i in range(len(data.y)) if data.y[i]]
    kinds = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(
        data.x[positives][:, final.columns], [kinds_of[i] for i in positives]
    )
    classes = [str(k) for k in kinds.classes_]
    if sorted(classes) != sorted(expected_kinds):
        raise UsageError(f"the corpus lacks examples of some kinds: it has {classes}")
    names = data.names[final.columns]
    binary_weights = final.regression.coef_[0] * final.ratios
    kind_weights = kinds.coef_
    keep = [
        i
        for i in range(len(names))
        if abs(binary_weights[i]) >= PRUNE_BELOW or max(abs(kind_weights[:, i])) >= PRUNE_BELOW
    ]
    lines.append(f"features: {len(data.names)}, used {len(names)}, shipped {len(keep)}")
    return {
        "format": MODEL_FORMAT,
        "info": {
            "fitted": datetime.date.today().isoformat(),
            "authors": data.authors,
            "messages": len(data.y),
            "C": c,
            "corpus_sha256": fit_info[0],
            "out_of_fold": {k: round(v, 4) for k, v in fit_info[1].items()},
        },
        "thresholds": {"high": round(thresholds.high, 4), "medium": round(thresholds.medium, 4)},
        "fusion": {
            "model": round(fusion.model, 4),
            "rule": round(fusion.rule, 4),
            "bias": round(fusion.bias, 4),
        },
        "bias": round(float(final.regression.intercept_[0]), 5),
        "features": [str(names[i]) for i in keep],
        "weights": [_compact(binary_weights[i]) for i in keep],
        "situations": classes,
        "situation_bias": [round(float(b), 5) for b in kinds.intercept_],
        "situation_weights": [[_compact(row[i]) for i in keep] for row in kind_weights],
    }


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
