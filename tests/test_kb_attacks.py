"""Knowledge-base attacks: broken and hostile files, generated, through the loader and a reload.

Every case loads without raising, in bounded memory; every error names its file (and a line
in it, unless the whole file is refused); a file that must be refused is; and a hot reload
of a broken folder keeps the last good knowledge base answering. Seeded like every harness
(tests/harness.py); `make soak` runs many more cases.
"""

from __future__ import annotations

import random
import re
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from bot.answering.service import KnowledgeService
from bot.kb import yamlsource
from bot.kb.loader import LoadResult, load_knowledge
from tests.conftest import ENTRY
from tests.harness import seeds, soaking

TODAY = date(2026, 11, 22)
TARGET = Path("asker/payments.yaml")
# The tiny knowledge base loads in well under this; the largest allowed file (5 MB) in less
# than ten times it. Quadratic work or an expanded alias bomb would need gigabytes.
PEAK_BYTES = 400_000_000
# What a Python traceback or repr looks like; staff must never read one.
NOT_PLAIN = re.compile(
    r"Traceback|File \"|object at 0x|<class |Error\(|\bNone\b|constrained-|\b(str|int|list)\["
)


@dataclass(frozen=True)
class Attack:
    """One hostile version of the target file; `broken` says it must be refused."""

    name: str
    content: bytes
    broken: bool


Mutation = Callable[[random.Random, str], Attack]
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
WHOLE_FILE = re.compile(r"a file may hold at most|no emergency numbers for")
KEY_LINE = re.compile(r"^(\s*(?:- )?)([A-Za-z_][\w-]*):")
ENTRY_FIELDS = ("id", "topic", "title", "questions", "answer", "source", "reviewed")
WRONG_VALUES = (
    "5",
    "-1.5e300",
    "true",
    "null",
    "~",
    "[]",
    "{}",
    "[[[]]]",
    "{a: {b: {c: d}}}",
    "''",
    '"\\u0000"',
    "!!binary aGVp",
    "!!python/object/apply:os.system [echo hi]",
    "!!set {a, b}",
    "2026-13-45",
    "*undefined_alias",
    "&anchor x",
    "|\n      block",
    "? [a]\n      : b",
)


def _entries(count: int, start: int = 0) -> str:
    return "entries:\n" + "".join(
        ENTRY.format(id=f"asker-x{i}")[len("entries:\n") :]
        .replace("Kan jeg utsette fakturaen?", f"Kan jeg utsette faktura nummer {i}?")
        .replace("Can I postpone my invoice?", f"Can I postpone invoice number {i}?")
        for i in range(start, start + count)
    )


def _insert(rng: random.Random, text: bytes, piece: bytes) -> bytes:
    at = rng.randrange(len(text) + 1)
    return text[:at] + piece + text[at:]


def deep_nesting(rng: random.Random, good: str) -> Attack:
    depth = rng.choice([yamlsource.MAX_NESTING + 1, 500, 100_000])
    opener, closer = rng.choice([("[", "]"), ("{a: ", "}")])
    nested = opener * depth + "x" + closer * depth
    return Attack(f"nesting {depth}", f"entries:\n  - {nested}\n".encode(), True)


def oversized(rng: random.Random, good: str) -> Attack:
    padding = "#" * (yamlsource.MAX_FILE_BYTES + rng.randint(1, 1000))
    return Attack("over the size limit", (good + padding).encode(), True)


def large(count: int) -> Mutation:
    """A file of `count` valid entries (9,000 are 4.6 MB, near the size limit)."""

    def many_entries(rng: random.Random, good: str) -> Attack:
        return Attack(f"{count} entries", _entries(count).encode(), False)

    return many_entries


def long_word(rng: random.Random, good: str) -> Attack:
    word = rng.choice("aøß") * rng.choice([41, 5000, 200_000])
    text = good.replace("utsette fakturaen", word, 1)
    return Attack(f"a word of {len(word)} letters", text.encode(), False)


def invalid_utf8(rng: random.Random, good: str) -> Attack:
    bad = bytes([rng.choice([0x80, 0xC3, 0xE9, 0xFF, 0xFE, 0xED])])
    return Attack("invalid UTF-8", _insert(rng, good.encode(), bad), True)


def control_character(rng: random.Random, good: str) -> Attack:
    char = rng.choice(["\x00", "\x01", "\x1b", "\x7f", "\ufffe"])
    return Attack(f"control character {char!r}", _insert(rng, good.encode(), char.encode()), True)


