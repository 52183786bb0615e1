"""Load a knowledge folder, reporting every problem with file, line and a plain message.

Loading never raises for bad content: whatever is valid is loaded, and each mistake becomes a
`Problem`. Callers decide what errors mean (kb check exits 1; the bot keeps its last good
knowledge base).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError

from bot.kb.cache import CacheStore, code_digest, content_key
from bot.kb.knowledge import (
    NOTICE_ID_PREFIX,
    SHARED,
    EmergencyNumber,
    Entry,
    KnowledgeBase,
    Location,
    Municipality,
    Source,
    Topic,
)
from bot.kb.review import HASH_FIELD, language_list, stale_languages
from bot.kb.schema import (
    RESERVED_ID,
    UNION_TAGS,
    EmergencyFile,
    EntryModel,
    MunicipalityFile,
    SharedFile,
    SourcesFile,
    TopicsFile,
)
from bot.kb.yamlsource import (
    MAX_FILE_BYTES,
    Path_,
    YamlDocument,
    YamlSyntaxError,
    parse_yaml_bytes,
    read_yaml,
)
from bot.text import TELEGRAM_MESSAGE_UNITS, fold, utf16_length, words
from bot.types import LANGS, Country, Lang

MUNICIPALITY_FILE = "municipality.yaml"
SHARED_FILE = "shared.yaml"
TOPICS_FILE = "topics.yaml"
SOURCES_FILE = "sources.yaml"
EMERGENCY_FILE = "emergency.yaml"
# Leaves room for the title, a language notice and the "Updated" line within Telegram's 4096.
MAX_ANSWER_CHARS = 3500
# What a reply adds around an answer and its title, at most: an emergency line, a language or
# municipality notice, the source and "Updated" lines, and the blank lines between.
REPLY_FRAME_UNITS = 500
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


@dataclass(frozen=True, slots=True)
class FileSegment:
    """`count` entries in a row of the knowledge base that come from one topic file whose
    cache record is filed under `key` (None when it has none): what lets the answer engine
    reuse its index of an unchanged file. `entries` are the very entries the loader made from
    that record: the index is reused only for these objects, not for others of the same ids."""

    key: str | None
    count: int
    entries: tuple[Entry, ...] = field(default=(), compare=False, repr=False)


@dataclass
class LoadResult:
    kb: KnowledgeBase
    problems: list[Problem] = field(default_factory=list)
    # The entries of `kb`, in order, by the topic file they come from.
    segments: tuple[FileSegment, ...] = ()

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
        # Ids of entries that are written but did not load, with the file they are written in:
        # a "related entry does not exist" about them would only repeat the error that stopped
        # them. `blocked_by` names the file whose error kept a whole file from being read.
        self.unloaded_ids: dict[str, Path] = {}
        self.blocked_by: dict[Path, Path] = {}

    def unloaded(self, ids: Iterable[str], written_in: Path) -> None:
        for entry_id in ids:
            self.unloaded_ids.setdefault(entry_id, written_in)

    def not_read(self, folder: Path, skip: set[str], because_of: Path) -> None:
        """The topic files in `folder` were never read because `because_of` has an error."""
        if not folder.is_dir():
            return
        for path in sorted(folder.iterdir()):
            if path.suffix in (".yaml", ".yml") and path.name not in skip:
                self.blocked_by[path] = because_of
                self.unloaded(_ids_written_in(path), path)

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

    def has_errors(self, path: Path) -> bool:
        """True when an error about `path` has been reported."""
        where = self.rel(path)
        return any(p.severity == "error" and p.location.file == where for p in self.problems)


def _describe_loc(loc: Iterable[str | int]) -> str:
    parts = []
    for part in loc:
        if part == "[key]" or part in UNION_TAGS:
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
        choices = error["msg"].replace("Input should be", "use")
        if value is None:  # written with nothing after the colon (or ~, or null)
            return f"'{where}' is empty: {choices}"
        return f"'{where}' cannot be '{value}': {choices}"
    if kind.startswith("date_"):
        return f"'{where}' must be a date written as YYYY-MM-DD, for example 2026-11-22"
    if kind == "string_pattern_mismatch" and HASH_FIELD in loc:
        return (
            f"'{value}' in '{where}' is not a review hash; don't write these by hand: "
            "run python -m bot kb reviewed ENTRY-ID"
        )
    if kind == RESERVED_ID:
        return (
            f"'{value}' in '{where}' starts with '{NOTICE_ID_PREFIX}', which is kept for live "
            "notices: choose another id"
        )
    if kind == "string_pattern_mismatch":
        return (
            f"'{value}' in '{where}' is not a valid id: use lowercase letters a-z, digits and "
            "hyphens, for example asker-invoice-deferral"
        )
    if kind == "string_too_short":
        return f"'{where}' is empty"
    if kind == "too_short":
        return f"'{where}' is an empty list: write at least one item"
    if kind == "string_too_long":
        return f"'{where}' is too long ({error['msg'].lower()})"
    if kind == "dict_type":
        return f"'{where}' must have one line per language code, such as 'nb:' and 'en:'"
    if kind == "list_type":
        return f"'{where}' must be a list, one item per line starting with '- '"
    if kind == "string_type":
        return f"'{where}' must be text"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"'{where}' must be a whole number, not '{value}'"
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
            loc = tuple(p for p in error["loc"] if p != "[key]" and p not in UNION_TAGS)
            line = doc.line_of((*base, *loc))
            out.error(path, line, _plain_message(error, model))
        return None


_ID_LINE = re.compile(r"^[\s-]*id:\s*[\"']?([A-Za-z0-9_-]+)", re.MULTILINE)


def _ids_written_in(path: Path, data: bytes | None = None) -> set[str]:
    """The entry ids a file that cannot be parsed seems to define, read line by line; from
    `data` when the caller has its bytes (a file saved meanwhile must not mix in)."""
    if data is None:
        try:
            data = path.read_bytes()
        except OSError:
            return set()
    return set(_ID_LINE.findall(data.decode("utf-8", "replace")))


def _read(path: Path, out: _Collector, data: bytes | None = None) -> YamlDocument | None:
    """`path` parsed; from `data` when the caller has read its bytes already."""
    if data is None and not path.is_file():
        out.error(path, None, "file not found")
        return None
    try:
        doc = read_yaml(path) if data is None else parse_yaml_bytes(data)
    except YamlSyntaxError as exc:
        out.error(path, exc.line, exc.message)
        out.unloaded(_ids_written_in(path, data), path)
        return None
    except OSError as exc:
        out.error(path, None, f"cannot read the file: {exc.strerror}")
        return None
    for key, line in doc.duplicate_keys:
        out.error(path, line, f"'{key}' is written twice here; only the last one would be used")
    for line, letters in doc.long_words:
        out.add(
            "warning",
            path,
            line,
            f"a word of {letters} letters: no real word is that long (a missing space?); "
            "it is matched only exactly as written",
        )
    return doc


def _read_model(path: Path, model: type[M], out: _Collector) -> M | None:
    read = _read_model_and_lines(path, model, out)
    return read[0] if read else None


def _read_model_and_lines(
    path: Path, model: type[M], out: _Collector
) -> tuple[M, YamlDocument] | None:
    doc = _read(path, out)
    if doc is None:
        return None
    if not isinstance(doc.data, dict):
        fields = ", ".join(_field_names(model))
        out.error(path, 1, f"the file must start with its fields ({fields})")
        return None
    validated = _validate(model, doc.data, doc, (), path, out)
    return (validated, doc) if validated is not None else None


def _listed_files(
    listing: Path, names: list[str], doc: YamlDocument, out: _Collector
) -> Iterator[Path]:
    """The topic files a listing's 'files' names that exist; a missing one (often a typo) is
    reported on its line in the listing."""
    folder = listing.parent
    for index, name in enumerate(names):
        path = folder / name
        if path.is_file():
            yield path
            continue
        out.error(
            listing,
            doc.line_of(("files", index)),
            f"'{name}' is listed in 'files', but {out.rel(folder)}/ has no such file",
        )


@dataclass
class _Draft:
    """An entry that passed validation, with the lines the cross-entry checks still need.

    A file's parsed YAML and the pydantic models are dropped once its entries are converted:
    keeping them for a 10,000-entry knowledge base would cost hundreds of megabytes.
    """

    entry: Entry
    path: Path
    id_line: int | None
    related_lines: tuple[int | None, ...]
    # The cache key of the file's record (None without a cache).
    key: str | None = None


@dataclass(frozen=True)
class _EntryRules:
    """What an entry is checked against as soon as it is read."""

    topics: dict[str, Topic]
    sources: dict[str, Source]
    today: date
    municipality: Municipality | None = None
    # One string per distinct answer or title text: answers are often reused word for word.
    texts: dict[str, str] = field(default_factory=dict)
    # Where each topic file's result is kept between loads (None: every file is parsed).
    cache: CacheStore | None = None


class _EntryRecord(NamedTuple):
    """A valid entry as plain data, with the lines its checks and reports need.

    What a topic file gives depends only on its bytes; the checks that depend on other files
    (topics, sources, the municipality's language) or on today are run on this record each
    time it is used, so a cached record reports exactly what parsing the file would."""

    id: str
    topic: str
    title: dict[Lang, str]
    questions: dict[Lang, tuple[str, ...]]
    keywords: dict[Lang, tuple[str, ...]]
    answer: dict[Lang, str]
    sources: tuple[str, ...]
    reviewed: int  # date.toordinal()
    review_by: int | None
    related: tuple[str, ...]
    countries: tuple[Country, ...]
    # The answers' languages that changed since the review, and those that did not.
    stale: tuple[tuple[Lang, ...], tuple[Lang, ...]]
    line: int | None  # the entry's own
    id_line: int | None
    topic_line: int | None
    source_lines: tuple[int | None, ...]  # one per source
    countries_line: int | None
    title_line: int | None
    answer_line: int | None
    questions_line: int | None
    answer_lines: dict[Lang, int | None]
    # Each answer with its title in UTF-16 units, as Telegram counts them.
    answer_units: dict[Lang, int]
    review_by_line: int | None
    reviewed_line: int | None
    question_lines: dict[Lang, tuple[int | None, ...]]
    related_lines: tuple[int | None, ...]


# One step of replaying a topic file: ("p", severity, line, message) a problem,
# ("u", ids) entries written there that did not load, ("e", record) an entry.
_Op = tuple[Any, ...]
_RECORD_FIELDS = len(_EntryRecord._fields)


class _Recorder(_Collector):
    """Notes one topic file's problems as steps, in order; the file's path is added when
    they are replayed."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.ops: list[_Op] = []

    def add(self, severity: Severity, path: Path, line: int | None, message: str) -> None:
        self.ops.append(("p", severity, line, message))

    def unloaded(self, ids: Iterable[str], written_in: Path) -> None:
        self.ops.append(("u", tuple(sorted(ids))))


@lru_cache(maxsize=1)
def _loader_code() -> str:
    """The code a topic file's record depends on: this package and the text functions."""
    here = Path(__file__).parent
    return code_digest([*here.glob("*.py"), here.parent / "text.py", here.parent / "types.py"])


def _record(m: EntryModel, line: Callable[..., int | None]) -> _EntryRecord:
    changed, unchanged = stale_languages(m.answer, m.reviewed_hashes)
    return _EntryRecord(
        id=m.id,
        topic=m.topic,
        title=dict(m.title),
        questions={lang: tuple(q) for lang, q in m.questions.items()},
        keywords={lang: tuple(k) for lang, k in m.keywords.items()},
        answer=dict(m.answer),
        sources=_source_ids(m),
        reviewed=m.reviewed.toordinal(),
        review_by=m.review_by.toordinal() if m.review_by is not None else None,
        related=tuple(m.related),
        countries=tuple(m.countries or ()),
        stale=(tuple(changed), tuple(unchanged)),
        line=line(),
        id_line=line("id"),
        topic_line=line("topic"),
        source_lines=(
            tuple(line("source", i) for i in range(len(m.source)))
            if isinstance(m.source, list)
            else (line("source"),)
        ),
        countries_line=line("countries"),
        title_line=line("title"),
        answer_line=line("answer"),
        questions_line=line("questions"),
        answer_lines={lang: line("answer", lang) for lang in m.answer},
        answer_units={
            lang: utf16_length(m.title.get(lang, "")) + utf16_length(text)
            for lang, text in m.answer.items()
        },
        review_by_line=line("review_by"),
        reviewed_line=line("reviewed"),
        question_lines={
            lang: tuple(line("questions", lang, i) for i in range(len(q)))
            for lang, q in m.questions.items()
        },
        related_lines=tuple(line("related", i) for i in range(len(m.related))),
    )


def _file_ops(path: Path, data: bytes | None, root: Path) -> list[_Op]:
    """What reading and validating one topic file gives, as steps to replay."""
    out = _Recorder(root)
    doc = _read(path, out, data)
    if doc is None:
        return out.ops
    data_ = doc.data
    if not isinstance(data_, dict) or "entries" not in data_:
        out.error(path, 1, "a topic file must start with 'entries:' followed by a list of entries")
        return out.ops
    for key in data_:
        if key != "entries":
            out.error(
                path, doc.line_of((key,)), f"unknown field '{key}' (only 'entries' is allowed)"
            )
    items = data_["entries"]
    if not isinstance(items, list):
        out.error(path, doc.line_of(("entries",)), "'entries' must be a list of entries")
        return out.ops
    shared: dict[str, str] = {}
    for index, item in enumerate(items):
        base: Path_ = ("entries", index)
        if not isinstance(item, dict):
            out.error(
                path, doc.line_of(base), "each entry must be a group of fields (id, topic, ...)"
            )
            continue
        model = _validate(EntryModel, item, doc, base, path, out)
        if model is None:
            if isinstance(item.get("id"), str):
                out.unloaded((item["id"],), path)
            continue

        def line(*sub: str | int, base: Path_ = base) -> int | None:
            return doc.line_of((*base, *sub))

        record = _record(model, line)
        # A text written in several entries (answers often are) is one object in the
        # record, which marshal then writes once.
        for texts in (record.title, record.answer):
            for lang, text in texts.items():
                texts[lang] = shared.setdefault(text, text)
        out.ops.append(("e", tuple(record)))
    return out.ops


def _usable_ops(ops: Any) -> bool:
    """A cached record has the shape this code writes (its MAC already proved who wrote it)."""
    return isinstance(ops, list) and all(
        isinstance(op, tuple)
        and op
        and (
            (op[0] == "p" and len(op) == 4)
            or (op[0] == "u" and len(op) == 2 and isinstance(op[1], tuple))
            or (op[0] == "e" and len(op) == 2 and len(op[1]) == _RECORD_FIELDS)
        )
        for op in ops
    )


def _topic_file(path: Path, cache: CacheStore | None, root: Path) -> tuple[list[_Op], str | None]:
    """A topic file's steps and its cache key: from the cache when its bytes are unchanged."""
    data: bytes | None = None
    if cache is not None:
        try:
            if path.stat().st_size <= MAX_FILE_BYTES:
                data = path.read_bytes()
        except OSError:
            data = None  # reported as parsing reports it
    if cache is None or data is None:
        return _file_ops(path, data, root), None
    key = content_key(_loader_code(), data)
    cached = cache.get("kb", key)
    if cached is not None and _usable_ops(cached):
        return cached, key
    ops = _file_ops(path, data, root)
    cache.put("kb", key, ops)
    return ops, key


def _read_entries(path: Path, scope: str, rules: _EntryRules, out: _Collector) -> Iterator[_Draft]:
    ops, key = _topic_file(path, rules.cache, out.root)
    where = out.rel(path)  # one path for the file's entries, not one each
    for op in ops:
        if op[0] == "p":
            out.add(op[1], path, op[2], op[3])
        elif op[0] == "u":
            out.unloaded(op[1], path)
        else:
            record = _EntryRecord._make(op[1])
            _check_entry(record, scope, rules, path, out)
            entry = _to_entry(record, scope, Location(where, record.line), rules.texts)
            yield _Draft(entry, path, record.id_line, record.related_lines, key)


def _unlisted(folder: Path, listed: set[str], out: _Collector) -> None:
    for path in sorted(folder.iterdir()):
        if path.suffix in (".yaml", ".yml") and path.name not in listed:
            out.warning(
                path, None, f"this file is not listed in {folder.name}'s 'files', so it is ignored"
            )


def _load_shared(
    root: Path, today: date, texts: dict[str, str], cache: CacheStore | None, out: _Collector
) -> tuple[
    dict[str, Topic],
    dict[str, Source],
    dict[Country, tuple[EmergencyNumber, ...]] | None,
    list[_Draft],
]:
    """The shared files; the emergency numbers are None when their file did not load."""
    folder = root / SHARED
    topics: dict[str, Topic] = {}
    sources: dict[str, Source] = {}
    emergency: dict[Country, tuple[EmergencyNumber, ...]] | None = None
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
    if shared := _read_model_and_lines(folder / SHARED_FILE, SharedFile, out):
        shared_file, lines = shared
        rules = _EntryRules(topics, sources, today, texts=texts, cache=cache)
        listed.update(shared_file.files)
        for path in _listed_files(folder / SHARED_FILE, shared_file.files, lines, out):
            drafts.extend(_read_entries(path, SHARED, rules, out))
        _unlisted(folder, listed, out)
    else:
        out.not_read(folder, listed, folder / SHARED_FILE)
    return topics, sources, emergency, drafts


def _group_id(
    value: int | None, name: str, path: Path, lines: YamlDocument, out: _Collector
) -> int | None:
    """A chat id that must be a Telegram group's (negative): a user's id would send a
    municipality's staff messages to one person's private chat."""
    if value is None or value < 0:
        return value
    out.error(
        path,
        lines.line_of((name,)),
        f"'{name}' must be a Telegram group id, a negative number such as -1001234567890, "
        f"not {value}",
    )
    return None


def _load_municipality(
    folder: Path,
    topics: dict[str, Topic],
    sources: dict[str, Source],
    today: date,
    texts: dict[str, str],
    cache: CacheStore | None,
    out: _Collector,
) -> tuple[Municipality | None, list[_Draft]]:
    path = folder / MUNICIPALITY_FILE
    if not path.is_file():
        out.error(
            folder,
            None,
            f"unknown municipality folder '{folder.name}': it has no {MUNICIPALITY_FILE}",
        )
        out.not_read(folder, set(), folder)
        return None, []
    read = _read_model_and_lines(path, MunicipalityFile, out)
    model, lines = read if read is not None else (None, None)
    if model is not None and model.id != folder.name:
        out.error(path, 1, f"id '{model.id}' must be the folder's name, '{folder.name}'")
        model = None
    if model is None or lines is None:
        out.not_read(folder, {MUNICIPALITY_FILE}, path)
        return None, []
    if COUNTRY_LANGUAGE[model.country] != model.language:
        expected = COUNTRY_LANGUAGE[model.country]
        out.error(path, 1, f"a municipality in {model.country} must have language '{expected}'")
    if model.language not in model.name or "en" not in model.name:
        out.error(path, 1, f"'name' needs both '{model.language}' and 'en'")
    if not model.phone and not model.website:
        out.add(
            "warning",
            path,
            1,
            "no 'phone' or 'website': when the bot cannot answer, residents get no way to reach "
            "the municipality (add one from the municipality's own pages)",
        )
    staff_chat = _group_id(model.staff_chat, "staff_chat", path, lines, out)
    volunteer_chat = _group_id(model.volunteer_chat, "volunteer_chat", path, lines, out)
    municipality = Municipality(
        id=model.id,
        name=dict(model.name),
        country=model.country,
        language=model.language,
        phone=model.phone,
        website=model.website,
        aliases=tuple(model.aliases),
        staff_chat=staff_chat,
        volunteer_chat=volunteer_chat,
    )
    drafts: list[_Draft] = []
    rules = _EntryRules(topics, sources, today, municipality, texts, cache)
    for topic_file in _listed_files(path, model.files, lines, out):
        drafts.extend(_read_entries(topic_file, model.id, rules, out))
    _unlisted(folder, {MUNICIPALITY_FILE, *model.files}, out)
    return municipality, drafts


def _required_languages(model: _EntryRecord, scope: str, rules: _EntryRules) -> set[Lang]:
    if scope == SHARED:
        return {COUNTRY_LANGUAGE[c] for c in model.countries} | {"en"}
    return {rules.municipality.language, "en"} if rules.municipality else {"en"}


def _question_key(text: str) -> str:
    return " ".join(words(fold(text)))


def _check_entry(
    m: _EntryRecord,
    scope: str,
    rules: _EntryRules,
    path: Path,
    out: _Collector,
) -> None:
    """The checks that need only the entry itself and the shared files."""
    if rules.topics and m.topic not in rules.topics:
        hint = difflib.get_close_matches(m.topic, list(rules.topics), n=1)
        extra = f" (did you mean '{hint[0]}'?)" if hint else ""
        out.error(
            path,
            m.topic_line,
            f"unknown topic '{m.topic}'{extra}; topics are in shared/topics.yaml",
        )
    for source, where in zip(m.sources, m.source_lines, strict=True):
        if rules.sources and source not in rules.sources:
            out.error(path, where, f"unknown source '{source}'; sources are in shared/sources.yaml")
    if scope == SHARED and not m.countries:
        out.error(path, m.line, "a shared entry needs 'countries' (NO, SE or both)")
    if scope != SHARED and m.countries:
        out.error(path, m.countries_line, "'countries' is only for entries in the shared folder")
    for lang in sorted(_required_languages(m, scope, rules)):
        for field_name, field_line in (
            ("title", m.title_line),
            ("answer", m.answer_line),
            ("questions", m.questions_line),
        ):
            if lang not in getattr(m, field_name):
                out.error(path, field_line, f"'{field_name}' has no '{lang}' version")
    for lang, text in m.answer.items():
        if len(text) > MAX_ANSWER_CHARS:
            out.error(
                path,
                m.answer_lines[lang],
                f"the '{lang}' answer has {len(text)} characters; the limit is {MAX_ANSWER_CHARS}",
            )
            continue
        # Telegram counts UTF-16 units: an emoji is two, so a short answer can still be long.
        units = m.answer_units[lang]
        if units + REPLY_FRAME_UNITS > TELEGRAM_MESSAGE_UNITS:
            out.warning(
                path,
                m.answer_lines[lang],
                f"the '{lang}' answer and its title are {units} characters as Telegram counts "
                f"them (an emoji counts as two); with the lines the bot adds they may not fit "
                f"in one message ({TELEGRAM_MESSAGE_UNITS - REPLY_FRAME_UNITS} at most), so "
                "residents would get it in parts: shorten it",
            )
    reviewed = date.fromordinal(m.reviewed)
    review_by = date.fromordinal(m.review_by) if m.review_by is not None else None
    if review_by is not None and review_by < rules.today:
        out.warning(
            path,
            m.review_by_line,
            f"'{m.id}' was due for review on {review_by.isoformat()}: check that the answer "
            "is still true, then update 'reviewed' and 'review_by'",
        )
    if reviewed > rules.today:
        out.warning(path, m.reviewed_line, f"'reviewed' is in the future ({reviewed.isoformat()})")
    changed, unchanged = m.stale
    if changed and unchanged:
        them = "ones" if len(unchanged) > 1 else "one"
        out.warning(
            path,
            m.answer_lines[unchanged[0]],
            f"the {language_list(changed)} answer{'s' if len(changed) > 1 else ''} of "
            f"'{m.id}' changed since the review on {reviewed.isoformat()} but the "
            f"{language_list(unchanged)} {them} did not: check "
            f"{'they are' if len(unchanged) > 1 else 'it is'} still current, then run: "
            f"python -m bot kb reviewed {m.id}",
        )
    if review_by is not None and review_by < reviewed:
        out.warning(
            path,
            m.review_by_line,
            f"'review_by' ({review_by.isoformat()}) is before 'reviewed' "
            f"({reviewed.isoformat()}): the next review comes after the last one",
        )


def _check_across(
    drafts: list[_Draft],
    municipalities: dict[str, Municipality],
    cache: CacheStore | None,
    out: _Collector,
) -> list[_Draft]:
    """Checks between entries; returns the drafts to keep (a repeated id is dropped)."""
    kept: dict[str, _Draft] = {}
    for draft in drafts:
        entry = draft.entry
        if entry.id in kept:
            first = kept[entry.id].entry.location
            out.error(
                draft.path,
                draft.id_line,
                f"id '{entry.id}' is already used at {first}; ids must be unique",
            )
            continue
        kept[entry.id] = draft
    # The file with the root error -> the files holding the entries referred to -> how often.
    unchecked: dict[Path, dict[Path, int]] = {}
    for draft in kept.values():
        for other, line in zip(draft.entry.related, draft.related_lines, strict=True):
            if other in kept:
                continue
            written_in = out.unloaded_ids.get(other)
            if written_in is None:
                out.error(draft.path, line, f"related entry '{other}' does not exist")
                continue
            root = out.blocked_by.get(written_in, written_in)
            targets = unchecked.setdefault(root, {})
            targets[written_in] = targets.get(written_in, 0) + 1
    for root, targets in unchecked.items():
        _note_unchecked(root, targets, out)
    _check_duplicate_questions(list(kept.values()), municipalities, cache, out)
    return list(kept.values())


def _note_unchecked(root: Path, targets: dict[Path, int], out: _Collector) -> None:
    """One note in place of an error per reference into files that did not load."""
    count = sum(targets.values())
    files = ", ".join(str(out.rel(p)) for p in targets)
    references = f"{count} reference{'s' if count != 1 else ''}"
    verb = "were" if count != 1 else "was"
    if list(targets) == [root]:
        reason = "that file has an error"
    else:
        reason = f"{out.rel(root)} has an error, so they were not read"
    out.warning(
        root, None, f"{references} to entries in {files} {verb} not checked because {reason}"
    )


def _scopes_overlap(a: Entry, b: Entry, municipalities: dict[str, Municipality]) -> bool:
    if a.scope == b.scope:
        return True
    for shared, local in ((a, b), (b, a)):
        if shared.scope == SHARED and local.scope in municipalities:
            return municipalities[local.scope].country in shared.countries
    return False


_QuestionKeys = dict[Lang, tuple[str, ...]]


def _question_keys(drafts: list[_Draft], cache: CacheStore | None) -> Iterator[_QuestionKeys]:
    """Each draft's example questions as the duplicate check compares them, per language:
    from the cache for the files whose record it has. Kept apart from the entries' record,
    and read only here, so that these many short strings are freed together after the check
    instead of leaving holes among the entries."""
    start = 0
    while start < len(drafts):
        path, key = drafts[start].path, drafts[start].key
        end = start + 1
        while end < len(drafts) and drafts[end].path == path and drafts[end].key == key:
            end += 1
        run = drafts[start:end]
        ids = tuple(d.entry.id for d in run)
        keys: Any = cache.get("qk", key) if cache is not None and key is not None else None
        if isinstance(keys, tuple) and len(keys) == 2 and keys[0] == ids:
            yield from keys[1]
        else:
            made = [
                {lang: tuple(map(_question_key, qs)) for lang, qs in d.entry.questions.items()}
                for d in run
            ]
            if cache is not None and key is not None:
                cache.put("qk", key, (ids, made))
            yield from made
        start = end


def _check_duplicate_questions(
    drafts: list[_Draft],
    municipalities: dict[str, Municipality],
    cache: CacheStore | None,
    out: _Collector,
) -> None:
    keys_of = list(_question_keys(drafts, cache))
    # Only a question written more than once anywhere can be reported: the others are
    # counted at C speed and skipped.
    counts = Counter(chain.from_iterable(chain.from_iterable(k.values() for k in keys_of)))
    repeated = {key for key, count in counts.items() if count > 1}
    del counts
    # The entry with each question, or a list when several have it: a list for each of a
    # large knowledge base's questions would cost tens of megabytes and most of the time.
    seen: dict[str, Entry | list[Entry]] = {}
    for draft, question_keys in zip(drafts, keys_of, strict=True):
        if repeated.isdisjoint(chain.from_iterable(question_keys.values())):
            continue
        entry = draft.entry
        own: set[str] = set()
        for lang, questions in entry.questions.items():
            lines = entry.question_lines.get(lang, ())
            keys = question_keys[lang]
            for question, line, key in zip(questions, lines, keys, strict=True):
                if key not in repeated:
                    continue
                if key in own:
                    out.warning(
                        draft.path, line, f"the example question '{question}' is written twice"
                    )
                    continue
                own.add(key)
                known = seen.get(key)
                if known is None:
                    seen[key] = entry
                    continue
                others = [known] if isinstance(known, Entry) else known
                for other in others:
                    if _scopes_overlap(entry, other, municipalities):
                        out.error(
                            draft.path,
                            line,
                            f"the example question '{question}' is also in '{other.id}' "
                            f"({other.location}); the bot could not tell which answer is meant",
                        )
                others.append(entry)
                seen[key] = others


def _source_ids(model: EntryModel) -> tuple[str, ...]:
    return tuple(model.source) if isinstance(model.source, list) else (model.source,)


def _to_entry(m: _EntryRecord, scope: str, location: Location, texts: dict[str, str]) -> Entry:
    return Entry(
        id=m.id,
        scope=scope,
        topic=m.topic,
        title={lang: texts.setdefault(t, t) for lang, t in m.title.items()},
        questions=m.questions,
        keywords=m.keywords,
        answer={lang: texts.setdefault(a, a) for lang, a in m.answer.items()},
        sources=m.sources,
        reviewed=date.fromordinal(m.reviewed),
        review_by=date.fromordinal(m.review_by) if m.review_by is not None else None,
        related=m.related,
        countries=m.countries,
        location=location,
        question_lines=m.question_lines,
    )


def _segments(kept: list[_Draft]) -> tuple[FileSegment, ...]:
    """The kept entries in runs by the file they come from."""
    runs: list[tuple[Path, str | None, list[Entry]]] = []
    for draft in kept:
        if runs and runs[-1][0] == draft.path and runs[-1][1] == draft.key:
            runs[-1][2].append(draft.entry)
        else:
            runs.append((draft.path, draft.key, [draft.entry]))
    return tuple(FileSegment(key, len(run), tuple(run)) for _, key, run in runs)


def load_knowledge(
    root: Path, today: date | None = None, cache: CacheStore | None = None
) -> LoadResult:
    """Load the knowledge folder at `root`; never raises for bad content.

    With `cache`, each topic file whose bytes have not changed since a load that kept its
    record is taken from there instead of being parsed and validated again: the same entries
    and the same problems, in the same order."""
    today = today or date.today()
    out = _Collector(root)
    if not root.is_dir():
        out.error(root, None, "the knowledge folder does not exist")
        return LoadResult(KnowledgeBase({}, {}), out.problems)
    texts: dict[str, str] = {}
    topics, sources, emergency, drafts = _load_shared(root, today, texts, cache, out)
    municipalities: dict[str, Municipality] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name != SHARED):
        if folder.name.startswith((".", "_")):
            continue
        municipality, local = _load_municipality(folder, topics, sources, today, texts, cache, out)
        if municipality is not None:
            municipalities[municipality.id] = municipality
            drafts.extend(local)
    emergency_path = root / SHARED / EMERGENCY_FILE
    # A file that did not load, or loaded with errors, is reported where it is broken:
    # "no numbers for NO" would only repeat it.
    if emergency is not None and not out.has_errors(emergency_path):
        for country in sorted({m.country for m in municipalities.values()} - set(emergency)):
            out.error(emergency_path, None, f"no emergency numbers for {country}")
    kept = _check_across(drafts, municipalities, cache, out)
    kb = KnowledgeBase(
        municipalities=municipalities,
        entries={d.entry.id: d.entry for d in kept},
        topics=topics,
        sources=sources,
        emergency=emergency or {},
    )
    if cache is not None:
        # The records of files edited or removed since.
        cache.prune("kb")
        cache.prune("qk")
    return LoadResult(kb, out.problems, _segments(kept))


__all__ = ["LANGS", "FileSegment", "LoadResult", "Problem", "load_knowledge"]
