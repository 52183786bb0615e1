"""The staff console over HTTP (aiohttp's test client), on the real bot running in process:
signing in with /console, every page, sessions, CSRF, the audit log and the CSV downloads."""

from __future__ import annotations

import csv
import html
import io
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from bot.console.auth import LINK_SECONDS, SESSION_SECONDS
from bot.console.csvexport import safe_cell
from bot.console.web import COOKIE, NAV
from bot.helpdesk.intake import Conversation
from bot.messages import MESSAGES, say
from bot.tg.web import make_web_app
from tests.console_data import add_question, add_vote
from tests.inprocess import LiveBot, live_bot

BASE = "https://console.example.org"
LINK = re.compile(r"/console/login\?token=([\w-]+)")


@dataclass
class Console:
    bot: LiveBot
    client: TestClient


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    async with live_bot(tmp_path, console_url="http://console.example.org") as bot:
        server = TestServer(make_web_app(bot.application, bot.runtime))
        async with TestClient(server) as client:
            yield Console(bot, client)


async def sign_in_link(bot: LiveBot) -> str:
    """The staff member sends /console; returns the path of the link the bot answers with."""
    answer = await bot.send(bot.staff, "/console")
    found = LINK.search(answer.text or "")
    assert found, answer.text
    return f"/console/login?token={found.group(1)}"


async def open_link(client: TestClient, link: str) -> ClientResponse:
    """Open a sign-in link and press its button, as the staff member does."""
    form = await client.get(link)
    assert form.status == 200, await form.text()
    found = re.search(r'name="token" value="([^"]+)"', await form.text())
    assert found
    return await client.post("/console/login", data={"token": found.group(1)})


async def signed_in(console: Console) -> str:
    """Sign in through a fresh link; returns the session's CSRF token."""
    response = await open_link(console.client, await sign_in_link(console.bot))
    assert response.status == 200
    page = await console.client.get("/console/")
    assert page.status == 200
    found = re.search(r'name="csrf" value="([^"]+)"', await page.text())
    assert found
    return found.group(1)


def plain(key: str, lang: str = "nb", **values: str) -> str:
    return MESSAGES[key][lang].format(**values)


async def test_console_link_is_only_for_staff(console: Console) -> None:
    bot = console.bot
    answer = await bot.send(bot.resident, "/console")
    assert answer.text == say("staff_only_command", "en")
    assert not LINK.search(answer.text or "")


async def test_signing_in_sets_a_strict_http_only_cookie_for_12_hours(console: Console) -> None:
    response = await open_link(console.client, await sign_in_link(console.bot))
    assert response.status == 200
    cookie = response.headers["Set-Cookie"]
    assert f"{COOKIE}=" in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert f"Max-Age={SESSION_SECONDS}" in cookie and "Path=/console/" in cookie
    assert "Secure" not in cookie  # the console's URL is http here
    # The page moves on to the console by itself (a redirect would lose the Strict cookie).
    assert 'http-equiv="refresh"' in await response.text()


async def test_the_cookie_is_secure_when_the_console_url_is_https(tmp_path: Path) -> None:
    async with (
        live_bot(tmp_path, console_url=BASE) as bot,
        TestClient(TestServer(make_web_app(bot.application, bot.runtime))) as client,
    ):
        answer = await bot.send(bot.staff, "/console")
        assert (answer.text or "").count(f"{BASE}/console/login?token=") == 1
        found = LINK.search(answer.text or "")
        assert found is not None
        response = await open_link(client, found.group(0))
        assert "Secure" in response.headers["Set-Cookie"]


async def test_every_page_and_its_csv_open_with_a_session(console: Console) -> None:
    await signed_in(console)
    for name in NAV:
        page = await console.client.get(f"/console/{name}")
        text = await page.text()
        assert page.status == 200, name
        title = plain(f"console_nav_{name}")
        assert f"<h1>{title}</h1>" in text, name
        assert 'aria-current="page"' in text
        assert "https://" not in text.split("</head>")[0]  # nothing from elsewhere
        download = await console.client.get(f"/console/{name}.csv")
        assert download.status == 200
        assert download.headers["Content-Type"].startswith("text/csv")
    overview = await (await console.client.get("/console/")).text()
    assert "<svg" in overview and 'role="img"' in overview
    css = await console.client.get("/console/static/console.css")
    assert css.status == 200 and "text/css" in css.headers["Content-Type"]


