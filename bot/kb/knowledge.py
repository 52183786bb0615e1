"""The loaded knowledge base: plain, immutable objects that matching and answering read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.types import Country, Lang, Situation

SHARED = "shared"
# Live notices are answered as entries `notice-<n>`; no entry in the files may take such an id.
NOTICE_ID_PREFIX = "notice-"


@dataclass(frozen=True, slots=True)
class Location:
    """Where something was written: a path relative to the knowledge folder, and a line."""

    file: Path
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else str(self.file)


@dataclass(frozen=True, slots=True)
class Municipality:
    id: str
    name: dict[Lang, str]
    country: Country
    language: Lang
    phone: str | None
    website: str | None
    aliases: tuple[str, ...]
    # Its own staff chat and volunteer group, as written in its municipality file.
    staff_chat: int | None = None
    volunteer_chat: int | None = None

    def display_name(self, lang: Lang) -> str:
        """The name in `lang`, else in the municipality's own language."""
        return self.name.get(lang) or self.name.get(self.language) or self.id


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    title: dict[Lang, str]
    icon: str | None = None


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str
    publisher: str
    published: date | None = None
    file: str | None = None


@dataclass(frozen=True, slots=True)
class EmergencyNumber:
    number: str
    label: dict[Lang, str]
    urgent: bool = False
    situations: tuple[Situation, ...] = ()


@dataclass(frozen=True, slots=True)
class Entry:
    """One answerable question. `scope` is a municipality id, or SHARED for national content."""

    id: str
    scope: str
    topic: str
    title: dict[Lang, str]
    questions: dict[Lang, tuple[str, ...]]
    keywords: dict[Lang, tuple[str, ...]]
    answer: dict[Lang, str]
    sources: tuple[str, ...]
    reviewed: date
    review_by: date | None
    related: tuple[str, ...]
    countries: tuple[Country, ...]
    location: Location
    # The line of each example question, for staff-facing reports.
    question_lines: dict[Lang, tuple[int | None, ...]] = field(default_factory=dict)

    def title_in(self, lang: Lang, fallback: Lang) -> str:
        """The title in `lang`, else in `fallback`, else any title."""
        return self.title.get(lang) or self.title.get(fallback) or next(iter(self.title.values()))


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything loaded from one knowledge folder."""

    municipalities: dict[str, Municipality]
    entries: dict[str, Entry]
    topics: dict[str, Topic] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    emergency: dict[Country, tuple[EmergencyNumber, ...]] = field(default_factory=dict)

    def entries_for(self, municipality: str) -> list[Entry]:
        """A municipality's own entries plus the shared ones for its country."""
        country = self.municipalities[municipality].country
        return [
            e
            for e in self.entries.values()
            if e.scope == municipality or (e.scope == SHARED and country in e.countries)
        ]

    def topics_for(self, municipality: str) -> list[Topic]:
        """The topics that have at least one entry for `municipality`, in file order."""
        used = {e.topic for e in self.entries_for(municipality)}
        return [t for t in self.topics.values() if t.id in used]
