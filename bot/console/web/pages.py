"""What each console page shows, as plain data the templates and the CSV export both read.

The overview, unanswered questions, feedback and knowledge base pages render the report
library (bot/console: reports, charts, snippets, knowledge, csvexport), one call each, with
every question text masked; the help requests, volunteers and audit pages are the console's
own readings of the help desk and the audit log.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from markupsafe import Markup

from bot.console import charts, csvexport, reports, snippets
from bot.console.knowledge import (
    FolderChecks,
    ReloadStatus,
    flag_labels,
    knowledge_report,
    reload_label,
)
from bot.console.masking import Masker
from bot.console.text import language_name
from bot.console.text import local_time as report_time
from bot.console.web.views import Texts, age, local_time, zone, zone_name
from bot.helpdesk.models import CATEGORIES, REQUEST_COLUMNS, HelpRequest, Volunteer
from bot.helpdesk.repository import first_name
from bot.helpdesk.routing import EVERYWHERE, StaffScope, may_claim
from bot.kb.knowledge import SHARED, KnowledgeBase
from bot.services import Services
from bot.storage.records import SimilarityMemo, cluster_similar
from bot.types import Lang

# Closed requests shown per state; the CSV has the same rows.
CLOSED_SHOWN = 200
# Requests shown per state on the page (each row has its buttons); the CSV has every active
# one.
REQUESTS_SHOWN = 50
AUDIT_SHOWN = 500
# Unanswered groups shown, and the handled ones listed below them.
GROUPS_SHOWN = 50
HANDLED_SHOWN = 50
NEW_ENTRY = ""  # the entry choice that asks for a new entry's snippet
MAX_ENTRY_ID = 100  # longer is no entry's id: cut before it is looked up or shown
SNIPPETS_KEPT = 2_000  # a few pages' worth, each in a few languages
# Groupings kept (each municipality's and all, in a few states of the questions); beyond it,
# only the running ones.
GROUPINGS_KEPT = 64
# Times the unanswered and feedback pages read their report when an erasure comes in the
# middle of one; after that, the page asks to be reloaded (`Overtaken`).
REFILLS = 3


class Overtaken(Exception):
    """Every read of a page's report was overtaken by an erasure: what the last one read may
    hold the erased person's words, so the page is not shown (the server asks to reload)."""


# A grouping's input (the unanswered wordings, most asked first, and the most groups it
# forms) and its output, the indexes of each group's rows.
Grouping = tuple[int, tuple[tuple[str, str | None, int], ...]]
Clusters = list[list[int]]


