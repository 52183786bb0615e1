"""The console's figure in `make bench`: each page's data with 100,000 stored questions and
10,000 help requests.

A database is filled the way the bot fills it (the same tables, through the writer): questions
over ten days from four municipalities in three languages, a quarter of them unanswered with
a long tail of wordings (more than the 2,000 the unanswered page reads), 20,000 votes and
10,000 help requests over thirty days. Each page's data (the report, its charts or its YAML
snippets) is timed, the median of several runs, beside a baseline measured the same way in
the same run: one full scan of the questions table through the same reader. Machines differ;
the ratio to the scan is the figure to compare, the milliseconds the one to hold to the target.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config import DEFAULT_KNOWLEDGE_DIR
from bot.console.charts import hours_chart, languages_chart, shares_chart
from bot.console.csvexport import (
    feedback_csv,
    overview_hours_csv,
    overview_summary_csv,
    unanswered_csv,
)
from bot.console.knowledge import FolderChecks, check_folder, knowledge_report
from bot.console.masking import Masker
from bot.console.reports import DAY, feedback, overview, unanswered, zone_for
from bot.console.snippets import add_questions_snippet, new_entry_snippet
from bot.kb.knowledge import KnowledgeBase
from bot.kb.loader import load_knowledge
from bot.storage.db import Database
from bot.storage.records import SimilarityMemo


@dataclass(frozen=True)
class Size:
    """How much to store and how often to time each page."""

    questions: int = 100_000
    requests: int = 10_000
    votes: int = 20_000
    runs: int = 7


FULL = Size()
TARGET_MS = 200.0
MUNICIPALITIES = ("asker", "ockero", "hallstahammar", "katrineholm")
LANGUAGE_OF = {"asker": "nb", "ockero": "sv", "hallstahammar": "sv", "katrineholm": "sv"}
# answered, clarify, fallback, emergency, browsed, follow_up
OUTCOMES = ("answered", "clarify", "fallback", "emergency", "browsed", "follow_up")
OUTCOME_WEIGHTS = (58, 10, 25, 1, 5, 1)
UNANSWERED_WORDINGS = 4_000
PERSONAL = ("jeg heter Kari Nordmann", "ring meg på 912 34 567", "mejla anna@example.se")


def _wordings(kb: KnowledgeBase, rng: random.Random) -> list[tuple[str, str]]:
    """Unanswered questions as residents might write them: (text, language)."""
    examples = [
        (question, lang)
        for entry in kb.entries.values()
        for lang, questions in entry.questions.items()
        for question in questions
    ]
    topics = ("ferja", "bussen", "søppel", "skolen", "legevakt", "vaksine", "strøm", "vann")
    found: list[tuple[str, str]] = []
    for number in range(UNANSWERED_WORDINGS):
        text, lang = rng.choice(examples)
        words = text.rstrip("?").split()
        words.insert(rng.randrange(len(words) + 1), f"{rng.choice(topics)}{number}")
        if number % 50 == 0:
            words.append(rng.choice(PERSONAL))
        found.append((" ".join(words) + "?", lang))
    return found


def _variant(text: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.2:
        return text.lower()
    if roll < 0.3:
        return text.rstrip("?")
    return text


def seed(connection: sqlite3.Connection, kb: KnowledgeBase, now: int, size: Size = FULL) -> None:
    """Fill the tables (in the writer's transaction)."""
    rng = random.Random(17)
    wordings = _wordings(kb, rng)
    # A long tail: the first wordings are asked often, most only once or twice.
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(wordings))]
    entries = list(kb.entries)
    questions = []
    picks = rng.choices(range(len(wordings)), weights, k=size.questions)
    outcomes = rng.choices(OUTCOMES, OUTCOME_WEIGHTS, k=size.questions)
    # Ids rise with time, as when the bot stores questions as they come.
    times = sorted(now - rng.randrange(10 * DAY) for _ in range(size.questions))
    for number in range(size.questions):
        municipality = rng.choice(MUNICIPALITIES)
        outcome = outcomes[number]
        text, lang = wordings[picks[number]]
        if rng.random() < 0.15:
            lang = "en"
        elif lang == "en":
            lang = LANGUAGE_OF[municipality]
        entry = rng.choice(entries) if outcome in ("answered", "browsed") else None
        questions.append(
            (
                number + 1,
                rng.randrange(1, 50_000),
                municipality,
                lang,
                None if outcome == "browsed" else _variant(text, rng),
                outcome,
                times[number],
                entry,
            )
        )
    connection.executemany(
        """INSERT INTO questions (id, user_id, municipality, language, text, outcome, asked_at,
               entry_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        questions,
    )
    answered = [q for q in questions if q[5] == "answered"]
    votes = [
        (q[7], q[2], q[3], int(rng.random() < 0.7), q[6] + 60, q[0])
        for q in rng.sample(answered, min(size.votes, len(answered)))
    ]
    connection.executemany(
        """INSERT INTO feedback (entry_id, municipality, language, helpful, created_at,
               question_id) VALUES (?, ?, ?, ?, ?, ?)""",
        votes,
    )
    requests = []
    for number in range(size.requests):
        created = now - rng.randrange(30 * DAY)
        state = rng.choices(("open", "claimed", "done", "cancelled"), (1, 2, 6, 1))[0]
        claimed = created + rng.randrange(60, 6 * 3600) if state in ("claimed", "done") else None
        closed = (
            (claimed or created) + rng.randrange(3600, DAY)
            if state in ("done", "cancelled")
            else None
        )
        municipality = rng.choice(MUNICIPALITIES)
        requests.append(
            (
                f"B-{number}",
                municipality,
                rng.choice((LANGUAGE_OF[municipality], "en")),
                state,
                created,
                claimed,
                min(closed, now) if closed else None,
            )
        )
    connection.executemany(
        """INSERT INTO help_requests (ref, municipality, language, category, timing,
               contact_method, state, created_at, claimed_at, closed_at)
           VALUES (?, ?, ?, 'groceries', 'today', 'telegram', ?, ?, ?, ?)""",
        requests,
    )


async def _median_ms(fn: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, float]:
    """The median and the slowest of `runs` timed calls, after one untimed warm-up call."""
    await fn()
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - begin) * 1000)
    return statistics.median(times), max(times)


async def measure(kb_dir: Path, size: Size = FULL) -> list[tuple[str, float, float]]:
    """(page, median ms, slowest ms) of the baseline and each page's data."""
    kb = load_knowledge(kb_dir).kb
    masker = Masker.for_knowledge(kb)
    now = int(time.time())
    today = datetime.fromtimestamp(now, UTC).date()
    zone = zone_for(kb, None)
    with tempfile.TemporaryDirectory(prefix="bench-console-") as folder:
        async with Database(Path(folder) / "bot.db") as db:
            await db.run_write(lambda connection: seed(connection, kb, now, size))

            async def baseline() -> object:
                return await db.fetchall("SELECT COUNT(*), SUM(length(text)) FROM questions")

            async def overview_page(municipality: str | None = None) -> object:
                found = await overview(db, now, municipality, zone)
                return (
                    hours_chart(found, "en"),
                    shares_chart(found, "en"),
                    languages_chart(found, "en"),
                )

            # As the console: the comparisons are kept between pages (see the cold ones).
            memo = SimilarityMemo()

            async def unanswered_page(
                municipality: str | None = None, cold: bool = False
            ) -> object:
                kept = SimilarityMemo() if cold else memo
                report = await unanswered(db, now, municipality, zone, masker, "en", memo=kept)
                target = next(iter(kb.entries.values()))
                return [
                    (
                        add_questions_snippet(group, target, "en"),
                        new_entry_snippet(group, kb, group.municipality or "asker", "en", today),
                    )
                    for group in report.groups
                ]

            async def feedback_page() -> object:
                return await feedback(db, now, None, zone, kb, masker, "en", days=30)

            checks = FolderChecks(kb_dir)

            async def knowledge_page() -> object:
                check = await asyncio.to_thread(checks.get, today)
                return knowledge_report(check, "en")

            async def knowledge_cold() -> object:
                check = await asyncio.to_thread(check_folder, kb_dir, today)
                return knowledge_report(check, "en")

            async def overview_csv() -> object:
                found = await overview(db, now, None, zone)
                return overview_hours_csv(found, "en"), overview_summary_csv(found, "en")

            async def unanswered_download() -> object:
                return unanswered_csv(await unanswered(db, now, None, zone, masker, "en"), "en")

            async def feedback_download() -> object:
                rows = await feedback(db, now, None, zone, kb, masker, "en", days=30)
                return feedback_csv(rows, "en")

            pages: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
                ("baseline: one scan of the questions table", baseline),
                ("overview, all municipalities, with charts", overview_page),
                ("overview, Asker, with charts", lambda: overview_page("asker")),
                ("unanswered groups, all, with YAML snippets", unanswered_page),
                ("unanswered groups, Asker, with YAML snippets", lambda: unanswered_page("asker")),
                (
                    "unanswered groups, Asker, nothing kept (cold)",
                    lambda: unanswered_page("asker", cold=True),
                ),
                ("feedback per entry, 30 days", feedback_page),
                ("knowledge base (checked folder cached)", knowledge_page),
                ("knowledge base (folder checked again)", knowledge_cold),
                ("CSV: the overview's chart data", overview_csv),
                ("CSV: unanswered groups", unanswered_download),
                ("CSV: feedback per entry", feedback_download),
            ]
            return [(name, *await _median_ms(fn, size.runs)) for name, fn in pages]


