"""The console's notices page: write an urgent notice, see it exactly as residents will, confirm
it with the number who will get it, send it (a second staff member approves it when the
two-person rule is on), follow its progress live, and pause, resume, cancel or end it.

Every rule is the staff chat's: the service (bot/notices/service.py) writes, starts and counts;
`routing.may_write_notice` says who may write to where; the preview is the sender's `render`.
Each change is a POST with the CSRF token and goes into the audit log.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web
from markupsafe import Markup

from bot.console.auth import Session, notice_target
from bot.console.text import language_name
from bot.console.web.pages import Form, Page, Table
from bot.console.web.views import Texts, local_time, zone_name
from bot.helpdesk.routing import StaffScope, may_write_notice
from bot.kb.knowledge import Municipality
from bot.messages import format_minutes
from bot.notices.service import (
    MAX_NOTICE_CHARACTERS,
    Notice,
    Progress,
    measured_rate,
    notice_languages,
    notice_state,
    place_name,
    previews,
)
from bot.services import Services
from bot.types import Lang, lang_or_english

NOTICES_SHOWN = 50
ALL = "all"  # the form's value for a notice to every municipality
SCRIPT = Path(__file__).parent / "static" / "notices.js"
# The columns the live script refreshes, from the state on (see static/notices.js).
LIVE_FROM_COLUMN = 2


class ShowPage(Protocol):
    def __call__(
        self,
        request: web.Request,
        session: Session,
        shown: Page,
        municipality: str | None,
        scope: StaffScope,
        template: str = ...,
        **extra: Any,
    ) -> web.Response: ...


@dataclass(frozen=True)
class Tools:
    """What the console's routes share with these (bot/console/web/server.py)."""

    current: Callable[[web.Request], Awaitable[Session | web.Response]]
    posted: Callable[[web.Request], Awaitable[tuple[Session, dict[str, str]] | web.Response]]
    show_page: ShowPage
    scope_of: Callable[[int], Awaitable[StaffScope]]
    wake: Callable[[], None]
    root: str
    # The municipality a page shows for ?m= (the server's rule for every page): the one asked
    # for when it is the reader's, else all for the global staff and their first for others.
    choose: Callable[[str | None, StaffScope], str | None]


@dataclass
class Compose:
    """The writing form: first whom to (`choices`), then the texts for `to`'s languages."""

    choices: list[tuple[str, str]]
    to: str | None = None
    to_name: str = ""
    count: int = 0
    languages: list[tuple[str, str]] = field(default_factory=list)  # (code, label)
    texts: Mapping[Lang, str] = field(default_factory=dict)
    error: str | None = None
    limit: int = MAX_NOTICE_CHARACTERS
    # Where the form posts: a new notice, or the texts of one taken over from a staff chat.
    action: str = "notices"
    note: str | None = None


@dataclass
class Preview:
    """One notice as residents will get it, how many will, and what staff may do now."""

    notice: Notice
    heading: str
    messages: list[tuple[Lang, str, Markup]]  # (code, label, the message as residents see it)
    count_line: str
    second: str | None
    forms: list[Form]
    edit: str | None = None  # the edit page of a notice taken over from a staff chat


def _target(
    value: str | None, municipalities: Mapping[str, Municipality]
) -> tuple[bool, str | None]:
    """The form's "to": whether it names one, and the municipality (None: all)."""
    if value == ALL:
        return True, None
    if value and value in municipalities:
        return True, value
    return False, None


def _choices(
    scope: StaffScope, municipalities: Mapping[str, Municipality], lang: Lang
) -> list[tuple[str, str]]:
    """Whom this staff member may write to: theirs only, unless they are the global staff."""
    found = [
        (m.id, m.display_name(lang))
        for m in municipalities.values()
        if may_write_notice(scope, m.id)
    ]
    if may_write_notice(scope, None):
        found.append((ALL, place_name(municipalities, None, lang)))
    return found


def visible(scope: StaffScope, notice: Notice) -> bool:
    """Theirs, or to every municipality (which a municipality's staff may see, not change)."""
    return notice.municipality is None or may_write_notice(scope, notice.municipality)


def progress_cells(notice: Notice, progress: Progress, lang: Lang) -> list[str]:
    """The state, sent, waiting, failed, blocked, perhaps sent and time left."""
    t = Texts(lang)
    rate = measured_rate(notice, progress)
    if progress.waiting and rate:
        eta = format_minutes(max(1, math.ceil(progress.seconds_left(rate) / 60)), lang)
    elif progress.waiting:
        eta = "?"
    else:
        eta = t("staff_notice_eta_none")
    return [
        t(f"staff_notice_state_{notice_state(notice)}"),
        str(progress.sent),
        str(progress.waiting),
        str(progress.failed),
        str(progress.blocked),
        str(progress.unknown),
        eta,
    ]


