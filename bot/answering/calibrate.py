"""Fitting the answer confidence (`python -m bot kb calibrate`); needs scikit-learn (dev extra).

The labelled data, each candidate of a question's ranking labelled "this is a right entry":
- every example question of the knowledge base, asked with that example left out (one fold
  per example position: fold k takes the k-th example out of every entry), so the data grows
  whenever staff add examples;
- the `../shared/eval/` sets (questions that expect an answer: a candidate is right when its
  answer holds every fact; the out-of-scope ones: nothing is right);
- the in-scope corpus's tuning part (`answers.yaml` names the right entries) and the
  out-of-scope corpus's tuning part (nothing is right). The holdout authors are never read.

A logistic regression is fitted with every group (an author, a municipality's examples, one
eval set) left out in turn, so the regularisation, the reliability table and the thresholds
all come from predictions for writers the fit has not seen. The thresholds minimise the cost
of the decisions, a confident wrong answer costing most.
"""

from __future__ import annotations

import copy
import datetime
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from bot.answering.calibration import (
    CALIBRATION_FORMAT,
    FEATURES,
    POSITIONS,
    Calibration,
    Model,
    Signals,
    Thresholds,
    decide,
    features,
)
from bot.answering.evaluate import load_questions
from bot.answering.linear_fit import numpy_or_fail
from bot.answering.matching import Matcher, Ranking
from bot.answering.regression import home_municipalities
from bot.answering.responder import Responder
from bot.kb.knowledge import Entry, KnowledgeBase

# The labelled sets next to the project (`../shared/eval/`), when they are there.
EVAL_SETS = ("dev.yaml", "dev2.yaml")
ABSTAIN_CATEGORIES = frozenset({"out_of_scope", "hard_negative"})
# How much each family of questions weighs in total in the costs the decision is judged by (the
# objective): the two independent corpora (in-scope and out-of-scope) alike, and residents'
# own phrasings more than staff's examples.
FAMILY_SHARE = {"kb": 1.0, "eval": 1.0, "inscope": 2.0, "oos": 2.0}
# What the fit may weigh each family by, on top of its share: chosen out of fold, by the cost
# of the decisions, from these (the independent corpora up or down against staff's examples,
# and the out-of-scope corpus up or down against the in-scope one). Weighing the corpora more
# in the fit than in the objective trades the examples' fit for the residents'.
FIT_CORPORA = (0.5, 1.0, 2.0)
FIT_OOS = (0.75, 1.0, 1.5)
# A fit weighted as the objective is a calibrated probability under it; another weighting
# shifts the confidences. It is kept unless another costs this share less out of fold.
FIT_TIE = 0.01
# What each outcome costs. A confident wrong answer misleads a resident in a crisis; an
# abstention sends them to staff, who answer.
COSTS = {
    "right": 0.0,
    "right_unsure": 0.1,
    "clarify_right": 0.6,
    "clarify_wrong": 1.0,
    "fallback_inscope": 1.0,
    "wrong": 3.0,
    "wrong_unsure": 1.5,
    "fallback_oos": 0.0,
    "clarify_oos": 0.5,
    "answer_oos": 3.0,
    "unsure_oos": 1.5,
}
# The project's rule is never a confident wrong answer, and an out-of-scope question answered
# is one: the thresholds must abstain on at least this share of the out-of-scope corpus's
# tuning authors, out of fold (main's 86.8% before the n-gram features), and among those that
# do, the least cost is chosen. With none that do, the least cost alone.
OOS_ABSTAINED_MIN = 0.868
# Folds for the out-of-fold estimates (the tuning part has four authors of each corpus).
FOLDS = 4
C_GRID = (0.01, 0.1, 1.0, 10.0)
RELIABILITY_BINS = 10


@dataclass
class Asked:
    """One labelled question, its ranking, and per candidate whether it is a right entry."""

    family: str  # kb, eval, inscope or oos
    group: str  # who wrote it: left out together
    inscope: bool
    rows: list[list[float]] = field(default_factory=list)  # per candidate, its features
    right: list[bool] = field(default_factory=list)
    weight: float = 1.0


