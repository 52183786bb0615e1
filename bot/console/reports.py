"""The console's reports from the database: the overview, unanswered questions and feedback.

Each report is one function: it takes the `Database`, the time `now` (Unix seconds), the
municipality to report on (None for all) and the time zone to show times in, and returns
frozen dataclasses the web pages, the charts and the CSV exports render. Question texts come
out masked (see masking.py); nothing here returns who asked.

What the tables record, and so what the reports can say:
- `questions.outcome` is 'answered', 'clarify', 'fallback' (unanswered), 'emergency' (the
  emergency reply shown), 'browsed' (an entry opened from the menu) or 'follow_up' (a reply to
  a staff answer). A question is one of the first four. The one-line emergency warning shown
  above an ordinary answer is not recorded on its own: "emergencies shown" counts the full
  emergency replies only.
- `help_requests` keeps when a request was opened, claimed (the current claim: a released
  claim clears `claimed_at`, so earlier claims are not counted) and closed, and whether it
  was escalated.
"""

from __future__ import annotations

import asyncio
import functools
import math
import sqlite3
import statistics
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.console.masking import Masker
from bot.kb.knowledge import KnowledgeBase
from bot.storage.db import Database
from bot.storage.records import UNANSWERED_SCAN, SimilarityMemo, cluster_similar, wording_key
from bot.types import Lang

HOUR = 3600
DAY = 24 * HOUR
OVERVIEW_DAYS = 7
# What counts as a question asked, and how the three shares name the outcomes.
QUESTION_OUTCOMES = ("answered", "clarify", "fallback", "emergency")
SHARE_OUTCOMES = ("answered", "clarify", "fallback")
# The time zone of each country's municipalities.
COUNTRY_ZONES = {"NO": "Europe/Oslo", "SE": "Europe/Stockholm"}
DEFAULT_ZONE = "Europe/Oslo"


def zone_for(kb: KnowledgeBase, municipality: str | None) -> ZoneInfo:
    """The municipality's time zone; for all municipalities, Norway's."""
    found = kb.municipalities.get(municipality or "")
    return ZoneInfo(COUNTRY_ZONES.get(found.country, DEFAULT_ZONE) if found else DEFAULT_ZONE)


def _where_municipality(municipality: str | None, column: str = "municipality") -> str:
    return f" AND {column} = :municipality" if municipality is not None else ""


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (0.9 is the 90th); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


# -- the overview ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HourCount:
    """Questions asked in the hour that starts at `start` (local time)."""

    start: datetime
    count: int


@dataclass(frozen=True, slots=True)
class Shares:
    """Questions the bot answered, asked to clarify, and could not answer."""

    answered: int = 0
    clarified: int = 0
    unanswered: int = 0

    @property
    def total(self) -> int:
        return self.answered + self.clarified + self.unanswered

    def share(self, count: int) -> float:
        """`count` as a share of the total: 0.0 to 1.0 (0.0 with nothing asked)."""
        return count / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class RequestFigures:
    """Help requests opened, claimed, done, cancelled and escalated in the period, and how
    long the ones claimed waited (seconds); None when none was claimed."""

    opened: int = 0
    claimed: int = 0
    done: int = 0
    cancelled: int = 0
    escalated: int = 0
    claim_median_s: float | None = None
    claim_p90_s: float | None = None


@dataclass(frozen=True, slots=True)
class LanguageFigures:
    """One language's questions, outcomes, emergencies shown and help requests."""

    language: str
    questions: int
    shares: Shares
    emergencies: int
    requests: RequestFigures


@dataclass(frozen=True, slots=True)
class Overview:
    municipality: str | None
    zone: str
    start: datetime  # the first hour shown, local time
    end: datetime  # the end of the last hour shown
    hours: tuple[HourCount, ...]
    shares: Shares
    emergencies: int
    requests: RequestFigures
    by_language: tuple[LanguageFigures, ...]

    @property
    def questions(self) -> int:
        return sum(hour.count for hour in self.hours)

    @property
    def busiest(self) -> HourCount | None:
        return max(self.hours, key=lambda hour: hour.count, default=None)


