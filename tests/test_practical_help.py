"""The help-request detector: its data file, what it recognises, and how it generalises.

How well it generalises is measured on the holdout authors of the help corpus
(tests/data/corpora/help), who were never used to fit or tune anything.
"""

from __future__ import annotations

import json
import shutil
from functools import cache
from pathlib import Path

import pytest

from bot.answering import Responder
from bot.answering.emergency.model import DetectorDataError
from bot.answering.emergency.rules import load_rules
from bot.answering.evaluate import EngineTally, Question, help_out_of_fold, load_questions
from bot.answering.intents import HelpStrength
from bot.answering.practical_help import (
    DATA_DIR,
    HelpDetector,
    concept_features,
    concept_rules,
    help_detector,
)
from bot.answering.practical_help.corpus import DEFAULT_CORPUS, load_corpus
from bot.answering.practical_help.evaluate import HelpTally, evaluate
from bot.answering.practical_help.fit import fit
from bot.cli import main
from bot.config import DEFAULT_KNOWLEDGE_DIR
from bot.kb.loader import load_knowledge

# -- the data file ---------------------------------------------------------------------------


def test_the_shipped_weights_load_and_record_their_fit() -> None:
    loaded = help_detector()
    assert set(loaded.model.situations) == {"groceries", "pharmacy", "transport", "dog", "other"}
    assert 0 < loaded.model.thresholds.medium <= loaded.model.thresholds.high < 1
    assert loaded.model.info["authors"], "the model records the authors it was fitted on"
    assert DATA_DIR.is_relative_to(Path(__file__).resolve().parent.parent / "bot")


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('"format": 1', '"format": 7', "format 7"),
        ('"bias"', '"bais"', "malformed model"),
        ('"situations": ["dog"', '"situations": ["cat"', "categories the bot does not know"),
    ],
)
def test_a_broken_model_file_is_reported_with_its_path(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    shutil.copytree(DATA_DIR, tmp_path / "data")
    model = tmp_path / "data" / "model.json"
    text = model.read_text(encoding="utf-8")
    assert old in text
    model.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DetectorDataError, match=problem) as raised:
        HelpDetector(tmp_path / "data")
    assert "model.json" in str(raised.value)


# -- what it recognises ----------------------------------------------------------------------

# Written for this test, in the words of the findings: the need described, not only
# the task named.
REQUESTS = [
    ("Kan en frivillig hente medisinene mine på apoteket? Jeg er i karantene.", "pharmacy"),
    ("Jeg sitter isolert hjemme og har ikke mer mat i huset", "groceries"),
    ("Could someone do the shopping for my father? He is 88 and can't get out.", "groceries"),
    ("Kan någon handla åt min mamma i Katrineholm? Jag bor i Malmö.", "groceries"),
    ("Is there a volunteer who could walk my dog while I'm ill?", "dog"),
    ("Nokon som kan køyre meg til legen på torsdag? Eg har ikkje bil.", "transport"),
]

NOT_REQUESTS = [
    "Jeg vil gjerne bli frivillig, hvordan melder jeg meg?",
    "Jag har bil och kan köra mat till äldre som behöver det",
    "I have a car and could drive food to old people who are stuck at home",
    "Is there a volunteer group I can join?",
    "Eg er student og har god tid, kan handle for dei som treng det",
    "I need help paying my municipal invoice",
    "Når er apoteket på Holmen åpent?",
    "god morgen",
    "Tusen takk for hjelpen med handlingen forrige uke!",
]


@pytest.mark.parametrize(("text", "category"), REQUESTS)
def test_requests_in_residents_words_are_passed_on(text: str, category: str) -> None:
    found = help_detector().assess(text)
    assert found is not None and found.strength is HelpStrength.STRONG
    assert found.category == category


@pytest.mark.parametrize("text", NOT_REQUESTS)
def test_offers_questions_and_thanks_are_not_passed_on(text: str) -> None:
    found = help_detector().assess(text)
    assert found is None or found.strength is not HelpStrength.STRONG


def test_the_concept_files_load_and_every_concept_is_used() -> None:
    rules = concept_rules()
    assert {"isolated", "empty", "relative", "have_means", "volunteer"} <= set(rules.concept_bits)
    # "ask" and "me" are features of their own; every other concept is in some rule.
    assert set(rules.unused_concepts) <= {"ask", "me"}


def test_concepts_pairs_and_rules_are_features_counted_once() -> None:
    once = concept_features(["fridge", "empty", "quarantine"])
    assert "k:isolated" in once and "q:empty|store" in once
    assert any(name.startswith("cr:@store @empty") for name in once)
    # Repeating the words adds no feature and no count: an earlier fit's pair feature, counted
    # once per repetition, outweighed the rest of the message.
    repeated = concept_features(["fridge", "empty", "quarantine"] * 5)
    assert repeated == once and len(repeated) == len(set(repeated))


