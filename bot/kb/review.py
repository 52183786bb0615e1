"""Review stamps: a short hash of each language's answer, written when staff mark it reviewed.

With the hashes, `kb check` can tell that one language's answer was edited after the review
while another was not, and may now say something different. `stamp_reviewed` rewrites only
the `reviewed:` and `reviewed_hashes:` lines of an entry: comments and formatting elsewhere in
the file stay byte for byte as staff wrote them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.kb.knowledge import Entry
from bot.kb.yamlsource import YamlDocument, YamlSyntaxError, parse_yaml
from bot.messages import say
from bot.types import Lang

HASH_FIELD = "reviewed_hashes"
_REVIEWED_LINE = re.compile(r"^(?P<head>(?P<indent>[ -]*)reviewed:[ \t]*)(?P<value>[^\s#]+)")


def answer_hash(text: str) -> str:
    """Eight hex digits that change whenever the answer's words change.

    Whitespace is normalised first, so re-wrapping a paragraph is not an edit.
    """
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:8]


def language_list(langs: Sequence[Lang]) -> str:
    names = [say(f"lang_name_{lang}", "en") for lang in langs]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def stale_languages(
    answer: Mapping[Lang, str], hashes: Mapping[Lang, str]
) -> tuple[list[Lang], list[Lang]]:
    """The languages whose answer changed since the review, and those that did not.

    Languages without a stored hash (added after the review) are in neither list.
    """
    changed = [
        lang
        for lang, text in answer.items()
        if lang in hashes and answer_hash(text) != hashes[lang]
    ]
    unchanged = [lang for lang in answer if lang in hashes and lang not in changed]
    return changed, unchanged


class StampError(Exception):
    """An entry's lines cannot be rewritten safely; the file is left as it was."""


@dataclass
class StampReport:
    stamped: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def _as_yaml(digest: str) -> str:
    """The hash as YAML text: quoted only if YAML would read it as a number (like 01234567)."""
    return digest if parse_yaml(digest).data == digest else f'"{digest}"'


def _hash_line(indent: str, answer: Mapping[Lang, str], newline: str) -> str:
    pairs = ", ".join(f"{lang}: {_as_yaml(answer_hash(text))}" for lang, text in answer.items())
    return f"{indent}{HASH_FIELD}: {{{pairs}}}{newline}"


def _newline(line: str) -> str:
    """The line's own line ending (a file edited on Windows keeps its CRLF)."""
    return line[len(line.rstrip("\r\n")) :] or "\n"


def _stamp_entry(lines: list[str], doc: YamlDocument, index: int, entry: Entry, when: date) -> None:
    """Rewrite the entry's review lines in `lines` (0-based list of the file's lines)."""
    base = ("entries", index)
    reviewed_line = doc.lines.get((*base, "reviewed"))
    if reviewed_line is None:
        raise StampError(f"'{entry.id}' has no 'reviewed' line")
    row = reviewed_line - 1
    found = _REVIEWED_LINE.match(lines[row])
    if found is None:
        raise StampError(
            f"line {reviewed_line} must read 'reviewed: YYYY-MM-DD' for '{entry.id}' to be stamped"
        )
    lines[row] = found.group("head") + when.isoformat() + lines[row][found.end() :]
    newline = _newline(lines[row])
    if row == len(lines) - 1 and not lines[row].endswith(newline):
        lines[row] += newline  # the last line of a file without a final newline
    # Line the hashes up with the 'reviewed' key, after any '- ' of the entry's first line.
    indent = " " * len(found.group("indent"))
    new = _hash_line(indent, entry.answer, newline)
    hashes_line = doc.lines.get((*base, HASH_FIELD))
    if hashes_line is None:
        lines.insert(row + 1, new)
        return
    # A block-style value (one language a line) goes too; the stamp writes it on one line.
    children = [
        line
        for path, line in doc.lines.items()
        if path[:3] == (*base, HASH_FIELD) and len(path) > 3
    ]
    last = max([hashes_line, *children])
    lines[hashes_line - 1 : last] = [new]


def _entry_indexes(doc: YamlDocument) -> dict[str, int]:
    items = doc.data.get("entries") if isinstance(doc.data, dict) else None
    if not isinstance(items, list):
        return {}
    return {
        item["id"]: index
        for index, item in enumerate(items)
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    }


def _write(path: Path, text: str) -> None:
    """Replace `path` in one step, so a crash never leaves half a file."""
    temporary = path.with_name(f".{path.name}.stamping")
    temporary.write_bytes(text.encode("utf-8"))
    temporary.replace(path)


def stamp_file(path: Path, entries: Sequence[Entry], when: date) -> list[str]:
    """Stamp `entries` (all written in `path`); returns the ids whose lines changed."""
    original = path.read_bytes().decode("utf-8")
    doc = parse_yaml(original)
    indexes = _entry_indexes(doc)
    lines = original.splitlines(keepends=True)
    # From the bottom up, so that an inserted line does not move the lines still to edit.
    for entry in sorted(entries, key=lambda e: indexes.get(e.id, -1), reverse=True):
        if entry.id not in indexes:
            raise StampError(f"'{entry.id}' is not in {path.name}")
        _stamp_entry(lines, doc, indexes[entry.id], entry, when)
    text = "".join(lines)
    if text == original:
        return []
    try:
        stamped = parse_yaml(text)
    except YamlSyntaxError as exc:  # pragma: no cover - the lines written are always valid
        raise StampError(f"stamping {path.name} would break it: {exc.message}") from None
    before, after = doc.data["entries"], stamped.data["entries"]
    changed = [e.id for e in entries if before[indexes[e.id]] != after[indexes[e.id]]]
    _write(path, text)
    return changed


def stamp_reviewed(root: Path, entries: Sequence[Entry], when: date) -> StampReport:
    """Mark `entries` of the knowledge folder `root` reviewed on `when`, with their hashes."""
    by_file: dict[Path, list[Entry]] = {}
    for entry in entries:
        by_file.setdefault(entry.location.file, []).append(entry)
    report = StampReport()
    for relative, in_file in sorted(by_file.items()):
        changed = stamp_file(root / relative, in_file, when)
        if changed:
            report.files.append(relative)
        report.stamped.extend(changed)
        report.unchanged.extend(e.id for e in in_file if e.id not in changed)
    return report