class ReportCache:
    """What the report pages keep between requests: one masker per loaded knowledge base
    (building one reads every text of it), the unanswered page's comparisons, groupings and
    snippets, and the knowledge folder's last check.

    A refill (a page, or the start-up warm-up) takes the `generation` when it begins and
    passes it to what it keeps here. An erasure (`forget_people`) starts a new generation:
    a refill that began before it may still hold the erased person's words (it read them
    before they were erased), so nothing it makes after is kept. The comparisons and the
    masked texts are written from deep inside a refill, so each generation has objects of
    its own: what an older refill writes goes into its generation's, which no one reads."""

    def __init__(self, root: Path) -> None:
        self.checks = FolderChecks(root)
        self.generation = 0
        self._masker: tuple[KnowledgeBase, Masker] | None = None
        # The unanswered page's comparisons and YAML snippets, kept between requests: a
        # page shown again compares only the wordings and groups that are new since, and
        # writes only the snippets of groups that changed.
        self.similar = SimilarityMemo()
        self._snippets: dict[tuple[object, ...], Snippet] = {}
        self._snippets_of: KnowledgeBase | None = None
        # Each grouping of this generation, running or done, by its input: a page opened
        # while the start-up warm-up (or another page) groups the same questions waits for
        # that one instead of grouping them again, and one opened after finds it done.
        self._groupings: dict[Grouping, asyncio.Task[Clusters]] = {}
        # Every grouping task not yet done, this generation's or an earlier one's (dropped
        # from `_groupings` by an erasure, but still running): what `settle` waits for.
        self._running: set[asyncio.Task[Clusters]] = set()

    def snippet(
        self,
        kb: KnowledgeBase,
        key: tuple[object, ...],
        make: Callable[[], Snippet],
        generation: int | None = None,
    ) -> Snippet:
        """The snippet `make` writes from `kb` for `key` (everything else it depends on),
        kept until the knowledge base is reloaded; not kept for a refill of an earlier
        `generation`."""
        if generation is not None and generation != self.generation:
            return make()
        if kb is not self._snippets_of:
            self._snippets, self._snippets_of = {}, kb
        found = self._snippets.get(key)
        if found is None:
            if len(self._snippets) >= SNIPPETS_KEPT:
                self._snippets.clear()
            found = self._snippets[key] = make()
        return found

    async def group(
        self, rows: list[tuple[str, str | None, int]], max_groups: int, generation: int
    ) -> Clusters:
        """`cluster_similar(rows, max_groups)` with this generation's comparisons, once per
        input: the grouping of the same rows running or done is shared (its result is
        read, never changed). A refill of an earlier generation groups on its own, with
        comparisons that are not kept."""
        if generation != self.generation:
            return await asyncio.to_thread(
                functools.partial(cluster_similar, rows, max_groups=max_groups)
            )
        key = (max_groups, tuple(rows))
        task = self._groupings.get(key)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            if len(self._groupings) >= GROUPINGS_KEPT:
                self._groupings = {k: t for k, t in self._groupings.items() if not t.done()}
            # A task of its own: a reader who goes away (a closed tab, the warm-up stopped)
            # does not stop the grouping others wait for.
            task = asyncio.ensure_future(
                asyncio.to_thread(
                    functools.partial(
                        cluster_similar, rows, max_groups=max_groups, memo=self.similar
                    )
                )
            )
            self._groupings[key] = task
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return await asyncio.shield(task)

    async def settle(self) -> None:
        """Wait for the groupings still running, those an erasure dropped too (at shutdown:
        their threads cannot be stopped, and their tasks must not outlive the event loop)."""
        await asyncio.gather(*self._running, return_exceptions=True)

    def forget_people(self) -> None:
        """Drop every kept wording, grouping, snippet and masked text: after an erasure,
        none of the erased resident's words stay in memory. They refill from the database.
        A new generation begins, with new objects (see the class's docstring)."""
        self.generation += 1
        self.similar.clear()
        self.similar = SimilarityMemo(self.similar.limit)
        self._snippets = {}
        self._groupings = {}
        if self._masker is not None:
            kb, masker = self._masker
            masker.forget()
            self._masker = (kb, masker.emptied())

    async def masker(self, kb: KnowledgeBase, generation: int | None = None) -> Masker:
        """The masker for `kb`; a reload brings a new knowledge base object, and a new one,
        built off the event loop (it reads every text of the knowledge base). A refill of an
        earlier `generation` gets one of its own, whose masked texts are not kept."""
        if self._masker is None or self._masker[0] is not kb:
            self._masker = (kb, await asyncio.to_thread(Masker.for_knowledge, kb))
        masker = self._masker[1]
        if generation is not None and generation != self.generation:
            return masker.emptied()
        return masker


@dataclass(frozen=True)
class View:
    """One request for a page: who reads it, for which municipality, with which choices."""

    services: Services
    cache: ReportCache
    lang: Lang
    municipality: str | None
    query: Mapping[str, str] = field(default_factory=dict)
    # Whose staff the reader is: `municipality` is always one of theirs (None, all, only
    # for the global staff), and their own audit entries are shown with it.
    scope: StaffScope = EVERYWHERE
    reader: int | None = None  # the staff member's user id
    # For the CSV download: every row, not only the first the page shows.
    full: bool = False

    @property
    def kb(self) -> KnowledgeBase:
        return self.services.knowledge.responder.kb


@dataclass(frozen=True)
class Form:
    """One button that POSTs `fields` to `path`; with `select`, a choice goes with it."""

    path: str
    label: str
    fields: dict[str, str] = field(default_factory=dict)
    # (field name, its label, [(value, text)]): the hand-over's choice of volunteer.
    select: tuple[str, str, list[tuple[str, str]]] | None = None
    # "get": a link to a page of its own instead (which then posts); with `select`, a form
    # that reloads `path` with the choice (the unanswered page's entry for the snippet).
    method: str = "post"
    chosen: str | None = None  # the option selected at first


# A cell is a text, or a list shown as one (the examples of an unanswered group).
Cell = str | list[str]


