"""The console per municipality (aiohttp's test client, the real bot in process): a
municipality's staff see only its data on every page, choose only among their own
municipalities, and every change to another municipality's request, volunteer or unanswered
group is refused and changes nothing."""

from __future__ import annotations

import html
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from bot.console.reports import wording_key
from bot.console.web import NAV
from bot.fakeapi import User
from bot.helpdesk.intake import Conversation
from bot.helpdesk.models import HelpRequest
from bot.messages import MESSAGES
from bot.tg.web import make_web_app
from tests.console_data import add_question, add_vote
from tests.inprocess import LiveBot, live_bot

SVEN_ID = 4242
LINK = re.compile(r"/console/login\?token=([\w-]+)")


@dataclass
class Region:
    """Asker's and Öckerö's data, Sven (Öckerö's staff only) and Siri (the global staff)."""

    bot: LiveBot
    sven: User
    asker: HelpRequest
    ockero: HelpRequest
    arne: User  # a volunteer for Asker
    olle: User  # a volunteer for Öckerö
    client: TestClient


def plain(key: str, lang: str) -> str:
    return MESSAGES[key][lang]


async def open_session(bot: LiveBot, client: TestClient, user: User) -> None:
    """`user` signs in with /console: the link, then its button."""
    answer = await bot.send(user, "/console")
    found = LINK.search(answer.text or "")
    assert found, answer.text
    form = await client.get(f"/console/login?token={found.group(1)}")
    token = re.search(r'name="token" value="([^"]+)"', await form.text())
    assert token
    await client.post("/console/login", data={"token": token.group(1)})


