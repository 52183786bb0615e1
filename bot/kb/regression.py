"""Staff's regression test: does every example question still find its own entry?"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bot.answering import Reply, Responder
from bot.kb.knowledge import SHARED, Entry
from bot.kb.schema import Lang


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


def home_municipality(responder: Responder, entry: Entry) -> str | None:
    """The municipality a resident asking about `entry` would have chosen."""
    if entry.scope != SHARED:
        return entry.scope
    for municipality in responder.kb.municipalities.values():
        if municipality.country in entry.countries:
            return municipality.id
    return None


def run_examples(responder: Responder) -> Iterator[Outcome]:
    """Answer every example question as a resident of the entry's municipality would ask it."""
    for entry in responder.kb.entries.values():
        municipality = home_municipality(responder, entry)
        for lang, questions in entry.questions.items():
            lines = entry.question_lines.get(lang, ())
            for index, question in enumerate(questions):
                reply = responder.answer(question, municipality, lang)
                line = lines[index] if index < len(lines) else None
                yield Outcome(entry, lang, question, line, reply)