def _row_forms(t: Texts, notice: Notice, staff_id: int) -> list[Form]:
    base = f"notices/{notice.id}"
    if notice.ended_at is not None:
        return []
    if notice.state == "ready":
        return [Form(base, t("console_notice_check"), method="get")]
    if notice.state == "draft" and notice.in_console:
        # Only the one who took it over writes it (see `editable`).
        mine = notice.taken_over_by == staff_id
        return [Form(f"{base}/edit", t("console_notice_edit"), method="get")] if mine else []
    if notice.state == "draft":
        # Still being written in a staff chat: taken over here, the chat's prompt ends.
        return [Form(f"{base}/takeover", t("console_notice_take_over"))]
    forms = []
    if notice.state == "sending":
        forms.append(Form(f"{base}/pause", t("button_notice_pause")))
    if notice.state == "paused":
        forms.append(Form(f"{base}/resume", t("button_notice_resume")))
    if notice.state in ("sending", "paused"):
        forms.append(Form(f"{base}/cancel", t("button_notice_cancel")))
    forms.append(Form(f"{base}/end", t("button_notice_end")))
    return forms


async def _visible_notices(
    services: Services, scope: StaffScope, municipality: str | None
) -> list[Notice]:
    return [
        n
        for n in await services.notices.latest(NOTICES_SHOWN)
        # One municipality's: its own and those to every municipality (its residents got
        # them too).
        if visible(scope, n) and (municipality is None or n.municipality in (None, municipality))
    ]


async def list_page(
    services: Services, lang: Lang, scope: StaffScope, municipality: str | None, staff_id: int
) -> Page:
    """Every recent notice this staff member may see, with its progress and buttons."""
    t = Texts(lang)
    kb = services.knowledge.responder.kb
    found = kb.municipalities.get(municipality or "")
    page = Page(
        "notices", t("console_nav_notices"), zone_name(found.country if found else None, lang)
    )
    page.intro.append(t("console_notices_intro"))
    table = Table(
        t("console_notices_list"),
        [
            t("console_col_notice"),
            t("console_col_to"),
            t("console_col_state"),
            t("console_col_sent"),
            t("console_col_waiting"),
            t("console_col_failed"),
            t("console_col_blocked"),
            t("console_col_unknown"),
            t("console_col_eta"),
            t("console_col_created"),
        ],
    )
    listed = await _visible_notices(services, scope, municipality)
    progress = await services.notices.progress_of([n.id for n in listed])
    for notice in listed:
        first = notice.text_for(lang)[1] if notice.texts else ""
        table.rows.append(
            [
                f"#{notice.id} {first[:80]}",
                place_name(kb.municipalities, notice.municipality, lang),
                *progress_cells(notice, progress[notice.id], lang),
                local_time(notice.started_at or notice.created_at, page.zone, lang),
            ]
        )
        writes = may_write_notice(scope, notice.municipality)
        forms = _row_forms(t, notice, staff_id) if writes else []
        table.forms.append(forms)
        table.anchors.append(f"notice-{notice.id}")
    page.tables.append(table)
    return page


async def compose(
    services: Services,
    lang: Lang,
    scope: StaffScope,
    to: str | None,
    texts: Mapping[Lang, str] | None = None,
    error: str | None = None,
) -> Compose:
    """The writing form; with `to` (one this staff member may write to), its text fields."""
    municipalities = services.knowledge.responder.kb.municipalities
    shown = Compose(_choices(scope, municipalities, lang), texts=texts or {}, error=error)
    named, target = _target(to, municipalities)
    if not named or not may_write_notice(scope, target):
        return shown
    t = Texts(lang)
    shown.to = to
    shown.to_name = place_name(municipalities, target, lang)
    shown.count = await services.subscriptions.count(target)
    shown.languages = [
        (code, t("console_notice_text_in", language=language_name(code, lang)))
        for code in notice_languages(municipalities, target)
    ]
    return shown