def _asked(
    family: str, group: str, inscope: bool, responder: Responder, ranking: Ranking, right: set[str]
) -> Asked:
    signals = Signals(ranking, responder.matcher)
    shown = range(min(POSITIONS, len(ranking.candidates)))
    return Asked(
        family,
        group,
        inscope,
        [features(signals, i) for i in shown],
        [ranking.candidates[i].entry.id in right for i in shown],
    )


def _without_example(kb: KnowledgeBase, fold: int) -> tuple[KnowledgeBase, list[tuple[Entry, str]]]:
    """The knowledge base with each entry's `fold`-th example question taken out, and those
    questions with their entries."""
    entries: dict[str, Entry] = {}
    taken: list[tuple[Entry, str]] = []
    for entry in kb.entries.values():
        flat = [(lang, q) for lang, questions in entry.questions.items() for q in questions]
        if fold >= len(flat):
            entries[entry.id] = entry
            continue
        lang, question = flat[fold]
        kept = {
            code: tuple(q for q in questions if (code, q) != (lang, question))
            for code, questions in entry.questions.items()
        }
        entries[entry.id] = replace(entry, questions={k: v for k, v in kept.items() if v})
        taken.append((entry, question))
    return replace(kb, entries=entries), taken


def knowledge_questions(responder: Responder) -> list[Asked]:
    """Every example question, ranked by a matcher built without it."""
    kb = responder.kb
    folds = max((sum(map(len, e.questions.values())) for e in kb.entries.values()), default=0)
    found: list[Asked] = []
    for fold in range(folds):
        reduced, taken = _without_example(kb, fold)
        # The same responder, ranking with the reduced index.
        asking = copy.copy(responder)
        asking.matcher = Matcher(reduced, ignore=responder.matcher.ignore)
        for entry, question in taken:
            home = home_municipalities(responder, entry)[0]
            ranking = asking.rank(question, home)
            found.append(_asked("kb", f"kb:{entry.scope}", True, asking, ranking, {entry.id}))
    return found


def _plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def eval_questions(responder: Responder, root: Path) -> list[Asked]:
    """The cases of the eval sets in `root` that expect an answer or an abstention."""
    found: list[Asked] = []
    for name in EVAL_SETS:
        path = root / name
        if not path.is_file():
            continue
        for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            ranking = responder.rank(case["q"], case.get("m"))
            if case.get("cat") in ABSTAIN_CATEGORIES:
                found.append(_asked("eval", name, False, responder, ranking, set()))
            elif "answer" in case.get("expect", ()):
                facts = case.get("facts") or []
                right = {
                    c.entry.id
                    for c in ranking.candidates
                    if any(
                        all(re.search(f, _plain(a), re.IGNORECASE) for f in facts)
                        for a in c.entry.answer.values()
                    )
                }
                found.append(_asked("eval", name, True, responder, ranking, right))
    return found


def corpus_questions(responder: Responder) -> list[Asked]:
    """The tuning part of the in-scope and out-of-scope corpora (never the holdout)."""
    tuning, _ = load_questions()
    found: list[Asked] = []
    for question in tuning:
        if question.corpus not in ("inscope", "oos"):
            continue
        ranking = responder.rank(question.text, question.municipality)
        inscope = question.corpus == "inscope"
        found.append(
            _asked(
                question.corpus,
                question.author,
                inscope,
                responder,
                ranking,
                set(question.entries),
            )
        )
    return found


def labelled(responder: Responder, eval_root: Path) -> list[Asked]:
    """All the labelled questions, each weighted so its family weighs FAMILY_SHARE."""
    asked = [
        *knowledge_questions(responder),
        *eval_questions(responder, eval_root),
        *corpus_questions(responder),
    ]
    counts: dict[str, int] = {}
    for question in asked:
        counts[question.family] = counts.get(question.family, 0) + 1
    for question in asked:
        question.weight = FAMILY_SHARE[question.family] * len(asked) / counts[question.family]
    return asked


