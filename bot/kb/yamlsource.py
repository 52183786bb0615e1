"""Safe YAML loading that remembers the line of every value, for staff-facing messages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


# libyaml's parser is about ten times faster; the pure-Python one behaves the same.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StaffLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """The safe loader with two traps removed for staff.

    Dates stay text, so validation can report a wrong one with its line. Only true/false are
    booleans: YAML 1.1 would read `country: NO` as False.
    """


_DROPPED_TAGS = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool"}
_StaffLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StaffLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class YamlSyntaxError(Exception):
    """A file is not valid YAML; `line` is 1-based or None."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class YamlDocument:
    """Parsed data plus the line of every mapping key and sequence item (1-based)."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    duplicate_keys: list[tuple[str, int]] = field(default_factory=list)

    def line_of(self, path: Path_) -> int | None:
        """Line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


def _walk(node: yaml.Node, path: Path_, doc: YamlDocument) -> None:
    doc.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                doc.duplicate_keys.append((key, key_node.start_mark.line + 1))
            seen.add(key)
            doc.lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), doc)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), doc)


def _describe(exc: yaml.YAMLError, text: str) -> tuple[str, int | None]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    line = mark.line + 1 if mark is not None else None
    source_line = text.splitlines()[line - 1] if line and line <= len(text.splitlines()) else ""
    indentation = source_line[: len(source_line) - len(source_line.lstrip())]
    hint = ""
    if "\t" in indentation or "'\\t'" in problem:
        hint = " (use spaces, not tabs, to indent)"
    elif "mapping values are not allowed" in problem:
        hint = " (a text containing ': ' must be put in quotes)"
    elif "could not find expected ':'" in problem or "expected <block end>" in problem:
        hint = " (check the indentation of this line and the one before)"
    return f"YAML syntax error: {problem}{hint}", line


def parse_yaml(text: str) -> YamlDocument:
    """Parse one YAML document with the safe loader, keeping line numbers.

    Raises YamlSyntaxError with a plain message and line.
    """
    loader = _StaffLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(data=None)
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        message, line = _describe(exc, text)
        raise YamlSyntaxError(message, line) from None
    finally:
        loader.dispose()
    doc = YamlDocument(data=data)
    _walk(node, (), doc)
    return doc


def read_yaml(path: Path) -> YamlDocument:
    """Read and parse `path`; undecodable bytes are a syntax error, not a crash."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlSyntaxError(
            f"the file is not UTF-8 text (byte {exc.start}); save it as UTF-8", None
        ) from None
    return parse_yaml(text)