def console_benchmark(kb_dir: Path = DEFAULT_KNOWLEDGE_DIR, size: Size = FULL) -> list[str]:
    """The report lines for the console's pages."""
    figures = asyncio.run(measure(kb_dir, size))
    (_, base, _), pages = figures[0], figures[1:]
    lines = [
        f"Console page data ({size.questions:,} questions, {size.requests:,} help requests, "
        f"{size.votes:,} votes; median of {size.runs} runs; ratio = page / baseline, lower is "
        "better)",
        f"  {'baseline: one scan of the questions table':<48} {base:>8.1f} ms",
    ]
    verdicts = []
    for name, median, slowest in pages:
        lines.append(
            f"  {name:<48} {median:>8.1f} ms (slowest {slowest:.1f}) {median / base:>6.1f}x"
        )
        if "checked again" not in name and "cold" not in name:
            mark = "ok  " if median <= TARGET_MS else "MISS"
            verdicts.append(f"  {mark} {name}: {median:.3g} ms (target <= {TARGET_MS:g} ms)")
    return [
        *lines,
        "",
        "Targets:",
        *verdicts,
    ]


def main() -> int:
    """`python -m bot.tools.bench_console [KNOWLEDGE_DIR]`: the console's figures alone."""
    from bot.tools.bench import _pin_to_one_core

    _pin_to_one_core()  # as the other benchmarks: one core, so the figures are one core's
    kb_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_KNOWLEDGE_DIR
    for line in console_benchmark(kb_dir):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