@dataclass
class Design:
    """The candidates as a matrix, with each row's question."""

    x: Any
    y: Any
    weight: Any
    groups: Any
    question: Any  # the index of the row's question in the list of `Asked`
    position: Any  # 0 for the top candidate
    fold: Any  # the fold of the row's group
    fit_weight: Any = None  # the weight in the fit (the objective's `weight` when None)

    def reweighed(self, factors: dict[str, float], asked: Sequence[Asked]) -> Design:
        """The same rows, each weighing its family's factor more in the fit."""
        numpy = numpy_or_fail()
        factor = numpy.array([factors.get(asked[int(q)].family, 1.0) for q in self.question])
        return replace(self, fit_weight=self.weight * factor)


def folds_of(asked: Sequence[Asked]) -> dict[str, int]:
    """Each group's fold. A fold holds one group of each family (an in-scope author, an
    out-of-scope author, a municipality's examples...): leaving out a whole group keeps the
    estimate honest for writers never seen, and mixing families keeps each fit's share of
    right and wrong candidates, which leaving out an all-negative author alone would not."""
    by_family: dict[str, list[str]] = {}
    for item in asked:
        groups = by_family.setdefault(item.family, [])
        if item.group not in groups:
            groups.append(item.group)
    return {
        group: number % FOLDS
        for groups in by_family.values()
        for number, group in enumerate(sorted(groups))
    }


def design(asked: Sequence[Asked]) -> Design:
    numpy = numpy_or_fail()
    rows: list[list[float]] = []
    y: list[bool] = []
    weight: list[float] = []
    groups: list[str] = []
    question: list[int] = []
    position: list[int] = []
    fold_of = folds_of(asked)
    for number, item in enumerate(asked):
        for place, (row, right) in enumerate(zip(item.rows, item.right, strict=True)):
            rows.append(row)
            y.append(right)
            weight.append(item.weight)
            groups.append(item.group)
            question.append(number)
            position.append(place)
    return Design(
        numpy.array(rows, dtype=float),
        numpy.array(y, dtype=bool),
        numpy.array(weight, dtype=float),
        numpy.array(groups),
        numpy.array(question),
        numpy.array(position),
        numpy.array([fold_of[g] for g in groups]),
    )


def fit_regression(data: Design, rows: Any, c: float) -> tuple[Any, float]:
    """Weights and bias over the raw features (the scaling folded in)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(data.x[rows])
    model = LogisticRegression(C=c, max_iter=2000).fit(
        scaler.transform(data.x[rows]),
        data.y[rows],
        sample_weight=(data.weight if data.fit_weight is None else data.fit_weight)[rows],
    )
    weights = model.coef_[0] / scaler.scale_
    bias = float(model.intercept_[0] - (weights * scaler.mean_).sum())
    return weights, bias


def predict(data: Design, rows: Any, weights: Any, bias: float) -> Any:
    numpy = numpy_or_fail()
    return 1.0 / (1.0 + numpy.exp(-(data.x[rows] @ weights + bias)))


# The top candidate and the ones below it are fitted apart: "is the first one right" and "is
# this runner-up a real alternative" weigh the signals differently.
KINDS = ("top", "alternative")


def kind_rows(data: Design, kind: str) -> Any:
    return data.position == 0 if kind == "top" else data.position > 0


def fit_models(data: Design, rows: Any, c: float) -> dict[str, tuple[Any, float]]:
    return {kind: fit_regression(data, rows & kind_rows(data, kind), c) for kind in KINDS}


def out_of_fold(data: Design, c: float) -> Any:
    """Each fold's candidates scored by fits made without its groups."""
    numpy = numpy_or_fail()
    oof = numpy.zeros(len(data.y))
    for fold in range(FOLDS):
        held = data.fold == fold
        if not held.any():
            continue
        for kind, (weights, bias) in fit_models(data, ~held, c).items():
            rows = held & kind_rows(data, kind)
            oof[rows] = predict(data, rows, weights, bias)
    return oof


