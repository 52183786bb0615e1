"""Does the resident ask a volunteer for practical help? Two parts decide together.

- The help patterns (`bot.answering.intents`): signals such as "asks someone", "needs",
  "offers to help", "asks for information", and the kinds of task they name.
- The concept rules (`data/concepts/<lang>.yaml`, `data/rules.yaml`): what the words mean
  across languages and typos (isolated, empty, a relative, someone frail, an offer of a car),
  and combinations of them that describe a need without asking, or an offer to help.
- The learned part: the emergency detector's kind of logistic regression (`LinearModel`) over
  character and word n-grams, the patterns' signals, the concepts, each pair of concepts near
  each other and each concept rule that matches (each counted once, so a message that repeats
  a concept cannot add its weight up), fitted on a corpus written by independent authors
  (`python -m bot practical-help fit`). It recognises needs described indirectly ("the fridge
  is empty and I am in quarantine") and learns how far to trust each signal and rule.

The verdict: STRONG (pass the request to the volunteer queue), GENERIC (offer it when the
knowledge base has no answer) or nothing. The data file lives in the package, not in
`knowledge/`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Final, cast

from bot.answering.emergency.features import CONCEPT_REACH
from bot.answering.emergency.model import DetectorDataError, EmergencyLevel, LinearModel
from bot.answering.emergency.rules import ConceptRules, load_rules
from bot.answering.intents import (
    HelpCategory,
    HelpMatch,
    HelpStrength,
    detect_help_request,
    help_signals,
)
from bot.answering.practical_help.corpus import CATEGORIES
from bot.answering.query import analyse_query

__all__ = [
    "DATA_DIR",
    "HelpDetector",
    "concept_features",
    "concept_rules",
    "detect_help",
    "help_detector",
    "rule_features",
]

DATA_DIR: Final = Path(__file__).parent / "data"
# Shorter messages are taken for a request only when the patterns find one too.
MIN_WORDS_ALONE: Final = 3


@lru_cache(maxsize=1)
def concept_rules() -> ConceptRules:
    """The help detector's concept rules, compiled on first use."""
    return load_rules(DATA_DIR)


def concept_features(words: list[str]) -> list[str]:
    """The concepts of a message's words, each pair of concepts at most `CONCEPT_REACH` words
    apart, and the concept rules that match, each named once however often it occurs."""
    rules = concept_rules()
    analysis = rules.analyse(words)
    if not analysis.union:
        return []
    concepts = rules.concepts_of(analysis)
    found: set[str] = set()
    for position, names in enumerate(concepts):
        for name in names:
            found.add("k:" + name)
            for later in concepts[position + 1 : position + 1 + CONCEPT_REACH]:
                found.update(f"q:{min(name, o)}|{max(name, o)}" for o in later if o != name)
    found.update("cr:" + match.rule for match in rules.matches(analysis))
    return sorted(found)


def rule_features(text: str, rule: HelpMatch | None, words: list[str] | None = None) -> list[str]:
    """The patterns' and concept rules' view of a message as feature names: each signal and
    task that matches, the patterns' own verdict, and the concept features."""
    names = list(help_signals(text))
    if rule is not None:
        names.append(f"v:{rule.strength.value}")
    if words is None:
        words = list(analyse_query(text).words)
    names += concept_features(words)
    return names


class HelpDetector:
    """The learned model and the help patterns."""

    def __init__(self, data_dir: Path = DATA_DIR) -> None:
        path = data_dir / "model.json"
        self.model = LinearModel.load(path)
        unknown = set(self.model.situations) - set(CATEGORIES)
        if unknown:
            raise DetectorDataError(path, f"categories the bot does not know: {sorted(unknown)}")

    def score(self, text: str) -> tuple[float, HelpMatch | None, list[str]]:
        """The fused score, the patterns' verdict and the message's folded words."""
        score, rule, words, _ = self._scored(text)
        return score, rule, words

    def _scored(self, text: str) -> tuple[float, HelpMatch | None, list[str], list[str] | None]:
        """`score`, and the patterns' and concept rules' features it read (None when the
        message has no words)."""
        words = list(analyse_query(text).words)
        if not words:
            return 0.0, None, words, None
        rule = detect_help_request(text)
        names = rule_features(text, rule, words)
        probability = self.model.probability(words, [()] * len(words), names)
        strong = rule is not None and rule.strength is HelpStrength.STRONG
        return self.model.fusion.score(probability, strong), rule, words, names

    def assess(self, text: str) -> HelpMatch | None:
        """A request for a volunteer's practical help, if the message is one."""
        score, rule, words, names = self._scored(text)
        return self.decide(text, score, rule, words, names)

    def decide(
        self,
        text: str,
        score: float,
        rule: HelpMatch | None,
        words: list[str],
        names: list[str] | None = None,
    ) -> HelpMatch | None:
        """The verdict for a message's fused score (the shipped model's, or an out-of-fold
        one when the fit is evaluated). `names` are the message's rule features when the
        caller has them already."""
        level = self.model.thresholds.level(score, rule_matched=False)
        if level is EmergencyLevel.NONE:
            return None
        strength = HelpStrength.STRONG if level is EmergencyLevel.HIGH else HelpStrength.GENERIC
        too_short = len(words) < MIN_WORDS_ALONE
        unsure_without_cue = level is not EmergencyLevel.HIGH and not help_signals(text)
        if rule is None and (too_short or unsure_without_cue):
            # The model alone, on one or two words ("tomorrow") or below a sure request with
            # no word of help, need or task at all ("the weather tomorrow"), says too little:
            # the knowledge base answers, and its fallback offers the form anyway.
            return None
        if rule is not None and rule.category != "other":
            return HelpMatch(rule.category, strength)
        if names is None:
            names = rule_features(text, rule, words)
        category, _ = self.model.situation(words, [()] * len(words), names)
        return HelpMatch(cast(HelpCategory, category), strength)


@lru_cache(maxsize=1)
def help_detector() -> HelpDetector:
    """The detector shipped with the package, loaded on first use."""
    return HelpDetector()


@lru_cache(maxsize=64)
def detect_help(text: str) -> HelpMatch | None:
    """The verdict of the shipped help detector for one message."""
    return help_detector().assess(text)
