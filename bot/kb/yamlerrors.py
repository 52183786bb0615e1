"""PyYAML's syntax errors in plain English, pointing at the line that is actually wrong.

PyYAML reports where its parser gave up, which is often the line after the mistake (a missing
colon), and in parser terms ("could not find expected ':'"). Staff get what is wrong and how to
fix it; PyYAML's own words follow on a second line, so nothing is hidden. The C and the pure
Python parser word some errors differently; both are recognised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_QUOTES = "\"'"
_KEY_LINE = re.compile(r"^(\s*(?:-\s+)*)([^\s:#'\"][^:#]*?):(\s|$)")
_BLOCK_KEY = re.compile(r":\s*[|>][-+0-9]*\s*(#.*)?$")


@dataclass(frozen=True)
class Explanation:
    """A syntax error for staff: what is wrong and how to fix it, at a 1-based line."""

    message: str
    line: int | None


@dataclass(frozen=True)
class _Mark:
    line: int  # 0-based, as PyYAML counts
    column: int


def _mark(value: Any) -> _Mark | None:
    return None if value is None else _Mark(value.line, value.column)


class _Text:
    """The file's lines, with the questions the explanations ask of them."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def get(self, line: int) -> str:
        return self.lines[line] if 0 <= line < len(self.lines) else ""

    def indent(self, line: int) -> int:
        content = self.get(line)
        return len(content) - len(content.lstrip(" "))

    def previous_content_line(self, line: int) -> int | None:
        """The nearest line above `line` that is neither blank nor only a comment."""
        for index in range(min(line, len(self.lines)) - 1, -1, -1):
            stripped = self.lines[index].strip()
            if stripped and not stripped.startswith("#"):
                return index
        return None

    def field_column(self, line: int) -> int:
        """Where the field of `line` starts: after its indentation and any '- '."""
        content = self.get(line)
        return len(content) - len(content.lstrip(" -"))

    def block_key_above(self, line: int) -> int | None:
        """The `name: |` line whose text ends just above `line`, if the line above is such text."""
        above = self.previous_content_line(line)
        if above is None or _BLOCK_KEY.search(self.lines[above]):
            return None
        shallowest = self.indent(above)
        for index in range(above - 1, -1, -1):
            if not self.lines[index].strip():
                continue
            if self.indent(index) < shallowest:
                # The first line indented less than the text is the field it belongs to.
                return index if _BLOCK_KEY.search(self.lines[index]) else None
        return None

    def first_tab(self, first: int, last: int) -> _Mark | None:
        """The first tab in the indentation of lines first..last."""
        for index in range(max(first, 0), min(last, len(self.lines) - 1) + 1):
            content = self.lines[index]
            indentation = content[: len(content) - len(content.lstrip(" \t-"))]
            if "\t" in indentation:
                return _Mark(index, indentation.index("\t"))
        return None


def _yaml_said(context: str | None, context_mark: _Mark | None, problem: str, mark: _Mark) -> str:
    said = ""
    if context:
        said = context
        if context_mark is not None:
            said += f" (line {context_mark.line + 1}, column {context_mark.column + 1})"
        said += ": "
    return f"{said}{problem} (line {mark.line + 1}, column {mark.column + 1})"


def _quoted(text: str) -> str:
    """`text` as staff should write it in quotes."""
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', '\\"') + '"'


def _missing_colon(source: _Text, line: int) -> Explanation:
    written = source.get(line).strip()
    name, _, rest = written.lstrip("- ").partition(" ")
    fix = f"write it as '{name}: {rest.strip()}'" if rest.strip() else f"add ':' after '{name}'"
    return Explanation(
        f"'{written}' has no ':' after the field name; {fix}",
        line + 1,
    )


def _colon_in_text(source: _Text, line: int, column: int) -> Explanation | None:
    """A value on `line` holds ': ' (a title like `Nyby: frivillig hjelp`)."""
    content = source.get(line)
    key = _KEY_LINE.match(content)
    if key is None or key.end(2) >= column:
        return None
    name = key.group(2).strip()
    value = content[key.end() :].strip()
    return Explanation(
        f"the text after '{name}:' contains ': ' (column {column + 1}), which YAML reads as the "
        f"start of another field; put the whole text in quotes: {name}: {_quoted(value)}",
        line + 1,
    )


def _mapping_value(source: _Text, mark: _Mark) -> Explanation:
    """'mapping values are not allowed': a ':' where YAML is in the middle of a text."""
    in_line = _colon_in_text(source, mark.line, mark.column)
    if in_line is not None:
        return in_line
    before = source.get(mark.line)[: mark.column].strip(" -")
    above = source.previous_content_line(mark.line)
    if above is not None and " " not in before:
        if _KEY_LINE.match(source.get(above)) is None:
            # `nb Utsatt` above `en: ...`: YAML read both lines as one text.
            return _missing_colon(source, above)
        if source.indent(mark.line) > source.field_column(above):
            return Explanation(
                f"this line is indented more than line {above + 1}, so YAML reads it as part of "
                f"the text on line {above + 1}; start '{before}:' in the same column as the "
                "field above it",
                mark.line + 1,
            )
    return Explanation(
        f"this line continues a text that contains ': ' (column {mark.column + 1}); put the "
        "whole text in quotes, or write it as a block after '|'",
        mark.line + 1,
    )


