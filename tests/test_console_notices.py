"""The console's notices page over HTTP (aiohttp's test client) on the real bot in process:
write, preview exactly as residents see it, confirm with the count, send; the two-person rule;
pause, resume, cancel, end; a municipality's staff only for their own; the audit log."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from bot.fakeapi import Fault, User
from bot.notices.service import previews
from bot.tg.web import make_web_app
from tests.inprocess import LiveBot, live_bot
from tests.test_console_web import LINK, Console, open_link, plain, signed_in
from tests.test_notices_staff import in_staff_chat, notice_state, subscribe, until

URL = "http://console.example.org"
NB = "Kok vannet før du drikker det.\nGjelder hele Asker."
EN = "Boil the water <before> you drink it."


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    async with live_bot(tmp_path, console_url=URL) as bot:
        server = TestServer(make_web_app(bot.application, bot.runtime))
        async with TestClient(server) as client:
            yield Console(bot, client)


async def sign_in_as(bot: LiveBot, client: TestClient, who: User) -> str:
    """`who` sends /console and signs in with the link; returns the session's CSRF token."""
    answer = await bot.send(who, "/console")
    found = LINK.search(answer.text or "")
    assert found, answer.text
    assert (await open_link(client, found.group(0))).status == 200
    page = await (await client.get("/console/notices")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    return csrf.group(1)


async def write(client: TestClient, csrf: str, to: str = "asker") -> tuple[int, str]:
    """Write a notice to `to` through the form; returns its id and the preview page."""
    response = await client.post(
        "/console/notices", data={"csrf": csrf, "to": to, "text_nb": NB, "text_en": EN}
    )
    assert response.status == 200, await response.text()
    found = re.fullmatch(r"/console/notices/(\d+)", response.url.path)
    assert found, response.url
    return int(found.group(1)), await response.text()


async def press_send(client: TestClient, notice_id: int, csrf: str) -> ClientResponse:
    """Send (or approve) as a staff member does: from the preview page, whose form carries
    the digest of the texts it shows."""
    page = await (await client.get(f"/console/notices/{notice_id}")).text()
    shown = re.search(r'name="texts" value="([0-9a-f]+)"', page)
    assert shown, page
    data = {"csrf": csrf, "texts": shown.group(1)}
    return await client.post(f"/console/notices/{notice_id}/start", data=data)


@asynccontextmanager
async def two_person_rule(tmp_path: Path) -> AsyncIterator[tuple[LiveBot, User]]:
    """The bot with the two-person rule, a subscribed resident, and Per, a second staff
    member of the staff chat."""
    async with live_bot(tmp_path, console_url=URL, notice_needs_second_staff=True) as bot:
        per = bot.core.add_user("Per", language_code="nb")
        bot.core.set_member_status(bot.staff_chat, per, "member")
        await subscribe(bot, bot.resident)
        yield bot, per


async def audit_actions(bot: LiveBot) -> list[tuple[str, str | None]]:
    return [(e.action, e.target) for e in await bot.runtime.audit.latest(50)]


async def test_without_a_session_the_notices_page_says_how_to_sign_in(console: Console) -> None:
    for path in ("/console/notices", "/console/notices.json", "/console/notices/1"):
        response = await console.client.get(path)
        assert response.status == 401, path
        assert plain("console_sign_in_needed", "en") in await response.text()
    posted = await console.client.post("/console/notices", data={"to": "asker", "text_nb": NB})
    assert posted.status == 401
    assert await console.bot.runtime.notices.latest(10) == []


async def test_a_post_without_the_csrf_token_writes_no_notice(console: Console) -> None:
    await signed_in(console)
    data = {"to": "asker", "text_nb": NB, "text_en": EN}
    refused = await console.client.post("/console/notices", data=data)
    assert refused.status == 403
    forged = await console.client.post("/console/notices", data={**data, "csrf": "forged"})
    assert forged.status == 403
    assert await console.bot.runtime.notices.latest(10) == []


async def test_written_previewed_confirmed_with_the_count_and_sent(console: Console) -> None:
    bot, client = console.bot, console.client
    english = bot.core.add_user("Amy", language_code="en")
    await subscribe(bot, bot.resident)
    await subscribe(bot, english, "/language en")
    csrf = await signed_in(console)
    page = await (await client.get("/console/notices")).text()
    assert f"<h1>{plain('console_nav_notices')}</h1>" in page
    assert 'aria-current="page"' in page and 'src="/console/static/notices.js"' in page
    # Whom to first; then one text field per language of Asker: Norwegian and English.
    form = await (await client.get("/console/notices?to=asker")).text()
    assert 'name="text_nb"' in form and 'name="text_en"' in form and 'name="text_sv"' not in form
    assert plain("console_notice_count", count="2", target="Asker kommune") in form

    notice_id, preview = await write(client, csrf)
    notice = await bot.runtime.notices.get(notice_id)
    assert notice is not None and notice.state == "ready"
    # The sender's own rendering, in the page as it is (its values escaped once).
    municipalities = bot.runtime.knowledge.responder.kb.municipalities
    for _, text in previews(notice, municipalities):
        assert text in preview
    assert "&lt;before&gt;" in preview and "<before>" not in preview
    assert plain("console_notice_count", count="2", target="Asker kommune") in preview
    send = plain("button_notice_send", count="2")
    assert send in preview

    started = await press_send(client, notice_id, csrf)
    assert started.status == 200 and started.url.path == "/console/notices"
    assert plain("console_done") in await started.text()
    got_nb = await bot.core.wait_for_message(bot.resident, lambda m: "Kok vannet" in (m.text or ""))
    got_en = await bot.core.wait_for_message(english, lambda m: "Boil the water" in (m.text or ""))
    # Exactly the preview's messages (Telegram shows the HTML as text).
    shown = [html.unescape(re.sub(r"<[^>]+>", "", t)) for _, t in previews(notice, municipalities)]
    assert [got_nb.text, got_en.text] == shown
    # The progress message goes to the staff chat of Asker (here the global one).
    await bot.core.wait_for_message(
        bot.staff_chat, lambda m: (m.text or "").startswith(f"📢 Notice #{notice_id}")
    )
    await until(
        lambda: _state_is(bot, notice_id, "done"), "the notice to be sent to both", timeout=30
    )
    live = await (await client.get("/console/notices.json")).json()
    row = next(n for n in live["notices"] if n["id"] == notice_id)
    assert row["cells"][:3] == [plain("staff_notice_state_done"), "2", "0"]
    listed = await (await client.get("/console/notices")).text()
    assert f'id="notice-{notice_id}"' in listed
    csv = await (await client.get("/console/notices.csv")).text()
    assert f"#{notice_id}" in csv
    actions = await audit_actions(bot)
    assert ("notice_start", f"#{notice_id} → Asker Municipality") in actions
    assert ("notice_create", f"#{notice_id} → Asker Municipality") in actions
    audit_page = await (await client.get("/console/audit")).text()
    assert plain("console_audit_notice_start") in audit_page


async def _state_is(bot: LiveBot, notice_id: int, state: str) -> bool:
    notice = await bot.runtime.notices.get(notice_id)
    return notice is not None and notice.state == state


async def test_a_draft_written_in_the_staff_chat_is_taken_over_and_sent_from_the_console(
    console: Console,
) -> None:
    bot, client = console.bot, console.client
    await subscribe(bot, bot.resident)
    first = await in_staff_chat(bot, "/notice asker")
    english = await in_staff_chat(bot, NB, reply_to=first)
    assert "English" in (english.text or "")
    csrf = await signed_in(console)
    listed = await (await client.get("/console/notices")).text()
    assert 'id="notice-1"' in listed and plain("staff_notice_state_draft") in listed
    assert plain("console_notice_take_over") in listed
    # Not even a hand-made POST drops it while the chat is writing it.
    await client.post("/console/notices/1/discard", data={"csrf": csrf})
    assert await notice_state(bot, 1) == "draft"

    taken = await client.post("/console/notices/1/takeover", data={"csrf": csrf})
    assert taken.status == 200 and taken.url.path == "/console/notices/1/edit"
    form = await taken.text()
    # What the chat wrote so far is there to finish; the English text is still to write.
    assert html.escape(NB) in form and 'name="text_en"' in form
    assert 'action="/console/notices/1/edit"' in form
    # The writer is told in the chat, in its language, that the console finishes it ...
    told = await bot.core.wait_for_message(
        bot.staff_chat, lambda m: (m.text or "").startswith("✏️ Notice #1 is now being finished")
    )
    assert bot.staff.first_name in (told.text or "")
    # ... and their reply to the chat's prompt is a normal message: not the notice's text.
    chat_before = len(bot.core.bot_messages(bot.staff_chat))
    handled = bot.core.inject_text(
        bot.staff, "Boil it, says the chat.", chat=bot.staff_chat, reply_to=english
    )
    await bot.until_handled(handled)
    draft = await bot.runtime.notices.get(1)
    assert draft is not None and draft.state == "draft" and "en" not in draft.texts
    assert len(bot.core.bot_messages(bot.staff_chat)) == chat_before  # no preview, no prompt

    edited = await client.post(
        "/console/notices/1/edit", data={"csrf": csrf, "text_nb": NB, "text_en": EN}
    )
    assert edited.status == 200 and edited.url.path == "/console/notices/1"
    preview = await edited.text()
    notice = await bot.runtime.notices.get(1)
    assert notice is not None and notice.state == "ready"
    for _, text in previews(notice, bot.runtime.knowledge.responder.kb.municipalities):
        assert text in preview
    assert plain("button_notice_send", count="1") in preview
    started = await press_send(client, 1, csrf)
    assert started.status == 200 and started.url.path == "/console/notices"
    await bot.core.wait_for_message(bot.resident, lambda m: "Kok vannet" in (m.text or ""))
    actions = [action for action, _ in await audit_actions(bot)]
    assert {"notice_take_over", "notice_edit", "notice_start"} <= set(actions)
    # Sent: its texts are no longer to be changed, here or by a hand-made POST.
    again = await client.post(
        "/console/notices/1/edit", data={"csrf": csrf, "text_nb": "x", "text_en": "y"}
    )
    assert again.url.path == "/console/notices"
    sent = await bot.runtime.notices.get(1)
    assert sent is not None and sent.texts == notice.texts


async def test_a_missing_text_shows_the_form_again_and_writes_nothing(console: Console) -> None:
    csrf = await signed_in(console)
    response = await console.client.post(
        "/console/notices", data={"csrf": csrf, "to": "asker", "text_nb": NB, "text_en": " "}
    )
    assert response.status == 400
    text = await response.text()
    assert 'role="alert"' in text and html.escape(NB) in text
    assert await console.bot.runtime.notices.latest(10) == []


async def test_the_two_person_rule_refuses_the_writer_and_a_second_staff_member_sends(
    tmp_path: Path,
) -> None:
    async with two_person_rule(tmp_path) as (bot, per):
        app = make_web_app(bot.application, bot.runtime)
        async with (
            TestClient(TestServer(app)) as siri,
            TestClient(TestServer(make_web_app(bot.application, bot.runtime))) as second,
        ):
            csrf = await sign_in_as(bot, siri, bot.staff)
            notice_id, preview = await write(siri, csrf)
            assert plain("button_notice_approve", count="1") in preview
            assert plain("console_notice_second") in preview
            refused = await press_send(siri, notice_id, csrf)
            assert plain("console_notice_needs_second") in await refused.text()
            assert await _state_is(bot, notice_id, "ready")
            assert ("notice_start", f"#{notice_id} → Asker Municipality") not in (
                await audit_actions(bot)
            )

            per_csrf = await sign_in_as(bot, second, per)
            approved = await press_send(second, notice_id, per_csrf)
            assert plain("console_done") in await approved.text()
            await bot.core.wait_for_message(bot.resident, lambda m: "Kok vannet" in (m.text or ""))
            notice = await bot.runtime.notices.get(notice_id)
            assert notice is not None and notice.approved_by == per.id
            entries = [e for e in await bot.runtime.audit.latest(50) if e.action == "notice_start"]
            assert [e.staff_id for e in entries] == [per.id]


async def test_a_taken_over_draft_is_written_by_its_taker_only_and_approved_by_a_third(
    tmp_path: Path,
) -> None:
    """Ann begins /notice in the staff chat, Ben takes it over in the console: Cai may not
    write it (else Cai would write and send it alone); Ann and Ben wrote it, Cai approves."""
    async with live_bot(tmp_path, console_url=URL, notice_needs_second_staff=True) as bot:
        ann = bot.staff
        ben = bot.core.add_user("Ben", language_code="nb")
        cai = bot.core.add_user("Cai", language_code="nb")
        for member in (ben, cai):
            bot.core.set_member_status(bot.staff_chat, member, "member")
        await subscribe(bot, bot.resident)
        first = await in_staff_chat(bot, "/notice asker", who=ann)
        await in_staff_chat(bot, NB, reply_to=first, who=ann)
        async with (
            TestClient(TestServer(make_web_app(bot.application, bot.runtime))) as bens,
            TestClient(TestServer(make_web_app(bot.application, bot.runtime))) as cais,
        ):
            ben_csrf = await sign_in_as(bot, bens, ben)
            cai_csrf = await sign_in_as(bot, cais, cai)
            await bens.post("/console/notices/1/takeover", data={"csrf": ben_csrf})
            # Cai is offered no edit, and neither the edit page nor a hand-made POST writes it.
            listed = await (await cais.get("/console/notices")).text()
            assert 'action="/console/notices/1/edit"' not in listed
            page = await cais.get("/console/notices/1/edit")
            assert plain("console_not_yours") in await page.text()
            texts = {"text_nb": "Cais tekst.", "text_en": "Cai's text."}
            posted = await cais.post("/console/notices/1/edit", data={"csrf": cai_csrf, **texts})
            assert plain("console_not_yours") in await posted.text()
            draft = await bot.runtime.notices.get(1)
            assert draft is not None and draft.state == "draft" and draft.texts == {"nb": NB}

            edited = await bens.post(
                "/console/notices/1/edit", data={"csrf": ben_csrf, "text_nb": NB, "text_en": EN}
            )
            assert edited.url.path == "/console/notices/1"
            # Cai's preview of the ready notice offers approval, not an edit.
            preview = await (await cais.get("/console/notices/1")).text()
            assert plain("button_notice_approve", count="1") in preview
            assert 'href="/console/notices/1/edit"' not in preview
            refused = await press_send(bens, 1, ben_csrf)
            assert plain("console_notice_needs_second") in await refused.text()
            approved = await press_send(cais, 1, cai_csrf)
            assert plain("console_done") in await approved.text()
            sent = await bot.core.wait_for_message(bot.resident, lambda m: "Kok" in (m.text or ""))
            assert "Cai" not in (sent.text or "")
            notice = await bot.runtime.notices.get(1)
            assert notice is not None and notice.approved_by == cai.id
            assert notice.texts == {"nb": NB, "en": EN}


async def test_an_approval_of_texts_changed_since_the_page_showed_them_is_refused(
    tmp_path: Path,
) -> None:
    async with two_person_rule(tmp_path) as (bot, per):
        first = await in_staff_chat(bot, "/notice asker")
        await in_staff_chat(bot, NB, reply_to=first)
        async with (
            TestClient(TestServer(make_web_app(bot.application, bot.runtime))) as writer,
            TestClient(TestServer(make_web_app(bot.application, bot.runtime))) as approver,
        ):
            csrf = await sign_in_as(bot, writer, bot.staff)
            per_csrf = await sign_in_as(bot, approver, per)
            await writer.post("/console/notices/1/takeover", data={"csrf": csrf})
            v1 = {"csrf": csrf, "text_nb": "Versjon 1.", "text_en": "Version 1."}
            await writer.post("/console/notices/1/edit", data=v1)
            # Per's page shows version 1 ...
            seen = await (await approver.get("/console/notices/1")).text()
            assert "Version 1." in seen
            shown = re.search(r'name="texts" value="([0-9a-f]+)"', seen)
            assert shown
            # ... while the writer saves version 2.
            v2 = {"csrf": csrf, "text_nb": "Versjon 2.", "text_en": "Version 2."}
            await writer.post("/console/notices/1/edit", data=v2)
            stale = await approver.post(
                "/console/notices/1/start", data={"csrf": per_csrf, "texts": shown.group(1)}
            )
            assert stale.url.path == "/console/notices/1"
            again = await stale.text()
            assert plain("console_notice_changed") in again and "Version 2." in again
            # A hand-made POST without the digest showed nothing: refused the same way.
            blind = await approver.post("/console/notices/1/start", data={"csrf": per_csrf})
            assert plain("console_notice_changed") in await blind.text()
            assert await _state_is(bot, 1, "ready")
            # Approved from the page now showing version 2, version 2 goes out.
            approved = await press_send(approver, 1, per_csrf)
            assert plain("console_done") in await approved.text()
            got = await bot.core.wait_for_message(
                bot.resident, lambda m: "Versjon" in (m.text or "")
            )
            assert "Versjon 2." in (got.text or "")


async def test_pause_resume_cancel_and_end_from_the_console(console: Console) -> None:
    bot, client = console.bot, console.client
    await subscribe(bot, bot.resident)
    # Telegram holds the resident's chat back for an hour: the notice stays "sending".
    bot.core.add_fault(Fault("sendMessage", chat_id=bot.resident.id, retry_after=3600))
    csrf = await signed_in(console)
    notice_id, _ = await write(client, csrf)
    await press_send(client, notice_id, csrf)
    await bot.core.wait_for(lambda: not bot.core.faults, what="the 429 to be used")

    async def press(action: str, state: str) -> str:
        response = await client.post(f"/console/notices/{notice_id}/{action}", data={"csrf": csrf})
        assert response.status == 200
        assert await _state_is(bot, notice_id, state), action
        return await response.text()

    listed = await (await client.get("/console/notices")).text()
    assert plain("button_notice_pause") in listed
    posted = await bot.core.wait_for_message(
        bot.staff_chat, lambda m: (m.text or "").startswith(f"📢 Notice #{notice_id}")
    )
    paused = await press("pause", "paused")
    assert plain("console_done") in paused and plain("button_notice_resume") in paused
    # The staff chat's progress message shows it in the sender's next round, not a minute on.
    await bot.core.wait_for(
        lambda: "paused" in (bot.core.get_message(bot.staff_chat, posted.message_id).text or ""),
        what="the staff chat's progress to show the pause",
    )
    # Pausing again changes nothing, and says so.
    assert plain("console_not_done") in await press("pause", "paused")
    assert plain("button_notice_pause") in await press("resume", "sending")
    await press("cancel", "cancelled")
    progress = await bot.runtime.notices.progress(notice_id)
    assert (progress.sent, progress.waiting, progress.cancelled) == (0, 0, 1)
    knowledge = bot.runtime.knowledge
    assert f"notice-{notice_id}" in knowledge.responder.kb.entries
    await press("end", "cancelled")
    # No longer an answer.
    assert f"notice-{notice_id}" not in knowledge.responder.kb.entries
    done = [a for a, _ in await audit_actions(bot) if a.startswith("notice_")]
    assert done == [
        "notice_end",
        "notice_cancel",
        "notice_resume",
        "notice_pause",
        "notice_start",
        "notice_create",
    ]
    missing_csrf = await client.post(f"/console/notices/{notice_id}/resume", data={})
    assert missing_csrf.status == 403


async def test_a_municipality_s_staff_write_only_to_their_own(tmp_path: Path) -> None:
    """Sven is Öckerö's staff only: not Asker, not all; Öckerö's notice is in Swedish and
    English, and Asker's notices are not his to change."""
    sven_id = 4343
    async with live_bot(
        tmp_path, console_url=URL, municipality_staff={"ockero": frozenset({sven_id})}
    ) as bot:
        sven = bot.core.add_user("Sven", user_id=sven_id, language_code="sv")
        asker = await bot.runtime.notices.compose(
            "asker", ["nb", "en"], {"nb": NB, "en": EN}, 1, None
        )
        async with TestClient(TestServer(make_web_app(bot.application, bot.runtime))) as client:
            csrf = await sign_in_as(bot, client, sven)
            page = await (await client.get("/console/notices")).text()
            choices = page.split('<select id="to"')[1].split("</select>")[0]
            assert '<option value="ockero">' in choices
            assert '<option value="asker">' not in choices and 'value="all"' not in choices
            # Asking for another municipality's form shows no text fields.
            other = await (await client.get("/console/notices?to=asker")).text()
            assert 'name="text_nb"' not in other
            for to in ("asker", "all"):
                refused = await client.post(
                    "/console/notices",
                    data={"csrf": csrf, "to": to, "text_nb": NB, "text_sv": NB, "text_en": EN},
                )
                assert plain("console_not_yours", "sv") in await refused.text(), to
            assert [n.id for n in await bot.runtime.notices.latest(10)] == [asker.id]
            # Asker's notice is not listed, and cannot be started or discarded by him.
            assert f'id="notice-{asker.id}"' not in page
            start = await client.post(f"/console/notices/{asker.id}/start", data={"csrf": csrf})
            assert plain("console_not_yours", "sv") in await start.text()
            assert await _state_is(bot, asker.id, "ready")
            for action in ("discard", "pause", "end", "cancel"):
                await client.post(f"/console/notices/{asker.id}/{action}", data={"csrf": csrf})
                assert await _state_is(bot, asker.id, "ready"), action
            one = await client.get(f"/console/notices/{asker.id}", allow_redirects=False)
            assert one.status == 303
            listed = await (await client.get("/console/notices.json")).json()
            assert asker.id not in [row["id"] for row in listed["notices"]]

            fields = await (await client.get("/console/notices?to=ockero")).text()
            assert 'name="text_sv"' in fields and 'name="text_nb"' not in fields
            response = await client.post(
                "/console/notices",
                data={
                    "csrf": csrf,
                    "to": "ockero",
                    "text_sv": "Vattnet är tjänligt.",
                    "text_en": EN,
                },
            )
            assert response.status == 200 and "Vattnet är tjänligt." in await response.text()
            mine = await bot.runtime.notices.latest(10)
            assert (mine[0].municipality, mine[0].languages) == ("ockero", ("sv", "en"))
            actions = await audit_actions(bot)
            assert actions[0] == ("notice_create", f"#{mine[0].id} → Öckerö Municipality")
            about = await bot.runtime.db.fetchval(
                "SELECT municipality FROM console_audit WHERE action = 'notice_create'"
            )
            assert about == "ockero"  # so Öckerö's other staff see it in their audit log

            # ?m= naming another municipality is clamped to his own, as on every page: Öckerö
            # chosen, in Stockholm's time, its CSV and live progress, never Asker's.
            clamped = await (await client.get("/console/notices?m=asker")).text()
            assert '<option value="ockero" selected>' in clamped
            assert "notices.csv?m=ockero" in clamped and "?m=asker" not in clamped
            assert "Europe/Stockholm" in clamped and "Europe/Oslo" not in clamped
            assert f'id="notice-{mine[0].id}"' in clamped
            assert f'id="notice-{asker.id}"' not in clamped
            live = await (await client.get("/console/notices.json?m=asker")).json()
            assert [row["id"] for row in live["notices"]] == [mine[0].id]
            listed_csv = await (await client.get("/console/notices.csv?m=asker")).text()
            assert f"#{mine[0].id}" in listed_csv and f"#{asker.id}" not in listed_csv


async def test_a_notice_not_sent_can_be_discarded(console: Console) -> None:
    csrf = await signed_in(console)
    notice_id, _ = await write(console.client, csrf)
    discarded = await console.client.post(
        f"/console/notices/{notice_id}/discard", data={"csrf": csrf}
    )
    assert plain("console_done") in await discarded.text()
    assert await _state_is(console.bot, notice_id, "discarded")
    assert f'id="notice-{notice_id}"' not in await discarded.text()
    # Nothing is left to send.
    again = await console.client.post(f"/console/notices/{notice_id}/start", data={"csrf": csrf})
    assert plain("console_not_done") in await again.text()
    assert await _state_is(console.bot, notice_id, "discarded")
    assert ("notice_discard", f"#{notice_id} → Asker Municipality") in (
        await audit_actions(console.bot)
    )