def _shares(outcomes: Counter[str]) -> Shares:
    return Shares(outcomes["answered"], outcomes["clarify"], outcomes["fallback"])


# A help request as the overview reads it: state, created, claimed, closed and escalated at.
_RequestRow = tuple[str, int, int | None, int | None, int | None]


def _request_figures(rows: Sequence[_RequestRow], since: int) -> RequestFigures:
    """(state, created_at, claimed_at, closed_at, escalated_at) of requests touched since."""
    waits = [
        float(claimed - created)
        for _, created, claimed, _, _ in rows
        if claimed is not None and claimed >= since
    ]
    median = statistics.median(waits) if waits else None
    return RequestFigures(
        opened=sum(1 for _, created, _, _, _ in rows if created >= since),
        claimed=len(waits),
        done=sum(1 for s, _, _, closed, _ in rows if s == "done" and (closed or 0) >= since),
        cancelled=sum(
            1 for s, _, _, closed, _ in rows if s == "cancelled" and (closed or 0) >= since
        ),
        escalated=sum(1 for *_, escalated in rows if (escalated or 0) >= since),
        claim_median_s=median,
        claim_p90_s=percentile(waits, 0.9),
    )


async def overview(
    db: Database,
    now: int,
    municipality: str | None,
    zone: ZoneInfo,
    days: int = OVERVIEW_DAYS,
) -> Overview:
    """Questions per hour over the last `days` days (the current hour last), what the bot did
    with them, emergencies shown, help requests and their time to claim, by language.

    Hours are counted in UTC and shown in `zone`: Norway's and Sweden's offsets are whole
    hours, so each UTC hour is one local hour, also across a change to or from summer time.
    """
    last_hour = now // HOUR
    first_hour = last_hour - days * 24 + 1
    since = first_hour * HOUR
    params = {"since": since, "until": (last_hour + 1) * HOUR, "municipality": municipality}
    outcomes = ", ".join(f"'{o}'" for o in QUESTION_OUTCOMES)
    # Counted as questions are stored (migration 12's triggers): a week's hours, not its
    # questions, are read.
    question_rows = await db.fetchall(
        f"""SELECT hour, outcome, language, SUM(asked) FROM question_hours
            WHERE hour >= :first AND hour <= :last AND outcome IN ({outcomes}) AND asked > 0
            {_where_municipality(municipality)}
            GROUP BY hour, outcome, language""",
        {**params, "first": first_hour, "last": last_hour},
    )
    per_hour: Counter[int] = Counter()
    per_outcome: Counter[str] = Counter()
    per_language: dict[str, Counter[str]] = {}
    for hour, outcome, language, count in question_rows:
        per_hour[hour] += count
        per_outcome[outcome] += count
        per_language.setdefault(language, Counter())[outcome] += count
    request_rows = await db.fetchall(
        f"""SELECT language, state, created_at, claimed_at, closed_at, escalated_at
            FROM help_requests
            WHERE (created_at >= :since OR claimed_at >= :since OR closed_at >= :since
                   OR escalated_at >= :since) {_where_municipality(municipality)}""",
        params,
    )
    requests_by_language: dict[str, list[_RequestRow]] = {}
    for row in request_rows:
        requests_by_language.setdefault(row[0], []).append((row[1], row[2], row[3], row[4], row[5]))
    every_request = [row for rows in requests_by_language.values() for row in rows]
    languages = sorted(set(per_language) | set(requests_by_language))
    by_language = tuple(
        LanguageFigures(
            language=language,
            questions=sum(per_language.get(language, Counter()).values()),
            shares=_shares(per_language.get(language, Counter())),
            emergencies=per_language.get(language, Counter())["emergency"],
            requests=_request_figures(requests_by_language.get(language, []), since),
        )
        for language in languages
    )
    return Overview(
        municipality=municipality,
        zone=zone.key,
        start=datetime.fromtimestamp(since, zone),
        end=datetime.fromtimestamp((last_hour + 1) * HOUR, zone),
        hours=tuple(
            HourCount(datetime.fromtimestamp(hour * HOUR, zone), per_hour[hour])
            for hour in range(first_hour, last_hour + 1)
        ),
        shares=_shares(per_outcome),
        emergencies=per_outcome["emergency"],
        requests=_request_figures(every_request, since),
        by_language=by_language,
    )


