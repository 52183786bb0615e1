"""The console's HTTP routes under /console/, added to the bot's one aiohttp application.

A page without a live session answers 401 with how to sign in. A session whose staff member is
no longer staff (removed from the staff chat or STAFF_USER_IDS) is ended on their next request,
with every other session of theirs. Every POST must carry the session's CSRF token; a change
answers 303 back to its page (the page shows how things stand).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.console.actions import DROPPED, GONE, NOT_THERE, NOT_YOURS, told
from bot.console.auth import SESSION_SECONDS, Session
from bot.console.web.notices import Tools, add_notice_routes
from bot.console.web.pages import (
    PAGES,
    Overtaken,
    Page,
    ReportCache,
    View,
    hand_over,
    warm_unanswered,
)
from bot.console.web.views import Texts, render
from bot.helpdesk.routing import EVERYWHERE, StaffScope
from bot.services import Services
from bot.types import LANGS, Lang, lang_or_english

logger = logging.getLogger(__name__)

COOKIE = "console_session"
STATIC = Path(__file__).parent / "static"
NAV = ("overview", "unanswered", "feedback", "kb", "requests", "volunteers", "notices", "audit")
SECURITY_HEADERS = {
    # Nothing loads from elsewhere; no inline scripts at all.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        # The notices page's own script, refreshing its progress from notices.json.
        "script-src 'self'; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

# True: staff; False: not (their sessions end); None: it cannot be told now (Telegram is
# unreachable), so this request is refused and the session kept.
IsStaff = Callable[[int], Awaitable[bool | None]]
# Where a staff member may act (routing.StaffScope): the global staff everywhere, a
# municipality's staff on its own requests and volunteers.
ScopeOf = Callable[[int], Awaitable[StaffScope]]


async def _everywhere(staff_id: int) -> StaffScope:
    return EVERYWHERE


def _no_sender() -> None:
    """Without a notice sender (a console on its own), nothing is woken."""


@dataclass
class Console:
    """What the routes need: the services, who counts as staff, the public base URL."""

    services: Services
    is_staff: IsStaff
    base_url: str | None
    scope_of: ScopeOf = _everywhere
    # Wakes the notice sender when a notice starts or changes from the console.
    wake_notices: Callable[[], None] = _no_sender

    def __post_init__(self) -> None:
        self.actions = self.services.actions
        self.reports = ReportCache(self.services.knowledge.root)
        self.services.on_forget(self.reports.forget_people)
        self.warming: asyncio.Task[None] | None = None
        # The path the console has in the browser (behind a proxy that strips a prefix).
        prefix = urlsplit(self.base_url).path.rstrip("/") if self.base_url else ""
        self.root = f"{prefix}/console/"
        self.secure = bool(self.base_url and self.base_url.startswith("https://"))


# What the page says after a change: ?done=1, 0 or refused.
_NOTICES = {
    "1": "console_done",
    "0": "console_not_done",
    "refused": "console_not_yours",
    "second": "console_notice_needs_second",
    "changed": "console_notice_changed",
    "gone": "console_volunteer_gone",
    "dropped": "console_volunteer_dropped",
    "not_there": "console_volunteer_not_there",
    "not_approved": "console_volunteer_not_approved_there",
}
# Which of those a refused change shows, by what it was about and `StaffActions.verdict`.
_REFUSED = {
    ("requests", NOT_YOURS): "refused",
    ("volunteers", NOT_YOURS): "refused",
    ("volunteers", GONE): "gone",
    ("volunteers", DROPPED): "dropped",
    ("volunteers", NOT_THERE): "not_there",
}
# What a hand-over that did not happen shows, by the help desk's claim status: for a
# municipality's staff, who may post any volunteer id, no volunteer, one approved elsewhere
# only and one erased are one answer (the global staff are told "gone" as such).
_NOT_HANDED = {"not_volunteer": "not_approved", "elsewhere": "not_approved", "gone": "not_approved"}


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(
        text=body,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers=SECURITY_HEADERS,
    )


async def _with_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every console response carries them, redirects and the stylesheet included."""
    if request.path.startswith("/console"):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)


async def _warm(console: Console) -> None:
    """The unanswered groups, formed once in the background after a start."""
    try:
        await warm_unanswered(console.services, console.reports)
    except Exception:  # a page forms them anyway; this only saves its first reader time
        logger.warning("could not group the unanswered questions ahead", exc_info=True)