async def test_pages_are_in_the_staff_members_language_and_switch(console: Console) -> None:
    csrf = await signed_in(console)
    page = await (await console.client.get("/console/requests")).text()
    assert '<html lang="nb">' in page and plain("console_nav_requests") in page
    switched = await console.client.post(
        "/console/language", data={"csrf": csrf, "lang": "sv", "page": "requests"}
    )
    assert switched.status == 200 and switched.url.path == "/console/requests"
    text = await switched.text()
    assert '<html lang="sv">' in text and plain("console_nav_requests", "sv") in text


async def test_without_a_session_a_page_says_how_to_sign_in(console: Console) -> None:
    for path in ("/console/", "/console/requests", "/console/audit.csv"):
        response = await console.client.get(path)
        assert response.status == 401
        assert "/console" in await response.text()
    refused = await console.client.post("/console/volunteers/2001/approve", data={})
    assert refused.status == 401


async def test_a_forged_cookie_is_refused(console: Console) -> None:
    await signed_in(console)
    console.client.session.cookie_jar.clear()
    forged = await console.client.get(
        "/console/requests", headers={"Cookie": f"{COOKIE}=forged-session-token"}
    )
    assert forged.status == 401
    assert plain("console_sign_in_needed", "en") in await forged.text()


async def test_a_link_works_once(console: Console) -> None:
    link = await sign_in_link(console.bot)
    assert (await open_link(console.client, link)).status == 200
    console.client.session.cookie_jar.clear()
    again = await console.client.get(link)
    assert again.status == 401
    assert plain("console_link_used", "en") in await again.text()
    assert (await console.client.get("/console/")).status == 401


async def test_a_link_expires_after_10_minutes(console: Console) -> None:
    link = await sign_in_link(console.bot)
    auth = console.bot.runtime.console_auth
    auth.clock = lambda: time.time() + LINK_SECONDS + 1
    response = await console.client.get(link)
    assert response.status == 401
    assert "Set-Cookie" not in response.headers


async def test_a_session_ends_after_12_hours(console: Console) -> None:
    await signed_in(console)
    console.bot.runtime.console_auth.clock = lambda: time.time() + SESSION_SECONDS + 1
    assert (await console.client.get("/console/")).status == 401


async def register_volunteer(bot: LiveBot) -> None:
    """Ola has talked to the bot (so it may write to him) and registered as a volunteer."""
    await bot.send(bot.volunteer, "/start")
    conversation = Conversation("volunteer", "submitted", {"name": "Ola Nordmann", "skills": "dog"})
    await bot.runtime.desk.volunteers.register(bot.volunteer.id, conversation, "nb")


async def test_a_post_without_the_csrf_token_changes_nothing(console: Console) -> None:
    bot = console.bot
    await register_volunteer(bot)
    await signed_in(console)
    for data in ({}, {"csrf": "wrong"}):
        refused = await console.client.post(
            f"/console/volunteers/{bot.volunteer.id}/approve", data=data
        )
        assert refused.status == 403
    volunteer = await bot.runtime.desk.volunteers.get(bot.volunteer.id)
    assert volunteer is not None and volunteer.state == "pending"


