"""Labelled corpora written by independent authors, one JSON Lines file per author.

Each folder under `tests/data/corpora/` has one `<author>.jsonl` per author and a `split.yaml`
naming the authors kept as a holdout: their messages are never used to fit or tune anything,
only to report how the bot does on writers it has never seen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.errors import UsageError

CORPORA = Path("tests/data/corpora")


@dataclass(frozen=True, slots=True)
class Row:
    """One labelled message: the author's fields as written, and where it came from."""

    fields: dict[str, Any]
    author: str
    location: str  # file:line, for messages about a malformed row


def load_split(root: Path) -> tuple[list[Row], list[Row]]:
    """The tuning part and the holdout part of the corpus in `root`."""
    split_file = root / "split.yaml"
    if not split_file.is_file():
        raise UsageError(f"{split_file} is missing: it names the holdout authors")
    split = yaml.safe_load(split_file.read_text(encoding="utf-8")) or {}
    holdout = set(split.get("holdout") or [])
    files = sorted(root.glob("*.jsonl"))
    if not files:
        raise UsageError(f"no *.jsonl files in {root}")
    tuning: list[Row] = []
    held: list[Row] = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            location = f"{path}:{number}"
            try:
                fields = json.loads(line)
            except ValueError as error:
                raise UsageError(f"{location}: not JSON ({error})") from None
            if not isinstance(fields, dict) or not isinstance(fields.get("text"), str):
                raise UsageError(f"{location}: expected an object with a text")
            row = Row(fields, path.stem, location)
            (held if path.stem in holdout else tuning).append(row)
    return tuning, held


def answers_of(root: Path) -> dict[tuple[str, str], tuple[str, ...]]:
    """Which knowledge-base entries answer each quote of an in-scope corpus (its
    `answers.yaml`), by (document, quote)."""
    path = root / "answers.yaml"
    if not path.is_file():
        raise UsageError(f"{path} is missing: it says which entries answer each quote")
    rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return {(r["doc"], " ".join(r["quote"].split())): tuple(r["entries"]) for r in rows}
