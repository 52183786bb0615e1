"""The console's knowledge-base report: every entry with its review dates, what needs a
review, the current `kb check` problems, and the last reload.

`check_folder` reads the knowledge folder as `python -m bot kb check` does, plus each entry's
review hashes (the loaded entries do not keep them). It reads and validates every file, so
`FolderChecks` keeps the last check and checks again only when a file changed or a day
passed; `knowledge_report` itself is pure.

The live knowledge base does not record when it was last reloaded: the caller (the web
server, which sees every reload's outcome through the reload callback) passes a
`ReloadStatus`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot.answering.service import Fingerprint, ReloadOutcome, fingerprint
from bot.console.text import language_name, local_time, plain
from bot.kb.knowledge import KnowledgeBase
from bot.kb.loader import Problem, load_knowledge
from bot.kb.review import HASH_FIELD, answer_hash
from bot.messages import format_date
from bot.types import LANGS, Lang

logger = logging.getLogger(__name__)

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ReviewHashes = dict[str, dict[str, str]]


@dataclass(frozen=True, slots=True)
class ReloadStatus:
    """When the knowledge base was last (re)loaded, and what came of it."""

    at: datetime
    applied: bool  # False: errors kept the previous version answering
    entries: int
    errors: int
    warnings: int

    @classmethod
    def of(cls, outcome: ReloadOutcome, at: datetime) -> ReloadStatus:
        return cls(at, outcome.applied, outcome.entries, len(outcome.errors), len(outcome.warnings))


@dataclass(frozen=True, slots=True)
class FolderCheck:
    """What `kb check` finds in the folder now, and each entry's review hashes."""

    kb: KnowledgeBase
    problems: tuple[Problem, ...]
    hashes: ReviewHashes
    checked_on: date


def _review_hashes(root: Path, kb: KnowledgeBase) -> ReviewHashes:
    """`reviewed_hashes` of every loaded entry, from its file (one read per file)."""
    found: ReviewHashes = {}
    for relative in sorted({e.location.file for e in kb.entries.values()}):
        try:
            data = yaml.load((root / relative).read_text(encoding="utf-8"), Loader=_Loader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # the check reports the file; it may have changed since it loaded
        items = data.get("entries") if isinstance(data, dict) else None
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict) and isinstance(item.get(HASH_FIELD), dict):
                hashes = item[HASH_FIELD]
                found[str(item.get("id"))] = {str(k): str(v) for k, v in hashes.items()}
    return found


def check_folder(root: Path, today: date) -> FolderCheck:
    """Load and check the knowledge folder now, as `python -m bot kb check` does."""
    result = load_knowledge(root, today)
    return FolderCheck(result.kb, tuple(result.problems), _review_hashes(root, result.kb), today)


