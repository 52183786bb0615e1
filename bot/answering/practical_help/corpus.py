"""The labelled help corpus, and the out-of-scope and in-scope corpora as messages that are not
help requests.

`tests/data/corpora/help/` holds requests for a volunteer's practical help, offers to volunteer
and other messages that share words with a request. The out-of-scope and in-scope corpora, by
other authors, hold ordinary questions: none asks a volunteer for help.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.answering.corpora import CORPORA, Row, answers_of, load_split
from bot.errors import UsageError

CATEGORIES = ("groceries", "pharmacy", "transport", "dog", "other")
LABELS = ("help", "volunteer", "other")
DEFAULT_CORPUS = CORPORA / "help"
# Corpora of ordinary questions, none of them a help request.
ORDINARY_CORPORA = (CORPORA / "oos", CORPORA / "inscope")


@dataclass(frozen=True, slots=True)
class HelpSample:
    """One labelled message."""

    text: str
    help: bool
    category: str | None
    source: str  # help, volunteer or other (the help corpus), or an ordinary corpus's name
    author: str


def _help_sample(row: Row) -> HelpSample:
    label = row.fields.get("label")
    if label not in LABELS:
        raise UsageError(f"{row.location}: label {label!r}, expected help, volunteer or other")
    category = row.fields.get("category") if label == "help" else None
    if label == "help" and category not in CATEGORIES:
        raise UsageError(f"{row.location}: category {category!r}, expected one of {CATEGORIES}")
    return HelpSample(row.fields["text"], label == "help", category, str(label), row.author)


def load_corpus(
    root: Path = DEFAULT_CORPUS, ordinary: tuple[Path, ...] = ORDINARY_CORPORA
) -> tuple[list[HelpSample], list[HelpSample]]:
    """The tuning and holdout parts of the help corpus, with the ordinary corpora's
    questions (those that exist) as more messages that are not help requests."""
    tuning, held = load_split(root)
    parts = ([_help_sample(r) for r in tuning], [_help_sample(r) for r in held])
    for other in ordinary:
        if not other.is_dir():
            continue
        asks_for_help = _about_volunteering(other)
        for rows, part in zip(load_split(other), parts, strict=True):
            part += [
                HelpSample(r.fields["text"], False, None, other.name, r.author)
                for r in rows
                if not asks_for_help(r)
            ]
    return parts


def _about_volunteering(root: Path) -> Callable[[Row], bool]:
    """Whether an in-scope question is about the volunteer services: many of those ask for a
    volunteer's help ("I am 84, can someone shop for me?"), so they are not counted as
    messages that are not help requests."""
    if not (root / "answers.yaml").is_file():
        return lambda row: False
    answers = answers_of(root)

    def about(row: Row) -> bool:
        key = (str(row.fields.get("doc")), " ".join(str(row.fields.get("quote", "")).split()))
        return any(entry.endswith("-volunteering") for entry in answers.get(key, ()))

    return about


def knowledge_questions(knowledge_dir: Path) -> list[HelpSample]:
    """The knowledge base's example questions: each must find its own entry (`kb test`), so
    none is taken for a help request."""
    from bot.kb.loader import load_knowledge

    kb = load_knowledge(knowledge_dir).kb
    return [
        HelpSample(question, False, None, "kb", "kb")
        for entry in kb.entries.values()
        for questions in entry.questions.values()
        for question in questions
    ]
