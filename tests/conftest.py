"""Shared fixtures: small knowledge bases written to a temporary folder; the soak summary."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest

from bot.config import DEFAULT_KNOWLEDGE_DIR
from tests.harness import CASES_RUN, soaking

SHIPPED_KB = DEFAULT_KNOWLEDGE_DIR

ENTRY = """\
entries:
  - id: {id}
    topic: payments
    title:
      nb: Utsatt betaling
      en: Postponed payment
    questions:
      nb:
        - Kan jeg utsette fakturaen?
      en:
        - Can I postpone my invoice?
    answer:
      nb: Du kan søke om utsatt betalingsfrist.
      en: You can apply to postpone the due date.
    source: asker-2020-03-20
    reviewed: 2026-11-22
"""


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped knowledge base."""
    target = tmp_path / "knowledge"
    shutil.copytree(SHIPPED_KB, target)
    return target


WriteFile = Callable[[str, str], Path]


@pytest.fixture
def tiny_kb(tmp_path: Path) -> Path:
    """A minimal valid knowledge base: the shipped shared files and one Asker entry."""
    root = tmp_path / "kb"
    (root / "shared").mkdir(parents=True)
    for name in ("topics.yaml", "sources.yaml", "emergency.yaml"):
        shutil.copy(SHIPPED_KB / "shared" / name, root / "shared" / name)
    (root / "shared" / "shared.yaml").write_text("files: []\n", encoding="utf-8")
    (root / "asker").mkdir()
    (root / "asker" / "municipality.yaml").write_text(
        dedent(
            """\
            id: asker
            name:
              nb: Asker kommune
              en: Asker Municipality
            country: NO
            language: nb
            phone: "66 700 000"
            files:
              - payments.yaml
            """
        ),
        encoding="utf-8",
    )
    (root / "asker" / "payments.yaml").write_text(ENTRY.format(id="asker-a"), encoding="utf-8")
    return root


@pytest.fixture
def write(tiny_kb: Path) -> WriteFile:
    """Write a file relative to the tiny knowledge base; returns its path."""

    def _write(relative: str, text: str) -> Path:
        path = tiny_kb / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text), encoding="utf-8")
        return path

    return _write


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """In `make soak`: how many cases each attack harness ran, and with which seeds."""
    if not soaking() or not CASES_RUN:
        return
    terminalreporter.section("attack harness cases")
    for test, (cases, first, last) in sorted(CASES_RUN.items()):
        terminalreporter.write_line(f"{cases:>8} cases, seeds {first}-{last}: {test}")
    terminalreporter.write_line(f"{sum(c for c, _, _ in CASES_RUN.values()):>8} cases in all")
