"""The console's reports from the database: overview, unanswered questions, feedback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.console.masking import Masker
from bot.console.reports import (
    DAY,
    HOUR,
    feedback,
    overview,
    percentile,
    unanswered,
    wording_key,
    zone_for,
)
from bot.kb.knowledge import KnowledgeBase
from bot.kb.loader import load_knowledge
from bot.storage.db import Database
from tests.console_data import add_question, add_request, add_vote

KNOWLEDGE = Path(__file__).parent.parent / "knowledge"
OSLO = ZoneInfo("Europe/Oslo")
# Wednesday 2 December 2026, 12:30 UTC (13:30 in Oslo).
NOW = int(datetime(2026, 12, 2, 12, 30, tzinfo=ZoneInfo("UTC")).timestamp())


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(tmp_path / "bot.db") as database:
        yield database


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(KNOWLEDGE).kb


@pytest.fixture(scope="module")
def masker(kb: KnowledgeBase) -> Masker:
    return Masker.for_knowledge(kb)


def test_each_municipality_shows_its_countrys_time(kb: KnowledgeBase) -> None:
    assert zone_for(kb, "asker").key == "Europe/Oslo"
    assert zone_for(kb, "ockero").key == "Europe/Stockholm"
    assert zone_for(kb, None).key == "Europe/Oslo"


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert percentile([float(n) for n in range(1, 101)], 0.5) == 50.0


async def test_an_empty_database_gives_an_overview_of_zeros(db: Database) -> None:
    found = await overview(db, NOW, None, OSLO)
    assert len(found.hours) == 7 * 24
    assert found.questions == 0
    assert found.shares.total == 0 and found.shares.share(0) == 0.0
    assert found.requests.claim_median_s is None and found.requests.claim_p90_s is None
    assert found.by_language == ()


async def test_questions_are_counted_per_local_hour_over_seven_days(db: Database) -> None:
    await add_question(db, NOW, "answered")
    await add_question(db, NOW - 10, "fallback")
    await add_question(db, NOW - 2 * HOUR, "clarify")
    await add_question(db, NOW - 7 * DAY + HOUR, "answered")  # in the first hour shown
    await add_question(db, NOW - 8 * DAY, "answered")  # too old
    await add_question(db, NOW, "browsed", text=None)  # opened from the menu: no question
    await add_question(db, NOW, "follow_up")
    found = await overview(db, NOW, None, OSLO)
    assert found.questions == 4
    last = found.hours[-1]
    assert (last.start.hour, last.start.tzinfo, last.count) == (13, OSLO, 2)
    assert found.hours[-3].count == 1
    assert found.hours[0].count == 1
    assert found.start == datetime(2026, 11, 25, 14, 0, tzinfo=OSLO)
    assert found.end == datetime(2026, 12, 2, 14, 0, tzinfo=OSLO)
    assert found.busiest == last
    assert (found.shares.answered, found.shares.clarified, found.shares.unanswered) == (2, 1, 1)
    assert found.shares.share(found.shares.answered) == 0.5


async def test_emergencies_requests_and_languages_are_counted(db: Database) -> None:
    await add_question(db, NOW - HOUR, "emergency", language="sv", municipality="ockero")
    await add_question(db, NOW - HOUR, "answered", language="sv", municipality="ockero")
    await add_question(db, NOW - HOUR, "fallback", language="en")
    # Claimed after 10, 20, ... 100 minutes.
    for minutes in range(10, 101, 10):
        created = NOW - DAY
        await add_request(db, created, "claimed", claimed=created + minutes * 60)
    await add_request(db, NOW - DAY, "done", claimed=NOW - DAY + 60, closed=NOW - HOUR)
    await add_request(db, NOW - 2 * DAY, "cancelled", closed=NOW - DAY, language="sv")
    await add_request(db, NOW - DAY, "open", escalated=NOW - 20 * HOUR, language="en")
    await add_request(db, NOW - 30 * DAY, "done", closed=NOW - 29 * DAY)  # too old
    found = await overview(db, NOW, None, OSLO)
    assert found.emergencies == 1
    requests = found.requests
    assert (requests.opened, requests.claimed, requests.done) == (13, 11, 1)
    assert (requests.cancelled, requests.escalated) == (1, 1)
    assert requests.claim_median_s == 50 * 60
    assert requests.claim_p90_s == 90 * 60
    languages = {row.language: row for row in found.by_language}
    assert sorted(languages) == ["en", "nb", "sv"]
    assert languages["sv"].questions == 2 and languages["sv"].emergencies == 1
    assert languages["sv"].shares.answered == 1
    assert languages["sv"].requests.cancelled == 1
    assert languages["en"].shares.unanswered == 1 and languages["en"].requests.escalated == 1
    assert languages["nb"].questions == 0 and languages["nb"].requests.claimed == 11


async def test_the_overview_of_one_municipality_counts_only_its_own(db: Database) -> None:
    await add_question(db, NOW, "answered", municipality="asker")
    await add_question(db, NOW, "answered", municipality="ockero")
    await add_question(db, NOW, "answered", municipality=None)
    await add_request(db, NOW - HOUR, municipality="ockero")
    asker = await overview(db, NOW, "asker", OSLO)
    assert asker.questions == 1 and asker.requests.opened == 0
    ockero = await overview(db, NOW, "ockero", ZoneInfo("Europe/Stockholm"))
    assert ockero.questions == 1 and ockero.requests.opened == 1
    assert ockero.zone == "Europe/Stockholm"
    assert (await overview(db, NOW, None, OSLO)).questions == 3


async def test_unanswered_questions_are_grouped_most_asked_first(
    db: Database, masker: Masker
) -> None:
    for text in ("Når går ferja?", "når går ferja", "Når går ferja til byen?"):
        await add_question(db, NOW - HOUR, text=text)
    await add_question(db, NOW - HOUR, text="Når går ferja?")
    for _ in range(2):
        await add_question(db, NOW - 2 * HOUR, text="Hvor kan jeg levere glass?")
    await add_question(db, NOW - HOUR, text="Når går ferja?", municipality="ockero")
    await add_question(db, NOW - 8 * DAY, text="gammelt spørsmål om søppel")
    await add_question(db, NOW, "answered", text="Hvor kan jeg levere papp?")
    report = await unanswered(db, NOW, None, OSLO, masker, "nb")
    assert [(g.wording, g.municipality, g.count) for g in report.groups] == [
        ("Når går ferja?", "asker", 4),
        ("Hvor kan jeg levere glass?", "asker", 2),
        ("Når går ferja?", "ockero", 1),
    ]
    first = report.groups[0]
    assert [(e.text, e.count) for e in first.examples] == [
        ("Når går ferja?", 3),
        ("Når går ferja til byen?", 1),
    ]
    assert first.languages == ("nb",)
    assert first.last_asked == datetime.fromtimestamp(NOW - HOUR, OSLO)
    assert not report.truncated and report.wordings == 5
    only_asker = await unanswered(db, NOW, "asker", OSLO, masker, "nb")
    assert [g.count for g in only_asker.groups] == [4, 2]


async def test_unanswered_examples_are_masked(db: Database, masker: Masker) -> None:
    await add_question(db, NOW, text="Jeg heter Kari, ring 912 34 567 om ferja")
    report = await unanswered(db, NOW, None, OSLO, masker, "nb")
    assert report.groups[0].wording == "Jeg heter [navn], ring [telefon] om ferja"
    assert report.groups[0].examples[0].text == report.groups[0].wording


async def test_a_group_marked_handled_stays_handled_when_another_wording_leads(
    db: Database, masker: Masker
) -> None:
    await add_question(db, NOW - HOUR, text="Når går ferja?")
    report = await unanswered(db, NOW, None, OSLO, masker, "nb")
    key = report.groups[0].key
    assert key == wording_key("når går FERJA", "asker")
    assert key != wording_key("Når går ferja?", "ockero")
    # More residents ask it in other words: another wording names the group now.
    for _ in range(3):
        await add_question(db, NOW, text="Når går ferja til byen?")
    later = await unanswered(db, NOW, None, OSLO, masker, "nb", handled={key})
    assert later.groups == ()
    shown = await unanswered(db, NOW, None, OSLO, masker, "nb", handled={key}, include_handled=True)
    group = shown.groups[0]
    assert group.handled and group.key != key and key in group.member_keys
    assert group.count == 4


async def test_unanswered_groups_are_limited(db: Database, masker: Masker) -> None:
    texts = ("Når går ferja?", "Hvor leverer jeg glass?", "Er skolen åpen?", "Går bussen?")
    for text in texts:
        await add_question(db, NOW, text=text)
        await add_question(db, NOW, text=text.lower())
    report = await unanswered(db, NOW, None, OSLO, masker, "nb", limit=2, examples=1)
    assert len(report.groups) == 2
    assert all(len(group.examples) == 1 for group in report.groups)


async def test_feedback_counts_votes_per_entry_worst_first(
    db: Database, kb: KnowledgeBase, masker: Masker
) -> None:
    entry = "asker-solgarden-corona-unit"
    for helpful in (True, False, False):
        await add_vote(db, NOW - HOUR, entry, helpful)
    await add_vote(db, NOW - HOUR, "an-entry-since-removed", False)
    for helpful in (True, True, True):
        await add_vote(db, NOW - HOUR, "asker-other", helpful)
    asked = await add_question(db, NOW - 2 * HOUR, "answered", text="Kan Ola besøke mora si?")
    await add_vote(db, NOW - HOUR, entry, False, question_id=asked)
    rows = await feedback(db, NOW, None, OSLO, kb, masker, "en")
    assert [(r.entry_id, r.helpful, r.unhelpful) for r in rows] == [
        (entry, 1, 3),
        ("an-entry-since-removed", 0, 1),
        ("asker-other", 3, 0),
    ]
    worst = rows[0]
    assert worst.title == "The corona unit at Solgården"
    assert worst.votes == 4 and worst.unhelpful_share == 0.75
    assert [(q.text, q.language) for q in worst.questions] == [("Kan [name] besøke mora si?", "nb")]
    assert worst.questions[0].asked_at == datetime.fromtimestamp(NOW - 2 * HOUR, OSLO)
    assert rows[1].title == "an-entry-since-removed"


async def test_feedback_keeps_the_latest_downvoted_questions_per_entry(
    db: Database, kb: KnowledgeBase, masker: Masker
) -> None:
    for number in range(4):
        asked = await add_question(db, NOW - HOUR, "answered", text=f"spørsmål {number}")
        await add_vote(db, NOW - 100 + number, "asker-a", False, question_id=asked)
    rows = await feedback(db, NOW, None, OSLO, kb, masker, "nb", questions_per_entry=2)
    assert [q.text for q in rows[0].questions] == ["spørsmål 3", "spørsmål 2"]


async def test_feedback_of_one_municipality_and_period(
    db: Database, kb: KnowledgeBase, masker: Masker
) -> None:
    await add_vote(db, NOW - HOUR, "asker-a", False)
    await add_vote(db, NOW - HOUR, "ockero-a", False, municipality="ockero")
    await add_vote(db, NOW - 10 * DAY, "asker-old", False)
    rows = await feedback(db, NOW, "asker", OSLO, kb, masker, "nb", days=7)
    assert [r.entry_id for r in rows] == ["asker-a"]
    assert len(await feedback(db, NOW, None, OSLO, kb, masker, "nb")) == 3


async def test_hours_across_the_change_to_summer_time_are_each_one_hour(db: Database) -> None:
    # Summer time began on 28 March 2027 at 01:00 UTC: Oslo went from 02:00 to 03:00.
    now = int(datetime(2027, 3, 29, 12, 0, tzinfo=ZoneInfo("UTC")).timestamp())
    found = await overview(db, now, None, OSLO)
    assert len(found.hours) == 168
    starts = [hour.start for hour in found.hours]
    assert all(b.timestamp() - a.timestamp() == 3600 for a, b in pairwise(starts))
    on_the_day = [h.start.hour for h in found.hours if h.start.date().isoformat() == "2027-03-28"]
    assert len(on_the_day) == 23 and 2 not in on_the_day
    assert found.hours[-1].start.utcoffset().total_seconds() == 7200  # type: ignore[union-attr]
