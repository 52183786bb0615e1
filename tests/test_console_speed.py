"""What keeps the console's pages fast at 100,000 questions changes nothing they show: the
hourly counts kept by triggers, the grouping's kept comparisons, the requests page read a
section at a time."""

from __future__ import annotations

import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.config import Settings
from bot.console.web import Console, add_console
from bot.console.web.pages import REQUESTS_SHOWN, ReportCache, View, requests, unanswered
from bot.services import Services
from bot.storage.db import Database
from bot.storage.records import Questions, SimilarityMemo, cluster_similar
from tests.console_data import add_question, add_request


async def hours_as_kept(db: Database) -> set[tuple[int, str, str, str, int]]:
    rows = await db.fetchall(
        "SELECT hour, municipality, outcome, language, asked FROM question_hours WHERE asked > 0"
    )
    return {tuple(row) for row in rows}  # type: ignore[misc]


async def hours_counted(db: Database) -> set[tuple[int, str, str, str, int]]:
    rows = await db.fetchall(
        """SELECT asked_at / 3600, COALESCE(municipality, ''), outcome, language, COUNT(*)
           FROM questions GROUP BY 1, 2, 3, 4"""
    )
    return {tuple(row) for row in rows}  # type: ignore[misc]


async def test_the_hourly_counts_follow_every_change_to_the_questions(tmp_path: Path) -> None:
    async with Database(tmp_path / "bot.db") as db:
        for at, outcome, municipality in (
            (7200, "fallback", "asker"),
            (7300, "fallback", "asker"),
            (7400, "answered", None),
            (11_000, "clarify", "ockero"),
        ):
            await add_question(db, at, outcome, municipality=municipality)
        # The same update handled again after a crash: the upsert changes its outcome.
        questions = Questions(db)
        first = await questions.record(1, "asker", "nb", "hei", "fallback", update_id=9)
        again = await questions.record(1, "ockero", "sv", "hei", "answered", "e", update_id=9)
        assert first == again
        await db.write("UPDATE questions SET asked_at = 3600 WHERE outcome = 'clarify'")
        await db.write("DELETE FROM questions WHERE asked_at = 7300")
        await db.write("UPDATE questions SET text = NULL")  # erasure: still counted
        kept = await hours_as_kept(db)
        assert kept == await hours_counted(db)
        assert (2, "asker", "fallback", "nb", 1) in kept and (2, "", "answered", "nb", 1) in kept


def test_kept_comparisons_group_exactly_as_fresh_ones() -> None:
    """Wordings are compared with the groups once; a later call with new wordings, other
    counts and another order groups exactly as a call that kept nothing."""
    rng = random.Random(5)
    stems = ["når går ferja", "hvor er legevakten", "er vannet trygt", "åpningstider bibliotek"]
    words = ["i dag", "nå", "til byen", "på lørdag", "for barn", "egentlig"]
    rows = [
        (f"{rng.choice(stems)} {rng.choice(words)} {rng.choice(words)}", m, rng.randint(1, 9))
        for m in ("asker", "ockero")
        for _ in range(120)
    ]
    memo = SimilarityMemo()
    for _ in range(4):
        rows.sort(key=lambda row: -row[2])
        kept = cluster_similar(rows, max_groups=12, memo=memo)
        assert kept == cluster_similar(rows, max_groups=12)
        assert kept == cluster_similar(rows, max_groups=12, memo=SimilarityMemo(limit=3))
        rows = [(text, m, count + rng.randint(0, 3)) for text, m, count in rows]
        rows.append((f"{rng.choice(stems)} {rng.random():.3f}", "asker", 5))