@dataclass
class Table:
    heading: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    forms: list[list[Form]] = field(default_factory=list)  # per row, when the table has any
    # Per row: a snippet folded under the first cell.
    details: list[Snippet | None] = field(default_factory=list)
    # Per row: an id to link to (the unanswered group a choice reloads the page at).
    anchors: list[str] = field(default_factory=list)
    # Folded away on the page (the chart's numbers, for the CSV and for screen readers).
    folded: bool = False
    # Rows shown on the page; the CSV has them all. Nobody reads a thousand rows, and each
    # row's buttons are what make a long page slow to draw.
    shown: int = 100
    # How many rows there are, when the page read only the first `shown` of them.
    total: int | None = None

    @property
    def count(self) -> int:
        return self.total if self.total is not None else len(self.rows)


@dataclass(frozen=True)
class Snippet:
    """YAML to paste, folded under a summary; `opened` when staff just asked for it."""

    summary: str
    text: str
    opened: bool = False


@dataclass(frozen=True)
class Chart:
    svg: Markup  # drawn by bot/console/charts.py, every text in it escaped
    caption: str
    narrow: Markup | None = None  # the same, drawn for a phone (shown instead there)


@dataclass(frozen=True)
class Download:
    """A CSV the page offers: `<page>.csv`, or `<page>-<part>.csv`."""

    part: str
    label: str
    make: Callable[[], bytes]


@dataclass
class Page:
    name: str  # its path under /console/ and its navigation key
    title: str
    zone: str
    intro: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    # The page's CSV files; without any, its tables one after another.
    downloads: list[Download] = field(default_factory=list)

    def csv_rows(self) -> list[list[str]]:
        """Every table, one after another: its heading, its columns, its rows."""
        rows: list[list[str]] = []
        for table in self.tables:
            rows.append([table.heading])
            rows.append(table.columns)
            rows.extend([_cell_text(cell) for cell in row] for row in table.rows)
            rows.append([])
        return rows

    def csv(self, part: str = "") -> bytes | None:
        """The CSV file `part` of this page; None when it has no such file."""
        for download in self.downloads:
            if download.part == part:
                return download.make()
        if part or self.downloads:
            return None
        return csvexport.rows_bytes(self.csv_rows())


def _cell_text(cell: Cell) -> str:
    return cell if isinstance(cell, str) else " · ".join(cell)


def _country(services: Services, municipality: str | None) -> str | None:
    found = services.knowledge.responder.kb.municipalities.get(municipality or "")
    return found.country if found else None


def _name(services: Services, municipality: str | None, lang: Lang) -> str:
    found = services.knowledge.responder.kb.municipalities.get(municipality or "")
    return found.display_name(lang) if found else (municipality or "–")


def _zone(services: Services, municipality: str | None, lang: Lang) -> str:
    return zone_name(_country(services, municipality), lang)


def _where_municipality(municipality: str | None, column: str = "municipality") -> str:
    return f" AND {column} = :m" if municipality else ""


def _page(view: View, name: str) -> Page:
    return Page(
        name,
        Texts(view.lang)(f"console_nav_{name}"),
        _zone(view.services, view.municipality, view.lang),
    )


def _minutes(seconds: float | None, lang: Lang) -> str:
    return age(seconds, lang) if seconds is not None else "–"


def _percent(share: float) -> str:
    return f"{100 * share:.0f} %"


# -- overview --------------------------------------------------------------------------------