def test_concept_words_match_with_typos_and_without_diacritics() -> None:
    assert "k:isolated" in concept_features(["karantne"])
    assert "k:store" in concept_features(["kjoleskapet"])
    assert "k:volunteer" in concept_features(["volontar"])


def test_an_offer_scores_far_below_a_request_with_the_same_task() -> None:
    offer, _, _ = help_detector().score("Is there a volunteer group I can join?")
    request, _, _ = help_detector().score("Is there a volunteer who can do my shopping?")
    assert offer < help_detector().model.thresholds.medium < request


def test_a_broken_concept_file_is_reported_with_its_path(tmp_path: Path) -> None:
    shutil.copytree(DATA_DIR, tmp_path / "data")
    broken = tmp_path / "data" / "concepts" / "sv.yaml"
    broken.write_text("isolated: [karantän*, @empty]\n", encoding="utf-8")
    with pytest.raises(DetectorDataError, match=r"sv\.yaml") as raised:
        load_rules(tmp_path / "data")
    assert "line 1" in str(raised.value)


@pytest.mark.parametrize("text", ["tomorrow", "apotek", "what's the weather tomorrow"])
def test_the_model_alone_on_a_few_words_or_no_cue_offers_nothing(text: str) -> None:
    assert help_detector().assess(text) is None


@cache
def _responder() -> Responder:
    return Responder(load_knowledge(DEFAULT_KNOWLEDGE_DIR).kb)


def test_the_responder_passes_requests_on_and_greets_greetings() -> None:
    assert _responder().answer(REQUESTS[1][0], "asker").kind == "help_request"
    assert _responder().answer("god morgen", "asker").kind == "smalltalk"


# -- generalisation ----------------------------------------------------------------------------

# Measured on the holdout when the shipped model was fitted (`python -m bot practical-help
# eval`); a refit that does worse on writers it has never seen fails here.
HOLDOUT_PASSED_ON = 0.94
HOLDOUT_OTHERS_PASSED_ON = 0.03
HOLDOUT_ORDINARY_PASSED_ON = 0.01


@cache
def _holdout() -> HelpTally:
    _, holdout = load_corpus(DEFAULT_CORPUS)
    return evaluate("holdout", holdout, help_detector().assess).total


def test_the_engine_reports_offers_and_other_questions_taken_for_help_apart() -> None:
    tally = EngineTally()
    for label, kind in [
        ("volunteer", "help_request"),
        ("volunteer", "answer"),
        ("other", "answer"),
    ]:
        tally.add(Question("x", None, "help", label), kind, None, None)
    line = tally.lines("t")[2]
    assert (
        "taken for help  33.3% (offers to volunteer 2:  50.0%; other questions 1:   0.0%)" in line
    )


def test_out_of_fold_verdicts_are_judged_through_the_answer_function() -> None:
    tuning, _ = load_questions()
    requests = {q.text for q in tuning if q.corpus == "help" and q.label == "help"}
    kb = load_knowledge(DEFAULT_KNOWLEDGE_DIR).kb
    # Every request scored 0 out of fold: none is passed on, whatever the shipped model says.
    line = help_out_of_fold(
        lambda verdict: Responder(kb, help_verdict=verdict),
        dict.fromkeys(requests, 0.0),
        help_detector(),
    )
    assert line.startswith(f"tuning, out of fold: help requests {len(requests)}: recognised")
    assert "recognised   0.0%" in line


def test_holdout_requests_are_passed_on() -> None:
    tally = _holdout()
    assert tally.requests >= 300
    assert tally.passed_on / tally.requests >= HOLDOUT_PASSED_ON


def test_holdout_offers_and_other_messages_are_rarely_passed_on() -> None:
    tally = _holdout()
    assert tally.others >= 300
    assert tally.others_passed_on / tally.others <= HOLDOUT_OTHERS_PASSED_ON
    assert tally.ordinary_passed_on / tally.ordinary <= HOLDOUT_ORDINARY_PASSED_ON


# -- refitting and the command line ------------------------------------------------------------


def test_refitting_on_a_few_authors_gives_a_model_that_loads(tmp_path: Path) -> None:
    tuning, _ = load_corpus(DEFAULT_CORPUS)
    authors = {"h01", "h02", "h04", "o01", "i01"}
    report = fit([s for s in tuning if s.author in authors], "test")
    (tmp_path / "model.json").write_text(json.dumps(report.model), encoding="utf-8")
    refitted = HelpDetector(tmp_path)
    assert refitted.model.info["authors"] == sorted(authors)
    assert refitted.assess("kan noen handle mat for meg?") is not None
    assert any("out of fold" in line for line in report.lines)


def test_check_prints_the_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["practical-help", "check", "kan", "noen", "handle", "for", "meg?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("strong (groceries)")
    assert "the patterns alone: strong" in out


def test_eval_reports_both_parts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["practical-help", "eval", "--part", "holdout", "--examples", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("holdout ")
    assert "requests not passed on" in out