async def test_the_requests_page_reads_the_first_of_each_state_and_counts_them_all(
    tmp_path: Path,
) -> None:
    async with Services(replace(Settings(), data_dir=tmp_path)) as services:
        for n in range(REQUESTS_SHOWN + 7):
            await add_request(services.db, 1000 + n)
        for n in range(3):
            await add_request(services.db, 5000 + n, "done", claimed=5100, closed=5200 + n)
        await add_request(services.db, 900, escalated=950, municipality="ockero")
        cache = ReportCache(services.knowledge.root)
        page = await requests(View(services, cache, "en", None))
        opened, escalated, claimed, done, cancelled = page.tables
        assert (opened.count, len(opened.rows), opened.shown) == (
            REQUESTS_SHOWN + 7,
            REQUESTS_SHOWN,
            REQUESTS_SHOWN,
        )
        assert (escalated.count, done.count, claimed.count, cancelled.count) == (1, 3, 0, 0)
        # Oldest active first, newest closed first, as before.
        refs = await services.db.fetchall(
            "SELECT ref FROM help_requests WHERE state = 'open' AND escalated_at IS NULL "
            "ORDER BY id"
        )
        assert [row[0] for row in opened.rows] == [ref for (ref,) in refs][:REQUESTS_SHOWN]
        refs = await services.db.fetchall(
            "SELECT ref FROM help_requests WHERE state = 'done' ORDER BY id DESC"
        )
        assert [row[0] for row in done.rows] == [ref for (ref,) in refs]
        # The CSV has every active request.
        full = await requests(View(services, cache, "en", None, full=True))
        assert len(full.tables[0].rows) == full.tables[0].count == REQUESTS_SHOWN + 7
        # One municipality's page counts only its own.
        ockero = await requests(View(services, cache, "en", "ockero"))
        assert [table.count for table in ockero.tables] == [0, 1, 0, 0, 0]


async def console_with_questions(services: Services, *texts: str) -> Console:
    """A console for everyone's staff over `services`, with `texts` asked in Asker a minute
    ago and not answered."""
    for text in texts:
        await add_question(services.db, int(time.time()) - 60, text=text)

    async def is_staff(user_id: int) -> bool | None:
        return True

    return Console(services, is_staff, "http://127.0.0.1")


async def test_the_unanswered_groups_are_formed_once_after_a_start(tmp_path: Path) -> None:
    """The console groups the unanswered questions in the background when it starts, so the
    first page finds its comparisons made; the page then groups exactly the same."""
    async with Services(replace(Settings(), data_dir=tmp_path)) as services:
        console = await console_with_questions(
            services, "når går ferja?", "når går ferja til byen?", "hvor er legevakten?"
        )
        app = web.Application()
        add_console(app, console)
        async with TestServer(app):
            assert console.warming is not None
            await console.warming
            # Each wording after the first was compared with the groups before it.
            assert len(console.reports.similar) == 2
            page = await unanswered(View(services, console.reports, "nb", "asker"))
            fresh = await unanswered(View(services, ReportCache(tmp_path), "nb", "asker"))
            assert page.tables[0].rows == fresh.tables[0].rows
            assert len(page.tables[0].rows) == 2  # the ferry's two wordings are one group


async def test_an_erasure_empties_the_consoles_kept_wordings_and_masked_texts(
    tmp_path: Path,
) -> None:
    """The console runs in the bot's process: its caches of residents' words go with the
    bot's own when someone is erased."""
    async with Services(replace(Settings(), data_dir=tmp_path)) as services:
        console = await console_with_questions(
            services, "når går ferja?", "når går ferja til byen?", "Ola Nordmann 91234567"
        )
        view = View(services, console.reports, "nb", None)
        await unanswered(view)
        masker = await console.reports.masker(services.knowledge.responder.kb)
        assert len(console.reports.similar) > 0 and masker._masked
        await services.drop_cached_people()
        assert len(console.reports.similar) == 0
        assert masker._masked == {}
        # The page is whole again afterwards.
        assert (await unanswered(view)).tables


def test_grouping_in_threads_at_once_shares_one_memo_safely() -> None:
    """The start-up warm-up and staff pages group in threads with one memo: none breaks,
    and each groups as alone."""
    rng = random.Random(5)
    words = ["ferja", "byen", "legevakt", "bibliotek", "strøm", "vann", "skole", "buss"]
    rows = [(" ".join(rng.sample(words, 3)), None, 1 + n % 4) for n in range(400)]
    alone = cluster_similar(rows)
    memo = SimilarityMemo()
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda _: cluster_similar(rows, memo=memo), range(8)))
    finally:
        sys.setswitchinterval(switch)
    assert all(result == alone for result in results)