async def overview(view: View) -> Page:
    """The report library's overview: three charts, and their figures in tables."""
    t, lang = Texts(view.lang), view.lang
    page = _page(view, "overview")
    found = await reports.overview(
        view.services.db, int(time.time()), view.municipality, zone(page.zone)
    )
    page.charts = [
        Chart(
            Markup(draw(found, lang)),
            t(caption),
            Markup(draw(found, lang, f"{ident}-narrow", charts.NARROW)),
        )
        for draw, ident, caption in (
            (charts.hours_chart, "chart-hours", "console_overview_questions"),
            (charts.shares_chart, "chart-shares", "console_overview_outcomes"),
            (charts.languages_chart, "chart-languages", "console_overview_languages"),
        )
    ]
    shares = found.shares
    outcomes = Table(
        t("console_overview_outcomes"),
        [t("console_col_kind"), t("console_col_count"), t("console_col_share")],
    )
    for key, count in (
        ("console.outcome_answered", shares.answered),
        ("console.outcome_clarified", shares.clarified),
        ("console.outcome_unanswered", shares.unanswered),
    ):
        outcomes.rows.append([t(key), str(count), _percent(shares.share(count))])
    outcomes.rows.append([t("console.csv_emergencies"), str(found.emergencies), ""])
    figures = found.requests
    requests = Table(
        t("console_overview_requests"), [t("console_col_kind"), t("console_col_count")]
    )
    requests.rows += [
        [t("console_requests_opened"), str(figures.opened)],
        [t("console_requests_claimed"), str(figures.claimed)],
        [t("console_requests_done"), str(figures.done)],
        [t("console_claim_median"), _minutes(figures.claim_median_s, lang)],
        [t("console_claim_p90"), _minutes(figures.claim_p90_s, lang)],
    ]
    languages = Table(
        t("console_overview_languages"),
        [
            t("console_language"),
            t("console.csv_questions"),
            t("console.outcome_answered"),
            t("console.outcome_clarified"),
            t("console.outcome_unanswered"),
            t("console.csv_emergencies"),
            t("console_requests_opened"),
            t("console_claim_median"),
        ],
    )
    for row in found.by_language:
        languages.rows.append(
            [
                language_name(row.language, lang),
                str(row.questions),
                str(row.shares.answered),
                str(row.shares.clarified),
                str(row.shares.unanswered),
                str(row.emergencies),
                str(row.requests.opened),
                _minutes(row.requests.claim_median_s, lang),
            ]
        )
    hourly = Table(
        t("console_overview_questions"),
        [t("console_col_when"), t("console_col_count")],
        folded=True,
        shown=len(found.hours),
    )
    hourly.rows = [[report_time(hour.start, lang), str(hour.count)] for hour in found.hours]
    page.tables = [outcomes, requests, languages, hourly]
    page.downloads = [
        Download("", t("console_csv_hours"), lambda: csvexport.overview_hours_csv(found, lang)),
        Download(
            "summary", t("console_csv_summary"), lambda: csvexport.overview_summary_csv(found, lang)
        ),
    ]
    return page


# -- unanswered questions --------------------------------------------------------------------


async def unanswered(view: View) -> Page:
    """Unanswered questions grouped by similarity, most asked first, masked, each with a
    "handled" button and the YAML snippet for the entry staff choose (or a new entry)."""
    t, lang, kb = Texts(view.lang), view.lang, view.kb
    page = _page(view, "unanswered")
    page.intro.append(t("console_unanswered_intro"))
    cache = view.cache
    for _ in range(REFILLS):
        generation = cache.generation
        found = await _unanswered_report(
            view.services, cache, view.municipality, lang, page.zone, generation
        )
        if generation == cache.generation:
            break  # else someone was erased meanwhile: read again without them
    else:
        raise Overtaken
    # The examples first (the most asked names the group), its snippet folded under them.
    columns = [
        t("console_col_examples"),
        t("console_municipality"),
        t("console_col_count"),
        t("console.csv_last_asked"),
    ]
    waiting = Table(t("console_nav_unanswered"), columns, shown=GROUPS_SHOWN)
    done = Table(t("console_handled"), columns, shown=HANDLED_SHOWN)
    chosen_group = view.query.get("group", "")
    chosen_entry = view.query.get("entry", NEW_ENTRY)[:MAX_ENTRY_ID]
    choices: dict[str | None, list[tuple[str, str]]] = {}
    today = datetime.now(zone(page.zone)).date()
    for group in found.groups:
        table = done if group.handled else waiting
        if len(table.rows) >= table.shown:
            continue
        table.rows.append(
            [
                [f"{example.text} ({example.count})" for example in group.examples],
                _name(view.services, group.municipality, lang),
                str(group.count),
                report_time(group.last_asked, lang),
            ]
        )
        table.anchors.append(f"g-{group.key}")
        if group.handled:
            table.details.append(None)
            continue
        entry = chosen_entry if group.key == chosen_group else NEW_ENTRY
        if group.municipality not in choices:
            choices[group.municipality] = _entry_choices(view, group.municipality)
        table.details.append(
            cache.snippet(
                kb,
                (group, entry, today, lang),
                functools.partial(_snippet, view, group, entry, today),
                generation,
            )
        )
        table.forms.append(
            [
                Form("unanswered/handled", t("console_mark_handled"), {"key": group.key}),
                Form(
                    f"unanswered#g-{group.key}",
                    t("console_snippet_show"),
                    {"group": group.key, **({"m": view.municipality} if view.municipality else {})},
                    select=("entry", t("console_snippet_for"), choices[group.municipality]),
                    method="get",
                    chosen=entry,
                ),
            ]
        )
    page.tables = [waiting, done]
    page.downloads = [Download("", t("console_csv"), lambda: csvexport.unanswered_csv(found, lang))]
    return page