async def test_approving_tells_the_volunteer_and_is_in_the_audit_log(console: Console) -> None:
    bot = console.bot
    await register_volunteer(bot)
    csrf = await signed_in(console)
    page = await (await console.client.get("/console/volunteers")).text()
    assert "Ola" in page and "Nordmann" not in page  # first names only
    done = await console.client.post(
        f"/console/volunteers/{bot.volunteer.id}/approve", data={"csrf": csrf}
    )
    assert done.status == 200 and done.url.path == "/console/volunteers"
    assert plain("console_done") in await done.text()
    told = await bot.core.wait_for_message(
        bot.volunteer, lambda m: (m.text or "") == say("volunteer_approved", "nb")
    )
    assert told is not None
    volunteer = await bot.runtime.desk.volunteers.get(bot.volunteer.id)
    assert volunteer is not None and volunteer.state == "approved"
    audit = await (await console.client.get("/console/audit")).text()
    assert plain("console_audit_approve") in audit and plain("console_audit_sign_in") in audit
    assert f"Siri ({bot.staff.id})" in audit
    # Approving again does nothing, and says so.
    again = await console.client.post(
        f"/console/volunteers/{bot.volunteer.id}/approve", data={"csrf": csrf}
    )
    assert plain("console_not_done") in await again.text()


async def test_requests_page_closes_and_hands_over_without_contact_details(
    console: Console,
) -> None:
    bot = console.bot
    desk = bot.runtime.desk
    await register_volunteer(bot)
    await desk.volunteers.decide(bot.volunteer.id, True, None)
    data = {
        "category": "dog",
        "description": "lufte hunden",
        "area": "Heggedal",
        "timing": "week",
        "contact": "phone",
        "phone": "+4791234567",
    }
    first, _ = await desk.requests.submit(
        bot.resident.id,
        "Kari Nordmann",
        "kari",
        "asker",
        "nb",
        Conversation("request", "confirm", data),
    )
    second, _ = await desk.requests.submit(
        bot.resident.id,
        "Kari Nordmann",
        "kari",
        "asker",
        "nb",
        Conversation("request", "confirm", {**data, "category": "pharmacy", "description": "x"}),
    )
    csrf = await signed_in(console)
    page = await (await console.client.get("/console/requests")).text()
    assert first.ref in page and second.ref in page
    for secret in ("91234567", "Nordmann", "kari", "lufte hunden"):
        assert secret not in page
    choose = await (await console.client.get(f"/console/requests/{first.id}/hand-over")).text()
    assert f'value="{bot.volunteer.id}">Ola (' in choose and "91234567" not in choose
    handed = await console.client.post(
        f"/console/requests/{first.id}/hand-over",
        data={"csrf": csrf, "volunteer_id": str(bot.volunteer.id)},
    )
    assert plain("console_done") in await handed.text()
    claimed = await desk.requests.get(first.id)
    assert claimed is not None and claimed.state == "claimed"
    closed = await console.client.post(f"/console/requests/{second.id}/close", data={"csrf": csrf})
    assert plain("console_done") in await closed.text()
    gone = await desk.requests.get(second.id)
    assert gone is not None and gone.state == "cancelled"
    # Closed or taken requests have nothing to hand over: back to the list.
    gone_page = await console.client.get(f"/console/requests/{second.id}/hand-over")
    assert gone_page.url.path == "/console/requests"
    bad = await console.client.post(
        f"/console/requests/{first.id}/hand-over", data={"csrf": csrf, "volunteer_id": "x"}
    )
    assert bad.status == 400
    audit = await (await console.client.get("/console/audit.csv")).text()
    assert second.ref in audit and f"{first.ref} → Ola" in audit


async def test_someone_no_longer_staff_loses_their_sessions(console: Console) -> None:
    bot = console.bot
    await signed_in(console)
    bot.core.set_member_status(bot.staff_chat, bot.staff, "left")
    bot.runtime.staff_membership.clear()  # the bot's 60-second memory of who is staff
    ended = await console.client.get("/console/")
    assert ended.status == 401
    assert plain("console_no_longer_staff") in await ended.text()
    remaining = await bot.runtime.db.fetchval("SELECT COUNT(*) FROM console_sessions")
    assert remaining == 0


