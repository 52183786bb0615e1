"""The calibrated answer decision: the fit holds on groups it never saw, the parameter file
is checked, and Responder.answer answers, asks or abstains as the thresholds say."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bot.answering import Responder
from bot.answering.calibrate import (
    OOS_ABSTAINED_MIN,
    Asked,
    choose_thresholds,
    corpus_questions,
    design,
    fit_models,
    kind_rows,
    neutral_responder,
    outcomes,
    predict,
)
from bot.answering.calibration import (
    CALIBRATION_FILE,
    FEATURES,
    Calibration,
    CalibrationError,
    Model,
    Thresholds,
    decide,
    load_calibration,
    shipped_calibration,
)
from bot.config import DEFAULT_KNOWLEDGE_DIR
from bot.kb.loader import load_knowledge

KB = load_knowledge(DEFAULT_KNOWLEDGE_DIR).kb
responder = Responder(KB)


@pytest.fixture(scope="module")
def corpus() -> list[Asked]:
    """The corpora's tuning part, ranked (the knowledge-base examples are left out here to
    keep the test fast; `kb calibrate` uses them too), each question weighing the same."""
    return corpus_questions(neutral_responder(KB))


@pytest.fixture(scope="module")
def out_of_fold(corpus: list[Asked]) -> list[list[float]]:
    """Per question, its candidates' confidences from fits made without its author."""
    data = design(corpus)
    confidences: list[list[float]] = [[] for _ in corpus]
    assert len(set(data.groups.tolist())) >= 6
    for fold in sorted(set(data.fold.tolist())):
        held = data.fold == fold
        # A fold leaves out whole authors.
        assert not set(data.groups[held].tolist()) & set(data.groups[~held].tolist())
        for kind, (weights, bias) in fit_models(data, ~held, 0.01).items():
            rows = held & kind_rows(data, kind)
            for row, p in zip(rows.nonzero()[0], predict(data, rows, weights, bias), strict=True):
                confidences[int(data.question[row])].append(float(p))
    return confidences


def test_the_fit_holds_on_authors_it_was_not_fitted_on(
    corpus: list[Asked], out_of_fold: list[list[float]]
) -> None:
    """Scored by fits made without their author, right top candidates rank above wrong ones
    and out-of-scope questions, and the confidence is a probability: in each well-filled bin
    the mean confidence is near the share that is right."""
    from sklearn.metrics import roc_auc_score

    pairs = [(c[0], item.right[0]) for item, c in zip(corpus, out_of_fold, strict=True) if c]
    labels = [r for _, r in pairs]
    auc = roc_auc_score(labels, [p for p, _ in pairs])
    # Never worse than the matcher's raw score.
    assert auc >= 0.7
    score = list(FEATURES).index("score")
    raw = [item.rows[0][score] for item, c in zip(corpus, out_of_fold, strict=True) if c]
    assert auc >= roc_auc_score(labels, raw) - 0.02
    for low in (0.0, 0.2, 0.4, 0.6, 0.8):
        inside = [(p, r) for p, r in pairs if low <= p < low + 0.2]
        if len(inside) >= 50:
            predicted = sum(p for p, _ in inside) / len(inside)
            observed = sum(r for _, r in inside) / len(inside)
            assert abs(predicted - observed) <= 0.15, (low, predicted, observed)


def test_thresholds_chosen_out_of_fold_abstain_on_most_out_of_scope(
    corpus: list[Asked], out_of_fold: list[list[float]]
) -> None:
    thresholds, result = choose_thresholds(corpus, out_of_fold)
    assert 0.0 < thresholds.unsure <= thresholds.answer < 1.0
    # The vectorised search and the responder's own decision agree on the cost.
    assert result.cost == pytest.approx(outcomes(corpus, out_of_fold, thresholds).cost)
    oos = [k for item, k in zip(corpus, result.kinds, strict=True) if not item.inscope]
    inscope = [k for item, k in zip(corpus, result.kinds, strict=True) if item.inscope]
    assert sum(k in ("fallback_oos", "clarify_oos") for k in oos) / len(oos) >= OOS_ABSTAINED_MIN
    assert sum(k == "wrong" for k in inscope) / len(inscope) <= 0.05
    assert sum(k in ("right", "right_unsure") for k in inscope) / len(inscope) >= 0.2


def test_the_thresholds_abstain_on_the_out_of_scope_share_even_when_answering_costs_less() -> None:
    """Ten in-scope questions answered right at 0.9 cost less than one out-of-scope question
    answered at 0.9 (3 against 10), but answering it abstains on none of the out-of-scope
    corpus: the thresholds must lie above it."""
    inscope = [Asked("inscope", "i01", True, right=[True]) for _ in range(10)]
    outside = [Asked("oos", "o01", False, right=[False])]
    asked = [*inscope, *outside]
    thresholds, result = choose_thresholds(asked, [[0.9]] * len(asked))
    assert thresholds.unsure > 0.9
    assert result.kinds[-1] == "fallback_oos"
    # Without the out-of-scope corpus, the least cost answers them.
    thresholds, result = choose_thresholds(inscope, [[0.9]] * len(inscope))
    assert thresholds.answer <= 0.9 and set(result.kinds) == {"right"}


def test_the_shipped_file_loads_and_matches_the_features() -> None:
    calibration = shipped_calibration()
    assert len(calibration.top.weights) == len(FEATURES)
    document = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
    assert document["features"] == list(FEATURES)
    assert document["info"]["reliability"], "the fit records its reliability table"