async def _unanswered_report(
    services: Services,
    cache: ReportCache,
    municipality: str | None,
    lang: Lang,
    zone_id: str,
    generation: int,
) -> reports.UnansweredReport:
    """The unanswered groups a page shows, the handled ones included (for their own table),
    for a refill that began in `generation`."""
    kb = services.knowledge.responder.kb
    handled = {str(row[0]) for row in await services.db.fetchall("SELECT key FROM handled_groups")}

    async def group(rows: list[tuple[str, str | None, int]], max_groups: int) -> Clusters:
        return await cache.group(rows, max_groups, generation)

    return await reports.unanswered(
        services.db,
        int(time.time()),
        municipality,
        zone(zone_id),
        await cache.masker(kb, generation),
        lang,
        handled,
        limit=GROUPS_SHOWN + len(handled),
        include_handled=True,
        group=group,
    )


async def warm_unanswered(services: Services, cache: ReportCache) -> None:
    """Group the unanswered questions once after a start, for all municipalities and each,
    so that the first unanswered page is as quick as the next (the comparisons are kept)."""
    kb = services.knowledge.responder.kb
    for municipality in (None, *kb.municipalities):
        found = kb.municipalities.get(municipality or "")
        lang: Lang = found.language if found is not None else "en"
        where = zone_name(found.country if found else None, lang)
        await _unanswered_report(services, cache, municipality, lang, where, cache.generation)


def _entry_choices(view: View, municipality: str | None) -> list[tuple[str, str]]:
    """A new entry, then the entries `municipality` answers from (all, for none)."""
    kb, lang = view.kb, view.lang
    entries = (
        kb.entries_for(municipality)
        if municipality in kb.municipalities
        else list(kb.entries.values())
    )
    return [(NEW_ENTRY, Texts(lang)("console_snippet_new"))] + [
        (entry.id, f"{entry.title_in(lang, 'en')} ({entry.id})") for entry in entries
    ]


def _snippet(view: View, group: reports.UnansweredGroup, entry_id: str, today: date) -> Snippet:
    """The YAML adding the group to the entry `entry_id`, or a new entry's."""
    t = Texts(view.lang)
    missing = ""
    if entry_id != NEW_ENTRY:
        text = snippets.questions_snippet_for(group, view.kb, entry_id, view.lang)
        if text is not None:
            return Snippet(t("console_snippet_entry", entry=entry_id), text, opened=True)
        missing = t("console_snippet_missing", entry=entry_id) + " "
    scope = group.municipality if group.municipality in view.kb.municipalities else SHARED
    _, text = snippets.new_entry_snippet(group, view.kb, scope or SHARED, view.lang, today)
    return Snippet(missing + t("console_snippet_new_entry"), text, opened=bool(missing))


# -- feedback --------------------------------------------------------------------------------


async def feedback(view: View) -> Page:
    """👍 and 👎 per entry, the worst first, with the (masked) questions that led to a 👎."""
    t, lang, kb = Texts(view.lang), view.lang, view.kb
    page = _page(view, "feedback")
    page.intro.append(t("console_feedback_intro"))
    cache = view.cache
    for _ in range(REFILLS):
        generation = cache.generation  # masked texts are kept only if no one is erased
        rows = await reports.feedback(
            view.services.db,
            int(time.time()),
            view.municipality,
            zone(page.zone),
            kb,
            await cache.masker(kb, generation),
            lang,
        )
        if generation == cache.generation:
            break  # else someone was erased meanwhile: read again without them
    else:
        raise Overtaken
    table = Table(
        t("console_nav_feedback"),
        [
            t("console_col_entry"),
            t("console_col_helpful"),
            t("console_col_unhelpful"),
            t("console_col_question"),
        ],
    )
    for row in rows:
        table.rows.append(
            [
                f"{row.title} ({row.entry_id})",
                str(row.helpful),
                str(row.unhelpful),
                [question.text for question in row.questions],
            ]
        )
    page.tables.append(table)
    page.downloads = [Download("", t("console_csv"), lambda: csvexport.feedback_csv(rows, lang))]
    return page


# -- knowledge base --------------------------------------------------------------------------