async def test_leaving_the_staff_chat_ends_the_sessions_at_once(console: Console) -> None:
    """No waiting out the bot's minute-long memory of who is staff: the chat_member update
    that says she left ends her sessions, and the next page asks Telegram again."""
    bot = console.bot
    await signed_in(console)
    assert bot.runtime.staff_membership  # remembered while signing in
    left = bot.core.change_member_status(bot.staff_chat, bot.staff, "left")
    await bot.until_handled(left)
    remaining = await bot.runtime.db.fetchval("SELECT COUNT(*) FROM console_sessions")
    assert remaining == 0
    assert not [key for key in bot.runtime.staff_membership.items() if key[1][0]]
    ended = await console.client.get("/console/")
    assert ended.status == 401


async def test_joining_or_leaving_another_chat_keeps_a_staff_member_s_sessions(
    console: Console,
) -> None:
    bot = console.bot
    await signed_in(console)
    # Ola leaves the staff chat he was never in as staff, and Siri leaves the volunteers.
    stranger = bot.core.change_member_status(bot.staff_chat, bot.volunteer, "left")
    await bot.until_handled(stranger)
    elsewhere = bot.core.change_member_status(bot.volunteer_chat, bot.staff, "left")
    await bot.until_handled(elsewhere)
    assert (await console.client.get("/console/")).status == 200
    remaining = await bot.runtime.db.fetchval("SELECT COUNT(*) FROM console_sessions")
    assert remaining == 1


def test_csv_cells_never_start_a_formula() -> None:
    assert safe_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert [safe_cell(v) for v in ("+1", "-1", "@SUM", "ok")] == ["'+1", "'-1", "'@SUM", "ok"]


def csv_cells(body: bytes) -> list[list[str]]:
    """A downloaded CSV's rows; it starts with a byte order mark, for spreadsheets."""
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


async def test_every_csv_download_defuses_formulas(console: Console) -> None:
    bot = console.bot
    asked = '=HYPERLINK("http://evil.example/?q=1", "hjelp")'
    await bot.runtime.questions.record(bot.resident.id, "asker", "nb", asked, "fallback")
    await signed_in(console)
    download = await console.client.get("/console/unanswered.csv")
    assert download.status == 200
    assert 'filename="unanswered.csv"' in download.headers["Content-Disposition"]
    cells = [cell for row in csv_cells(await download.read()) for cell in row]
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)
    for name in NAV:
        body = await (await console.client.get(f"/console/{name}.csv")).read()
        for cell in (cell for row in csv_cells(body) for cell in row):
            assert not cell.startswith(("=", "+", "@")), (name, cell)


async def test_signing_out_ends_the_session(console: Console) -> None:
    csrf = await signed_in(console)
    out = await console.client.post("/console/logout", data={"csrf": csrf})
    assert out.status == 200
    assert (await console.client.get("/console/")).status == 401


NAMED = "Jeg heter Kari Nordmann, ring meg på 912 34 567 eller kari@example.org om ferja?"
SECRETS = ("Kari", "Nordmann", "912 34 567", "kari@example.org")


def section(page: str, heading: str) -> str:
    """The page's section under the heading `heading`, up to the next one."""
    start = page.index(f">{heading} <span")
    end = page.find("<section", start)
    return page[start : end if end != -1 else len(page)]


