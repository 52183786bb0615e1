"""The console's report cache: one grouping of the same unanswered questions however many
readers ask for it at once (the start-up warm-up and the first pages), and nothing kept from a
refill that an erasure overtook. Both interleavings are made exactly: the grouping is held at
its start until the test lets it go, with no sleeping."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.console.web import Console, add_console, pages
from bot.console.web.pages import Grouping, ReportCache, View, unanswered
from bot.services import Services
from bot.storage.records import SimilarityMemo, cluster_similar, folded_wording
from bot.types import Lang
from tests.console_data import add_question, add_vote

ERASED = 4242  # the resident who is erased
# Their question, which any grouping that read it before the erasure holds.
THEIR_QUESTION = "Ola Nordmann lurer på når ferja går, ring 91234567"


class HeldGrouping:
    """`cluster_similar` that records each input and waits at its start until `release`:
    the first grouping stays stopped there for as long as a test needs."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.inputs: list[Grouping] = []

    def __call__(
        self,
        rows: list[tuple[str, str | None, int]],
        max_groups: int | None = None,
        memo: SimilarityMemo | None = None,
    ) -> list[list[int]]:
        self.inputs.append((max_groups or 0, tuple(rows)))
        self.entered.set()
        assert self.release.wait(60), "the test never let the grouping go"
        return cluster_similar(rows, max_groups=max_groups, memo=memo)

    async def until_entered(self) -> None:
        """Until a grouping has read its questions and is held at its start."""
        assert await asyncio.to_thread(self.entered.wait, 60)


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> HeldGrouping:
    grouping = HeldGrouping()
    monkeypatch.setattr(pages, "cluster_similar", grouping)
    return grouping


async def is_staff(user_id: int) -> bool | None:
    return True


def rows_of(page: pages.Page) -> list[list[object]]:
    return [list(row) for table in page.tables for row in table.rows]


async def test_pages_opened_during_the_start_up_grouping_share_it(
    tmp_path: Path, held: HeldGrouping
) -> None:
    """The warm-up groups every municipality's questions after a start. Staff who open the
    unanswered page meanwhile (in their languages, for one municipality or all) wait for the
    grouping of their questions that is running, or take the one done: each set of
    questions is grouped once."""
    async with Services(replace(Settings(), data_dir=tmp_path)) as services:
        asked = int(time.time()) - 60
        for text, municipality in (
            ("når går ferja?", "asker"),
            ("når går ferja til byen?", "asker"),
            ("hvor er legevakten?", "asker"),
            ("när går färjan?", "ockero"),
        ):
            await add_question(services.db, asked, text=text, municipality=municipality)
        console = Console(services, is_staff, "http://127.0.0.1")
        app = web.Application()
        add_console(app, console)
        readers: list[tuple[Lang, str | None]] = [
            ("nb", "asker"),
            ("en", "asker"),
            ("sv", "ockero"),
            ("en", None),
        ]
        async with TestServer(app):
            await held.until_entered()  # the warm-up's first grouping, held
            opened = [
                asyncio.create_task(unanswered(View(services, console.reports, lang, place)))
                for lang, place in readers
            ]
            held.release.set()
            shown = await asyncio.gather(*opened)
            assert console.warming is not None
            await console.warming
        grouped = Counter(held.inputs)
        assert grouped, "nothing was grouped"
        assert max(grouped.values()) == 1, "the same questions were grouped twice"
        # All, Asker and Öckerö have questions; the other municipalities share one empty input.
        assert len(grouped) == 4
        # Each page shows what it shows from a cache of its own.
        for (lang, place), page in zip(readers, shown, strict=True):
            alone = await unanswered(View(services, ReportCache(tmp_path), lang, place))
            assert rows_of(page) == rows_of(alone)
        assert len(rows_of(shown[0])) == 2  # the ferry's two wordings are one group