class FolderChecks:
    """The last `check_folder` of one folder, done again only when a file changed (by name,
    size and modification time) or the day changed (review dates fall due)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._last: tuple[Fingerprint, FolderCheck] | None = None

    def get(self, today: date) -> FolderCheck:
        """The check for `today`; call it in a thread (it may read every file)."""
        current = fingerprint(self.root) if self.root.is_dir() else ()
        with self._lock:
            if self._last is not None:
                seen, check = self._last
                if seen == current and check.checked_on == today:
                    return check
            check = check_folder(self.root, today)
            self._last = (current, check)
            return check


@dataclass(frozen=True, slots=True)
class EntryStatus:
    id: str
    scope: str  # a municipality id, or "shared"
    topic: str
    topic_title: str
    languages: tuple[str, ...]  # the languages the answer is written in
    reviewed: date
    review_by: date | None
    file: Path
    line: int | None
    reviewed_languages: tuple[str, ...]  # whose answer is unchanged since the review stamp
    changed_languages: tuple[str, ...]  # whose answer changed since the review stamp
    overdue: bool  # review_by has passed

    @property
    def stale(self) -> bool:
        """Due for a review, or edited since it in some language."""
        return self.overdue or bool(self.changed_languages)

    @property
    def one_language_only(self) -> bool:
        """Written in several languages, but only one is known to be reviewed."""
        return len(self.languages) > 1 and len(self.reviewed_languages) == 1


@dataclass(frozen=True, slots=True)
class KnowledgeReport:
    entries: tuple[EntryStatus, ...]  # flagged entries first, then by scope and id
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    last_reload: ReloadStatus | None

    @property
    def stale(self) -> int:
        return sum(1 for e in self.entries if e.stale)

    @property
    def one_language_only(self) -> int:
        return sum(1 for e in self.entries if e.one_language_only)


def _status(check: FolderCheck, entry_id: str, lang: Lang) -> EntryStatus:
    entry = check.kb.entries[entry_id]
    hashes = check.hashes.get(entry.id, {})
    reviewed = tuple(
        language
        for language, text in entry.answer.items()
        if hashes.get(language) == answer_hash(text)
    )
    changed = tuple(
        language
        for language, text in entry.answer.items()
        if language in hashes and hashes[language] != answer_hash(text)
    )
    topic = check.kb.topics.get(entry.topic)
    title = (topic.title.get(lang) or topic.title.get("en") or topic.id) if topic else entry.topic
    return EntryStatus(
        id=entry.id,
        scope=entry.scope,
        topic=entry.topic,
        topic_title=title,
        languages=tuple(lang for lang in LANGS if lang in entry.answer),
        reviewed=entry.reviewed,
        review_by=entry.review_by,
        file=entry.location.file,
        line=entry.location.line,
        reviewed_languages=reviewed,
        changed_languages=changed,
        overdue=entry.review_by is not None and entry.review_by < check.checked_on,
    )


def knowledge_report(
    check: FolderCheck,
    lang: Lang,
    last_reload: ReloadStatus | None = None,
    municipality: str | None = None,
) -> KnowledgeReport:
    """Every entry (of `municipality` and the shared ones for its country, or all), the
    problems `kb check` reports now with their file and line, and the last reload."""
    kb = check.kb
    if municipality is not None and municipality in kb.municipalities:
        ids = [e.id for e in kb.entries_for(municipality)]
    else:
        ids = list(kb.entries)
    statuses = [_status(check, entry_id, lang) for entry_id in ids]
    statuses.sort(key=lambda s: (not (s.stale or s.one_language_only), s.scope, s.id))
    problems = check.problems
    if municipality is not None:
        # The municipality's own files and the shared ones (which every municipality uses).
        problems = tuple(
            p for p in problems if p.location.file.parts[:1] in ((municipality,), ("shared",))
        )
    return KnowledgeReport(
        entries=tuple(statuses),
        errors=tuple(p for p in problems if p.severity == "error"),
        warnings=tuple(p for p in problems if p.severity == "warning"),
        last_reload=last_reload,
    )


def flag_labels(entry: EntryStatus, lang: Lang) -> list[str]:
    """What needs doing about an entry, in words: due, edited since the review, one language."""
    flags = []
    if entry.overdue and entry.review_by is not None:
        flags.append(plain("console.kb_overdue", lang, date=format_date(entry.review_by, lang)))
    if entry.changed_languages:
        changed = ", ".join(language_name(code, lang) for code in entry.changed_languages)
        flags.append(plain("console.kb_changed", lang, languages=changed))
    if entry.one_language_only:
        only = language_name(entry.reviewed_languages[0], lang)
        flags.append(plain("console.kb_one_language", lang, language=only))
    return flags


def reload_label(status: ReloadStatus | None, lang: Lang, zone: ZoneInfo) -> str:
    """The last reload in words, its time in `zone`."""
    if status is None:
        return plain("console.kb_reload_unknown", lang)
    time = local_time(status.at.astimezone(zone), lang)
    if status.applied:
        return plain("console.kb_reload_applied", lang, time=time, entries=str(status.entries))
    return plain("console.kb_reload_refused", lang, time=time, errors=str(status.errors))