def log_loss(data: Design, p: Any) -> float:
    numpy = numpy_or_fail()
    clipped = numpy.clip(p, 1e-6, 1 - 1e-6)
    losses = -(data.y * numpy.log(clipped) + (~data.y) * numpy.log(1 - clipped))
    return float((losses * data.weight).sum() / data.weight.sum())


@dataclass(frozen=True)
class Outcomes:
    """What each question would get under some thresholds, and its weighted cost."""

    kinds: list[str]  # one of the COSTS keys per question
    cost: float


def outcomes(
    asked: Sequence[Asked], confidences: Sequence[Sequence[float]], thresholds: Thresholds
) -> Outcomes:
    """The decision (the responder's own `decide`) on each question, and its cost."""
    kinds: list[str] = []
    cost = 0.0
    for item, confidence in zip(asked, confidences, strict=True):
        decision, chosen = decide(confidence, thresholds)
        if item.inscope:
            right_top = bool(item.right) and item.right[0]
            kind = {
                "answer": "right" if right_top else "wrong",
                "unsure": "right_unsure" if right_top else "wrong_unsure",
                "clarify": "clarify_right"
                if any(item.right[i] for i in chosen)
                else "clarify_wrong",
                "fallback": "fallback_inscope",
            }[decision]
        else:
            kind = {
                "answer": "answer_oos",
                "unsure": "unsure_oos",
                "clarify": "clarify_oos",
                "fallback": "fallback_oos",
            }[decision]
        kinds.append(kind)
        cost += item.weight * COSTS[kind]
    return Outcomes(kinds, cost / max(sum(item.weight for item in asked), 1e-9))


def _grid(low: float, high: float, step: float) -> list[float]:
    count = round((high - low) / step)
    return [round(low + step * i, 4) for i in range(count + 1)]


def _vector_costs(
    asked: Sequence[Asked], confidences: Sequence[Sequence[float]]
) -> Callable[[Thresholds], tuple[float, float]]:
    """The weighted cost of thresholds, as `outcomes` counts it, fast enough for a grid; and
    the share of the out-of-scope corpus abstained on (as `rates` counts it, 1 without it)."""
    numpy = numpy_or_fail()
    top = numpy.array([c[0] if c else -1.0 for c in confidences])
    alternative = numpy.array([max(c[1:], default=-1.0) for c in confidences])
    right_alternative = numpy.array(
        [
            max((p for p, r in zip(c[1:], item.right[1:], strict=True) if r), default=-1.0)
            for item, c in zip(asked, confidences, strict=True)
        ]
    )
    right_top = numpy.array([bool(item.right) and item.right[0] for item in asked])
    inscope = numpy.array([item.inscope for item in asked])
    weight = numpy.array([item.weight for item in asked])
    total = weight.sum()
    corpus_oos = numpy.array([item.family == "oos" and not item.inscope for item in asked])
    oos_count = int(corpus_oos.sum())
    cost = COSTS

    def of(t: Thresholds) -> tuple[float, float]:
        fallback = top < t.unsure
        answer = ~fallback & (top >= t.answer)
        middle = ~fallback & ~answer
        clarify = middle & (alternative >= t.alternative)
        unsure = middle & ~clarify
        clarify_right = clarify & (right_top | (right_alternative >= t.alternative))
        inside = numpy.select(
            [answer & right_top, answer, unsure & right_top, unsure, clarify_right, clarify],
            [
                cost["right"],
                cost["wrong"],
                cost["right_unsure"],
                cost["wrong_unsure"],
                cost["clarify_right"],
                cost["clarify_wrong"],
            ],
            cost["fallback_inscope"],
        )
        outside = numpy.select(
            [answer, unsure, clarify],
            [cost["answer_oos"], cost["unsure_oos"], cost["clarify_oos"]],
            cost["fallback_oos"],
        )
        spent = float((weight * numpy.where(inscope, inside, outside)).sum() / total)
        abstained = fallback | clarify
        oos_share = float((abstained & corpus_oos).sum() / oos_count) if oos_count else 1.0
        return spent, oos_share

    return of


