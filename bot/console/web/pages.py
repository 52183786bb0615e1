"""What each console page shows, as plain data the templates and the CSV export both read.

This is the one module that gathers the reports: the overview, unanswered questions, feedback
and knowledge base pages are simple readings of the database here, to be replaced by the
report library's functions (bot/console/reports.py) one call each; the help requests,
volunteers and audit pages are the console's own.
"""

from __future__ import annotations

import hashlib
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup

from bot.console.web.views import Texts, age, local_day, local_hour, local_time, zone_name
from bot.helpdesk.models import CATEGORIES, REQUEST_COLUMNS, HelpRequest, Volunteer
from bot.helpdesk.repository import first_name
from bot.services import Services
from bot.types import Lang

DAYS = 7
# Closed requests shown per state; the CSV has the same rows.
CLOSED_SHOWN = 200
AUDIT_SHOWN = 500
FEEDBACK_QUESTIONS = 5


@dataclass(frozen=True)
class Form:
    """One button that POSTs `fields` to `path`; with `select`, a choice goes with it."""

    path: str
    label: str
    fields: dict[str, str] = field(default_factory=dict)
    # (field name, its label, [(value, text)]): the hand-over's choice of volunteer.
    select: tuple[str, str, list[tuple[str, str]]] | None = None
    # "get": a link to a page of its own instead (which then posts).
    method: str = "post"


@dataclass
class Table:
    heading: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    forms: list[list[Form]] = field(default_factory=list)  # per row, when the table has any
    details: list[str | None] = field(default_factory=list)  # per row: a preformatted snippet
    # Folded away on the page (the chart's numbers, for the CSV and for screen readers).
    folded: bool = False
    # Rows shown on the page; the CSV has them all. Nobody reads a thousand rows, and each
    # row's buttons are what make a long page slow to draw.
    shown: int = 100


@dataclass
class Page:
    name: str  # its path under /console/ and its navigation key
    title: str
    zone: str
    intro: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    chart: Markup | None = None

    def csv_rows(self) -> list[list[str]]:
        """Every table, one after another: its heading, its columns, its rows."""
        rows: list[list[str]] = []
        for table in self.tables:
            rows.append([table.heading])
            rows.append(table.columns)
            rows.extend(table.rows)
            rows.append([])
        return rows


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


# -- overview --------------------------------------------------------------------------------