async def test_unanswered_groups_are_masked_and_can_be_marked_handled(console: Console) -> None:
    bot = console.bot
    for _ in range(3):
        await bot.runtime.questions.record(bot.resident.id, "asker", "nb", NAMED, "fallback")
    csrf = await signed_in(console)
    page = await (await console.client.get("/console/unanswered")).text()
    for secret in SECRETS:
        assert secret not in page, secret
    for kind in ("name", "phone", "email"):
        assert plain(f"console.mask_{kind}") in page
    # Each group offers a new entry's YAML at first, which loads as YAML.
    assert plain("console_snippet_new_entry") in page
    snippet = re.search(r"<pre>(.*?)</pre>", page, re.S)
    assert snippet is not None
    document = yaml.safe_load(html.unescape(snippet.group(1)))
    assert document[0]["questions"]["nb"] == [
        "Jeg heter [navn], ring meg på [telefon] eller [e-post] om ferja?"
    ]
    key = re.search(r'name="key" value="([0-9a-f]+)"', page)
    assert key is not None
    forged = await console.client.post("/console/unanswered/handled", data={"key": key.group(1)})
    assert forged.status == 403
    assert await bot.runtime.db.fetchval("SELECT COUNT(*) FROM handled_groups") == 0
    marked = await console.client.post(
        "/console/unanswered/handled", data={"csrf": csrf, "key": key.group(1)}
    )
    text = await marked.text()
    assert marked.status == 200 and plain("console_done") in text
    # The report reads the key back: the group has left the list for the handled table.
    assert f'{plain("console_handled")} <span class="count">(1)</span>' in text
    assert f'{plain("console_nav_unanswered")} <span class="count">(0)</span>' in text
    assert 'name="key"' not in text
    assert "[navn]" in section(text, plain("console_handled"))
    stored = await bot.runtime.db.fetchone("SELECT key, staff_id FROM handled_groups")
    assert stored is not None and tuple(stored) == (key.group(1), bot.staff.id)
    audit = await (await console.client.get("/console/audit")).text()
    assert plain("console_audit_mark_handled") in audit


async def test_unanswered_offers_the_snippet_for_the_entry_staff_choose(console: Console) -> None:
    bot = console.bot
    await bot.runtime.questions.record(bot.resident.id, "asker", "nb", NAMED, "fallback")
    await signed_in(console)
    page = await (await console.client.get("/console/unanswered")).text()
    key = re.search(r'name="group" value="([0-9a-f]+)"', page)
    assert key is not None
    entry = bot.runtime.knowledge.responder.kb.entries_for("asker")[0]
    # The choice of entries is the municipality's, a new entry first.
    assert f'<option value="{entry.id}">' in page and '<option value="" selected>' in page
    chosen = await console.client.get(
        "/console/unanswered", params={"group": key.group(1), "entry": entry.id}
    )
    text = await chosen.text()
    assert plain("console_snippet_entry", entry=entry.id) in text
    assert f'<option value="{entry.id}" selected>' in text
    assert html.escape(str(entry.location.file)) in text
    assert "- Jeg heter [navn], ring meg på [telefon] eller [e-post] om ferja?" in text
    for secret in SECRETS:
        assert secret not in text, secret
    # An id no entry has: said so, with a new entry's YAML instead.
    unknown = await console.client.get(
        "/console/unanswered", params={"group": key.group(1), "entry": "no-such-entry"}
    )
    text = await unknown.text()
    assert plain("console_snippet_missing", entry="no-such-entry") in text
    assert plain("console_snippet_new_entry") in text


async def test_feedback_shows_the_worst_entry_first_with_masked_questions(
    console: Console,
) -> None:
    db = console.bot.runtime.db
    kb = console.bot.runtime.knowledge.responder.kb
    liked, disliked = kb.entries_for("asker")[:2]
    stamp = int(time.time())
    await add_vote(db, stamp, liked.id, True)
    for _ in range(2):
        asked = await add_question(db, stamp, "answered", NAMED, entry_id=disliked.id)
        await add_vote(db, stamp, disliked.id, False, asked)
    await signed_in(console)
    page = await (await console.client.get("/console/feedback")).text()
    for secret in SECRETS:
        assert secret not in page, secret
    assert page.index(f"({disliked.id})") < page.index(f"({liked.id})")
    assert "<li>Jeg heter [navn], ring meg på [telefon] eller [e-post] om ferja?</li>" in page
    download = await (await console.client.get("/console/feedback.csv")).read()
    rows = csv_cells(download)
    assert rows[1][:4] == [disliked.id, disliked.title_in("nb", "en"), "0", "2"]
    assert not any(secret in download.decode() for secret in SECRETS)


