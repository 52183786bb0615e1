"""Safe YAML loading that remembers the line of every value, for staff-facing messages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml

from bot.kb.yamlerrors import explain_yaml_error

Path_ = tuple[str | int, ...]


# libyaml's parser is about ten times faster; the pure-Python one behaves the same.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_DROPPED_TAGS = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool"}


def staff_loader_class(base: type[yaml.SafeLoader]) -> type[yaml.SafeLoader]:
    """The safe loader with two traps removed for staff.

    Dates stay text, so validation can report a wrong one with its line. Only true/false are
    booleans: YAML 1.1 would read `country: NO` as False.
    """
    loader: type[yaml.SafeLoader] = type("StaffLoader", (base,), {})
    loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED_TAGS]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool",
        re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"),
    )
    return loader


# Any: PyYAML's stubs leave the event API untyped.
_StaffLoader: Any = staff_loader_class(_BaseLoader)
# First characters of a plain scalar that some implicit resolver (null, int, float, bool...)
# may claim; a plain scalar starting with any other character, and every quoted or block
# scalar, is text. Knowing that up front spares most scalars a node, the resolver's regular
# expressions and the constructor: the same result, for a fraction of the cost.
_RESOLVED_FIRST = frozenset(
    first for first, resolvers in _StaffLoader.yaml_implicit_resolvers.items() if resolvers
)
_TEXT_IS_PLAIN = (
    None not in _RESOLVED_FIRST
    and not _StaffLoader.yaml_path_resolvers
    and _StaffLoader.yaml_constructors.get(_StaffLoader.DEFAULT_SCALAR_TAG)
    is yaml.constructor.SafeConstructor.construct_yaml_str
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
    long_words: list[tuple[int, int]] = field(default_factory=list)  # (line, letters)

    def line_of(self, path: Path_) -> int | None:
        """Line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


def _fail(problem: str, mark: Any) -> NoReturn:
    """Raise a YAML error at `mark` (the C and Python parsers have different mark types)."""
    raise yaml.MarkedYAMLError(None, None, problem, mark)


