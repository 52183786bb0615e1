"""Staff's regression test: does every example question still find its own entry?"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bot.answering.responder import Reply, Responder
from bot.kb.knowledge import SHARED, Entry
from bot.types import Lang


@dataclass(frozen=True, slots=True)
class Outcome:
    entry: Entry
    language: Lang
    question: str
    line: int | None
    reply: Reply

    @property
    def passed(self) -> bool:
        return self.reply.kind == "answer" and self.reply.entry_id == self.entry.id


def home_municipalities(responder: Responder, entry: Entry) -> list[str | None]:
    """The municipalities whose residents can get `entry`: its own, or its countries' ones."""
    if entry.scope != SHARED:
        return [entry.scope]
    homes: list[str | None] = [
        m.id for m in responder.kb.municipalities.values() if m.country in entry.countries
    ]
    return homes or [None]


def run_examples(responder: Responder) -> Iterator[Outcome]:
    """Answer every example question as a resident of the entry's municipality would ask it.

    A national entry passes when it is found in at least one municipality of its country: in
    another, the municipality's own entry on the same subject may rightly come first.
    """
    for entry in responder.kb.entries.values():
        homes = home_municipalities(responder, entry)
        for lang, questions in entry.questions.items():
            lines = entry.question_lines.get(lang, ())
            for index, question in enumerate(questions):
                line = lines[index] if index < len(lines) else None
                outcome = None
                for municipality in homes:
                    reply = responder.answer(question, municipality, lang)
                    outcome = Outcome(entry, lang, question, line, reply)
                    if outcome.passed:
                        break
                assert outcome is not None
                yield outcome