async def test_the_overview_draws_its_charts_and_exports_their_data(console: Console) -> None:
    bot = console.bot
    db = bot.runtime.db
    stamp = int(time.time())
    for outcome in ("answered", "answered", "clarify", "fallback", "emergency"):
        await add_question(db, stamp, outcome, "hei")
    await signed_in(console)
    page = await (await console.client.get("/console/?m=asker")).text()
    for ident in ("chart-hours", "chart-shares", "chart-languages"):
        assert f'id="{ident}"' in page, ident
        assert f'id="{ident}-narrow"' in page, ident  # drawn for a phone too
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') == 6
    assert plain("console.csv_emergencies") in page
    assert plain("console_claim_p90") in page
    assert 'href="/console/overview-summary.csv?m=asker"' in page
    hours = csv_cells(await (await console.client.get("/console/overview.csv?m=asker")).read())
    assert len(hours) == 1 + 7 * 24 and sum(int(row[1]) for row in hours[1:]) == 5
    summary = await console.client.get("/console/overview-summary.csv?m=asker")
    assert 'filename="overview-summary.csv"' in summary.headers["Content-Disposition"]
    every = csv_cells(await summary.read())[1]
    assert every[1:6] == ["5", "2", "1", "1", "1"]  # questions, the three shares, emergencies
    assert (await console.client.get("/console/overview-nothing.csv")).status == 404
    assert (await console.client.get("/console/feedback-summary.csv")).status == 404


async def test_the_knowledge_base_page_shows_the_last_reload(console: Console) -> None:
    bot = console.bot
    await signed_in(console)
    page = await (await console.client.get("/console/kb")).text()
    assert plain("console.kb_reload_unknown") in page
    # The shipped folder's warnings, each with its file and line, its kind in words.
    problems = bot.runtime.knowledge.last_result.problems
    assert problems and all(html.escape(str(p.location)) in page for p in problems)
    assert plain("console_severity_warning") in page
    kb = bot.runtime.knowledge.responder.kb
    assert all(entry_id in page for entry_id in kb.entries)
    outcome = await bot.runtime.knowledge.reload()
    assert outcome.applied
    page = await (await console.client.get("/console/kb?m=asker")).text()
    applied = plain("console.kb_reload_applied", time="\0", entries=str(outcome.entries))
    assert all(part in page for part in applied.split("\0"))
    assert plain("console.kb_reload_unknown") not in page
    # One municipality's page: its entries and the shared ones, not another's own.
    assert all(f">{entry.id}<" in page for entry in kb.entries_for("asker"))
    theirs = next(e for e in kb.entries.values() if e.scope == "hallstahammar")
    assert f">{theirs.id}<" not in page


async def test_opening_a_link_without_pressing_sign_in_uses_nothing_up(console: Console) -> None:
    # A link checker, a preview or a mail scanner fetches the page (HEAD or GET) and leaves.
    link = await sign_in_link(console.bot)
    assert (await console.client.head(link)).status != 200
    for _ in range(3):
        page = await console.client.get(link)
        assert page.status == 200 and "Set-Cookie" not in page.headers
    assert (await console.client.get("/console/")).status == 401
    assert (await open_link(console.client, link)).status == 200
    assert (await console.client.get("/console/")).status == 200


async def test_a_made_up_token_is_refused_without_a_write(console: Console) -> None:
    db = console.bot.runtime.db
    before = await db.fetchval("SELECT COUNT(*) FROM console_links WHERE used_at IS NOT NULL")
    refused = await console.client.post("/console/login", data={"token": "made-up"})
    assert refused.status == 401
    assert (await console.client.get("/console/login?token=made-up")).status == 401
    after = await db.fetchval("SELECT COUNT(*) FROM console_links WHERE used_at IS NOT NULL")
    assert before == after


async def test_when_telegram_cannot_say_who_is_staff_the_session_is_kept(
    console: Console,
) -> None:
    bot = console.bot
    await signed_in(console)
    fault = bot.core.fail("getChatMember", status=400, times=None)
    bot.runtime.staff_membership.clear()
    # A staff command meanwhile is refused, and that "cannot say" is not remembered as "no".
    bot.core.inject_text(bot.staff, "/unanswered")
    told = await bot.core.wait_for_message(bot.staff)
    assert told.text == say("staff_only_command", "en")
    refused = await console.client.get("/console/")
    assert refused.status == 503
    assert plain("console_unavailable") in await refused.text()
    assert await bot.runtime.db.fetchval("SELECT COUNT(*) FROM console_sessions") == 1
    bot.core.remove_fault(fault)
    assert (await console.client.get("/console/")).status == 200


