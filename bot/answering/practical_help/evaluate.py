"""How the shipped help detector does on a labelled corpus (`python -m bot practical-help eval`).

Per part of the corpus (tuning and holdout), the figures the answer-engine issue asks for:
- help requests passed on to the volunteers (STRONG), and passed on or offered (GENERIC);
- for those passed on, whether the kind of task is right;
- offers to volunteer and other messages of the help corpus passed on (false positives);
- ordinary questions (the out-of-scope and in-scope corpora) passed on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.answering.intents import HelpMatch, HelpStrength
from bot.answering.practical_help.corpus import HelpSample


@dataclass
class HelpTally:
    """Counts for one group of messages."""

    requests: int = 0
    passed_on: int = 0
    offered: int = 0  # passed on, or offered when nothing else answers
    right_kind: int = 0
    others: int = 0  # offers to volunteer and other messages of the help corpus
    others_passed_on: int = 0
    ordinary: int = 0
    ordinary_passed_on: int = 0

    def add(self, sample: HelpSample, found: HelpMatch | None) -> None:
        strong = found is not None and found.strength is HelpStrength.STRONG
        if sample.help:
            self.requests += 1
            self.passed_on += strong
            self.offered += found is not None
            self.right_kind += strong and found is not None and found.category == sample.category
        elif sample.source in ("volunteer", "other"):
            self.others += 1
            self.others_passed_on += strong
        else:
            self.ordinary += 1
            self.ordinary_passed_on += strong

    @staticmethod
    def _share(part: int, whole: int) -> str:
        return f"{100 * part / whole:5.1f}%" if whole else "    - "

    def line(self, name: str) -> str:
        share = self._share
        requests = self.requests
        return (
            f"{name:12} requests {requests:4}: passed on {share(self.passed_on, requests)}"
            f"  or offered {share(self.offered, self.requests)}"
            f"  kind right {share(self.right_kind, self.passed_on)}"
            f" | volunteer/other {self.others:4}: passed on "
            f"{share(self.others_passed_on, self.others)}"
            f" | ordinary {self.ordinary:4}: passed on "
            f"{share(self.ordinary_passed_on, self.ordinary)}"
        )


@dataclass
class HelpEvaluation:
    """Tallies of one part of the corpus, overall and by author."""

    name: str
    total: HelpTally = field(default_factory=HelpTally)
    by_author: dict[str, HelpTally] = field(default_factory=lambda: defaultdict(HelpTally))
    misses: list[HelpSample] = field(default_factory=list)
    false_positives: list[HelpSample] = field(default_factory=list)

    def lines(self, details: bool) -> list[str]:
        found = [self.total.line(self.name)]
        if details:
            found += ["  " + t.line(a) for a, t in sorted(self.by_author.items())]
        return found


def evaluate(
    name: str, samples: Iterable[HelpSample], assess: Callable[[str], HelpMatch | None]
) -> HelpEvaluation:
    """Run `assess` on every sample and tally the results."""
    evaluation = HelpEvaluation(name)
    for sample in samples:
        found = assess(sample.text)
        evaluation.total.add(sample, found)
        evaluation.by_author[sample.author].add(sample, found)
        strong = found is not None and found.strength is HelpStrength.STRONG
        if sample.help and not strong:
            evaluation.misses.append(sample)
        if not sample.help and strong:
            evaluation.false_positives.append(sample)
    return evaluation
