"""How the shipped detector does on a labelled corpus (`python -m bot emergency eval`).

The figures the emergency issue asks for, per part of the corpus (tuning and holdout):
- full emergency replies for emergencies, and the full reply or the warning line;
- full emergency replies and warning lines for non-emergencies;
- for emergencies given the full reply, whether its advice fits (the situation is right).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from bot.answering.emergency import EmergencyLevel, EmergencyVerdict
from bot.answering.emergency.corpus import Sample

# Advice for a medical emergency also fits water and ice (get them out, then first aid).
_FITTING_ADVICE = {"water": {"water", "medical"}, "missing": {"missing", "violence"}}


@dataclass
class Tally:
    """Counts for one group of messages."""

    emergencies: int = 0
    full: int = 0
    warned: int = 0  # the full reply or the warning line
    fitting_advice: int = 0
    others: int = 0
    false_full: int = 0
    false_warning: int = 0  # the warning line only

    def add(self, sample: Sample, verdict: EmergencyVerdict) -> None:
        level = verdict.level
        if sample.emergency:
            self.emergencies += 1
            self.full += level is EmergencyLevel.HIGH
            self.warned += level is not EmergencyLevel.NONE
            if level is EmergencyLevel.HIGH and verdict.situation in _FITTING_ADVICE.get(
                sample.situation or "", {sample.situation}
            ):
                self.fitting_advice += 1
        else:
            self.others += 1
            self.false_full += level is EmergencyLevel.HIGH
            self.false_warning += level is EmergencyLevel.MEDIUM

    @staticmethod
    def _share(part: int, whole: int) -> str:
        return f"{100 * part / whole:5.1f}%" if whole else "    - "

    def line(self, name: str) -> str:
        emergencies = self.emergencies
        return (
            f"{name:12} emergencies {emergencies:5}: full {self._share(self.full, emergencies)}"
            f"  full or line {self._share(self.warned, emergencies)}"
            f"  advice fits {self._share(self.fitting_advice, self.full)}"
            f" | others {self.others:5}: full {self._share(self.false_full, self.others)}"
            f"  line {self._share(self.false_warning, self.others)}"
        )


@dataclass
class Evaluation:
    """Tallies of one part of the corpus, overall and by author, language and kind."""

    name: str
    total: Tally = field(default_factory=Tally)
    groups: dict[str, dict[str, Tally]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Tally))
    )
    misses: list[tuple[Sample, EmergencyVerdict]] = field(default_factory=list)
    false_alarms: list[tuple[Sample, EmergencyVerdict]] = field(default_factory=list)

    def lines(self, details: bool) -> list[str]:
        found = [self.total.line(self.name)]
        if details:
            for by, tallies in self.groups.items():
                found.append(f"  by {by}:")
                found += ["  " + tally.line(key) for key, tally in sorted(tallies.items())]
        return found


def evaluate(
    name: str, samples: Iterable[Sample], assess: Callable[[str], EmergencyVerdict]
) -> Evaluation:
    """Score every sample with `assess` and tally the results."""
    evaluation = Evaluation(name)
    for sample in samples:
        verdict = assess(sample.text)
        evaluation.total.add(sample, verdict)
        keys = {
            "author": sample.author,
            "language": sample.lang or "-",
            "kind": (sample.situation or "-") if sample.emergency else f"not:{sample.trap or '-'}",
        }
        for by, key in keys.items():
            evaluation.groups[by][key].add(sample, verdict)
        if sample.emergency and verdict.level is not EmergencyLevel.HIGH:
            evaluation.misses.append((sample, verdict))
        if not sample.emergency and verdict.level is EmergencyLevel.HIGH:
            evaluation.false_alarms.append((sample, verdict))
    return evaluation


def example_lines(found: Sequence[tuple[Sample, EmergencyVerdict]], limit: int) -> list[str]:
    """A few labelled messages with the detector's verdict, for a person to read."""
    return [
        f"  {verdict.level.name.lower():6} {verdict.score:.2f} {sample.author} "
        f"{sample.situation or sample.trap or '-'}: {sample.text[:140]}"
        for sample, verdict in found[:limit]
    ]