async def test_signing_out_works_when_telegram_cannot_say_who_is_staff(console: Console) -> None:
    bot = console.bot
    csrf = await signed_in(console)
    bot.core.fail("getChatMember", status=400, times=None)
    bot.runtime.staff_membership.clear()
    assert (await console.client.post("/console/logout", data={"csrf": csrf})).status == 200
    assert await bot.runtime.db.fetchval("SELECT COUNT(*) FROM console_sessions") == 0


async def test_a_number_no_row_can_have_is_a_clear_400(console: Console) -> None:
    csrf = await signed_in(console)
    huge = "9" * 18
    refused = await console.client.post(
        f"/console/requests/{huge}/hand-over", data={"csrf": csrf, "volunteer_id": "9" * 30}
    )
    assert refused.status == 400


async def test_redirects_and_the_stylesheet_carry_the_security_headers(console: Console) -> None:
    moved = await console.client.get("/console", allow_redirects=False)
    await moved.read()
    css = await console.client.get("/console/static/console.css")
    await css.read()
    for response in (moved, css):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


async def test_forgetting_a_volunteer_erases_their_name_from_the_audit_log(
    console: Console,
) -> None:
    from bot.console.auth import ERASED, Session

    audit = console.bot.runtime.audit
    staff = Session("k", 9, "Siri", "nb", "c", 0)
    for target in ("Ola (2001)", "A-1001 → Ola (2001)", "Kari (3001)"):
        await audit.record(staff, "approve", target)
    assert await audit.forget(2001) == 2
    targets = [entry.target for entry in await audit.latest()]
    assert sorted(targets) == sorted([ERASED, ERASED, "Kari (3001)"])


async def test_a_municipality_s_staff_act_in_the_console_only_on_its_own_requests(
    tmp_path: Path,
) -> None:
    """Sven is Öckerö's staff only (listed for it): closing Asker's request is refused."""
    sven_id = 4242
    async with live_bot(
        tmp_path,
        console_url="http://console.example.org",
        municipality_staff={"ockero": frozenset({sven_id})},
    ) as bot:
        sven = bot.core.add_user("Sven", user_id=sven_id, language_code="sv")
        desk = bot.runtime.desk
        data = {"category": "dog", "description": "lufte hunden", "area": "Sentrum"}
        filled = Conversation(
            "request", "confirm", {**data, "timing": "week", "contact": "telegram"}
        )
        asker, _ = await desk.requests.submit(bot.resident.id, "Kari", None, "asker", "nb", filled)
        ockero, _ = await desk.requests.submit(
            bot.volunteer.id, "Ola", None, "ockero", "sv", filled
        )
        server = TestServer(make_web_app(bot.application, bot.runtime))
        async with TestClient(server) as client:
            answer = await bot.send(sven, "/console")
            found = LINK.search(answer.text or "")
            assert found, answer.text
            await open_link(client, f"/console/login?token={found.group(1)}")
            page = await (await client.get("/console/")).text()
            csrf = re.search(r'name="csrf" value="([^"]+)"', page)
            assert csrf
            form = {"csrf": csrf.group(1)}
            refused = await client.post(f"/console/requests/{asker.id}/close", data=form)
            assert plain("console_not_yours", "sv") in await refused.text()
            still = await desk.requests.get(asker.id)
            assert still is not None and still.state == "open"
            closed = await client.post(f"/console/requests/{ockero.id}/close", data=form)
            assert plain("console_done", "sv") in await closed.text()
            gone = await desk.requests.get(ockero.id)
            assert gone is not None and gone.state == "cancelled"
            audit = await (await client.get("/console/audit.csv")).text()
            assert ockero.ref in audit and asker.ref not in audit