async def knowledge(view: View) -> Page:
    """Every entry with its review dates and flags, `kb check`'s problems with file and line,
    and the last reload."""
    t, lang = Texts(view.lang), view.lang
    service = view.services.knowledge
    page = _page(view, "kb")
    where = zone(page.zone)
    # The check reads and validates every file: off the event loop.
    check = await asyncio.to_thread(view.cache.checks.get, datetime.now(where).date())
    status = (
        ReloadStatus.of(
            service.last_reload[1], datetime.fromtimestamp(service.last_reload[0], where)
        )
        if service.last_reload is not None
        else None
    )
    found = knowledge_report(check, lang, status, view.municipality)
    page.intro += [
        t(
            "console_kb_intro",
            entries=len(service.responder.kb.entries),
            loaded=local_time(service.loaded_at, page.zone, lang),
        ),
        reload_label(status, lang, where),
        t("console_kb_flagged", stale=found.stale, one=found.one_language_only),
    ]
    problems = Table(
        t("console_kb_problems"),
        [t("console_col_location"), t("console_col_severity"), t("console_col_problem")],
    )
    for problem in (*found.errors, *found.warnings):
        problems.rows.append(
            [str(problem.location), t(f"console_severity_{problem.severity}"), problem.message]
        )
    entries = Table(
        t("console_nav_kb"),
        [
            t("console_col_entry"),
            t("console_col_topic"),
            t("console_col_languages"),
            t("console_col_reviewed"),
            t("console_col_review_by"),
            t("console_col_flags"),
        ],
    )
    for entry in found.entries:
        entries.rows.append(
            [
                entry.id,
                entry.topic_title,
                ", ".join(language_name(code, lang) for code in entry.languages),
                entry.reviewed.isoformat(),
                entry.review_by.isoformat() if entry.review_by else "",
                flag_labels(entry, lang),
            ]
        )
    page.tables = [problems, entries]
    page.downloads = [Download("", t("console_csv"), lambda: csvexport.knowledge_csv(found, lang))]
    return page


# -- help requests ---------------------------------------------------------------------------

REQUEST_SECTIONS = ("open", "escalated", "claimed", "done", "cancelled")


def _request_columns(t: Texts) -> list[str]:
    return [
        t("console_col_ref"),
        t("console_col_category"),
        t("console_municipality"),
        t("console_col_created"),
        t("console_col_age"),
        t("console_col_volunteer"),
    ]


def _request_row(
    services: Services, t: Texts, request: HelpRequest, names: dict[int, str], stamp: int
) -> list[Cell]:
    """A request as staff see it: never the resident's name, contact or description."""
    zone_id = zone_name(_country(services, request.municipality), t.lang)
    return [
        request.ref,
        t(f"category_{request.category}"),
        _name(services, request.municipality, t.lang),
        local_time(request.created_at, zone_id, t.lang),
        age(stamp - request.created_at, t.lang),
        names.get(request.volunteer_id, "") if request.volunteer_id else "",
    ]


async def requests(view: View) -> Page:
    """Requests by state with their ages and volunteer's first name; never contact details.
    The page reads each state's first rows and its count; the CSV every active request."""
    services, municipality, t = view.services, view.municipality, Texts(view.lang)
    page = _page(view, "requests")
    names = {v.user_id: first_name(v.name) for v in await services.desk.volunteers.in_state()}
    columns = _request_columns(t)
    sections = {
        state: Table(t(f"console_state_{state}"), columns, shown=REQUESTS_SHOWN)
        for state in REQUEST_SECTIONS
    }
    stamp = int(time.time())
    if view.full:
        found = await _requests(services, municipality)
    else:
        found = await _requests_shown(services, municipality, sections["open"].shown)
        for state, count in await _request_counts(services, municipality):
            sections[state].total = count
    for request in found:
        state = _section(request)
        table = sections[state]
        table.rows.append(_request_row(services, t, request, names, stamp))
        table.forms.append(_request_forms(t, request))
    page.tables = [sections[state] for state in REQUEST_SECTIONS]
    return page


def _section(request: HelpRequest) -> str:
    return "escalated" if request.state == "open" and request.escalated_at else request.state


# Each section of the page as SQL: which requests, in which order.
_SECTION_SQL = {
    "open": ("state = 'open' AND escalated_at IS NULL", "id"),
    "escalated": ("state = 'open' AND escalated_at IS NOT NULL", "id"),
    "claimed": ("state = 'claimed'", "id"),
    "done": ("state = 'done'", "id DESC"),
    "cancelled": ("state = 'cancelled'", "id DESC"),
}