def alias_bomb(rng: random.Random, good: str) -> Attack:
    """A "billion laughs": nine aliases of nine aliases ..., nine levels deep."""
    levels = ['    l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        aliases = ", ".join([f"*l{level - 1}"] * 9)
        levels.append(f"    l{level}: &l{level} [{aliases}]")
    target = rng.choice(["questions:\n      nb", "answer:\n      nb", "title:\n      nb", "topic"])
    text = good.replace("    topic:", "    bomb:\n" + "\n".join(levels) + "\n    topic:", 1)
    pattern = re.compile(rf"({re.escape(target)}:)[^\n]*(\n        - [^\n]*)*")
    text = pattern.sub(lambda found: f"{found.group(1)} *l8", text, count=1)
    return Attack(f"alias bomb in {target.split(':')[0]}", text.encode(), True)


def wrong_type(rng: random.Random, good: str) -> Attack:
    field = rng.choice(ENTRY_FIELDS)
    value = rng.choice(WRONG_VALUES)
    block = re.compile(rf"^(  - |    ){field}:.*(\n      .*)*", re.MULTILINE)
    text = block.sub(lambda found: f"{found.group(1)}{field}: {value}", good, count=1)
    assert text != good, field
    # Some are valid ids ("5", "2026-13-45", "&anchor x", "!!binary aGVp" is "hei"); every
    # value is wrong elsewhere.
    return Attack(f"{field}: {value}", text.encode(), not (field == "id" and _is_id(value)))


def _is_id(value: str) -> bool:
    try:
        parsed = yamlsource.parse_yaml(value).data
    except yamlsource.YamlSyntaxError:
        return False
    if isinstance(parsed, bytes):  # !!binary: pydantic reads the bytes as text
        parsed = parsed.decode("utf-8", "replace")
    return isinstance(parsed, str | int) and SLUG.fullmatch(str(parsed).strip()) is not None


def duplicate_id(rng: random.Random, good: str) -> Attack:
    return Attack("a duplicate id", (good + good[len("entries:\n") :]).encode(), True)


def tabs(rng: random.Random, good: str) -> Attack:
    lines = good.splitlines(keepends=True)
    index = rng.randrange(1, len(lines))
    lines[index] = "\t" + lines[index].lstrip(" ")
    return Attack(f"a tab on line {index + 1}", "".join(lines).encode(), True)


def garbled(rng: random.Random, good: str) -> Attack:
    """Lines deleted, repeated or cut short, or bytes flipped: may or may not still be valid."""
    data = bytearray(good.encode())
    for _ in range(rng.randint(1, 6)):
        if not data:
            break
        kind = rng.random()
        at = rng.randrange(len(data))
        if kind < 0.3:
            data[at] = rng.choice(b":-[]{}&*!|>'\"#%@` \n")
        elif kind < 0.6:
            del data[at : at + rng.randint(1, 40)]
        else:
            data[at:at] = data[max(0, at - 60) : at]
    return Attack("garbled", bytes(data), False)


def several_documents(rng: random.Random, good: str) -> Attack:
    return Attack("two documents", (good + "---\n" + good).encode(), True)


def wrong_value_anywhere(rng: random.Random, good: str) -> Attack:
    """Any field of any file given a value of another type (some types are still valid)."""
    lines = good.splitlines(keepends=True)
    keyed = [i for i, line in enumerate(lines) if KEY_LINE.match(line)]
    index = rng.choice(keyed)
    found = KEY_LINE.match(lines[index])
    assert found is not None
    indent = len(found.group(1))
    end = index + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
        end += 1
    value = rng.choice(WRONG_VALUES).replace("\n      ", "\n" + " " * (indent + 2))
    lines[index:end] = [f"{found.group(1)}{found.group(2)}: {value}\n"]
    return Attack(f"{found.group(2)}: {value}", "".join(lines).encode(), False)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" -"))


def duplicate_keys(rng: random.Random, good: str) -> Attack:
    return Attack("every field twice", (good + good).encode(), True)


def tab_anywhere(rng: random.Random, good: str) -> Attack:
    lines = good.splitlines(keepends=True)
    index = rng.randrange(len(lines))
    lines[index] = "\t" + lines[index].lstrip(" ")
    # A tab before a comment is allowed; before a field it is not.
    broken = not lines[index].lstrip().startswith("#") and bool(lines[index].strip())
    return Attack(f"a tab on line {index + 1}", "".join(lines).encode(), broken)