async def overview(services: Services, lang: Lang, municipality: str | None) -> Page:
    """Questions per hour, outcomes, help requests, time to claim, languages: last 7 days."""
    t = Texts(lang)
    page = Page("overview", t("console_nav_overview"), _zone(services, municipality, lang))
    since = int(time.time()) - DAYS * 86400
    first_hour = since // 3600
    params = {"since": since, "m": municipality}
    where = "asked_at >= :since" + _where_municipality(municipality)
    hours = [0] * (DAYS * 24 + 1)
    by_outcome: Counter[str] = Counter()
    by_language: Counter[str] = Counter()
    # One pass over the week's questions; the three tallies are made from its groups.
    for hour, outcome, language, count in await services.db.fetchall(
        f"""SELECT asked_at / 3600, outcome, language, COUNT(*) FROM questions WHERE {where}
            GROUP BY 1, 2, 3""",
        params,
    ):
        index = int(hour) - first_hour
        if 0 <= index < len(hours):
            hours[index] += int(count)
        by_outcome[str(outcome)] += int(count)
        by_language[str(language)] += int(count)
    total = sum(hours)
    ticks = [
        (index, local_day(first_hour * 3600 + index * 3600, page.zone, lang))
        for index in range(len(hours))
        if local_hour(first_hour * 3600 + index * 3600, page.zone) == 0
    ]
    page.chart = bar_chart(
        hours, t("console_overview_chart_label", total=total, peak=max(hours)), ticks
    )
    hourly = Table(
        t("console_overview_questions"),
        [t("console_col_when"), t("console_col_count")],
        folded=True,
        shown=len(hours),
    )
    for index, count in enumerate(hours):
        hourly.rows.append([local_time((first_hour + index) * 3600, page.zone, lang), str(count)])
    outcomes = Table(
        t("console_overview_outcomes"),
        [t("console_col_kind"), t("console_col_count"), t("console_col_share")],
    )
    for outcome, count in by_outcome.most_common():
        key = f"console_outcome_{outcome}"
        label = t(key) if key in _KNOWN_OUTCOMES else outcome
        outcomes.rows.append([label, str(count), _share(count, total)])
    languages = Table(
        t("console_overview_languages"),
        [t("console_language"), t("console_col_count"), t("console_col_share")],
    )
    for language, count in by_language.most_common():
        languages.rows.append([language, str(count), _share(count, total)])
    requests = Table(
        t("console_overview_requests"), [t("console_col_kind"), t("console_col_count")]
    )
    request_where = "created_at >= :since" + _where_municipality(municipality)
    row = await services.db.fetchone(
        f"""SELECT COUNT(*), COUNT(claimed_at), SUM(state = 'done') FROM help_requests
            WHERE {request_where}""",
        params,
    )
    opened, claimed, done = (int(value or 0) for value in (row or (0, 0, 0)))
    waits = sorted(
        int(r[0])
        for r in await services.db.fetchall(
            f"""SELECT claimed_at - created_at FROM help_requests
                WHERE {request_where} AND claimed_at IS NOT NULL""",
            params,
        )
    )
    requests.rows += [
        [t("console_requests_opened"), str(opened)],
        [t("console_requests_claimed"), str(claimed)],
        [t("console_requests_done"), str(done)],
    ]
    if waits:
        p90 = statistics.quantiles(waits, n=10)[-1] if len(waits) > 1 else waits[0]
        requests.rows += [
            [t("console_claim_median"), age(statistics.median(waits), lang)],
            [t("console_claim_p90"), age(p90, lang)],
        ]
    page.tables = [outcomes, requests, languages, hourly]
    return page


_KNOWN_OUTCOMES = {
    "console_outcome_answered",
    "console_outcome_clarify",
    "console_outcome_fallback",
    "console_outcome_browsed",
}


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:.0f} %" if total else "–"


def bar_chart(values: list[int], label: str, ticks: list[tuple[int, str]]) -> Markup:
    """A server-drawn SVG bar chart, one bar per value, scaled to the largest; `ticks` mark
    bars (a day's first hour) with a line and a label."""
    width, plot, height = 720, 160, 180
    peak = max(values) or 1
    step = width / len(values)
    bars = []
    for index, text in ticks:
        x = index * step
        bars.append(f'<line class="tick" x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{plot}"/>')
        bars.append(f'<text x="{x + 3:.1f}" y="{height - 4}">{Markup.escape(text)}</text>')
    for index, value in enumerate(values):
        if value:
            bar = plot * value / peak
            bars.append(
                f'<rect x="{index * step:.1f}" y="{plot - bar:.1f}" '
                f'width="{max(step - 1, 1):.1f}" height="{bar:.1f}"/>'
            )
    # Only numbers are interpolated; the label is escaped.
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{Markup.escape(label)}">'
        f'<line x1="0" y1="{plot}" x2="{width}" y2="{plot}"/>{"".join(bars)}</svg>'
    )


# -- unanswered questions --------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s-]{6,}\d")


def mask(text: str) -> str:
    """Phone numbers and e-mail addresses hidden (the report library masks names too)."""
    return _PHONE.sub("[phone]", _EMAIL.sub("[e-mail]", text))


def group_key(municipality: str | None, text: str) -> str:
    """A stable key for a group of unanswered questions, for handled_groups."""
    return hashlib.sha256(f"{municipality}\n{text.lower()}".encode()).hexdigest()[:20]


