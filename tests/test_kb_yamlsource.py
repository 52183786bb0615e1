"""The line-keeping YAML reader's shortcuts give what PyYAML's own loading gives."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

import pytest
import yaml

from bot.kb import yamlsource
from bot.kb.yamlsource import LONG_WORD_LETTERS, parse_yaml

PARSERS = {"python": yaml.SafeLoader}
if hasattr(yaml, "CSafeLoader"):
    PARSERS["libyaml"] = yaml.CSafeLoader

# Every kind of scalar a staff file may hold: text the resolvers never look at, text that
# starts like a number or a null, numbers, booleans, dates (kept as text), quoted and block
# scalars, explicit tags, empty values.
SCALARS = """\
text: Utsatt betaling for faktura
starts_like_number: 1. januar er fristen
number: 42
negative: -7
float: 3.5
infinity: .inf
hex: 0x1f
null_word: null
tilde: ~
empty:
true_word: true
false_word: False
no_is_text: NO
yes_is_text: yes
date: 2026-11-22
quoted: "42"
single: 'true'
block: |
  Ring 22 22 22 22.
  - punkt
folded: >
  To linjer
  blir en.
tagged: !!str 5
tagged_int: !!int "6"
nonspecific: ! 7
list: [1, tekst, "2", ~, True]
nested:
  - a: æøå
    b: 2026-01-01
"""


@pytest.fixture(params=sorted(PARSERS))
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[type]:
    base = PARSERS[request.param]
    loader = yamlsource.staff_loader_class(base)
    monkeypatch.setattr(yamlsource, "_StaffLoader", loader)
    yield loader


def test_every_kind_of_scalar_is_what_the_staff_loader_makes_of_it(parser: type) -> None:
    expected = yaml.load(SCALARS, Loader=parser)
    parsed = parse_yaml(SCALARS)
    assert parsed.data == expected
    assert [type(v) for v in parsed.data.values()] == [type(v) for v in expected.values()]
    assert parsed.data["no_is_text"] == "NO" and parsed.data["date"] == "2026-11-22"
    assert parsed.lines[("block",)] == SCALARS.splitlines().index("block: |") + 1


def _searched(text: str) -> list[tuple[int, int]]:
    """What a plain search for long runs of letters finds: (line, letters)."""
    found = re.finditer(rf"[^\W\d_]{{{LONG_WORD_LETTERS},}}", text)
    return [(text.count("\n", 0, f.start()) + 1, len(f.group())) for f in found]


def test_long_words_are_found_as_a_plain_search_finds_them() -> None:
    rng = random.Random(5)
    pieces = ["a", "ø", "é", "Z", " ", "\n", "_", "1", "-", "/", ".", "\u00a0", "\t"]
    texts = [
        "",
        "a" * (LONG_WORD_LETTERS - 1),
        "a" * LONG_WORD_LETTERS,
        "ø" * LONG_WORD_LETTERS,
        "https://example.org/" + "a" * 30 + "/" + "b" * 30,
        "x_" * 40,
        "linje\n" + "æ" * 50 + " og " + "b" * 45 + "\nslutt",
    ]
    for _ in range(3000):
        weights = [rng.random() for _ in pieces]
        texts.append("".join(rng.choices(pieces, weights, k=rng.randrange(0, 160))))
    for text in texts:
        assert yamlsource._long_words(text.encode(), text) == _searched(text), text