MUTATIONS: tuple[Mutation, ...] = (
    deep_nesting,
    long_word,
    invalid_utf8,
    control_character,
    alias_bomb,
    wrong_type,
    duplicate_id,
    tabs,
    garbled,
    several_documents,
)
# What works on every file, not only a topic file's entries.
ANY_FILE_MUTATIONS: tuple[Mutation, ...] = (
    deep_nesting,
    invalid_utf8,
    control_character,
    wrong_value_anywhere,
    duplicate_keys,
    tab_anywhere,
    garbled,
    several_documents,
)
OTHER_FILES = (
    Path("asker/municipality.yaml"),
    Path("shared/topics.yaml"),
    Path("shared/sources.yaml"),
    Path("shared/emergency.yaml"),
    Path("shared/shared.yaml"),
)


def _check(result: LoadResult, attack: Attack, target: Path, root: Path, case: str) -> None:
    if attack.broken:
        assert result.errors, f"not refused: {case}"
    lines = attack.content.count(b"\n") + 1
    for problem in result.problems:
        assert (root / problem.location.file).exists(), f"{problem}: {case}"
        assert not NOT_PLAIN.search(problem.message), f"not plain: {problem}: {case}"
        if problem.location.file != target or problem.severity != "error":
            continue
        if WHOLE_FILE.search(problem.message):
            continue  # about the file as a whole, not one line of it
        assert problem.location.line is not None, f"no line: {problem}: {case}"
        assert 1 <= problem.location.line <= lines, f"line out of the file: {problem}: {case}"


def _load_measured(root: Path) -> tuple[LoadResult, int]:
    tracemalloc.start()
    try:
        result = load_knowledge(root, today=TODAY)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def _run(root: Path, seed: int, mutation: Mutation, target: Path = TARGET) -> None:
    path = root / target
    good = path.read_text(encoding="utf-8")
    attack = mutation(random.Random(seed), good)
    case = f"seed {seed}: {mutation.__name__} of {target} ({attack.name[:200]})"
    path.write_bytes(attack.content)
    try:
        result, peak = _load_measured(root)
    except Exception as error:  # the assertion is that nothing escapes the loader
        raise AssertionError(f"the loader raised {error!r}: {case}") from error
    finally:
        path.write_text(good, encoding="utf-8")
    assert peak < PEAK_BYTES, f"{peak / 1e6:.0f} MB: {case}"
    _check(result, attack, target, root, case)


@pytest.mark.soak
def test_hostile_files_give_plain_errors_with_file_and_line(tiny_kb: Path) -> None:
    for seed in seeds(bounded=60, soak=5000):
        _run(tiny_kb, seed, MUTATIONS[seed % len(MUTATIONS)])


@pytest.mark.soak
def test_hostile_municipality_and_shared_files_too(tiny_kb: Path) -> None:
    for seed in seeds(bounded=24, soak=4000):
        target = OTHER_FILES[seed % len(OTHER_FILES)]
        _run(tiny_kb, seed, ANY_FILE_MUTATIONS[seed % len(ANY_FILE_MUTATIONS)], target)


@pytest.mark.soak
def test_large_and_oversized_files_stay_in_bounds(tiny_kb: Path) -> None:
    # Expensive: one small file in `make test`; each size in `make soak`.
    counts = (1000, 4000, 9000) if soaking() else (500,)
    for seed in seeds(bounded=1, soak=len(counts)):
        for mutation in (oversized, large(counts[seed % len(counts)])):
            _run(tiny_kb, seed, mutation)


@pytest.mark.soak
async def test_a_broken_reload_keeps_the_last_good_knowledge_base(tiny_kb: Path) -> None:
    service = KnowledgeService(tiny_kb)
    good_responder = service.responder
    question = "Kan jeg utsette fakturaen?"
    assert service.responder.answer(question, "asker", "nb").entry_id == "asker-a"
    targets = (TARGET, *OTHER_FILES)
    for seed in seeds(bounded=12, soak=1200):
        target = tiny_kb / targets[seed % len(targets)]
        mutations = MUTATIONS if target == tiny_kb / TARGET else ANY_FILE_MUTATIONS
        good = target.read_text(encoding="utf-8")
        attack = mutations[seed // len(targets) % len(mutations)](random.Random(seed), good)
        case = f"seed {seed}: {attack.name[:200]} in {target.relative_to(tiny_kb)}"
        target.write_bytes(attack.content)
        outcome = await service.reload()
        if outcome.errors:
            assert not outcome.applied, case
            assert service.responder is good_responder, case
            assert service.responder.answer(question, "asker", "nb").entry_id == "asker-a", case
        else:
            assert not attack.broken, f"not refused: {case}"
            assert outcome.applied, case
        target.write_text(good, encoding="utf-8")
        if outcome.applied:
            restored = await service.reload()
            assert restored.applied and not restored.errors, case
            good_responder = service.responder