async def unanswered(services: Services, lang: Lang, municipality: str | None) -> Page:
    """Unanswered questions grouped by similarity, most asked first, with a YAML snippet."""
    t = Texts(lang)
    page = Page("unanswered", t("console_nav_unanswered"), _zone(services, municipality, lang))
    page.intro.append(t("console_unanswered_intro"))
    since = int(time.time()) - DAYS * 86400
    handled = {str(row[0]) for row in await services.db.fetchall("SELECT key FROM handled_groups")}
    columns = [t("console_col_question"), t("console_municipality"), t("console_col_count")]
    waiting, done = (
        Table(t("console_nav_unanswered"), columns),
        Table(t("console_handled"), columns),
    )
    for text, where, count in await services.questions.unanswered(since, limit=200):
        if municipality and where != municipality:
            continue
        key = group_key(where, text)
        shown = mask(text)
        table = done if key in handled else waiting
        table.rows.append([shown, _name(services, where, lang), str(count)])
        table.details.append(f"questions:\n  {lang}:\n    - {_yaml_quote(shown)}\n")
        if table is waiting:
            table.forms.append(
                [Form("unanswered/handled", t("console_mark_handled"), {"key": key})]
            )
    page.tables = [waiting, done]
    return page


def _yaml_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- feedback --------------------------------------------------------------------------------


async def feedback(services: Services, lang: Lang, municipality: str | None) -> Page:
    """👍 and 👎 per entry, the worst first, with the questions that led to a 👎."""
    t = Texts(lang)
    page = Page("feedback", t("console_nav_feedback"), _zone(services, municipality, lang))
    page.intro.append(t("console_feedback_intro"))
    entries = services.knowledge.responder.kb.entries
    table = Table(
        t("console_nav_feedback"),
        [
            t("console_col_entry"),
            t("console_col_helpful"),
            t("console_col_unhelpful"),
            t("console_col_question"),
        ],
    )
    for entry_id, up, down in await services.feedback.summary():
        rows = await services.db.fetchall(
            """SELECT q.text FROM feedback f JOIN questions q ON q.id = f.question_id
               WHERE f.entry_id = ? AND f.helpful = 0 AND q.text IS NOT NULL
               ORDER BY f.created_at DESC LIMIT ?""",
            (entry_id, FEEDBACK_QUESTIONS),
        )
        entry = entries.get(entry_id)
        title = entry.title_in(lang, "en") if entry else entry_id
        questions = " · ".join(mask(str(row[0])) for row in rows)
        table.rows.append([f"{title} ({entry_id})", str(up), str(down), questions])
    page.tables.append(table)
    return page


# -- knowledge base --------------------------------------------------------------------------


async def knowledge(services: Services, lang: Lang, municipality: str | None) -> Page:
    """Every entry with its review dates and flags, the files' problems, the last reload."""
    t = Texts(lang)
    service = services.knowledge
    page = Page("kb", t("console_nav_kb"), _zone(services, municipality, lang))
    kb = service.responder.kb
    page.intro.append(
        t(
            "console_kb_intro",
            entries=len(kb.entries),
            loaded=local_time(service.loaded_at, page.zone, lang),
        )
    )
    if service.last_reload is not None:
        when, outcome = service.last_reload
        page.intro.append(
            t(
                "console_kb_reload",
                when=local_time(when, page.zone, lang),
                outcome=t(
                    "console_kb_reload_applied" if outcome.applied else "console_kb_reload_refused"
                ),
            )
        )
    today = date.today()
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
    for entry in kb.entries.values():
        if municipality and entry.scope not in (municipality, "shared"):
            continue
        flags = []
        if entry.review_by is not None and entry.review_by < today:
            flags.append(t("console_flag_stale"))
        if len(entry.answer) == 1:
            flags.append(t("console_flag_one_language"))
        entries.rows.append(
            [
                entry.id,
                entry.topic,
                ", ".join(sorted(entry.answer)),
                entry.reviewed.isoformat(),
                entry.review_by.isoformat() if entry.review_by else "",
                ", ".join(flags),
            ]
        )
    problems = Table(
        t("console_kb_problems"), [t("console_col_location"), t("console_col_problem")]
    )
    for problem in service.last_result.problems:
        problems.rows.append([str(problem.location), f"{problem.severity}: {problem.message}"])
    page.tables = [problems, entries]
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
) -> list[str]:
    """A request as staff see it: never the resident's name, contact or description."""
    zone = zone_name(_country(services, request.municipality), t.lang)
    return [
        request.ref,
        t(f"category_{request.category}"),
        _name(services, request.municipality, t.lang),
        local_time(request.created_at, zone, t.lang),
        age(stamp - request.created_at, t.lang),
        names.get(request.volunteer_id, "") if request.volunteer_id else "",
    ]