async def preview(
    services: Services, lang: Lang, scope: StaffScope, notice: Notice, staff_id: int
) -> Preview:
    """Each language's message exactly as the sender renders it, and the count it goes to."""
    t = Texts(lang)
    municipalities = services.knowledge.responder.kb.municipalities
    target = place_name(municipalities, notice.municipality, lang)
    # The count the service fixes at start; shown before it, the same count of subscribers.
    count = notice.recipients
    if count is None:
        count = await services.subscriptions.count(notice.municipality)
    # A draft still being written in a staff chat has no message to show yet.
    shown = previews(notice, municipalities) if notice.missing is None else []
    messages = [
        # The sender's Telegram HTML: every value in it is escaped (bot.messages.say), and its
        # few tags (<b>, <i>) mean the same in a page.
        (code, t("console_notice_preview_in", language=language_name(code, lang)), Markup(text))
        for code, text in shown
    ]
    forms: list[Form] = []
    ready = notice.state == "ready"
    if ready and may_write_notice(scope, notice.municipality):
        second = services.notices.needs_second_staff
        send = "button_notice_approve" if second else "button_notice_send"
        # The texts shown here go with the button: `start` refuses if they changed since.
        shown_texts = {"texts": notice.digest}
        forms = [
            Form(f"notices/{notice.id}/start", t(send, count=str(count)), fields=shown_texts),
            Form(f"notices/{notice.id}/discard", t("button_notice_discard")),
        ]
    editable = (
        notice.in_console
        and notice.taken_over_by == staff_id
        and may_write_notice(scope, notice.municipality)
    )
    return Preview(
        notice,
        t("console_notice_heading", id=str(notice.id), target=target),
        messages,
        t("console_notice_count", count=str(count), target=target),
        t("console_notice_second") if ready and services.notices.needs_second_staff else None,
        forms,
        edit=f"notices/{notice.id}/edit" if editable else None,
    )


async def edit_form(
    services: Services,
    lang: Lang,
    scope: StaffScope,
    notice: Notice,
    texts: Mapping[Lang, str] | None = None,
    error: str | None = None,
) -> Compose:
    """The writing form for a notice taken over from a staff chat: its languages, with what
    the chat wrote so far (or what was just posted)."""
    to = ALL if notice.municipality is None else notice.municipality
    shown = await compose(services, lang, scope, to, texts or notice.texts, error)
    shown.languages = [
        (code, Texts(lang)("console_notice_text_in", language=language_name(code, lang)))
        for code in notice.languages
    ]
    shown.action = f"notices/{notice.id}/edit"
    shown.note = Texts(lang)("console_notice_taken_over")
    return shown


