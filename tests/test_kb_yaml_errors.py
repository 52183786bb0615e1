"""YAML syntax errors in plain English, at the line that is actually wrong.

One tiny broken file per kind of mistake staff make, with the line that must be reported. Each
runs with libyaml's parser (what the bot uses) and the pure Python one (the fallback when
libyaml is missing): they word their errors differently.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.kb import yamlsource
from bot.kb.loader import load_knowledge
from bot.kb.yamlerrors import explain_yaml_error
from bot.kb.yamlsource import YamlSyntaxError, parse_yaml
from tests.conftest import ENTRY, SHIPPED_KB, WriteFile

PARSERS = {"python": yaml.SafeLoader}
if hasattr(yaml, "CSafeLoader"):
    PARSERS["libyaml"] = yaml.CSafeLoader


@pytest.fixture(params=sorted(PARSERS))
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    base = PARSERS[request.param]
    monkeypatch.setattr(yamlsource, "_StaffLoader", yamlsource.staff_loader_class(base))
    yield request.param


# (kind of mistake, the broken file, the line to report, words the explanation must hold)
CASES = [
    (
        "missing colon after a key",
        "entries:\n  - id: a\n    topic payments\n    title:\n      nb: x\n",
        3,
        "'topic payments' has no ':' after the field name; write it as 'topic: payments'",
    ),
    (
        "missing colon on the last line",
        "entries:\n  - id: a\n    topic: payments\n    reviewed 2026-11-22\n",
        4,
        "write it as 'reviewed: 2026-11-22'",
    ),
    (
        "missing colon before a nested key",
        "entries:\n  - id: a\n    title:\n      nb Utsatt betaling\n      en: Postponed\n",
        4,
        "'nb Utsatt betaling' has no ':' after the field name",
    ),
    (
        "a key indented deeper than the one before",
        "entries:\n  - id: a\n    topic: payments\n      title: x\n",
        4,
        "indented more than line 3",
    ),
    (
        "a key indented less than the one before",
        "entries:\n  - id: a\n    topic: payments\n   title: x\n",
        4,
        "indented by 3 spaces, but the field on line 3 starts after 4",
    ),
    (
        "a field not indented under its list item",
        "entries:\n  - id: a\n  topic: payments\n",
        3,
        "indented by 2 spaces, but the field on line 2 starts after 4",
    ),
    (
        "a tab used for indentation",
        "entries:\n  - id: a\n\ttopic: payments\n",
        3,
        "indented with a tab character (column 1)",
    ),
    (
        "a tab before a list item",
        "entries:\n\t- id: a\n",
        2,
        "indented with a tab character (column 1)",
    ),
    (
        "an unclosed double quote",
        'entries:\n  - id: a\n    title: "Nyby frivillig\n    topic: payments\n',
        3,
        'the quote " at column 12 is never closed',
    ),
    (
        "an unclosed single quote",
        "entries:\n  - id: a\n    title: 'Nyby frivillig\n    topic: payments\n",
        3,
        "the quote ' at column 12 is never closed",
    ),
    (
        "a colon and space inside a text",
        "entries:\n  - id: a\n    title: Nyby: frivillig hjelp\n    topic: payments\n",
        3,
        "the text after 'title:' contains ': ' (column 16), which YAML reads as the start of "
        'another field; put the whole text in quotes: title: "Nyby: frivillig hjelp"',
    ),
    (
        "a list item among fields",
        "entries:\n  - id: a\n    topic: payments\n    - b\n",
        4,
        "starts a list item ('- ') among fields",
    ),
    (
        "a list item after the top-level fields",
        "id: asker\nname: x\n- payments.yaml\n",
        3,
        "starts a list item ('- ') among fields",
    ),
    (
        "an unclosed list bracket",
        "entries:\n  - id: a\n    related: [asker-a, asker-b\n    topic: payments\n",
        3,
        "the '[' at column 14 is never closed; add ']'",
    ),
    (
        "an unclosed brace",
        "entries:\n  - id: a\n    title: {nb: x\n    topic: payments\n",
        3,
        "the '{' at column 12 is never closed; add '}'",
    ),
    (
        "text after a closing quote",
        'entries:\n  - id: a\n    title: "Nyby" frivillig\n    topic: payments\n',
        3,
        "more text after the closing quote (column 19)",
    ),
    (
        "an unclosed quote that a later quote closes",
        'entries:\n  - id: a\n    title: "Nyby\n    topic: "payments"\n',
        3,
        'the quote " on this line is closed only on line 4',
    ),
    (
        "a line of a | text indented less than its first line",
        "entries:\n  - id: a\n    answer:\n      nb: |\n         Første linje.\n"
        "        Andre linje.\n",
        6,
        "indented by 8 spaces, less than the first line of the text under line 4 (line 5, 9 "
        "spaces)",
    ),
    (
        "a text starting with @",
        "entries:\n  - id: a\n    title: @nyby\n",
        3,
        "a text cannot start with '@' (column 12); put the text in quotes",
    ),
    (
        "a text starting with *",
        "entries:\n  - id: a\n    title: *nyby\n",
        3,
        "a text cannot start with '*' (column 12); put the text in quotes",
    ),
    (
        "a backslash in double quotes",
        'entries:\n  - id: a\n    title: "C:\\q"\n',
        3,
        "a backslash (\\) in double quotes",
    ),
]


@pytest.mark.parametrize(("kind", "text", "line", "explanation"), CASES, ids=[c[0] for c in CASES])
def test_a_syntax_error_is_explained_at_the_line_that_is_wrong(
    parser: str, kind: str, text: str, line: int, explanation: str
) -> None:
    with pytest.raises(YamlSyntaxError) as raised:
        parse_yaml(text)
    plain, said = raised.value.message.split("\n")
    assert raised.value.line == line, raised.value.message
    assert plain.startswith("YAML syntax error: ")
    assert explanation in plain
    # PyYAML's own words stay available, with where it gave up.
    assert said.startswith("  YAML said: ")
    assert "line " in said


def test_a_missing_colon_gets_no_advice_about_quotes(parser: str) -> None:
    with pytest.raises(YamlSyntaxError) as raised:
        parse_yaml(CASES[0][1])
    assert "quote" not in raised.value.message.split("\n")[0]


def test_the_loader_reports_a_missing_colon_on_its_own_line(
    tiny_kb: Path, write: WriteFile
) -> None:
    write(
        "asker/payments.yaml",
        ENTRY.format(id="asker-a").replace("    topic: payments", "    topic payments"),
    )
    [problem] = load_knowledge(tiny_kb).problems
    assert str(problem.location) == "asker/payments.yaml:3"
    assert "'topic payments' has no ':'" in problem.message


MUTATIONS = [
    (":", ""),  # a missing colon
    ("  ", "\t"),  # a tab
    (": ", ': "'),  # an unclosed quote
    ("  ", " "),  # one space too few
    ("- ", ""),  # a lost list dash
]


@pytest.mark.parametrize("old, new", MUTATIONS)
def test_any_broken_line_of_a_shipped_file_gives_a_plain_error_never_a_crash(
    old: str, new: str
) -> None:
    # With the bot's own parser only: the pure Python one would take seconds per mutation.
    for path in sorted(SHIPPED_KB.glob("*/*.yaml")):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for index in range(0, len(lines), 5):
            if old not in lines[index]:
                continue
            broken = [*lines[:index], lines[index].replace(old, new, 1), *lines[index + 1 :]]
            try:
                parse_yaml("".join(broken))
            except YamlSyntaxError as exc:
                assert exc.line is not None, (path, index, exc.message)
                assert exc.message.startswith("YAML syntax error: ")


@pytest.mark.parametrize("text", ["[i'iles:", "files: [", "files:\n  - [", "- x\n- [y"])
@pytest.mark.parametrize("loader", [getattr(yaml, "CSafeLoader", yaml.SafeLoader), yaml.SafeLoader])
def test_a_problem_at_the_very_end_is_on_a_line_of_the_file(text: str, loader: type) -> None:
    """libyaml marks it on the line after the last (found by `make soak`, seed 934)."""
    try:
        yaml.load(text, Loader=loader)
    except yaml.YAMLError as error:
        explained = explain_yaml_error(error, text)
    else:
        raise AssertionError("not a syntax error")
    assert explained.line is not None and 1 <= explained.line <= len(text.splitlines())