def _broken(tmp_path: Path, change: dict[str, object]) -> Path:
    document = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
    document.update(change)
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": 99}, "format 99"),
        ({"features": ["score"]}, "fitted for the features"),
        ({"weights": {"top": [1.0]}}, "one number per feature"),
        ({"bias": {"top": "x", "alternative": 0}}, "one number per feature"),
        ({"thresholds": {"answer": 0.5}}, "thresholds needs numbers"),
        ({"thresholds": {"answer": 0.2, "unsure": 0.5, "alternative": 0.5}}, "unsure <= answer"),
    ],
)
def test_a_broken_file_fails_clearly(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    with pytest.raises(CalibrationError, match=message) as caught:
        load_calibration(_broken(tmp_path, change))
    assert "kb calibrate" in str(caught.value)


def test_a_missing_or_unreadable_file_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(CalibrationError, match="cannot be read"):
        load_calibration(tmp_path / "nothing.json")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CalibrationError, match="not JSON"):
        load_calibration(tmp_path / "bad.json")


def test_decide() -> None:
    t = Thresholds(answer=0.9, unsure=0.5, alternative=0.4)
    assert decide([], t) == ("fallback", [])
    assert decide([0.3, 0.9], t) == ("fallback", [])
    assert decide([0.95, 0.45, 0.1], t) == ("answer", [1])
    assert decide([0.7, 0.1], t) == ("unsure", [])
    assert decide([0.7, 0.45, 0.42], t) == ("clarify", [0, 1, 2])


def _with(thresholds: Thresholds, alternative_bias: float | None = None) -> Responder:
    """The shipped responder with other thresholds (and, optionally, runner-ups made always
    or never plausible)."""
    shipped = shipped_calibration()
    alternative = shipped.alternative
    if alternative_bias is not None:
        alternative = Model((0.0,) * len(FEATURES), alternative_bias)
    asking = Responder.__new__(Responder)
    asking.__dict__.update(responder.__dict__)
    asking.calibration = Calibration(shipped.top, alternative, thresholds)
    return asking


QUESTION = ("kan jeg få utsatt betalingsfristen på fakturaen?", "asker")


def test_a_confident_top_entry_is_answered_outright() -> None:
    reply = _with(Thresholds(0.01, 0.01, 0.99)).answer(*QUESTION)
    assert (reply.kind, reply.entry_id, reply.unsure) == ("answer", "asker-invoice-deferral", False)
    assert 0.0 < reply.confidence <= 1.0


def test_one_plausible_entry_is_answered_with_not_what_you_asked() -> None:
    reply = _with(Thresholds(1.0, 0.01, 0.5), alternative_bias=-30.0).answer(*QUESTION)
    assert (reply.kind, reply.entry_id, reply.unsure) == ("answer", "asker-invoice-deferral", True)


def test_two_real_alternatives_give_did_you_mean() -> None:
    reply = _with(Thresholds(1.0, 0.01, 0.5), alternative_bias=30.0).answer(*QUESTION)
    assert reply.kind == "clarify"
    assert len(reply.suggestions) >= 2
    assert reply.suggestions[0].entry_id == "asker-invoice-deferral"


def test_below_the_unsure_threshold_the_bot_says_it_does_not_know() -> None:
    reply = _with(Thresholds(1.0, 1.0, 1.0)).answer(*QUESTION)
    assert reply.kind == "fallback"


def test_the_shipped_decision_answers_and_abstains() -> None:
    assert responder.answer(*QUESTION).kind == "answer"
    assert responder.answer("hva blir været i morgen", "asker").kind == "fallback"


def test_municipality_clarification_keeps_working() -> None:
    reply = responder.answer("I want to volunteer")
    assert reply.kind == "clarify"
    assert {"asker", "ockero"} <= set(reply.municipalities)
    # With the municipality chosen, the same question is answered.
    assert responder.answer("I want to volunteer", "ockero").entry_id == "ockero-volunteering"


def test_the_reply_keeps_the_matcher_score_on_its_scale() -> None:
    reply = responder.answer(*QUESTION)
    assert 0 <= reply.score <= 100
    assert replace(reply, confidence=0.5).to_json()["confidence"] == 0.5


def test_the_fit_weighs_families_by_the_settings_chosen_and_judges_by_the_objective(
    corpus: list[Asked],
) -> None:
    """A family's fit factor changes only its rows' weight in the fit: the objective's weights
    (the costs and the log loss) stay as they were, and a heavier out-of-scope corpus pulls the
    fitted confidences down."""
    import numpy

    data = design(corpus)
    heavier = data.reweighed({"oos": 3.0}, corpus)
    oos = numpy.array([not corpus[int(q)].inscope for q in data.question])
    assert numpy.allclose(heavier.weight, data.weight)
    assert numpy.allclose(heavier.fit_weight[oos], 3.0 * data.weight[oos])
    assert numpy.allclose(heavier.fit_weight[~oos], data.weight[~oos])
    everything = numpy.ones(len(data.y), dtype=bool)
    top = kind_rows(data, "top")
    plain = predict(data, top, *fit_models(data, everything, 0.1)["top"])
    pulled = predict(data, top, *fit_models(heavier, everything, 0.1)["top"])
    assert pulled.mean() < plain.mean()