def add_notice_routes(app: web.Application, services: Services, tools: Tools) -> None:
    """The notices page's routes; added before the console's catch-all `/console/{page}`."""
    audit = services.audit
    root = tools.root

    def back(path: str, done: str) -> web.Response:
        raise web.HTTPSeeOther(f"{root}{path}?done={done}")

    async def session_scope(request: web.Request) -> tuple[Session, StaffScope] | web.Response:
        found = await tools.current(request)
        if isinstance(found, web.Response):
            return found
        return found, await tools.scope_of(found.staff_id)

    def municipality_of(request: web.Request, scope: StaffScope) -> str | None:
        """?m=, clamped to the reader's own: another municipality's is never shown."""
        return tools.choose(request.query.get("m") or None, scope)

    async def show_list(
        request: web.Request,
        session: Session,
        scope: StaffScope,
        form: Compose,
        status: int = 200,
    ) -> web.Response:
        lang = _lang(session)
        municipality = municipality_of(request, scope)
        page = await list_page(services, lang, scope, municipality, session.staff_id)
        response = tools.show_page(
            request,
            session,
            page,
            municipality,
            scope,
            template="notices.html",
            compose=form,
            one=None,
        )
        response.set_status(status)
        return response

    async def notices_page(request: web.Request) -> web.Response:
        """The list, and the form to write one (?to= picks whom to)."""
        found = await session_scope(request)
        if isinstance(found, web.Response):
            return found
        session, scope = found
        form = await compose(services, _lang(session), scope, request.query.get("to"))
        return await show_list(request, session, scope, form)

    async def notices_csv(request: web.Request) -> web.Response:
        found = await session_scope(request)
        if isinstance(found, web.Response):
            return found
        session, scope = found
        page = await list_page(
            services, _lang(session), scope, municipality_of(request, scope), session.staff_id
        )
        body = page.csv()
        assert body is not None
        return web.Response(
            body=body,
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": 'attachment; filename="notices.csv"',
            },
        )

    async def progress_json(request: web.Request) -> web.Response:
        """Each listed notice's progress cells, for the page's script to refresh."""
        found = await session_scope(request)
        if isinstance(found, web.Response):
            return found
        session, scope = found
        lang = _lang(session)
        listed = await _visible_notices(services, scope, municipality_of(request, scope))
        progress = await services.notices.progress_of([n.id for n in listed])
        rows = [
            {
                "id": notice.id,
                "first": LIVE_FROM_COLUMN,
                "cells": progress_cells(notice, progress[notice.id], lang),
            }
            for notice in listed
        ]
        return web.json_response({"notices": rows, "at": int(time.time())})

    async def one(request: web.Request) -> web.Response:
        """One notice: exactly what residents will see, the count, Send (or Approve) and
        Discard."""
        found = await session_scope(request)
        if isinstance(found, web.Response):
            return found
        session, scope = found
        notice = await services.notices.get(int(request.match_info["id"]))
        if notice is None or not visible(scope, notice):
            raise web.HTTPSeeOther(f"{root}notices?done=0")
        if notice.state == "draft" and notice.in_console:
            raise web.HTTPSeeOther(f"{root}notices/{notice.id}/edit")
        lang = _lang(session)
        shown = await preview(services, lang, scope, notice, session.staff_id)
        page = Page("notices", shown.heading, zone_name(None, lang))
        return tools.show_page(
            request, session, page, None, scope, template="notices.html", compose=None, one=shown
        )

    async def create(request: web.Request) -> web.Response:
        """The writing form's texts: a notice ready to check and send."""
        found = await tools.posted(request)
        if isinstance(found, web.Response):
            return found
        session, form = found
        scope = await tools.scope_of(session.staff_id)
        municipalities = services.knowledge.responder.kb.municipalities
        named, target = _target(form.get("to"), municipalities)
        if not named or not may_write_notice(scope, target):
            return back("notices", "refused")
        languages = notice_languages(municipalities, target)
        texts = {code: form.get(f"text_{code}", "").strip() for code in languages}
        if not all(texts.values()) or any(len(v) > MAX_NOTICE_CHARACTERS for v in texts.values()):
            lang = _lang(session)
            t = Texts(lang)
            error = t(
                "console_notice_texts_needed",
                languages=", ".join(language_name(code, lang) for code in languages),
                limit=str(MAX_NOTICE_CHARACTERS),
            )
            shown = await compose(services, lang, scope, form.get("to"), texts, error)
            return await show_list(request, session, scope, shown, 400)
        chat = services.chats.route(target).staff  # its progress is shown in that staff chat
        notice = await services.notices.compose(target, languages, texts, session.staff_id, chat)
        await audit.record(
            session, "notice_create", notice_target(notice, municipalities), notice.municipality
        )
        raise web.HTTPSeeOther(f"{root}notices/{notice.id}")

    async def posted_notice(
        request: web.Request,
    ) -> tuple[Session, StaffScope, Notice, dict[str, str]] | web.Response:
        """A POST about one notice that this staff member may change: their session and
        scope, the notice and the posted form."""
        found = await tools.posted(request)
        if isinstance(found, web.Response):
            return found
        session, form = found
        notice = await services.notices.get(int(request.match_info["id"]))
        scope = await tools.scope_of(session.staff_id)
        if notice is None:
            return back("notices", "0")
        if not may_write_notice(scope, notice.municipality):
            return back("notices", "refused")
        return session, scope, notice, form

    async def change(request: web.Request) -> web.Response:
        """Send (or approve), discard, pause, resume, cancel, end."""
        found = await posted_notice(request)
        if isinstance(found, web.Response):
            return found
        session, _, notice, form = found
        action = request.match_info["action"]
        notice_id = notice.id
        notices = services.notices
        municipalities = services.knowledge.responder.kb.municipalities
        if action == "start":
            # A form without the texts' digest showed none: refused like a changed one.
            shown = form.get("texts", "")
            outcome, started = await notices.start(notice_id, session.staff_id, shown)
            if outcome == "needs_second":
                return back(f"notices/{notice_id}", "second")
            if outcome == "changed":
                return back(f"notices/{notice_id}", "changed")
            if outcome != "started" or started is None:
                return back(f"notices/{notice_id}", "0")
            await audit.record(
                session,
                "notice_start",
                notice_target(started, municipalities),
                started.municipality,
            )
            # The sender posts its progress in the staff chat and starts at once.
            tools.wake()
            await services.show_notices()  # an answer from now on, while it goes out
            return back("notices", "1")
        changes = {
            "discard": (notices.discard, ("discarded",)),
            "pause": (notices.pause, ("paused",)),
            "resume": (notices.resume, ("sending",)),
            "cancel": (notices.cancel, ("cancelled",)),
            "end": (notices.end, ()),
        }
        if action not in changes or (notice.state == "draft" and not notice.in_console):
            # A draft is still being written in a staff chat: the chat finishes or drops it,
            # unless the console takes it over first (`take_over`).
            return back("notices", "0")
        run, wanted = changes[action]
        changed = await run(notice_id)
        done = changed.ended_at is not None if action == "end" else changed.state in wanted
        was = notice.ended_at is not None if action == "end" else notice.state in wanted
        if not done or was:
            return back("notices", "0")
        await audit.record(
            session,
            f"notice_{action}",
            notice_target(changed, municipalities),
            changed.municipality,
        )
        await notices.redraw_soon(notice_id)
        tools.wake()  # the sender redraws the chat's progress and sends or stops at once
        if action == "end":
            await services.show_notices()
        return back("notices", "1")

    async def editable(
        request: web.Request,
    ) -> tuple[Session, StaffScope, Notice, dict[str, str]] | web.Response:
        """A notice taken over from a staff chat that this staff member took over (no one
        else writes it: the two-person rule refuses each writer at `start`), and the posted
        form (empty for a GET)."""
        if request.method == "POST":
            found = await posted_notice(request)
            if isinstance(found, web.Response):
                return found
            session, scope, notice, form = found
        else:
            current = await session_scope(request)
            if isinstance(current, web.Response):
                return current
            (session, scope), form = current, {}
            shown = await services.notices.get(int(request.match_info["id"]))
            if shown is None:
                return back("notices", "0")
            if not may_write_notice(scope, shown.municipality):
                return back("notices", "refused")
            notice = shown
        if not notice.in_console:
            return back("notices", "0")
        if notice.taken_over_by != session.staff_id:
            return back("notices", "refused")
        return session, scope, notice, form

    async def take_over(request: web.Request) -> web.Response:
        """Take over a draft begun with /notice in a staff chat: the chat's prompt ends (the
        writer is told there), and the texts are finished here."""
        found = await posted_notice(request)
        if isinstance(found, web.Response):
            return found
        session, _, notice, _ = found
        notice_id = notice.id
        who = session.staff_name or Texts(_lang(session))("staff_someone")
        taken = await services.take_over_notice(notice_id, session.staff_id, who)
        if taken is None:
            return back("notices", "0")
        municipalities = services.knowledge.responder.kb.municipalities
        await audit.record(
            session, "notice_take_over", notice_target(taken, municipalities), taken.municipality
        )
        return back(f"notices/{notice_id}/edit", "1")

    async def edit_page(request: web.Request) -> web.Response:
        found = await editable(request)
        if isinstance(found, web.Response):
            return found
        session, scope, notice, _ = found
        form = await edit_form(services, _lang(session), scope, notice)
        return await show_list(request, session, scope, form)

    async def edit(request: web.Request) -> web.Response:
        """The texts of a notice taken over: it is ready to check and send."""
        found = await editable(request)
        if isinstance(found, web.Response):
            return found
        session, scope, notice, form = found
        texts = {code: form.get(f"text_{code}", "").strip() for code in notice.languages}
        if not all(texts.values()) or any(len(v) > MAX_NOTICE_CHARACTERS for v in texts.values()):
            lang = _lang(session)
            error = Texts(lang)(
                "console_notice_texts_needed",
                languages=", ".join(language_name(code, lang) for code in notice.languages),
                limit=str(MAX_NOTICE_CHARACTERS),
            )
            shown = await edit_form(services, lang, scope, notice, texts, error)
            return await show_list(request, session, scope, shown, 400)
        edited = await services.notices.edit(notice.id, texts, session.staff_id)
        if edited.state != "ready":
            return back("notices", "0")
        municipalities = services.knowledge.responder.kb.municipalities
        await audit.record(
            session, "notice_edit", notice_target(edited, municipalities), edited.municipality
        )
        raise web.HTTPSeeOther(f"{root}notices/{notice.id}")

    async def script(request: web.Request) -> web.FileResponse:
        """The page's one script, served by the bot: it refreshes the progress numbers."""
        return web.FileResponse(SCRIPT, headers={"Cache-Control": "max-age=3600"})

    app.router.add_get("/console/static/notices.js", script)
    app.router.add_get("/console/notices", notices_page)
    app.router.add_get("/console/notices.csv", notices_csv)
    app.router.add_get("/console/notices.json", progress_json)
    app.router.add_post("/console/notices", create)
    app.router.add_get("/console/notices/{id:\\d{1,18}}", one)
    app.router.add_post(
        "/console/notices/{id:\\d{1,18}}/{action:start|discard|pause|resume|cancel|end}", change
    )
    app.router.add_post("/console/notices/{id:\\d{1,18}}/takeover", take_over)
    app.router.add_get("/console/notices/{id:\\d{1,18}}/edit", edit_page)
    app.router.add_post("/console/notices/{id:\\d{1,18}}/edit", edit)


def _lang(session: Session) -> Lang:
    return lang_or_english(session.language)
