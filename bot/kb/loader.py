"""Load a knowledge folder, reporting every problem with file, line and a plain message.

Loading never raises for bad content: whatever is valid is loaded, and each mistake becomes a
`Problem`. Callers decide what errors mean (kb check exits 1; the bot keeps its last good
knowledge base).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from bot.kb.knowledge import (
    SHARED,
    EmergencyNumber,
    Entry,
    KnowledgeBase,
    Location,
    Municipality,
    Source,
    Topic,
)
from bot.kb.schema import (
    LANGS,
    Country,
    EmergencyFile,
    EntryModel,
    Lang,
    MunicipalityFile,
    SharedFile,
    SourcesFile,
    TopicsFile,
)
from bot.kb.yamlsource import Path_, YamlDocument, YamlSyntaxError, read_yaml
from bot.text import fold, words

MUNICIPALITY_FILE = "municipality.yaml"
SHARED_FILE = "shared.yaml"
TOPICS_FILE = "topics.yaml"
SOURCES_FILE = "sources.yaml"
EMERGENCY_FILE = "emergency.yaml"
# Leaves room for the title, a language notice and the "Updated" line within Telegram's 4096.
MAX_ANSWER_CHARS = 3500
COUNTRY_LANGUAGE: dict[Country, Lang] = {"NO": "nb", "SE": "sv"}

Severity = Literal["error", "warning"]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in the knowledge folder, as staff should read it."""

    severity: Severity
    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.message}"


@dataclass
class LoadResult:
    kb: KnowledgeBase
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


