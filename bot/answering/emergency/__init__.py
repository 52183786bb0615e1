"""Is someone in danger now? Two parts that cover for each other decide.

- The learned part (`model.py`): a logistic regression over character and word n-grams and the
  message's concepts, fitted on a corpus written by many independent authors
  (`python -m bot emergency fit`). It recognises situations described in words no table has.
- The concept rules (`rules.py`): combinations of concepts, per language in data files. They
  catch what the model misses, and the model keeps a rule about the past from raising the
  alarm.

The verdict has three levels:
- HIGH: the full emergency reply, before anything else;
- MEDIUM: the normal reply, with the emergency numbers as its first line;
- NONE.
The data files live in the package, not in `knowledge/`: a broken staff edit can never switch
emergency detection off.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from bot.answering.emergency.model import (
    DetectorDataError,
    EmergencyLevel,
    LinearModel,
    Thresholds,
)
from bot.answering.emergency.rules import load_rules
from bot.answering.query import analyse_query

__all__ = [
    "DATA_DIR",
    "DetectorDataError",
    "EmergencyDetector",
    "EmergencyLevel",
    "EmergencyVerdict",
    "detect_emergency",
    "detector",
]

DATA_DIR: Final = Path(__file__).parent / "data"
# All of any real message is read; the cost is linear in its length.
SCAN_CHARS: Final = 10_000


@dataclass(frozen=True, slots=True)
class EmergencyVerdict:
    """The detector's decision about one message. Never holds the message itself."""

    level: EmergencyLevel
    situation: str | None  # medical, fire, violence, suicide, water or missing
    score: float  # the model and the rules combined, 0 to 1
    rule: str | None = None  # the concept rule that matched, if any

    @property
    def alarm(self) -> bool:
        return self.level is EmergencyLevel.HIGH


class EmergencyDetector:
    """The learned model and the concept rules, loaded from one data folder."""

    def __init__(self, data_dir: Path = DATA_DIR) -> None:
        self.rules = load_rules(data_dir)
        self.model = LinearModel.load(data_dir / "model.json")
        # Concepts added to the tables since the fit are not the model's features (the fit
        # records the concepts it had): a context concept added for a cap changes no score.
        fitted = self.model.info.get("concepts")
        if isinstance(fitted, list):
            self.rules.limit_features(str(name) for name in fitted)
        unknown = set(self.model.situations) - set(self.rules.situations)
        if unknown:
            raise DetectorDataError(
                data_dir / "model.json", f"situations the rules do not know: {sorted(unknown)}"
            )

    @property
    def thresholds(self) -> Thresholds:
        return self.model.thresholds

    def assess_words(self, words: list[str]) -> EmergencyVerdict:
        """The verdict for a message given as folded words (`bot.text.tokens`)."""
        if not words:
            return EmergencyVerdict(EmergencyLevel.NONE, None, 0.0)
        analysis = self.rules.analyse(words)
        # No word of danger: nothing, whatever the model would say (Thresholds.level), so
        # most messages stop here, before the model.
        if not self.rules.has_danger(analysis):
            return EmergencyVerdict(EmergencyLevel.NONE, None, 0.0)
        # "Bye everyone, thanks for the help!": an everyday closing, even to the goodbye rule.
        if self.rules.everyday_closing(words, analysis):
            return EmergencyVerdict(EmergencyLevel.NONE, None, 0.0)
        matches = self.rules.matches(analysis)
        rule = self.rules.best(matches)
        names = [match.rule for match in matches]
        concepts = self.rules.concepts_of(analysis)
        message = self.model.prepare(words, concepts)
        probability = self.model.probability(words, concepts, names, message)
        if rule is not None:
            # A plea that opens the message ("kan noen hjelpe meg, pappa puster ikke") reads to
            # the model like a request for a volunteer: the rest is scored without it too.
            opener = self.rules.opener_length(words, analysis)
            if opener:
                rest = self.model.probability(words[opener:], concepts[opener:], names)
                probability = max(probability, rest)
        score = self.model.fusion.score(probability, rule is not None)
        level = self.model.thresholds.level(score, rule is not None)
        if rule is None:
            # An everyday context (a closing alone, an idiom) caps what the model alone
            # gives; never a rule's level.
            cap = self.rules.cap(words, analysis)
            if cap is not None and level > cap:
                level = EmergencyLevel(cap)
        if level is EmergencyLevel.NONE:
            return EmergencyVerdict(level, None, score)
        if rule is not None:
            situation = rule.situation
        else:
            situation = self.model.best_situation(words, concepts, names, message)
        return EmergencyVerdict(level, situation, score, rule.rule if rule else None)

    def assess(self, text: str) -> EmergencyVerdict:
        """The verdict for a message as the resident wrote it."""
        return self.assess_words(list(analyse_query(text).words))


@lru_cache(maxsize=1)
def detector() -> EmergencyDetector:
    """The detector shipped with the package, loaded on first use."""
    return EmergencyDetector()


# The bot checks a message before anything else, and the answer function checks it again:
# remembering the last few verdicts makes the second check free.
@lru_cache(maxsize=256)
def detect_emergency(text: str) -> EmergencyVerdict:
    """The verdict of the shipped detector for one message."""
    return detector().assess(text)