async def requests(services: Services, lang: Lang, municipality: str | None) -> Page:
    """Requests by state with their ages and volunteer's first name; never contact details."""
    t = Texts(lang)
    page = Page("requests", t("console_nav_requests"), _zone(services, municipality, lang))
    names = {v.user_id: first_name(v.name) for v in await services.desk.volunteers.in_state()}
    columns = _request_columns(t)
    sections = {state: Table(t(f"console_state_{state}"), columns) for state in REQUEST_SECTIONS}
    stamp = int(time.time())
    for request in await _requests(services, municipality):
        state = "escalated" if request.state == "open" and request.escalated_at else request.state
        table = sections[state]
        table.rows.append(_request_row(services, t, request, names, stamp))
        table.forms.append(_request_forms(t, request))
    page.tables = [sections[state] for state in REQUEST_SECTIONS]
    return page


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
    approved = await services.desk.volunteers.in_state("approved")
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


async def volunteers(services: Services, lang: Lang, municipality: str | None) -> Page:
    """Volunteers by state, with approve, reject and revoke; never their phone numbers."""
    t = Texts(lang)
    page = Page("volunteers", t("console_nav_volunteers"), _zone(services, municipality, lang))
    columns = [
        t("console_col_name"),
        t("console_col_area"),
        t("console_col_skills"),
        t("console_col_registered"),
        t("console_col_decided"),
    ]
    sections = {state: Table(t(f"console_vol_{state}"), columns) for state in VOLUNTEER_SECTIONS}
    for volunteer in await services.desk.volunteers.in_state():
        table = sections[volunteer.state]
        table.rows.append(
            [
                first_name(volunteer.name),
                volunteer.area or "",
                ", ".join(_skill(t, skill) for skill in volunteer.skills),
                local_time(volunteer.registered_at, page.zone, lang),
                local_time(volunteer.decided_at, page.zone, lang),
            ]
        )
        table.forms.append(_volunteer_forms(t, volunteer))
    page.tables = [sections[state] for state in VOLUNTEER_SECTIONS]
    return page


def _skill(t: Texts, skill: str) -> str:
    return t(f"category_{skill}") if skill in CATEGORIES else skill


def _volunteer_forms(t: Texts, volunteer: Volunteer) -> list[Form]:
    name = first_name(volunteer.name)
    base = f"volunteers/{volunteer.user_id}"
    if volunteer.state == "pending":
        return [
            Form(f"{base}/approve", t("console_approve", name=name)),
            Form(f"{base}/reject", t("console_reject", name=name)),
        ]
    if volunteer.state == "approved":
        return [Form(f"{base}/revoke", t("console_revoke", name=name))]
    return []


# -- audit log -------------------------------------------------------------------------------


async def audit(services: Services, lang: Lang, municipality: str | None) -> Page:
    """Every staff action in the console, newest first: who, what, when."""
    t = Texts(lang)
    page = Page("audit", t("console_nav_audit"), _zone(services, municipality, lang))
    page.intro.append(t("console_audit_intro"))
    table = Table(
        t("console_nav_audit"),
        [
            t("console_col_when"),
            t("console_col_who"),
            t("console_col_what"),
            t("console_col_target"),
        ],
    )
    for entry in await services.audit.latest(AUDIT_SHOWN):
        table.rows.append(
            [
                local_time(entry.at, page.zone, lang),
                f"{entry.staff_name or '?'} ({entry.staff_id})",
                t(f"console_audit_{entry.action}"),
                entry.target or "",
            ]
        )
    page.tables.append(table)
    return page


PAGES = {
    "overview": overview,
    "unanswered": unanswered,
    "feedback": feedback,
    "kb": knowledge,
    "requests": requests,
    "volunteers": volunteers,
    "audit": audit,
}