async def sign_in(bot: LiveBot, client: TestClient, user: User) -> str:
    """`user` signs in with /console; returns the session's CSRF token."""
    await open_session(bot, client, user)
    page = await (await client.get("/console/")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf, page
    return csrf.group(1)


async def request_in(bot: LiveBot, municipality: str, who: User) -> HelpRequest:
    data = {"category": "dog", "description": "lufte hunden", "area": "Sentrum"}
    filled = Conversation("request", "confirm", {**data, "timing": "week", "contact": "telegram"})
    lang = "sv" if municipality == "ockero" else "nb"
    request, _ = await bot.runtime.desk.requests.submit(
        who.id, who.first_name, None, municipality, lang, filled
    )
    return request


async def volunteer_for(bot: LiveBot, user: User, municipality: str) -> None:
    data = {"name": f"{user.first_name} Test", "area": "Sentrum", "skills": "dog"}
    signed_up = Conversation("volunteer", "submitted", {**data, "municipalities": municipality})
    await bot.runtime.desk.volunteers.register(user.id, signed_up, "nb")


@asynccontextmanager
async def staff_of(tmp_path: Path, municipality: str) -> AsyncIterator[tuple[LiveBot, User]]:
    """The bot, with Sven listed as `municipality`'s staff (and nothing else)."""
    async with live_bot(
        tmp_path,
        console_url="http://console.example.org",
        municipality_staff={municipality: frozenset({SVEN_ID})},
    ) as bot:
        yield bot, bot.core.add_user("Sven", user_id=SVEN_ID, language_code="sv")


@pytest.fixture
async def place(tmp_path: Path) -> AsyncIterator[Region]:
    async with staff_of(tmp_path, "ockero") as (bot, sven):
        core, db = bot.core, bot.runtime.db
        arne = core.add_user("Arne", language_code="nb")
        olle = core.add_user("Olle", language_code="sv")
        stamp = int(time.time()) - 3600
        for _ in range(3):
            await add_question(db, stamp, text="hvor er vollenbrygga", municipality="asker")
        await add_question(
            db, stamp, text="var är hönöbryggan", municipality="ockero", language="sv"
        )
        await add_vote(db, stamp, "asker-crisis-work", False, municipality="asker")
        await add_vote(db, stamp, "ockero-volunteering", False, municipality="ockero")
        asker = await request_in(bot, "asker", bot.resident)
        ockero = await request_in(bot, "ockero", bot.volunteer)
        await volunteer_for(bot, arne, "asker")
        await volunteer_for(bot, olle, "ockero")
        server = TestServer(make_web_app(bot.application, bot.runtime))
        async with TestClient(server) as client:
            yield Region(bot, sven, asker, ockero, arne, olle, client)


async def test_every_page_shows_a_municipality_s_staff_only_their_own(place: Region) -> None:
    # The global staff close Asker's request: an audit entry about Asker.
    global_client = TestClient(TestServer(make_web_app(place.bot.application, place.bot.runtime)))
    async with global_client:
        csrf = await sign_in(place.bot, global_client, place.bot.staff)
        closed = await global_client.post(
            f"/console/requests/{place.asker.id}/close", data={"csrf": csrf}
        )
        assert closed.status == 200
    await sign_in(place.bot, place.client, place.sven)
    # Asker's, even when asked for by name: Sven gets Öckerö's.
    for query in ("", "?m=asker"):
        pages = {
            name: await (await place.client.get(f"/console/{name}{query}")).text() for name in NAV
        }
        csvs = {
            name: await (await place.client.get(f"/console/{name}.csv{query}")).text()
            for name in NAV
        }
        for name in NAV:
            for text in (pages[name], csvs[name]):
                assert "vollenbrygga" not in text, name
                assert place.asker.ref not in text, name
                assert "Arne" not in text, name
                assert "asker-crisis-work" not in text, name
                assert "Asker kommune" not in text, name
        assert "hönöbryggan" in pages["unanswered"]
        assert place.ockero.ref in pages["requests"]
        assert "Olle" in pages["volunteers"]
        assert "ockero-volunteering" in pages["feedback"]
        assert "ockero-volunteering" in pages["kb"]
        # His own sign-in, not Siri's, nor what she did in Asker.
        assert "Sven" in pages["audit"] and "Siri" not in pages["audit"]
        # The chooser offers Öckerö only, and no "all municipalities".
        assert 'value="ockero"' in pages["overview"]
        assert 'value="asker"' not in pages["overview"]
        assert plain("console_all_municipalities", "sv") not in pages["overview"]
    # The overview counts Öckerö's one question, not Asker's three.
    summary = await (await place.client.get("/console/overview-summary.csv")).text()
    assert "Norsk" not in summary and "norsk" not in summary


async def test_the_global_staff_see_every_municipality_and_choose_among_all(place: Region) -> None:
    await sign_in(place.bot, place.client, place.bot.staff)
    page = await (await place.client.get("/console/")).text()
    assert 'value="asker"' in page and 'value="ockero"' in page
    assert plain("console_all_municipalities", "nb") in page
    volunteers = await (await place.client.get("/console/volunteers")).text()
    assert "Arne" in volunteers and "Olle" in volunteers
    only_asker = await (await place.client.get("/console/volunteers?m=asker")).text()
    assert "Arne" in only_asker and "Olle" not in only_asker
    requests = await (await place.client.get("/console/requests")).text()
    assert place.asker.ref in requests and place.ockero.ref in requests


async def test_another_municipality_s_volunteer_and_hand_over_are_refused(place: Region) -> None:
    desk = place.bot.runtime.desk
    csrf = await sign_in(place.bot, place.client, place.sven)
    refused = plain("console_not_yours", "sv")
    for action in ("approve", "reject"):
        answer = await place.client.post(
            f"/console/volunteers/{place.arne.id}/{action}", data={"csrf": csrf}
        )
        assert refused in await answer.text()
        arne = await desk.volunteers.get(place.arne.id)
        assert arne is not None and arne.state == "pending"
    # The hand-over page of Asker's request does not open for him, nor does its POST work.
    page = await place.client.get(f"/console/requests/{place.asker.id}/hand-over")
    assert refused in await page.text()
    handed = await place.client.post(
        f"/console/requests/{place.asker.id}/hand-over",
        data={"csrf": csrf, "volunteer_id": str(place.olle.id)},
    )
    assert refused in await handed.text()
    stored = await desk.requests.get(place.asker.id)
    assert stored is not None and (stored.state, stored.volunteer_id) == ("open", None)
    # Nothing was done, so nothing was audited (read in the database: his own audit page
    # shows only Öckerö's entries, where a wrongly accepted action on Asker's would not be).
    done = await desk.db.fetchval(
        "SELECT COUNT(*) FROM console_audit WHERE action NOT IN ('sign_in', 'sign_out')"
    )
    assert done == 0


async def test_another_municipality_s_unanswered_group_cannot_be_marked_handled(
    place: Region,
) -> None:
    db = place.bot.runtime.db
    csrf = await sign_in(place.bot, place.client, place.sven)
    theirs = wording_key("hvor er vollenbrygga", "asker")
    answer = await place.client.post(
        "/console/unanswered/handled", data={"csrf": csrf, "key": theirs}
    )
    assert plain("console_not_yours", "sv") in await answer.text()
    assert await db.fetchval("SELECT COUNT(*) FROM handled_groups") == 0
    mine = wording_key("var är hönöbryggan", "ockero")
    answer = await place.client.post(
        "/console/unanswered/handled", data={"csrf": csrf, "key": mine}
    )
    assert plain("console_done", "sv") in await answer.text()
    assert await db.fetchval("SELECT key FROM handled_groups") == mine
    audit = await db.fetchval("SELECT municipality FROM console_audit WHERE target = ?", (mine,))
    assert audit == "ockero"


async def test_staff_of_a_municipality_no_longer_known_see_nothing(tmp_path: Path) -> None:
    """Listed for a municipality the knowledge base does not have: staff, but of nothing
    shown, so no page falls back to every municipality's data."""
    async with staff_of(tmp_path, "gone") as (bot, sven):
        await add_question(bot.runtime.db, int(time.time()), text="hvor er vollenbrygga")
        async with TestClient(TestServer(make_web_app(bot.application, bot.runtime))) as client:
            await open_session(bot, client, sven)
            for name in NAV:
                page = await client.get(f"/console/{name}")
                assert page.status == 403
                text = await page.text()
                assert plain("console_no_municipality", "sv") in text
                assert "vollenbrygga" not in text


async def test_a_municipality_s_staff_approve_a_volunteer_of_two_for_their_own_alone(
    place: Region,
) -> None:
    bot, desk = place.bot, place.bot.runtime.desk
    nora = bot.core.add_user("Nora", language_code="nb")
    bot.core.open_chat(nora)
    await volunteer_for(bot, nora, "asker,ockero")
    csrf = await sign_in(bot, place.client, place.sven)
    page = await (await place.client.get("/console/volunteers")).text()
    mine = MESSAGES["console_approve_for"]["sv"].format(name="Nora", place="Öckerö kommun")
    theirs = MESSAGES["console_approve_for"]["sv"].format(name="Nora", place="Askers kommun")
    assert mine in page and theirs not in page
    assert "Askers kommun" not in page  # nor where she stands there: Asker's to see
    refused = await place.client.post(
        f"/console/volunteers/{nora.id}/approve", data={"csrf": csrf, "municipality": "asker"}
    )
    assert plain("console_not_yours", "sv") in await refused.text()
    done = await place.client.post(
        f"/console/volunteers/{nora.id}/approve", data={"csrf": csrf, "municipality": "ockero"}
    )
    assert plain("console_done", "sv") in await done.text()
    volunteer = await desk.volunteers.get(nora.id)
    assert volunteer is not None
    assert volunteer.approvals == (("asker", "pending"), ("ockero", "approved"))
    told = MESSAGES["volunteer_approved_for"]["nb"].format(places="Öckerö kommun")
    await bot.core.wait_for(
        lambda: any(told in (m.text or "") for m in bot.core.bot_messages(nora)),
        what="Nora told what she is approved for",
    )
    audit = await desk.db.fetchval(
        "SELECT municipality FROM console_audit WHERE action = 'approve'"
    )
    assert audit == "ockero"


@asynccontextmanager
async def global_staff(place: Region) -> AsyncIterator[tuple[TestClient, str]]:
    """A second console client, signed in as Siri (the global staff): it and her CSRF."""
    client = TestClient(TestServer(make_web_app(place.bot.application, place.bot.runtime)))
    async with client:
        yield client, await sign_in(place.bot, client, place.bot.staff)


NOTICE = re.compile(r'<p class="notice" role="status">(.*?)</p>', re.S)


async def notice_of(answer: ClientResponse) -> tuple[int, str, str]:
    """What a change's answer says: its status, the page it ended on, and its notice."""
    found = NOTICE.search(await answer.text())
    return answer.status, answer.url.path_qs, html.unescape(found.group(1)) if found else ""


async def test_a_change_about_a_volunteer_erased_meanwhile_says_what_happened(
    place: Region,
) -> None:
    """Olle asked to be forgotten while Sven had the page open: approving him, or handing a
    request to him, says he is not (or no longer) signed up or approved there, perhaps
    erased, not "someone else may have acted first" nor "another municipality's"; the
    global staff, who see every volunteer, are told he is no longer registered. Nothing
    changes."""
    bot, desk = place.bot, place.bot.runtime.desk
    csrf = await sign_in(bot, place.client, place.sven)
    await bot.runtime.forget_person(place.olle.id)
    approve = f"/console/volunteers/{place.olle.id}/approve"
    answer = await place.client.post(approve, data={"csrf": csrf, "municipality": "ockero"})
    assert (await notice_of(answer))[2] == plain("console_volunteer_not_there", "sv")

    # Arne, approved for Öckerö too, is handed Öckerö's request from its page; he is
    # erased before the press.
    await volunteer_for(bot, place.arne, "ockero")
    assert await desk.volunteers.decide(place.arne.id, True, staff_id=1) is not None
    page = await place.client.get(f"/console/requests/{place.ockero.id}/hand-over")
    assert "Arne" in await page.text()
    await bot.runtime.forget_person(place.arne.id)
    hand_over = f"/console/requests/{place.ockero.id}/hand-over"
    to_arne = {"csrf": csrf, "volunteer_id": str(place.arne.id)}
    handed = await place.client.post(hand_over, data=to_arne)
    assert (await notice_of(handed))[2] == plain("console_volunteer_not_approved_there", "sv")

    async with global_staff(place) as (client, siri):
        answer = await client.post(approve, data={"csrf": siri, "municipality": "ockero"})
        assert (await notice_of(answer))[2] == plain("console_volunteer_gone", "nb")
        handed = await client.post(hand_over, data={**to_arne, "csrf": siri})
        assert (await notice_of(handed))[2] == plain("console_volunteer_gone", "nb")
    stored = await desk.requests.get(place.ockero.id)
    assert stored is not None and (stored.state, stored.volunteer_id) == ("open", None)


async def test_an_old_page_s_decision_for_a_municipality_dropped_since_says_so(
    place: Region,
) -> None:
    """Nora signed up for Öckerö, then again for Asker alone: Öckerö's Approve on the old
    page says she is not (or no longer) signed up there (not "another municipality's"), and
    the global staff's says she signed up again without it; neither decides anything."""
    bot, desk = place.bot, place.bot.runtime.desk
    nora = bot.core.add_user("Nora", language_code="nb")
    await volunteer_for(bot, nora, "ockero")
    csrf = await sign_in(bot, place.client, place.sven)
    await volunteer_for(bot, nora, "asker")
    approve = f"/console/volunteers/{nora.id}/approve"
    answer = await place.client.post(approve, data={"csrf": csrf, "municipality": "ockero"})
    assert (await notice_of(answer))[2] == plain("console_volunteer_not_there", "sv")
    async with global_staff(place) as (client, siri):
        answer = await client.post(approve, data={"csrf": siri, "municipality": "ockero"})
        assert (await notice_of(answer))[2] == plain("console_volunteer_dropped", "nb")
    volunteer = await desk.volunteers.get(nora.id)
    assert volunteer is not None and volunteer.approvals == (("asker", "pending"),)


async def test_a_municipality_s_staff_cannot_tell_another_s_volunteer_from_no_one(
    place: Region,
) -> None:
    """The console's address names the volunteer, so Sven (Öckerö's) may post any id:
    Arne's (Asker's volunteer) gets exactly the answer of an id that is no one's, for each
    decision, for Öckerö, Asker or no municipality, and for a hand-over of Öckerö's request
    to him. Nothing changes, and nothing is logged."""
    bot, desk = place.bot, place.bot.runtime.desk
    csrf = await sign_in(bot, place.client, place.sven)
    nobody = 987654

    async def said(path: str, **data: str) -> tuple[int, str, str]:
        return await notice_of(await place.client.post(path, data={"csrf": csrf, **data}))

    for action in ("approve", "reject", "revoke"):
        for municipality in ("", "ockero", "asker"):
            fields = {"municipality": municipality} if municipality else {}
            arne = await said(f"/console/volunteers/{place.arne.id}/{action}", **fields)
            no_one = await said(f"/console/volunteers/{nobody}/{action}", **fields)
            assert arne == no_one, (action, municipality)
            key = "console_volunteer_not_there" if municipality == "ockero" else "console_not_yours"
            assert arne[2] == plain(key, "sv"), (action, municipality)
    hand_over = f"/console/requests/{place.ockero.id}/hand-over"
    arne = await said(hand_over, volunteer_id=str(place.arne.id))
    assert arne == await said(hand_over, volunteer_id=str(nobody))
    assert arne[2] == plain("console_volunteer_not_approved_there", "sv")
    stored = await desk.volunteers.get(place.arne.id)
    assert stored is not None and stored.approvals == (("asker", "pending"),)
    request = await desk.requests.get(place.ockero.id)
    assert request is not None and (request.state, request.volunteer_id) == ("open", None)
    done = await desk.db.fetchval(
        "SELECT COUNT(*) FROM console_audit WHERE action NOT IN ('sign_in', 'sign_out')"
    )
    assert done == 0