_PLAIN_COLLECTION_TAGS = {None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
# No knowledge file needs more than a few levels; deeper nesting would exhaust the stack.
MAX_NESTING = 50


class _Builder:
    """Builds the data straight from the parser's events, noting the line of every value.

    Composing a node graph first (what PyYAML's loaders do) costs several times the memory of
    the data itself; a 10,000-entry knowledge base would need hundreds of megabytes.
    """

    def __init__(self, loader: Any, doc: YamlDocument) -> None:
        self.loader = loader
        self.doc = doc
        self.anchors: dict[str, Any] = {}
        self.depth = 0

    def _scalar(self, event: yaml.ScalarEvent) -> Any:
        tag = event.tag
        if tag is None and _TEXT_IS_PLAIN:
            value = event.value
            if not event.implicit[0] or (value and value[0] not in _RESOLVED_FIRST):
                return value
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        constructor = self.loader.yaml_constructors.get(tag)
        if constructor is None:
            _fail(f"the tag {tag} is not allowed here", event.start_mark)
        mark: Any = event.start_mark
        return constructor(self.loader, yaml.ScalarNode(tag, event.value, mark))

    def value(self, path: Path_ | None) -> Any:
        """The next value; its line is noted under `path` (None for a mapping's key)."""
        return self._build(self.loader.get_event(), path)

    def _build(self, event: Any, path: Path_ | None) -> Any:
        """The value that starts with `event`. Each event is fetched once (no peeking first):
        a large file has hundreds of thousands of them."""
        if path is not None:
            self.doc.lines.setdefault(path, event.start_mark.line + 1)
        if isinstance(event, yaml.ScalarEvent):
            text = self._scalar(event)
            if event.anchor:
                self.anchors[event.anchor] = text
            return text
        tag = getattr(event, "tag", None)
        if tag not in _PLAIN_COLLECTION_TAGS:
            _fail(f"the tag {tag} is not allowed here", event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.anchors:
                _fail(f"found undefined alias {event.anchor}", event.start_mark)
            return self.anchors[event.anchor]
        result: Any
        next_event = self.loader.get_event
        if self.depth >= MAX_NESTING:
            _fail(
                f"lists and fields are nested more than {MAX_NESTING} levels deep", event.start_mark
            )
        elif isinstance(event, yaml.SequenceStartEvent):
            result = []
            self.depth += 1
            while not isinstance(item := next_event(), yaml.SequenceEndEvent):
                result.append(self._build(item, None if path is None else (*path, len(result))))
            self.depth -= 1
        elif isinstance(event, yaml.MappingStartEvent):
            result = {}
            self.depth += 1
            while not isinstance(key_event := next_event(), yaml.MappingEndEvent):
                key_line = key_event.start_mark.line + 1
                key = self._build(key_event, None)
                if isinstance(key, (list, dict)):
                    _fail("a field name must be plain text", event.start_mark)
                name = str(key)
                if name in result:
                    self.doc.duplicate_keys.append((name, key_line))
                child = None if path is None else (*path, name)
                if child is not None:
                    self.doc.lines[child] = key_line
                result[name] = self.value(child)
            self.depth -= 1
        else:  # pragma: no cover - the parser never yields anything else here
            _fail("unexpected YAML", event.start_mark)
        if event.anchor:
            self.anchors[event.anchor] = result
        return result


def parse_yaml(text: str) -> YamlDocument:
    """Parse one YAML document with the safe loader, keeping line numbers.

    Raises YamlSyntaxError with a plain message and line.
    """
    loader = _StaffLoader(text)
    doc = YamlDocument(data=None)
    try:
        loader.get_event()  # stream start
        if loader.check_event(yaml.StreamEndEvent):
            return doc
        loader.get_event()  # document start
        doc.data = _Builder(loader, doc).value(())
        loader.get_event()  # document end
        if not loader.check_event(yaml.StreamEndEvent):
            mark = loader.peek_event().start_mark
            _fail("a file may hold only one document (remove the '---')", mark)
    except yaml.reader.ReaderError as exc:
        # A character YAML refuses (a NUL byte, a control character): PyYAML gives only its
        # position in the whole text.
        row, column = _line_and_column(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character))
        raise YamlSyntaxError(
            f"line {row}, column {column} holds a control character (U+{code:04X}) that YAML "
            "does not allow; delete it",
            row,
        ) from None
    except yaml.YAMLError as exc:
        explained = explain_yaml_error(exc, text)
        raise YamlSyntaxError(explained.message, explained.line) from None
    finally:
        loader.dispose()
    return doc


def _line_and_column(text: str, position: int) -> tuple[int, int]:
    """The 1-based line and column of a character position."""
    line_start = text.rfind("\n", 0, position) + 1
    return text.count("\n", 0, position) + 1, position - line_start + 1


# Words this long are not real words (the matcher's typo index ignores them).
LONG_WORD_LETTERS = 41
_LONG_WORD = re.compile(rf"[^\W\d_]{{{LONG_WORD_LETTERS},}}")
# A file larger than this is refused: no real topic file comes near it, and parsing stays
# bounded in time and memory. Split a larger file into several.
MAX_FILE_BYTES = 5_000_000


def read_yaml(path: Path) -> YamlDocument:
    """Read and parse `path`; undecodable bytes are a syntax error, not a crash."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise YamlSyntaxError(
            f"the file is {size / 1e6:.1f} MB; a file may hold at most "
            f"{MAX_FILE_BYTES / 1e6:.0f} MB: split it into several files",
            None,
        )
    return parse_yaml_bytes(path.read_bytes())


def parse_yaml_bytes(data: bytes) -> YamlDocument:
    """Parse a file's bytes as `read_yaml` does (the caller checked MAX_FILE_BYTES)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8", "replace")
        line, column = _line_and_column(before, len(before))
        raise YamlSyntaxError(
            f"line {line}, column {column} is not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8",
            line,
        ) from None
    doc = parse_yaml(text)
    doc.long_words = _long_words(data, text)
    return doc


# Only whole texts with a run of more than 40 letters need the search for them. A letter is
# never an ASCII space byte and takes at least one byte, so such a run lies in a word of more
# than 40 bytes; and the possessive match below, one pass that never backtracks, proves a text
# has none. Both are several times faster than searching a large file letter by letter.
_SHORT_RUN = rf"[^\W\d_]{{0,{LONG_WORD_LETTERS - 1}}}+"
_NO_LONG_WORD = re.compile(rf"(?:{_SHORT_RUN}[\W\d_]++)*+{_SHORT_RUN}")


def _long_words(data: bytes, text: str) -> list[tuple[int, int]]:
    """(line, letters) of every run of letters of LONG_WORD_LETTERS or more in the text."""
    if max(map(len, data.split()), default=0) < LONG_WORD_LETTERS:
        return []
    if _NO_LONG_WORD.fullmatch(text):
        return []
    return [
        (text.count("\n", 0, found.start()) + 1, len(found.group()))
        for found in _LONG_WORD.finditer(text)
    ]
