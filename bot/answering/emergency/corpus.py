"""The labelled emergency corpus, and the other corpora as messages that are not emergencies.

`tests/data/corpora/emergency/` holds emergencies and non-emergencies written for the
detector. The help, out-of-scope and in-scope corpora hold ordinary questions and requests by
other authors: none is an emergency, so they teach the model what everyday messages look like.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.answering.corpora import CORPORA, Row, load_split
from bot.errors import UsageError

SITUATIONS = ("medical", "fire", "violence", "suicide", "water", "missing")
DEFAULT_CORPUS = CORPORA / "emergency"
# Corpora of ordinary messages, none of them an emergency.
ORDINARY_CORPORA = (CORPORA / "help", CORPORA / "oos", CORPORA / "inscope")


@dataclass(frozen=True, slots=True)
class Sample:
    """One labelled message."""

    text: str
    emergency: bool
    situation: str | None
    lang: str
    author: str
    trap: str | None


def _emergency_sample(row: Row) -> Sample:
    label = row.fields.get("label")
    if label not in ("emergency", "not"):
        raise UsageError(f"{row.location}: label {label!r}, expected emergency or not")
    situation = row.fields.get("situation") if label == "emergency" else None
    if label == "emergency" and situation not in SITUATIONS:
        raise UsageError(f"{row.location}: situation {situation!r}")
    trap = row.fields.get("trap")
    return Sample(
        row.fields["text"],
        label == "emergency",
        situation,
        str(row.fields.get("lang", "")),
        row.author,
        trap if isinstance(trap, str) else None,
    )


def _ordinary_sample(row: Row, corpus: str) -> Sample:
    return Sample(
        row.fields["text"], False, None, str(row.fields.get("lang", "")), row.author, corpus
    )


def load_corpus(root: Path = DEFAULT_CORPUS) -> tuple[list[Sample], list[Sample]]:
    """The tuning part and the holdout part of the emergency corpus in `root`."""
    tuning, held = load_split(root)
    return [_emergency_sample(r) for r in tuning], [_emergency_sample(r) for r in held]


def knowledge_questions(knowledge_dir: Path) -> list[Sample]:
    """The knowledge base's example questions and titles: everyday questions, none an
    emergency (asking for an emergency number is a question, not an emergency)."""
    from bot.kb.loader import load_knowledge

    kb = load_knowledge(knowledge_dir).kb
    found = []
    for entry in kb.entries.values():
        texts = [(lang, q) for lang, questions in entry.questions.items() for q in questions]
        texts += list(entry.title.items())
        found += [Sample(text, False, None, lang, "kb", "kb") for lang, text in texts]
    return found


def load_ordinary(roots: tuple[Path, ...] = ORDINARY_CORPORA) -> tuple[list[Sample], list[Sample]]:
    """The tuning and holdout parts of the ordinary corpora that exist, as non-emergencies."""
    tuning: list[Sample] = []
    held: list[Sample] = []
    for root in roots:
        if not root.is_dir():
            continue
        part_tuning, part_held = load_split(root)
        tuning += [_ordinary_sample(r, root.name) for r in part_tuning]
        held += [_ordinary_sample(r, root.name) for r in part_held]
    return tuning, held