async def _requests_shown(
    services: Services, municipality: str | None, shown: int
) -> list[HelpRequest]:
    """The first `shown` requests of each section: active ones oldest first, closed ones
    newest first (10,000 requests, and a page reads at most five hundred)."""
    where = _where_municipality(municipality)
    parts = [
        f"""SELECT * FROM (SELECT {REQUEST_COLUMNS} FROM help_requests
               WHERE {condition}{where} ORDER BY {order} LIMIT :shown)"""
        for condition, order in _SECTION_SQL.values()
    ]
    rows = await services.db.fetchall(
        " UNION ALL ".join(parts), {"m": municipality, "shown": shown}
    )
    return [HelpRequest.from_row(row) for row in rows]


async def _request_counts(services: Services, municipality: str | None) -> list[tuple[str, int]]:
    """How many requests each section has."""
    rows = await services.db.fetchall(
        f"""SELECT CASE WHEN state = 'open' AND escalated_at IS NOT NULL THEN 'escalated'
                   ELSE state END AS section, COUNT(*)
            FROM help_requests WHERE 1 = 1{_where_municipality(municipality)}
            GROUP BY section""",
        {"m": municipality},
    )
    return [(str(row[0]), int(row[1])) for row in rows if row[0] in REQUEST_SECTIONS]


async def hand_over(services: Services, lang: Lang, request_id: int) -> Page | None:
    """One open request and the approved volunteers it can be handed to; None if not open."""
    request = await services.desk.requests.get(request_id)
    if request is None or request.state != "open":
        return None
    t = Texts(lang)
    page = Page(
        "requests",
        t("console_hand_over", ref=request.ref),
        zone_name(_country(services, request.municipality), lang),
    )
    approved = [
        v
        for v in await services.desk.volunteers.in_state("approved")
        if may_claim(v, request.municipality)
    ]
    names = {v.user_id: first_name(v.name) for v in approved}
    # First name and area: two volunteers called Ola are told apart by where they are.
    choices = [(str(v.user_id), f"{first_name(v.name)} ({v.area or '–'})") for v in approved]
    table = Table(t("console_nav_requests"), _request_columns(t))
    table.rows.append(_request_row(services, t, request, names, int(time.time())))
    table.forms.append(
        [
            Form(
                f"requests/{request.id}/hand-over",
                t("console_hand_over", ref=request.ref),
                select=("volunteer_id", t("console_hand_to", ref=request.ref), choices),
            )
        ]
        if choices
        else []
    )
    page.tables.append(table)
    return page


async def _requests(services: Services, municipality: str | None) -> list[HelpRequest]:
    """Active requests, oldest first; then the newest CLOSED_SHOWN done and cancelled ones."""
    where = _where_municipality(municipality)
    rows = await services.db.fetchall(
        f"""SELECT * FROM (SELECT {REQUEST_COLUMNS} FROM help_requests
                WHERE state IN ('open', 'claimed'){where} ORDER BY id)
            UNION ALL SELECT * FROM (SELECT {REQUEST_COLUMNS} FROM help_requests
                WHERE state = 'done'{where} ORDER BY id DESC LIMIT :closed)
            UNION ALL SELECT * FROM (SELECT {REQUEST_COLUMNS} FROM help_requests
                WHERE state = 'cancelled'{where} ORDER BY id DESC LIMIT :closed)""",
        {"m": municipality, "closed": CLOSED_SHOWN},
    )
    return [HelpRequest.from_row(row) for row in rows]


def _request_forms(t: Texts, request: HelpRequest) -> list[Form]:
    """Close while active; hand over (a page of its own, to choose the volunteer) while open."""
    if request.state not in ("open", "claimed"):
        return []
    forms = [Form(f"requests/{request.id}/close", t("console_close", ref=request.ref))]
    if request.state == "open":
        forms.append(
            Form(
                f"requests/{request.id}/hand-over",
                t("console_hand_over", ref=request.ref),
                method="get",
            )
        )
    return forms


# -- volunteers ------------------------------------------------------------------------------

VOLUNTEER_SECTIONS = ("pending", "approved", "revoked", "rejected")


