"""Ready-to-paste YAML for an unanswered group: its wordings as example questions of an entry
staff choose, or as a new entry.

The snippets are written with PyYAML's dumper, so any wording is quoted as YAML needs, and
they load with the knowledge base's own loader (tests/test_console_snippets.py checks it).
The wordings are the masked ones: a resident's name never ends up in the knowledge base.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.console.reports import UnansweredGroup
from bot.console.text import plain
from bot.kb.knowledge import SHARED, Entry, KnowledgeBase
from bot.kb.loader import COUNTRY_LANGUAGE
from bot.text import fold, words
from bot.types import LANGS, Lang

MAX_ID = 40
_SAFE_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _dump(data: object) -> str:
    return yaml.dump(data, Dumper=_SAFE_DUMPER, allow_unicode=True, sort_keys=False, width=100)


def _comment(text: str) -> str:
    return "".join(f"# {line}\n" for line in text.splitlines())


def _questions_by_language(group: UnansweredGroup) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for example in group.examples:
        if example.text not in found.get(example.language, []):
            found.setdefault(example.language, []).append(example.text)
    return found


def add_questions_snippet(group: UnansweredGroup, entry: Entry, lang: Lang) -> str:
    """The group's wordings as example questions of `entry`: for each language, the lines
    to paste into the entry's `questions:` list, with where they go in the file."""
    lines: list[str] = []
    for language, texts in _questions_by_language(group).items():
        existing = [n for n in entry.question_lines.get(language, ()) if n is not None]  # type: ignore[call-overload]
        # After the language's last question, or a new list of its own.
        at = {"line": str(max(existing))} if existing else {}
        key = "console.yaml_add_after" if existing else "console.yaml_add_language"
        where = plain(
            key, lang, entry=entry.id, language=language, file=str(entry.location.file), **at
        )
        lines.append(_comment(where) + _dump({language: texts}))
    return "".join(lines)


def questions_snippet_for(
    group: UnansweredGroup, kb: KnowledgeBase, entry_id: str, lang: Lang
) -> str | None:
    """`add_questions_snippet` for the entry staff chose by id; None when no entry of that
    id is loaded (a mistyped or removed id: the page says so instead)."""
    entry = kb.entries.get(entry_id.strip())
    return add_questions_snippet(group, entry, lang) if entry is not None else None


def new_entry_id(group: UnansweredGroup, kb: KnowledgeBase, scope: str) -> str:
    """A slug from the scope and the group's words that no entry has yet."""
    base = scope[:MAX_ID]
    # Whole words while they fit; letters that fold to no ASCII letter are left out.
    for word in words(fold(group.wording)):
        slug = re.sub("[^a-z0-9]", "", word)
        if slug and len(base) + 1 + len(slug) <= MAX_ID:
            base = f"{base}-{slug}"
        elif slug:
            break
    candidate, number = base, 2
    while candidate in kb.entries:
        suffix = f"-{number}"
        candidate = base[: MAX_ID - len(suffix)].rstrip("-") + suffix
        number += 1
    return candidate


def _required_languages(kb: KnowledgeBase, scope: str, countries: Sequence[str]) -> list[Lang]:
    if scope == SHARED:
        needed = {COUNTRY_LANGUAGE[c] for c in countries if c in COUNTRY_LANGUAGE}
    else:
        needed = {kb.municipalities[scope].language}
    return [lang for lang in LANGS if lang in needed or lang == "en"]


def _usual(values: Sequence[Any], default: Any) -> Any:
    """The most common value, the first written on a tie."""
    return Counter(values).most_common(1)[0][0] if values else default


def new_entry_snippet(
    group: UnansweredGroup,
    kb: KnowledgeBase,
    scope: str,
    lang: Lang,
    today: date,
    topic: str | None = None,
) -> tuple[Path | None, str]:
    """A new entry for the group in `scope` (a municipality id, or SHARED for all countries),
    with TODO texts where staff write the title and the answer; and the topic file it
    belongs in (the one that holds most of the scope's entries of that topic), if any.

    A `topic` that is not one of the knowledge base's is replaced by the scope's usual one;
    a `scope` that is neither SHARED nor a loaded municipality is a ValueError."""
    if scope != SHARED and scope not in kb.municipalities:
        raise ValueError(f"no municipality '{scope}' is loaded")
    mine = [e for e in kb.entries.values() if e.scope == scope]
    if topic not in kb.topics:
        topic = None
    topic = topic or _usual([e.topic for e in mine], next(iter(kb.topics), "situation"))
    of_topic = [e for e in mine if e.topic == topic] or mine
    file = _usual([e.location.file for e in of_topic], None)
    source = _usual([s for e in of_topic for s in e.sources], next(iter(kb.sources), ""))
    countries = sorted({m.country for m in kb.municipalities.values()})
    questions = _questions_by_language(group)
    languages = _required_languages(kb, scope, countries)
    for language in questions:
        if language in LANGS and language not in languages:
            languages.append(language)
    document: dict[str, Any] = {
        "id": new_entry_id(group, kb, scope),
        "topic": topic,
        "title": {language: plain("console.yaml_todo_title", lang) for language in languages},
        "questions": {
            language: questions.get(language)
            or [plain("console.yaml_todo_question", lang, language=language)]
            for language in languages
        },
        "answer": {language: plain("console.yaml_todo_answer", lang) for language in languages},
        "source": source,
        "reviewed": today,
    }
    if scope == SHARED:
        document["countries"] = countries
    intro = plain(
        "console.yaml_new_entry",
        lang,
        file=str(file) if file else f"{scope}/…",
    )
    return file, _comment(intro) + _dump([document])
