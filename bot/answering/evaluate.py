"""How the answer engine does on the independent corpora (`python -m bot eval`).

- in-scope questions (`inscope/`): answered with a right entry, a right entry ranked first,
  asked "did you mean", or told "I don't know";
- out-of-scope questions (`oos/`): the bot abstains (says it doesn't know, or asks);
- help requests (`help/`): recognised as one; offers to volunteer and other messages are not.
Each corpus has a tuning part and a holdout part (its `split.yaml`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.answering.corpora import CORPORA, Row, answers_of, load_split
from bot.answering.intents import HelpMatch, detect_help_request
from bot.answering.practical_help import HelpDetector
from bot.answering.query import analyse_query
from bot.answering.responder import Responder
from bot.errors import UsageError

ABSTAIN = frozenset({"fallback", "clarify", "smalltalk"})


@dataclass(frozen=True, slots=True)
class Question:
    """One labelled question for the answer engine."""

    text: str
    municipality: str | None
    corpus: str  # inscope, oos or help
    label: str  # inscope: the entries that answer it; oos: "oos"; help: help/volunteer/other
    entries: tuple[str, ...] = ()
    author: str = ""


def _inscope(
    rows: Iterable[Row], answers: dict[tuple[str, str], tuple[str, ...]]
) -> list[Question]:
    found = []
    for row in rows:
        key = (str(row.fields.get("doc")), " ".join(str(row.fields.get("quote", "")).split()))
        entries = answers.get(key)
        if not entries:
            raise UsageError(f"{row.location}: answers.yaml has no entries for its quote")
        found.append(
            Question(
                row.fields["text"], row.fields.get("m"), "inscope", "inscope", entries, row.author
            )
        )
    return found


def load_questions(corpora: Path = CORPORA) -> tuple[list[Question], list[Question]]:
    """The tuning and holdout questions of the in-scope, out-of-scope and help corpora."""
    tuning: list[Question] = []
    holdout: list[Question] = []
    answers = answers_of(corpora / "inscope")
    parts = load_split(corpora / "inscope")
    tuning += _inscope(parts[0], answers)
    holdout += _inscope(parts[1], answers)
    for name in ("oos", "help"):
        for rows, target in zip(load_split(corpora / name), (tuning, holdout), strict=True):
            for row in rows:
                label = "oos" if name == "oos" else str(row.fields.get("label"))
                target.append(
                    Question(row.fields["text"], row.fields.get("m"), name, label, (), row.author)
                )
    return tuning, holdout


@dataclass
class EngineTally:
    """Outcomes for one part of the corpora."""

    inscope: int = 0
    right: int = 0  # answered with a right entry
    ranked_first: int = 0  # a right entry was the engine's first candidate
    clarified: int = 0
    wrong: int = 0  # answered with another entry: a confident wrong answer
    unsure_right: int = 0  # of the right answers, those sent with "Not what you asked?"
    oos: int = 0
    abstained: int = 0
    oos_unsure: int = 0  # answered with "Not what you asked?"
    help: int = 0
    help_found: int = 0
    not_help: int = 0
    help_false: int = 0
    volunteer: int = 0  # of the messages that are not help requests, the offers to volunteer
    volunteer_false: int = 0
    kinds: Counter[str] = field(default_factory=Counter)

    def add(
        self,
        question: Question,
        kind: str,
        entry: str | None,
        first: str | None,
        unsure: bool = False,
    ) -> None:
        self.kinds[f"{question.corpus}:{kind}"] += 1
        if question.corpus == "inscope":
            self.inscope += 1
            self.right += kind == "answer" and entry in question.entries
            self.unsure_right += kind == "answer" and entry in question.entries and unsure
            self.ranked_first += first in question.entries
            self.clarified += kind == "clarify"
            self.wrong += kind == "answer" and entry not in question.entries
        elif question.corpus == "oos":
            self.oos += 1
            self.abstained += kind in ABSTAIN
            self.oos_unsure += kind == "answer" and unsure
        elif question.label == "help":
            self.help += 1
            self.help_found += kind == "help_request"
        else:
            self.not_help += 1
            self.help_false += kind == "help_request"
            if question.label == "volunteer":
                self.volunteer += 1
                self.volunteer_false += kind == "help_request"

    def lines(self, name: str) -> list[str]:
        def share(part: int, whole: int) -> str:
            return f"{100 * part / whole:5.1f}%" if whole else "    -"

        n = self.inscope
        return [
            f'{name}: in-scope {n}: answered right {share(self.right, n)} (with "not what you '
            f'asked?" {share(self.unsure_right, n)}), right entry first '
            f"{share(self.ranked_first, n)}, did you mean {share(self.clarified, n)}, wrong "
            f"answer {share(self.wrong, n)}",
            f"{name}: out-of-scope {self.oos}: abstained {share(self.abstained, self.oos)}, "
            f'answered with "not what you asked?" {share(self.oos_unsure, self.oos)}',
            f"{name}: help requests {self.help}: recognised {share(self.help_found, self.help)}; "
            f"other messages {self.not_help}: taken for help "
            f"{share(self.help_false, self.not_help)} (offers to volunteer {self.volunteer}: "
            f"{share(self.volunteer_false, self.volunteer)}; other questions "
            f"{self.not_help - self.volunteer}: "
            f"{share(self.help_false - self.volunteer_false, self.not_help - self.volunteer)})",
        ]


def evaluate(responder: Responder, questions: Sequence[Question]) -> EngineTally:
    """Ask every question and tally the outcomes."""
    tally = EngineTally()
    for question in questions:
        reply = responder.answer(question.text, question.municipality, check_emergency=False)
        first = responder.first_candidate(question.text, question.municipality)
        tally.add(question, reply.kind, reply.entry_id, first, reply.unsure)
    return tally


def help_out_of_fold(
    responder_of: Callable[[Callable[[str], HelpMatch | None]], Responder],
    scores: Mapping[str, float],
    detector: HelpDetector,
) -> str:
    """The "help requests" line for the tuning part of the corpora, each message's help
    verdict decided from its out-of-fold score (`scores`, by text: the fit's model fitted
    without its author) as the shipped detector decides, then answered by the whole answer
    function."""

    def verdict(text: str) -> HelpMatch | None:
        if text not in scores:
            return detector.assess(text)
        found = list(analyse_query(text).words)
        if not found:
            return None
        return detector.decide(text, scores[text], detect_help_request(text), found)

    tuning, _ = load_questions()
    tally = evaluate(responder_of(verdict), [q for q in tuning if q.corpus == "help"])
    return tally.lines("tuning, out of fold")[2]