async def test_a_refill_begun_before_an_erasure_keeps_nothing_of_it(
    tmp_path: Path, held: HeldGrouping
) -> None:
    """A page reads the unanswered questions, the erased resident's too, and groups them; the
    resident is erased before the grouping ends. Nothing that grouping, its masking or its
    snippets made stays in the cache, and the page shows the questions as they are after
    the erasure."""
    async with Services(replace(Settings(), data_dir=tmp_path)) as services:
        asked = int(time.time()) - 60
        # Asked twice, so it names the group and the erased question is compared with it.
        for _ in range(2):
            await add_question(services.db, asked, text="når går ferja?")
        await services.db.write(
            """INSERT INTO questions (user_id, municipality, language, text, outcome, asked_at)
               VALUES (?, 'asker', 'nb', ?, 'fallback', ?)""",
            (ERASED, THEIR_QUESTION, asked),
        )
        cache = ReportCache(services.knowledge.root)
        services.on_forget(cache.forget_people)
        folded = folded_wording(THEIR_QUESTION)

        page = asyncio.create_task(unanswered(View(services, cache, "nb", None)))
        await held.until_entered()  # it read their question and is grouping
        assert held.inputs[0][1][1][0] == THEIR_QUESTION
        await services.forget_person(ERASED)
        held.release.set()
        shown = await page

        assert folded not in cache.similar
        assert all(THEIR_QUESTION not in repr(key) for key in cache._groupings)
        masker = await cache.masker(services.knowledge.responder.kb)
        assert all(THEIR_QUESTION not in text for text, _ in masker._masked)
        assert all("lurer" not in repr(key) for key in cache._snippets)
        # The page read the questions again after the erasure.
        assert "lurer" not in repr(rows_of(shown))
        assert [row[2] for row in rows_of(shown)] == ["2"]
        # The next page is whole, from what is kept of the questions that remain.
        again = await unanswered(View(services, cache, "nb", None))
        assert rows_of(again) == rows_of(shown)


async def test_settle_waits_for_a_grouping_an_erasure_dropped(
    tmp_path: Path, held: HeldGrouping
) -> None:
    """At shutdown no grouping task may outlive the loop, the one an erasure dropped from
    the cache while it ran included."""
    cache = ReportCache(tmp_path)
    rows = [(THEIR_QUESTION, "asker", 1)]
    reader = asyncio.ensure_future(cache.group(rows, 5, cache.generation))
    await held.until_entered()
    cache.forget_people()
    settling = asyncio.ensure_future(cache.settle())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not settling.done(), "settle returned while the dropped grouping still ran"
    held.release.set()
    await settling
    assert await reader == [[0]]


async def _with_a_vote(services: Services) -> None:
    """Resident 1 asked a question and voted 👎 on its answer."""
    asked = await add_question(
        services.db, int(time.time()) - 60, "answered", text="Når går ferja fra Vollen?"
    )
    await add_vote(services.db, int(time.time()) - 30, "asker-other", False, question_id=asked)


async def test_the_feedback_page_reads_again_when_an_erasure_overtakes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The resident is erased while the page reads their 👎: it reads again without it."""
    async with Services(replace(Settings(), data_dir=tmp_path)) as services:
        await _with_a_vote(services)
        cache = ReportCache(services.knowledge.root)
        services.on_forget(cache.forget_people)
        read = pages.reports.feedback
        reads = 0

        async def erased_meanwhile(*args: Any, **kwargs: Any) -> Any:
            nonlocal reads
            reads += 1
            found = await read(*args, **kwargs)
            if reads == 1:
                await services.forget_person(1)
            return found

        monkeypatch.setattr(pages.reports, "feedback", erased_meanwhile)
        shown = await pages.feedback(View(services, cache, "nb", None))
        assert reads == 2
        assert "Vollen" not in repr(rows_of(shown))


async def test_a_page_every_read_of_which_an_erasure_overtook_is_not_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Erasures keep coming: rather than the last read, which may hold the erased
    person's words, the console answers that the page is to be reloaded."""
    async with Services(replace(Settings(), data_dir=tmp_path)) as services:
        await _with_a_vote(services)
        await add_question(services.db, int(time.time()) - 60, text=THEIR_QUESTION)
        console = Console(services, is_staff, "http://127.0.0.1")
        feedback, unanswered_report = pages.reports.feedback, pages.reports.unanswered

        def overtaken(read: Any) -> Any:
            async def run(*args: Any, **kwargs: Any) -> Any:
                found = await read(*args, **kwargs)
                console.reports.forget_people()  # an erasure, each time
                return found

            return run

        monkeypatch.setattr(pages.reports, "feedback", overtaken(feedback))
        monkeypatch.setattr(pages.reports, "unanswered", overtaken(unanswered_report))
        for page in (pages.feedback, unanswered):
            with pytest.raises(pages.Overtaken):
                await page(View(services, console.reports, "nb", None))
        app = web.Application()
        add_console(app, console)
        async with TestClient(TestServer(app)) as client:
            token = await services.console_auth.issue_link(555, "Kari", "nb")
            signed_in = await client.post("/console/login", data={"token": token})
            assert signed_in.status == 200
            answer = await client.get("/console/feedback")
            assert answer.status == 503
            text = await answer.text()
            assert "Vollen" not in text and "slettet mens siden ble lest" in text
