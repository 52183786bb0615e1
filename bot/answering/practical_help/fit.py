"""Fitting the learned help detector (`python -m bot practical-help fit`); needs scikit-learn.

The same method as the emergency detector's fit (`bot.answering.emergency.fit`): naive Bayes
scaled features and a logistic regression, leave-one-author-out folds over the tuning authors
only, every choice made on out-of-fold predictions:
- the regularisation strength, by log loss;
- the fusion with the patterns' verdict;
- the two thresholds, by the share of the help corpus's other messages they let through:
  offers to volunteer and questions that share words with a request, each group on its own
  (the requirement holds for each).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.answering.emergency.features import features
from bot.answering.emergency.model import EmergencyLevel, Thresholds
from bot.answering.intents import HelpStrength, detect_help_request
from bot.answering.linear_fit import (
    design,
    fit_fusion,
    model_document,
    numpy_or_fail,
    out_of_fold,
    threshold_at,
)
from bot.answering.practical_help import rule_features
from bot.answering.practical_help.corpus import CATEGORIES, HelpSample
from bot.answering.query import analyse_query
from bot.errors import UsageError

# The out-of-fold log loss fell from C=16 to C=64 (0.102, 0.097, 0.094 on the corpus with
# h19-h24): the grid starts where it was best.
C_GRID = (64.0, 128.0)
NB_ALPHA = 0.1
# Out of fold, at most this share of the help corpus's other messages may be passed to the
# volunteers, and at most this share offered the help form when nothing else answers. The
# requirement is 3%: the margin is for writers unlike any in the corpus.
STRONG_FALSE = 0.02
ANY_FALSE = 0.03
# A feature seen in fewer authors' messages than this is one writer's habit: it is left out.
MIN_AUTHORS = 2
# The ordinary corpora teach what everyday questions look like, but count less: they are
# many and easy. The knowledge base's example questions count fully: each must find its entry.
ORDINARY_WEIGHT = 0.3
# A message's length says little about whether it asks for help, and its weight swung from
# fold to fold (a two-word greeting was taken for a request).
UNUSED_FEATURES = ("n:",)
# The help corpus's messages that are not requests: offers to volunteer, and questions that
# share words with a request. The thresholds answer to them.
LOOK_ALIKES = ("volunteer", "other")
# An offer to help names the same tasks as a request ("I have a car and can drive food to old
# people"): offers count more in the fit, so the model learns what makes a message an offer.
VOLUNTEER_WEIGHT = 2.0
ORDINARY_SOURCES = ("oos", "inscope")


@dataclass
class HelpFitReport:
    """What a fit chose and how it did out of fold."""

    model: dict[str, Any]
    lines: list[str]
    fused: list[float] = field(default_factory=list)


def _row(sample: HelpSample) -> tuple[dict[str, float], bool]:
    words = list(analyse_query(sample.text).words)
    rule = detect_help_request(sample.text)
    found = features(words, (), rule_features(sample.text, rule, words))
    scale = 1.0 / math.sqrt(found.total()) if found else 0.0
    strong = rule is not None and rule.strength is HelpStrength.STRONG
    return {name: count * scale for name, count in found.items()}, strong


def _weight(sample: HelpSample) -> float:
    if sample.source in ORDINARY_SOURCES:
        return ORDINARY_WEIGHT
    return VOLUNTEER_WEIGHT if sample.source == "volunteer" else 1.0


def _threshold(fused: Sequence[float], tuning: Sequence[HelpSample], share: float) -> float:
    """The lowest threshold at which each group of look-alikes reaches it at most `share`."""
    return max(
        threshold_at([f for f, s in zip(fused, tuning, strict=True) if s.source == source], share)
        for source in LOOK_ALIKES
    )


def rates(levels: Sequence[EmergencyLevel], samples: Sequence[HelpSample]) -> dict[str, float]:
    """How the verdicts treat requests, the help corpus's other messages and ordinary ones."""

    def share(part: list[EmergencyLevel], at: EmergencyLevel) -> float:
        return sum(level >= at for level in part) / max(1, len(part))

    requests = [v for v, s in zip(levels, samples, strict=True) if s.help]
    volunteer = [v for v, s in zip(levels, samples, strict=True) if s.source == "volunteer"]
    others = [v for v, s in zip(levels, samples, strict=True) if s.source == "other"]
    ordinary = [
        v
        for v, s in zip(levels, samples, strict=True)
        if s.source not in ("help", "volunteer", "other")
    ]
    strong, generic = EmergencyLevel.HIGH, EmergencyLevel.MEDIUM
    return {
        "strong_recall": share(requests, strong),
        "any_recall": share(requests, generic),
        "volunteer_strong_false": share(volunteer, strong),
        "volunteer_any_false": share(volunteer, generic),
        "other_strong_false": share(others, strong),
        "other_any_false": share(others, generic),
        "ordinary_strong_false": share(ordinary, strong),
    }


def fit(tuning: Sequence[HelpSample], corpus_digest: str) -> HelpFitReport:
    """Fit the model on `tuning`, with the help patterns as features and as a second opinion."""
    numpy_or_fail()  # a clear message before any work when scikit-learn is missing

    if not any(s.help for s in tuning):
        raise UsageError("the tuning part of the help corpus has no help requests")
    rows = [_row(s) for s in tuning]
    data = design(
        [r for r, _ in rows],
        [s.help for s in tuning],
        [s.author for s in tuning],
        [_weight(s) for s in tuning],
        UNUSED_FEATURES,
    )
    lines = [f"tuning part: {len(tuning)} messages by {len(data.authors)} authors"]
    c, oof = out_of_fold(data, C_GRID, NB_ALPHA, MIN_AUTHORS, lines)

    strong = [s for _, s in rows]
    fusion = fit_fusion(oof, strong, data)
    fused = [fusion.score(p, m) for p, m in zip(oof, strong, strict=True)]
    high = _threshold(fused, tuning, STRONG_FALSE)
    thresholds = Thresholds(high, min(high, _threshold(fused, tuning, ANY_FALSE)))
    found = rates([thresholds.level(f, rule_matched=False) for f in fused], tuning)
    lines.append(
        f"chosen C={c:g}; fusion: model {fusion.model:.2f}, patterns {fusion.rule:.2f}, bias "
        f"{fusion.bias:.2f}; thresholds: request {thresholds.high:.3f}, offer "
        f"{thresholds.medium:.3f}"
    )
    lines.append(
        f"out of fold: requests passed on {found['strong_recall']:.1%}, passed on or offered "
        f"{found['any_recall']:.1%}; offers to volunteer passed on "
        f"{found['volunteer_strong_false']:.1%}, offered {found['volunteer_any_false']:.1%}; "
        f"other messages of the help corpus passed on {found['other_strong_false']:.1%}, offered "
        f"{found['other_any_false']:.1%}; ordinary questions passed on "
        f"{found['ordinary_strong_false']:.1%}"
    )

    model = model_document(
        data,
        (c, NB_ALPHA, MIN_AUTHORS),
        [s.category for s in tuning],
        CATEGORIES,
        thresholds,
        fusion,
        (corpus_digest, found),
        lines,
    )
    return HelpFitReport(model, lines, fused)