def choose_thresholds(
    asked: Sequence[Asked], confidences: Sequence[Sequence[float]]
) -> tuple[Thresholds, Outcomes]:
    """The thresholds with the least cost on out-of-fold confidences among those abstaining on
    at least OOS_ABSTAINED_MIN of the out-of-scope corpus (the least cost of all when none
    does; ties: the first found, from the strictest answer threshold down)."""
    cost_of = _vector_costs(asked, confidences)
    best: tuple[bool, float, Thresholds] | None = None
    for answer in reversed(_grid(0.3, 0.98, 0.02)):
        for unsure in _grid(0.06, answer, 0.02):
            # A real alternative is more likely right than not.
            for alternative in _grid(0.5, 0.95, 0.05):
                chosen = Thresholds(answer, min(unsure, answer), alternative)
                cost, oos_share = cost_of(chosen)
                feasible = oos_share >= OOS_ABSTAINED_MIN - 1e-12
                if (
                    best is None
                    or (feasible and not best[0])
                    or (feasible == best[0] and cost < best[1] - 1e-12)
                ):
                    best = (feasible, cost, chosen)
    assert best is not None
    return best[2], outcomes(asked, confidences, best[2])


def by_question(data: Design, p: Any, count: int) -> list[list[float]]:
    """Per question, the confidences of its candidates in rank order."""
    result: list[list[float]] = [[] for _ in range(count)]
    for row in range(len(p)):
        result[int(data.question[row])].append(float(p[row]))
    return result


def _mean(values: Any, weights: Any) -> float:
    return round(float((values * weights).sum() / weights.sum()), 4) if len(values) else 0.0


def reliability(data: Design, p: Any) -> list[dict[str, float]]:
    """The top candidates' predicted confidence in bins against how often they were right,
    both weighted as in the fit (`count` is the number of questions)."""
    top = data.position == 0
    table = []
    for number in range(RELIABILITY_BINS):
        low, high = number / RELIABILITY_BINS, (number + 1) / RELIABILITY_BINS
        inside = top & (p >= low) & ((p < high) if number < RELIABILITY_BINS - 1 else (p <= 1))
        count = int(inside.sum())
        table.append(
            {
                "low": low,
                "high": high,
                "count": count,
                "predicted": _mean(p[inside], data.weight[inside]),
                "observed": _mean(data.y[inside], data.weight[inside]),
            }
        )
    return table


def rates(asked: Sequence[Asked], result: Outcomes) -> dict[str, float]:
    """Answered right and abstained, per family, as fractions."""
    found: dict[str, float] = {}
    for family in FAMILY_SHARE:
        kinds = [k for item, k in zip(asked, result.kinds, strict=True) if item.family == family]
        inscope = [
            k
            for item, k in zip(asked, result.kinds, strict=True)
            if item.family == family and item.inscope
        ]
        oos = [k for k in kinds if k.endswith("_oos")]
        if inscope:
            found[f"{family}_answered_right"] = sum(
                k in ("right", "right_unsure") for k in inscope
            ) / len(inscope)
            found[f"{family}_wrong"] = sum(k.startswith("wrong") for k in inscope) / len(inscope)
        if oos:
            found[f"{family}_abstained"] = sum(
                k in ("fallback_oos", "clarify_oos") for k in oos
            ) / len(oos)
    return found


@dataclass
class Report:
    lines: list[str]
    document: dict[str, Any]


