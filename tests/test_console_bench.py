"""The console part of `make bench` runs end to end (on a small database; no timing asserts)."""

from __future__ import annotations

from bot.config import DEFAULT_KNOWLEDGE_DIR
from bot.tools.bench_console import Size, console_benchmark


def test_the_console_bench_reports_every_page_beside_the_baseline() -> None:
    lines = console_benchmark(
        DEFAULT_KNOWLEDGE_DIR, Size(questions=800, requests=40, votes=60, runs=1)
    )
    assert lines[0].startswith("Console page data (800 questions, 40 help requests, 60 votes")
    assert "baseline: one scan of the questions table" in lines[1]
    pages = [line for line in lines[2:] if line.endswith("x")]
    assert len(pages) == 11
    assert sum(1 for line in pages if "cold" in line) == 1
    verdicts = lines[lines.index("Targets:") + 1 :]
    assert len(verdicts) == 9, "the cold grouping and the folder checked again are not targets"
    assert all(v.startswith(("  ok ", "  MISS ")) for v in verdicts)