async def volunteers(view: View) -> Page:
    """Volunteers by state, with approve, reject and revoke; never their phone numbers."""
    services, lang, t = view.services, view.lang, Texts(view.lang)
    page = _page(view, "volunteers")
    columns = [
        t("console_col_name"),
        t("console_col_area"),
        t("console_col_skills"),
        t("console_col_municipalities"),
        t("console_col_registered"),
        t("console_col_decided"),
    ]
    sections = {state: Table(t(f"console_vol_{state}"), columns) for state in VOLUNTEER_SECTIONS}
    for volunteer in await services.desk.volunteers.in_state():
        if not _volunteer_in(volunteer, view.municipality):
            continue
        # Their state for the municipality shown; for all, their overall one.
        state = volunteer.state_in(view.municipality or "") or volunteer.state
        table = sections[state]
        table.rows.append(
            [
                first_name(volunteer.name),
                volunteer.area or "",
                ", ".join(_skill(t, skill) for skill in volunteer.skills),
                # Only the reader's own municipalities' decisions: another's vetting outcome
                # is theirs to see.
                [
                    _state_in(view, volunteer, m)
                    for m in volunteer.municipalities
                    if view.scope.covers(m)
                ],
                local_time(volunteer.registered_at, page.zone, lang),
                local_time(volunteer.decided_at, page.zone, lang),
            ]
        )
        table.forms.append(_volunteer_forms(view, volunteer))
    page.tables = [sections[state] for state in VOLUNTEER_SECTIONS]
    return page


def _volunteer_in(volunteer: Volunteer, municipality: str | None) -> bool:
    """Whether a volunteer is shown for `municipality` (all of them for None): one who
    signed up for it. One registered before municipalities were asked for belongs to the
    global staff (routing.may_act), and is shown only with all municipalities."""
    return municipality is None or municipality in volunteer.municipalities


def _skill(t: Texts, skill: str) -> str:
    return t(f"category_{skill}") if skill in CATEGORIES else skill


def _state_in(view: View, volunteer: Volunteer, municipality: str) -> str:
    """ "Öckerö kommun: ✅ Approved": where a volunteer stands in one municipality."""
    t = Texts(view.lang)
    state = volunteer.state_in(municipality) or "pending"
    shown = t("console_vol_state_pending") if state == "pending" else t(f"staff_outcome_{state}")
    return f"{_name(view.services, municipality, view.lang)}: {shown}"


def _volunteer_forms(view: View, volunteer: Volunteer) -> list[Form]:
    """Approve and reject where pending, revoke where approved: for each municipality of
    the volunteer's that the reader is staff of (and the page shows), each for it alone.
    One registered without municipalities is decided as a whole, by the global staff."""
    t = Texts(view.lang)
    name = first_name(volunteer.name)
    base = f"volunteers/{volunteer.user_id}"
    if not volunteer.municipalities:
        if not view.scope.everywhere:
            return []
        if volunteer.state == "pending":
            return [
                Form(f"{base}/approve", t("console_approve", name=name)),
                Form(f"{base}/reject", t("console_reject", name=name)),
            ]
        if volunteer.state == "approved":
            return [Form(f"{base}/revoke", t("console_revoke", name=name))]
        return []
    forms = []
    for m in volunteer.municipalities:
        if not view.scope.covers(m) or view.municipality not in (None, m):
            continue
        place, fields = _name(view.services, m, view.lang), {"municipality": m}
        state = volunteer.state_in(m)
        if state == "pending":
            forms += [
                Form(f"{base}/approve", t("console_approve_for", name=name, place=place), fields),
                Form(f"{base}/reject", t("console_reject_for", name=name, place=place), fields),
            ]
        elif state == "approved":
            forms.append(
                Form(f"{base}/revoke", t("console_revoke_for", name=name, place=place), fields)
            )
    return forms


# -- audit log -------------------------------------------------------------------------------


async def audit(view: View) -> Page:
    """Every staff action, in the console or a staff chat, newest first: who, what, when,
    where."""
    services, lang, t = view.services, view.lang, Texts(view.lang)
    page = _page(view, "audit")
    page.intro.append(t("console_audit_intro"))
    table = Table(
        t("console_nav_audit"),
        [
            t("console_col_when"),
            t("console_col_who"),
            t("console_col_what"),
            t("console_col_target"),
            t("console_col_surface"),
        ],
    )
    entries = await services.audit.latest(AUDIT_SHOWN, view.municipality, view.reader)
    for entry in entries:
        table.rows.append(
            [
                local_time(entry.at, page.zone, lang),
                f"{entry.staff_name or '?'} ({entry.staff_id})",
                t(f"console_audit_{entry.action}"),
                entry.target or "",
                t(f"console_surface_{entry.surface}"),
            ]
        )
    page.tables.append(table)
    return page


PAGES: dict[str, Callable[[View], Awaitable[Page]]] = {
    "overview": overview,
    "unanswered": unanswered,
    "feedback": feedback,
    "kb": knowledge,
    "requests": requests,
    "volunteers": volunteers,
    "audit": audit,
}