def _misplaced_line(source: _Text, context: str, mark: _Mark) -> Explanation:
    """The parser wanted a field or a list item and found something else."""
    content = source.get(mark.line)
    at = content[mark.column :]
    before = content[: mark.column].rstrip()
    if at.startswith("-") and "mapping" in context:
        return Explanation(
            "this line starts a list item ('- ') among fields ('name: value'); fields and list "
            "items cannot be mixed at one level: check the line's indentation, or remove the '-'",
            mark.line + 1,
        )
    if before.strip(" -") and before[-1] in _QUOTES:
        quote = before[-1]
        if before.count(quote) % 2:
            # This quote closes one opened on an earlier line and never closed there.
            opened = next(
                (i for i in range(mark.line - 1, -1, -1) if source.get(i).count(quote) % 2),
                None,
            )
            if opened is not None:
                return Explanation(
                    f"the quote {quote} on this line is closed only on line {mark.line + 1}, "
                    "so the lines between became part of its text; add the closing "
                    f"{quote} at the end of this line's text",
                    opened + 1,
                )
        return Explanation(
            f"there is more text after the closing quote (column {mark.column + 1}); put the "
            "whole text inside the quotes",
            mark.line + 1,
        )
    spaces = source.indent(mark.line)
    block = source.block_key_above(mark.line)
    if block is not None and spaces > source.indent(block):
        first_text = next(i for i in range(block + 1, mark.line) if source.get(i).strip())
        return Explanation(
            f"this line is indented by {spaces} spaces, less than the first line of the text "
            f"under line {block + 1} (line {first_text + 1}, {source.indent(first_text)} "
            "spaces): every line of a text after '|' must start at least as far in as its "
            "first line",
            mark.line + 1,
        )
    above = block if block is not None else source.previous_content_line(mark.line)
    if above is None:
        return Explanation("this line is not indented like the lines below it", mark.line + 1)
    return Explanation(
        f"this line is indented by {spaces} space{'s' if spaces != 1 else ''}, but the field "
        f"on line {above + 1} starts after {source.field_column(above)}: fields of one group "
        "must start in the same column, and a new entry starts with '- '",
        mark.line + 1,
    )


def _explain(
    source: _Text, context: str, context_mark: _Mark | None, problem: str, mark: _Mark
) -> Explanation | None:
    tab = source.first_tab(mark.line, mark.line)
    if tab is not None or "tab character" in problem or "'\\t'" in problem:
        first = context_mark.line if context_mark is not None else mark.line
        where = tab or source.first_tab(first, mark.line) or mark
        return Explanation(
            f"this line is indented with a tab character (column {where.column + 1}); YAML "
            "allows only spaces for indentation, not tabs: replace the tab with spaces",
            where.line + 1,
        )
    if "quoted scalar" in context and context_mark is not None:
        if "escape" in problem:
            return Explanation(
                f"a backslash (\\) in double quotes at column {mark.column + 1} starts a special "
                "character; write \\\\ for a backslash, or use single quotes",
                mark.line + 1,
            )
        quote = source.get(context_mark.line)[context_mark.column : context_mark.column + 1]
        return Explanation(
            f"the quote {quote} at column {context_mark.column + 1} is never closed; add a "
            f"closing {quote} at the end of the text",
            context_mark.line + 1,
        )
    if "simple key" in context and "':'" in problem and context_mark is not None:
        return _missing_colon(source, context_mark.line)
    if "mapping values are not allowed" in problem:
        return _mapping_value(source, mark)
    if ("flow sequence" in context or "flow mapping" in context) and context_mark is not None:
        opened = source.get(context_mark.line)[context_mark.column : context_mark.column + 1]
        closing = {"[": "]", "{": "}"}.get(opened, "]")
        return Explanation(
            f"the '{opened}' at column {context_mark.column + 1} is never closed; add "
            f"'{closing}' after the last item, on the same line",
            context_mark.line + 1,
        )
    if (
        "expected key" in problem
        or "expected '-' indicator" in problem
        or "expected <block end>" in problem
    ):
        return _misplaced_line(source, context, mark)
    if "cannot start any token" in problem or "undefined alias" in problem:
        character = source.get(mark.line)[mark.column : mark.column + 1]
        return Explanation(
            f"a text cannot start with '{character}' (column {mark.column + 1}); put the text "
            "in quotes",
            mark.line + 1,
        )
    return None


def explain_yaml_error(exc: Any, text: str) -> Explanation:
    """A plain message for a PyYAML error, with PyYAML's own words on a second line."""
    problem = str(getattr(exc, "problem", None) or exc)
    context = str(getattr(exc, "context", None) or "")
    problem_mark = _mark(getattr(exc, "problem_mark", None))
    context_mark = _mark(getattr(exc, "context_mark", None))
    mark = problem_mark or context_mark
    if mark is None:
        return Explanation(f"YAML syntax error: {problem}", None)
    explained = _explain(_Text(text), context, context_mark, problem, mark)
    if explained is None:
        return Explanation(f"YAML syntax error: {problem}", _in_file(mark.line + 1, text))
    said = _yaml_said(context or None, context_mark, problem, mark)
    return Explanation(
        f"YAML syntax error: {explained.message}\n  YAML said: {said}",
        _in_file(explained.line, text),
    )


def _in_file(line: int | None, text: str) -> int | None:
    """A line of the file: libyaml marks a problem at the very end on the line after the last."""
    if line is None:
        return None
    return max(1, min(line, len(text.splitlines()) or 1))