# -- unanswered questions ------------------------------------------------------------------

# Groups unanswered rows (text, municipality, count) into at most that many groups, as
# `cluster_similar` does: the indexes of each group's rows.
Grouper = Callable[[list[tuple[str, str | None, int]], int], Awaitable[list[list[int]]]]


@dataclass(frozen=True, slots=True)
class Example:
    """One wording of an unanswered question, masked, with how often it was asked."""

    text: str
    language: str
    count: int


@dataclass(frozen=True, slots=True)
class UnansweredGroup:
    """Near-duplicate unanswered questions of one municipality, named by the most asked."""

    key: str  # stable: what marking the group handled stores
    wording: str  # masked
    municipality: str | None
    count: int
    examples: tuple[Example, ...]  # most asked first, at most the report's `examples`
    last_asked: datetime
    handled: bool
    member_keys: tuple[str, ...]  # the key of every wording in the group

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(example.language for example in self.examples))


@dataclass(frozen=True, slots=True)
class UnansweredReport:
    groups: tuple[UnansweredGroup, ...]
    wordings: int  # distinct wordings read
    truncated: bool  # more than UNANSWERED_SCAN distinct wordings: the rarest were not read


async def unanswered(
    db: Database,
    now: int,
    municipality: str | None,
    zone: ZoneInfo,
    masker: Masker,
    lang: Lang,
    handled: Collection[str] = frozenset(),
    *,
    days: int = OVERVIEW_DAYS,
    limit: int = 50,
    examples: int = 5,
    include_handled: bool = False,
    memo: SimilarityMemo | None = None,
    group: Grouper | None = None,
) -> UnansweredReport:
    """What the bot could not answer in the last `days` days, near-duplicates grouped (with
    `group_similar`'s rule), most asked first. `handled` is the set of keys staff marked
    handled; those groups are left out unless `include_handled`. Texts are masked in `lang`,
    the staff member's language. `memo` keeps the comparisons between calls (a page shown
    again compares only what is new); `group`, when given, groups instead (the console's
    cache: one grouping of the same questions however many pages ask at once)."""
    rows = await db.fetchall(
        f"""SELECT text, municipality, language, COUNT(*) AS asked, MAX(asked_at) AS last
            FROM questions
            WHERE asked_at >= :since AND outcome = 'fallback' AND text IS NOT NULL
            {_where_municipality(municipality)}
            GROUP BY lower(text), municipality, language ORDER BY asked DESC, last DESC
            LIMIT :scan""",
        {"since": now - days * DAY, "municipality": municipality, "scan": UNANSWERED_SCAN + 1},
    )
    truncated = len(rows) > UNANSWERED_SCAN
    rows = rows[:UNANSWERED_SCAN]
    plain = [(row[0], row[1], row[3]) for row in rows]
    groups: list[UnansweredGroup] = []
    # Each handled key can hide at most one group: form enough to show `limit` others.
    # Off the event loop: grouping a cold page compares for a few hundred milliseconds, and
    # residents' answers must not wait for it.
    if group is not None:
        clusters = await group(plain, limit + len(handled))
    else:
        clusters = await asyncio.to_thread(
            functools.partial(cluster_similar, plain, max_groups=limit + len(handled), memo=memo)
        )
    for members in clusters:
        # Wordings that differ only in case or punctuation are one example.
        merged: dict[str, list[int]] = {}
        for i in members:
            merged.setdefault(wording_key(rows[i][0], rows[i][1]), []).append(i)
        keys = tuple(merged)
        is_handled = any(key in handled for key in keys)
        if is_handled and not include_handled:
            continue
        first = rows[members[0]]
        shown = [
            Example(
                masker.mask(rows[same[0]][0], lang), rows[same[0]][2], sum(rows[i][3] for i in same)
            )
            for same in list(merged.values())[:examples]
        ]
        groups.append(
            UnansweredGroup(
                key=keys[0],
                wording=masker.mask(first[0], lang),
                municipality=first[1],
                count=sum(rows[i][3] for i in members),
                examples=tuple(sorted(shown, key=lambda example: -example.count)),
                last_asked=datetime.fromtimestamp(max(rows[i][4] for i in members), zone),
                handled=is_handled,
                member_keys=keys,
            )
        )
        if len(groups) >= limit:
            break
    return UnansweredReport(tuple(groups), len(rows), truncated)