def add_console(app: web.Application, console: Console) -> None:
    """Every console route."""
    auth, audit = console.services.console_auth, console.services.audit
    app.on_response_prepare.append(_with_security_headers)

    async def start_warming(app: web.Application) -> None:
        console.warming = asyncio.create_task(_warm(console))

    async def stop_warming(app: web.Application) -> None:
        if console.warming is not None and not console.warming.done():
            console.warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await console.warming
        await console.reports.settle()

    app.on_startup.append(start_warming)
    app.on_cleanup.append(stop_warming)

    def show(template: str, lang: Lang, status: int = 200, **context: Any) -> web.Response:
        """A page of `template` in `lang`."""
        return _html(
            render(template, t=Texts(lang), lang=lang, root=console.root, **context), status
        )

    def message_page(
        lang: Lang,
        title: str,
        lines: list[str],
        status: int,
        link: tuple[str, str] | None = None,
        refresh: bool = False,
    ) -> web.Response:
        return show(
            "message.html",
            lang,
            status,
            title=title,
            lines=lines,
            link=link,
            refresh=refresh,
            form=None,
        )

    def sign_in_needed(request: web.Request, extra: str | None = None) -> web.Response:
        lang = _browser_language(request)
        t = Texts(lang)
        lines = [extra] if extra else []
        lines.append(t("console_sign_in_needed"))
        return message_page(lang, t("console_sign_in_needed_title"), lines, 401)

    async def current(request: web.Request) -> Session | web.Response:
        """The request's live session, or the 401 page to answer instead."""
        session = await auth.session(request.cookies.get(COOKIE))
        if session is None:
            return sign_in_needed(request)
        staff = await console.is_staff(session.staff_id)
        if staff is None:
            t = Texts(_lang(session))
            return message_page(_lang(session), t("console_unavailable"), [], 503)
        if not staff:
            ended = await auth.end_all(session.staff_id)
            logger.info("ended %d console session(s) of someone no longer staff", ended)
            return sign_in_needed(request, Texts(_lang(session))("console_no_longer_staff"))
        return session

    async def posted(request: web.Request) -> tuple[Session, dict[str, str]] | web.Response:
        """A POST's session and form, once its CSRF token matches."""
        found = await current(request)
        if isinstance(found, web.Response):
            return found
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        if not found.csrf_matches(form.get("csrf")):
            t = Texts(_lang(found))
            return message_page(
                _lang(found),
                t("console_forbidden_title"),
                [t("console_forbidden")],
                403,
                link=(console.root, t("console_continue")),
            )
        return found, form

    def back(page: str, done: bool | str) -> web.Response:
        outcome = done if isinstance(done, str) else "1" if done else "0"
        raise web.HTTPSeeOther(f"{console.root}{page}?done={outcome}")

    def link_token(values: Any) -> str | None:
        token = values.get("token", "")
        return token if isinstance(token, str) and 0 < len(token) <= 200 else None

    async def login_form(request: web.Request) -> web.Response:
        """Open a sign-in link: a page with one button that signs in. Opening it uses nothing
        up, so a link checker or a preview that fetches it leaves it working."""
        token = link_token(request.query)
        language = await auth.usable(token) if token is not None else None
        if token is None or language is None:
            return sign_in_needed(request, Texts(_browser_language(request))("console_link_used"))
        # In the staff member's language, as the console will be.
        lang = lang_or_english(language)
        t = Texts(lang)
        return show(
            "message.html",
            lang,
            200,
            title=t("console_sign_in_title"),
            lines=[],
            link=None,
            refresh=False,
            form=(f"{console.root}login", token, t("console_sign_in_button")),
        )

    async def login(request: web.Request) -> web.Response:
        """The sign-in button: the link is used, a session cookie set, then on to the console."""
        token = link_token(await request.post())
        usable = token is not None and await auth.usable(token) is not None
        redeemed = await auth.redeem(token) if token is not None and usable else None
        if redeemed is None:
            t = Texts(_browser_language(request))
            return sign_in_needed(request, t("console_link_used"))
        session_token, session = redeemed
        await audit.record(session, "sign_in")
        t = Texts(_lang(session))
        # A page that moves on by itself, not a redirect: a browser keeps a SameSite=Strict
        # cookie it was just given, but some drop it on a redirect answering a form.
        response = message_page(
            _lang(session),
            t("console_signed_in"),
            [],
            200,
            link=(console.root, t("console_continue")),
            refresh=True,
        )
        response.set_cookie(
            COOKIE,
            session_token,
            max_age=SESSION_SECONDS,
            path=console.root,
            httponly=True,
            samesite="Strict",
            secure=console.secure,
        )
        return response

    async def page(request: web.Request) -> web.Response:
        """One page; with `.csv`, its CSV file (`overview-summary.csv`: its part "summary")."""
        file = request.match_info.get("page") or "overview"
        as_csv = file.endswith(".csv")
        name, _, part = file.removesuffix(".csv").partition("-")
        found = await current(request)
        if isinstance(found, web.Response):
            return found
        lang = _lang(found)
        t = Texts(lang)

        def not_found() -> web.Response:
            return message_page(
                lang, t("console_not_found"), [], 404, link=(console.root, t("console_continue"))
            )

        if name not in PAGES or (part and not as_csv):
            return not_found()
        scope = await console.scope_of(found.staff_id)
        choices = _choices(console, scope)
        if not choices and not scope.everywhere:
            # Staff of a municipality the knowledge base no longer has: nothing is theirs.
            return message_page(lang, t("console_no_municipality"), [], 403)
        municipality = _chosen(request.query.get("m"), choices, scope)
        view = View(
            console.services,
            console.reports,
            lang,
            municipality,
            request.query,
            scope,
            found.staff_id,
            full=as_csv,
        )
        try:
            shown: Page = await PAGES[name](view)
        except Overtaken:
            # Rare: erasures kept coming while it read. Never the last, stale read.
            again = (request.path_qs, t("console_continue"))
            return message_page(lang, t("console_overtaken"), [], 503, link=again)
        if not as_csv:
            return show_page(request, found, shown, municipality, scope)
        body = shown.csv(part)
        if body is None:
            return not_found()
        return web.Response(
            body=body,
            headers={
                **SECURITY_HEADERS,
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="{file}"',
            },
        )

    def show_page(
        request: web.Request,
        session: Session,
        shown: Page,
        municipality: str | None,
        scope: StaffScope,
        template: str = "page.html",
        **extra: Any,
    ) -> web.Response:
        lang = _lang(session)
        kb = console.services.knowledge.responder.kb
        choices = _choices(console, scope)
        done = request.query.get("done")
        t = Texts(lang)
        return show(
            template,
            lang,
            page=shown,
            nav=NAV,
            session=session,
            langs=LANGS,
            municipality=municipality,
            # Only the staff member's own; "all" only for the global staff.
            municipalities=[(m, kb.municipalities[m].display_name(lang)) for m in choices],
            every_municipality=scope.everywhere,
            downloads=[
                (shown.name + (f"-{d.part}" if d.part else ""), d.label) for d in shown.downloads
            ]
            or [(shown.name, t("console_csv"))],
            notice=None if done is None else t(_NOTICES.get(done, "console_not_done")),
            **extra,
        )

    async def hand_over_page(request: web.Request) -> web.Response:
        """Choose the volunteer an open request is handed to."""
        found = await current(request)
        if isinstance(found, web.Response):
            return found
        target = int(request.match_info["target"])
        scope = await console.scope_of(found.staff_id)
        if not await console.actions.may_act(scope, "requests", target):
            raise web.HTTPSeeOther(f"{console.root}requests?done=refused")
        shown = await hand_over(console.services, _lang(found), target)
        if shown is None:
            raise web.HTTPSeeOther(f"{console.root}requests?done=0")
        return show_page(request, found, shown, None, scope)

    async def change(request: web.Request) -> web.Response:
        """A button: close, hand over, approve, reject, revoke, mark handled."""
        found = await posted(request)
        if isinstance(found, web.Response):
            return found
        session, form = found
        kind, action = request.match_info["kind"], request.match_info["action"]
        try:
            target = int(request.match_info["target"]) if "target" in request.match_info else 0
            scope = await console.scope_of(session.staff_id)
            key = form.get("key", "")[:64]
            # A volunteer's decision for one of their municipalities.
            place = form.get("municipality") or None
            # The municipality an unanswered group was asked in; the global staff's need not
            # be looked for.
            asked_in = None
            if kind == "unanswered" and not scope.everywhere:
                asked_in = await console.actions.owner_of(key, scope.municipalities)
                if asked_in is None:
                    return back(kind, "refused")
            elif kind != "unanswered":
                verdict = told(
                    await console.actions.verdict(scope, kind, target, place), scope, place
                )
                if not verdict.allowed:
                    # Another municipality's, or no longer there: nothing changes, and the
                    # page says which.
                    return back(kind, _REFUSED.get((kind, verdict.outcome), "0"))
            done: bool | str
            if kind == "requests" and action == "close":
                done = await console.actions.close_request(session, target)
            elif kind == "requests" and action == "hand-over":
                volunteer = int(form.get("volunteer_id", ""))
                # Handed to the one who has it already: done as well.
                outcome = await console.actions.hand_over(session, target, volunteer)
                if outcome in ("won", "yours"):
                    done = True
                elif outcome == "gone" and scope.everywhere:
                    done = "gone"
                else:
                    done = _NOT_HANDED.get(outcome, False)
            elif kind == "volunteers" and action in ("approve", "reject"):
                approve = action == "approve"
                decided = await console.actions.decide(session, target, approve, place)
                done = decided is not None or await _gone(target)
            elif kind == "volunteers" and action == "revoke":
                revoked = await console.actions.revoke(session, target, place)
                done = revoked is not None or await _gone(target)
            elif kind == "unanswered" and action == "handled" and key:
                await console.actions.mark_handled(session, key, asked_in)
                done = True
            else:
                raise ValueError(action)
        except (ValueError, OverflowError):  # not a number, or one no row can have
            t = Texts(_lang(session))
            return message_page(
                _lang(session),
                t("console_bad_input"),
                [],
                400,
                link=(console.root, t("console_continue")),
            )
        return back(kind, done)

    async def _gone(volunteer_id: int) -> bool | str:
        """After a change that did not happen: "gone" when the volunteer was erased
        meanwhile (that is what happened, not someone acting first), else False."""
        return "gone" if await console.services.desk.volunteers.get(volunteer_id) is None else False

    async def language(request: web.Request) -> web.Response:
        """Switch the console's language for this session."""
        found = await posted(request)
        if isinstance(found, web.Response):
            return found
        session, form = found
        chosen = form.get("lang")
        if chosen in LANGS:
            await auth.set_language(session, chosen)
        target = form.get("page", "")
        raise web.HTTPSeeOther(console.root + (target if target in (*PAGES, *NAV) else ""))

    async def logout(request: web.Request) -> web.Response:
        """Sign out: the session ends and the cookie is cleared. Only the session and its CSRF
        token count: signing out works when Telegram cannot say who is staff."""
        session = await auth.session(request.cookies.get(COOKIE))
        if session is None:
            return sign_in_needed(request)
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        if not session.csrf_matches(form.get("csrf")):
            t = Texts(_lang(session))
            return message_page(_lang(session), t("console_forbidden_title"), [], 403)
        await auth.end(session)
        await audit.record(session, "sign_out")
        t = Texts(_lang(session))
        response = message_page(
            _lang(session), t("console_signed_out"), [t("console_sign_in_needed")], 200
        )
        response.del_cookie(COOKIE, path=console.root)
        return response

    async def stylesheet(request: web.Request) -> web.FileResponse:
        """The console's one stylesheet, served by the bot (nothing loads from elsewhere)."""
        return web.FileResponse(STATIC / "console.css", headers={"Cache-Control": "max-age=3600"})

    async def to_root(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(console.root)

    async def current_of_somewhere(request: web.Request) -> Session | web.Response:
        """The session, unless its staff member is staff of no municipality the knowledge base
        has (then nothing is theirs to see, as on every other page)."""
        found = await current(request)
        if isinstance(found, web.Response):
            return found
        scope = await console.scope_of(found.staff_id)
        if not scope.everywhere and not _choices(console, scope):
            return message_page(
                _lang(found), Texts(_lang(found))("console_no_municipality"), [], 403
            )
        return found

    tools = Tools(
        current_of_somewhere,
        posted,
        show_page,
        console.scope_of,
        console.wake_notices,
        console.root,
        lambda asked, scope: _chosen(asked, _choices(console, scope), scope),
    )
    add_notice_routes(app, console.services, tools)
    app.router.add_get("/console", to_root)
    # GET only: a HEAD (a link checker's) must not use up the one-time link.
    app.router.add_get("/console/login", login_form, allow_head=False)
    app.router.add_post("/console/login", login)
    app.router.add_get("/console/static/console.css", stylesheet)
    app.router.add_post("/console/language", language)
    app.router.add_post("/console/logout", logout)
    app.router.add_post("/console/{kind:requests|volunteers}/{target:\\d{1,18}}/{action}", change)
    app.router.add_post("/console/{kind:unanswered}/{action:handled}", change)
    app.router.add_get("/console/requests/{target:\\d{1,18}}/hand-over", hand_over_page)
    app.router.add_get("/console/", page)
    app.router.add_get("/console/{page}", page)


def _choices(console: Console, scope: StaffScope) -> list[str]:
    """The municipalities the staff member may choose among: those `scope` covers."""
    kb = console.services.knowledge.responder.kb
    return [m for m in kb.municipalities if scope.covers(m)]


def _chosen(asked: str | None, choices: list[str], scope: StaffScope) -> str | None:
    """The municipality a page shows: the one asked for when it is theirs; else all of them
    for the global staff, and their first for a municipality's staff (a page shows one
    municipality or all, so theirs is never mixed with another's)."""
    if asked in choices:
        return asked
    return None if scope.everywhere or not choices else choices[0]


def _lang(session: Session) -> Lang:
    return lang_or_english(session.language)


def _browser_language(request: web.Request) -> Lang:
    """For pages shown before sign-in: the browser's first language we have."""
    for part in request.headers.get("Accept-Language", "").split(","):
        code = part.split(";")[0].strip().lower()
        found = lang_or_english(code.split("-")[0]) if code else None
        if found and (found != "en" or code.startswith("en")):
            return found
    return "en"