def fit(asked: Sequence[Asked]) -> Report:
    """Choose the regularisation and thresholds out of fold, fit on everything, and return
    the calibration file's content with what was measured."""
    lines: list[str] = []
    data = design(asked)
    groups = sorted(set(data.groups.tolist()))
    lines.append(
        f"{len(asked)} questions, {len(data.y)} candidates ({int(data.y.sum())} right), "
        f"{len(groups)} groups in {FOLDS} folds left out in turn"
    )
    # The fit's settings, each judged out of fold: C by the log loss, the families' weights by
    # the cost of the decisions they lead to (the thresholds chosen for each).
    best: tuple[float, dict[str, float], float, float, Any, Thresholds, Outcomes] | None = None
    tried: list[dict[str, Any]] = []
    plain: tuple[float, dict[str, float], float, float, Any, Thresholds, Outcomes] | None = None
    for corpora in FIT_CORPORA:
        for oos in FIT_OOS:
            factors = {"inscope": corpora, "oos": corpora * oos}
            weighed = data.reweighed(factors, asked)
            fitted: tuple[float, float, Any] | None = None
            for c in C_GRID:
                oof = out_of_fold(weighed, c)
                loss = log_loss(data, oof)
                if fitted is None or loss < fitted[0]:
                    fitted = (loss, c, oof)
            assert fitted is not None
            loss, c, oof = fitted
            confidences = by_question(data, oof, len(asked))
            thresholds, result = choose_thresholds(asked, confidences)
            lines.append(
                f"  fit weights corpora x{corpora:g}, out-of-scope x{oos:g}: C={c:g}, "
                f"log loss {loss:.4f}, cost {result.cost:.4f}"
            )
            tried.append(
                {
                    "corpora": corpora,
                    "oos": oos,
                    "C": c,
                    "log_loss": round(loss, 4),
                    "cost": round(result.cost, 4),
                }
            )
            found = (result.cost, factors, c, loss, oof, thresholds, result)
            if corpora == 1.0 and oos == 1.0:
                plain = found
            if best is None or result.cost < best[0] - 1e-9:
                best = found
    assert best is not None and plain is not None
    if plain[0] <= best[0] * (1.0 + FIT_TIE):
        best = plain
    _, factors, c, loss, oof, thresholds, result = best
    data = data.reweighed(factors, asked)
    table = reliability(data, oof)
    lines.append("reliability of the top candidate, out of fold (predicted vs observed):")
    for row in table:
        lines.append(
            f"  {row['low']:.1f}-{row['high']:.1f}: {row['count']:5d} questions, predicted "
            f"{row['predicted']:.3f}, observed {row['observed']:.3f}"
        )
    lines.append(
        f"thresholds: answer >= {thresholds.answer:.2f}, unsure answer or did-you-mean >= "
        f"{thresholds.unsure:.2f}, an alternative >= {thresholds.alternative:.2f} "
        f"(out-of-fold cost {result.cost:.4f})"
    )
    measured = rates(asked, result)
    for name, value in measured.items():
        lines.append(f"  out of fold: {name} {100 * value:.1f}%")
    numpy = numpy_or_fail()
    models = fit_models(data, numpy.ones(len(data.y), dtype=bool), c)
    document = {
        "format": CALIBRATION_FORMAT,
        "features": list(FEATURES),
        "weights": {k: [round(float(w), 6) for w in models[k][0]] for k in KINDS},
        "bias": {k: round(models[k][1], 6) for k in KINDS},
        "thresholds": {
            "answer": thresholds.answer,
            "unsure": thresholds.unsure,
            "alternative": thresholds.alternative,
        },
        "info": {
            "fitted": datetime.date.today().isoformat(),
            "questions": len(asked),
            "candidates": len(data.y),
            "C": c,
            "fit_factors": factors,
            "settings_tried": tried,
            "out_of_fold_log_loss": round(loss, 4),
            "out_of_fold": {k: round(v, 4) for k, v in measured.items()},
            "costs": COSTS,
            "oos_abstained_min": OOS_ABSTAINED_MIN,
            "family_share": FAMILY_SHARE,
            "reliability": table,
        },
    }
    return Report(lines, document)


def neutral_responder(kb: KnowledgeBase) -> Responder:
    """A responder for ranking only: it never reads the calibration file being refitted, so a
    broken one can always be replaced."""
    none = Model((0.0,) * len(FEATURES), 0.0)
    neutral = Calibration(none, none, Thresholds(1.0, 1.0, 1.0))
    return Responder(kb, neutral)


def calibrate(responder: Responder, eval_root: Path) -> Report:
    """Label the data with this knowledge base and fit."""
    return fit(labelled(responder, eval_root))