# -- feedback ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DownvotedQuestion:
    text: str  # masked
    language: str
    asked_at: datetime


@dataclass(frozen=True, slots=True)
class EntryFeedback:
    entry_id: str
    title: str  # in the staff member's language; the id for an entry no longer loaded
    helpful: int
    unhelpful: int
    questions: tuple[DownvotedQuestion, ...]  # what led to a 👎, the latest first

    @property
    def votes(self) -> int:
        return self.helpful + self.unhelpful

    @property
    def unhelpful_share(self) -> float:
        return self.unhelpful / self.votes if self.votes else 0.0


async def feedback(
    db: Database,
    now: int,
    municipality: str | None,
    zone: ZoneInfo,
    kb: KnowledgeBase,
    masker: Masker,
    lang: Lang,
    *,
    days: int | None = None,
    questions_per_entry: int = 5,
) -> tuple[EntryFeedback, ...]:
    """👍 and 👎 per entry, and the questions that led to a 👎; the worst entries first (the
    most 👎, then the largest share of them). `days` None counts every vote kept."""
    since = now - days * DAY if days is not None else 0
    params = {"since": since, "municipality": municipality, "per_entry": questions_per_entry}
    where = _where_municipality(municipality, "f.municipality")
    totals = await db.fetchall(
        f"""SELECT f.entry_id, SUM(f.helpful), SUM(1 - f.helpful) FROM feedback AS f
            WHERE f.created_at >= :since {where} GROUP BY f.entry_id""",
        params,
    )
    # Each entry's latest 👎 read from the newest back, as far as `questions_per_entry` with
    # their text kept (an index of the 👎 per entry: a few rows each, not every vote ranked).
    latest = f"""SELECT q.text, q.language, q.asked_at FROM feedback AS f
                  JOIN questions AS q ON q.id = f.question_id
                  WHERE f.entry_id = :entry AND f.helpful = 0 AND q.text IS NOT NULL
                    AND f.created_at >= :since {where}
                  ORDER BY f.created_at DESC, f.id DESC LIMIT :per_entry"""

    def read_latest(connection: sqlite3.Connection) -> list[tuple[str, str, str, int]]:
        return [
            (str(entry_id), *row)
            for entry_id, _, down in totals
            if down
            for row in connection.execute(latest, {**params, "entry": entry_id})
        ]

    downvoted = await db.read(read_latest)
    questions: dict[str, list[DownvotedQuestion]] = {}
    for entry_id, text, language, asked_at in downvoted:
        questions.setdefault(entry_id, []).append(
            DownvotedQuestion(
                masker.mask(text, lang), language, datetime.fromtimestamp(asked_at, zone)
            )
        )
    rows = []
    for entry_id, up, down in totals:
        entry = kb.entries.get(entry_id)
        rows.append(
            EntryFeedback(
                entry_id=entry_id,
                title=entry.title_in(lang, "en") if entry else entry_id,
                helpful=int(up),
                unhelpful=int(down),
                questions=tuple(questions.get(entry_id, ())),
            )
        )
    rows.sort(key=lambda row: (-row.unhelpful, -row.unhelpful_share, row.entry_id))
    return tuple(rows)