class _Collector:
    """Accumulates problems with paths relative to the knowledge folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []

    def rel(self, path: Path) -> Path:
        try:
            return path.relative_to(self.root)
        except ValueError:
            return path

    def add(self, severity: Severity, path: Path, line: int | None, message: str) -> None:
        self.problems.append(Problem(severity, Location(self.rel(path), line), message))

    def error(self, path: Path, line: int | None, message: str) -> None:
        self.add("error", path, line, message)

    def warning(self, path: Path, line: int | None, message: str) -> None:
        self.add("warning", path, line, message)


def _describe_loc(loc: Iterable[str | int]) -> str:
    parts = []
    for part in loc:
        if part == "[key]":
            continue
        parts.append(f"item {part + 1}" if isinstance(part, int) else str(part))
    return " → ".join(parts) or "the file"


def _field_names(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _plain_message(error: Mapping[str, Any], model: type[BaseModel]) -> str:
    """Turn one pydantic error into a sentence for someone who is not a programmer."""
    loc = tuple(error["loc"])
    kind = error["type"]
    where = _describe_loc(loc)
    last = loc[-1] if loc else ""
    value = error.get("input")
    if kind == "missing":
        return f"'{where}' is missing"
    if kind == "extra_forbidden":
        hint = difflib.get_close_matches(str(last), _field_names(model), n=1)
        known = ", ".join(_field_names(model))
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else f" (known fields: {known})"
        return f"unknown field '{where}'{suggestion}"
    if kind == "literal_error" and "[key]" in loc:
        return f"unknown language code '{value}' in '{where}': use nb, sv or en"
    if kind == "literal_error":
        return f"'{where}' cannot be '{value}': {error['msg'].replace('Input should be', 'use')}"
    if kind.startswith("date_"):
        return f"'{where}' must be a date written as YYYY-MM-DD, for example 2026-11-22"
    if kind == "string_pattern_mismatch":
        return (
            f"'{value}' in '{where}' is not a valid id: use lowercase letters a-z, digits and "
            "hyphens, for example asker-invoice-deferral"
        )
    if kind == "string_too_short":
        return f"'{where}' is empty"
    if kind == "string_too_long":
        return f"'{where}' is too long ({error['msg'].lower()})"
    if kind == "dict_type":
        return f"'{where}' must have one line per language code, such as 'nb:' and 'en:'"
    if kind == "list_type":
        return f"'{where}' must be a list, one item per line starting with '- '"
    if kind == "string_type":
        return f"'{where}' must be text"
    if kind == "model_type":
        return f"'{where}' must be a group of fields (name: value lines)"
    return f"'{where}': {error['msg']}"


def _validate(
    model: type[M], data: Any, doc: YamlDocument, base: Path_, path: Path, out: _Collector
) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if p != "[key]")
            line = doc.line_of((*base, *loc))
            out.error(path, line, _plain_message(error, model))
        return None


def _read(path: Path, out: _Collector) -> YamlDocument | None:
    if not path.is_file():
        out.error(path, None, "file not found")
        return None
    try:
        doc = read_yaml(path)
    except YamlSyntaxError as exc:
        out.error(path, exc.line, exc.message)
        return None
    except OSError as exc:
        out.error(path, None, f"cannot read the file: {exc.strerror}")
        return None
    for key, line in doc.duplicate_keys:
        out.error(path, line, f"'{key}' is written twice here; only the last one would be used")
    return doc


def _read_model(path: Path, model: type[M], out: _Collector) -> M | None:
    doc = _read(path, out)
    if doc is None:
        return None
    if not isinstance(doc.data, dict):
        fields = ", ".join(_field_names(model))
        out.error(path, 1, f"the file must start with its fields ({fields})")
        return None
    return _validate(model, doc.data, doc, (), path, out)


@dataclass
class _Draft:
    """An entry that passed validation, with where it came from."""

    model: EntryModel
    scope: str
    location: Location
    doc: YamlDocument
    base: Path_
    path: Path


def _read_entries(path: Path, scope: str, out: _Collector) -> Iterator[_Draft]:
    doc = _read(path, out)
    if doc is None:
        return
    data = doc.data
    if not isinstance(data, dict) or "entries" not in data:
        out.error(path, 1, "a topic file must start with 'entries:' followed by a list of entries")
        return
    for key in data:
        if key != "entries":
            out.error(
                path, doc.line_of((key,)), f"unknown field '{key}' (only 'entries' is allowed)"
            )
    items = data["entries"]
    if not isinstance(items, list):
        out.error(path, doc.line_of(("entries",)), "'entries' must be a list of entries")
        return
    for index, item in enumerate(items):
        base: Path_ = ("entries", index)
        if not isinstance(item, dict):
            out.error(
                path, doc.line_of(base), "each entry must be a group of fields (id, topic, ...)"
            )
            continue
        model = _validate(EntryModel, item, doc, base, path, out)
        if model is not None:
            yield _Draft(model, scope, Location(out.rel(path), doc.line_of(base)), doc, base, path)


def _unlisted(folder: Path, listed: set[str], out: _Collector) -> None:
    for path in sorted(folder.iterdir()):
        if path.suffix in (".yaml", ".yml") and path.name not in listed:
            out.warning(
                path, None, f"this file is not listed in {folder.name}'s 'files', so it is ignored"
            )


def _load_shared(
    root: Path, out: _Collector
) -> tuple[
    dict[str, Topic], dict[str, Source], dict[Country, tuple[EmergencyNumber, ...]], list[_Draft]
]:
    folder = root / SHARED
    topics: dict[str, Topic] = {}
    sources: dict[str, Source] = {}
    emergency: dict[Country, tuple[EmergencyNumber, ...]] = {}
    drafts: list[_Draft] = []
    if not folder.is_dir():
        out.error(folder, None, "the shared folder is missing")
        return topics, sources, emergency, drafts
    if topics_file := _read_model(folder / TOPICS_FILE, TopicsFile, out):
        topics = {k: Topic(k, dict(t.title), t.icon) for k, t in topics_file.topics.items()}
    if sources_file := _read_model(folder / SOURCES_FILE, SourcesFile, out):
        sources = {
            k: Source(k, s.title, s.publisher, s.published, s.file)
            for k, s in sources_file.sources.items()
        }
    if emergency_file := _read_model(folder / EMERGENCY_FILE, EmergencyFile, out):
        emergency = {
            country: tuple(
                EmergencyNumber(n.number, dict(n.label), n.urgent, tuple(n.situations))
                for n in c.numbers
            )
            for country, c in emergency_file.countries.items()
        }
    listed = {SHARED_FILE, TOPICS_FILE, SOURCES_FILE, EMERGENCY_FILE}
    if shared_file := _read_model(folder / SHARED_FILE, SharedFile, out):
        for name in shared_file.files:
            listed.add(name)
            drafts.extend(_read_entries(folder / name, SHARED, out))
    _unlisted(folder, listed, out)
    return topics, sources, emergency, drafts


def _load_municipality(folder: Path, out: _Collector) -> tuple[Municipality | None, list[_Draft]]:
    path = folder / MUNICIPALITY_FILE
    if not path.is_file():
        out.error(
            folder,
            None,
            f"unknown municipality folder '{folder.name}': it has no {MUNICIPALITY_FILE}",
        )
        return None, []
    model = _read_model(path, MunicipalityFile, out)
    if model is None:
        return None, []
    if model.id != folder.name:
        out.error(path, 1, f"id '{model.id}' must be the folder's name, '{folder.name}'")
        return None, []
    if COUNTRY_LANGUAGE[model.country] != model.language:
        expected = COUNTRY_LANGUAGE[model.country]
        out.error(path, 1, f"a municipality in {model.country} must have language '{expected}'")
    if model.language not in model.name or "en" not in model.name:
        out.error(path, 1, f"'name' needs both '{model.language}' and 'en'")
    municipality = Municipality(
        id=model.id,
        name=dict(model.name),
        country=model.country,
        language=model.language,
        phone=model.phone,
        website=model.website,
        aliases=tuple(model.aliases),
    )
    drafts: list[_Draft] = []
    for name in model.files:
        drafts.extend(_read_entries(folder / name, model.id, out))
    _unlisted(folder, {MUNICIPALITY_FILE, *model.files}, out)
    return municipality, drafts


def _required_languages(draft: _Draft, municipalities: dict[str, Municipality]) -> set[Lang]:
    if draft.scope == SHARED:
        return {COUNTRY_LANGUAGE[c] for c in draft.model.countries or ()} | {"en"}
    municipality = municipalities.get(draft.scope)
    return {municipality.language, "en"} if municipality else {"en"}


def _question_key(text: str) -> str:
    return " ".join(words(fold(text)))


def _check_entries(
    drafts: list[_Draft],
    municipalities: dict[str, Municipality],
    topics: dict[str, Topic],
    sources: dict[str, Source],
    today: date,
    out: _Collector,
) -> list[_Draft]:
    """Cross-entry checks; returns the drafts to keep (duplicates of an id are dropped)."""
    kept: dict[str, _Draft] = {}
    for draft in drafts:
        m, doc, base, path = draft.model, draft.doc, draft.base, draft.path

        def line(*sub: str | int, doc: YamlDocument = doc, base: Path_ = base) -> int | None:
            return doc.line_of((*base, *sub))

        if m.id in kept:
            first = kept[m.id].location
            out.error(
                path, line("id"), f"id '{m.id}' is already used at {first}; ids must be unique"
            )
            continue
        kept[m.id] = draft
        if topics and m.topic not in topics:
            hint = difflib.get_close_matches(m.topic, list(topics), n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else ""
            out.error(
                path,
                line("topic"),
                f"unknown topic '{m.topic}'{extra}; topics are in shared/topics.yaml",
            )
        for index, source in enumerate(_source_ids(m)):
            if sources and source not in sources:
                where = line("source", index) if isinstance(m.source, list) else line("source")
                out.error(
                    path, where, f"unknown source '{source}'; sources are in shared/sources.yaml"
                )
        if draft.scope == SHARED and not m.countries:
            out.error(path, line(), "a shared entry needs 'countries' (NO, SE or both)")
        if draft.scope != SHARED and m.countries:
            out.error(
                path, line("countries"), "'countries' is only for entries in the shared folder"
            )
        for lang in sorted(_required_languages(draft, municipalities)):
            for field_name in ("title", "answer", "questions"):
                if lang not in getattr(m, field_name):
                    out.error(path, line(field_name), f"'{field_name}' has no '{lang}' version")
        for lang, text in m.answer.items():
            if len(text) > MAX_ANSWER_CHARS:
                out.error(
                    path,
                    line("answer", lang),
                    f"the '{lang}' answer has {len(text)} characters; "
                    f"the limit is {MAX_ANSWER_CHARS}",
                )
        if m.review_by is not None and m.review_by < today:
            out.warning(
                path,
                line("review_by"),
                f"'{m.id}' was due for review on {m.review_by.isoformat()}: check that the "
                "answer is still true, then update 'reviewed' and 'review_by'",
            )
        if m.reviewed > today:
            out.warning(
                path, line("reviewed"), f"'reviewed' is in the future ({m.reviewed.isoformat()})"
            )
    ids = set(kept)
    for draft in kept.values():
        for index, other in enumerate(draft.model.related):
            if other not in ids:
                out.error(
                    draft.path,
                    draft.doc.line_of((*draft.base, "related", index)),
                    f"related entry '{other}' does not exist",
                )
    _check_duplicate_questions(list(kept.values()), municipalities, out)
    return list(kept.values())


def _scopes_overlap(a: _Draft, b: _Draft, municipalities: dict[str, Municipality]) -> bool:
    if a.scope == b.scope:
        return True
    for shared, local in ((a, b), (b, a)):
        if shared.scope == SHARED and local.scope in municipalities:
            return municipalities[local.scope].country in (shared.model.countries or ())
    return False


def _check_duplicate_questions(
    drafts: list[_Draft], municipalities: dict[str, Municipality], out: _Collector
) -> None:
    seen: dict[str, list[_Draft]] = {}
    for draft in drafts:
        own: set[str] = set()
        for lang, questions in draft.model.questions.items():
            for index, question in enumerate(questions):
                key = _question_key(question)
                line = draft.doc.line_of((*draft.base, "questions", lang, index))
                if key in own:
                    out.warning(
                        draft.path, line, f"the example question '{question}' is written twice"
                    )
                    continue
                own.add(key)
                for other in seen.get(key, []):
                    if _scopes_overlap(draft, other, municipalities):
                        out.error(
                            draft.path,
                            line,
                            f"the example question '{question}' is also in '{other.model.id}' "
                            f"({other.location}); the bot could not tell which answer is meant",
                        )
                seen.setdefault(key, []).append(draft)


def _source_ids(model: EntryModel) -> tuple[str, ...]:
    return tuple(model.source) if isinstance(model.source, list) else (model.source,)


def _to_entry(draft: _Draft) -> Entry:
    m = draft.model
    return Entry(
        id=m.id,
        scope=draft.scope,
        topic=m.topic,
        title=dict(m.title),
        questions={lang: tuple(q) for lang, q in m.questions.items()},
        keywords={lang: tuple(k) for lang, k in m.keywords.items()},
        answer=dict(m.answer),
        sources=_source_ids(m),
        reviewed=m.reviewed,
        review_by=m.review_by,
        related=tuple(m.related),
        countries=tuple(m.countries or ()),
        location=draft.location,
        question_lines={
            lang: tuple(
                draft.doc.line_of((*draft.base, "questions", lang, i)) for i in range(len(q))
            )
            for lang, q in m.questions.items()
        },
    )


def load_knowledge(root: Path, today: date | None = None) -> LoadResult:
    """Load the knowledge folder at `root`; never raises for bad content."""
    today = today or date.today()
    out = _Collector(root)
    if not root.is_dir():
        out.error(root, None, "the knowledge folder does not exist")
        return LoadResult(KnowledgeBase({}, {}), out.problems)
    topics, sources, emergency, drafts = _load_shared(root, out)
    municipalities: dict[str, Municipality] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name != SHARED):
        if folder.name.startswith((".", "_")):
            continue
        municipality, local = _load_municipality(folder, out)
        if municipality is not None:
            municipalities[municipality.id] = municipality
            drafts.extend(local)
    for country in sorted({m.country for m in municipalities.values()} - set(emergency)):
        out.error(root / SHARED / EMERGENCY_FILE, None, f"no emergency numbers for {country}")
    kept = _check_entries(drafts, municipalities, topics, sources, today, out)
    kb = KnowledgeBase(
        municipalities=municipalities,
        entries={d.model.id: _to_entry(d) for d in kept},
        topics=topics,
        sources=sources,
        emergency=emergency,
    )
    return LoadResult(kb, out.problems)


__all__ = ["LANGS", "LoadResult", "Problem", "load_knowledge"]
