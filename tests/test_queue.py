"""The volunteer queue's rules, at the domain level: atomic claims, states, privacy, outbox."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.helpdesk.desk import HelpDesk
from bot.helpdesk.intake import Conversation, is_cancel, is_question_at, request_back, request_text
from bot.helpdesk.models import HelpRequest
from bot.helpdesk.outbox import OutboxItem
from bot.helpdesk.texts import Button, volunteer_details
from bot.messages import say
from bot.storage import Database
from bot.storage.records import wording_key

GROUP = -100
STAFF = -200
RESIDENT = 1001
PHONE = "+4791234567"


def contact(municipality: str | None, lang: str) -> str:
    return "Ring Innbyggerservice på 66 700 000."


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[HelpDesk]:
    async with Database(tmp_path / "bot.db") as db:
        helpdesk = HelpDesk.build(
            db, volunteer_chat_id=GROUP, staff_chat_id=STAFF, contact_line=contact
        )
        await helpdesk.start()
        yield helpdesk


def filled(category: str = "groceries", contact: str = "phone") -> Conversation:
    data = {
        "category": category,
        "description": "melk og brød",
        "area": "Heggedal",
        "timing": "today",
        "contact": contact,
        "consent": "yes",
    }
    if contact == "phone":
        data["phone"] = PHONE
    return Conversation("request", "confirm", data)


async def submit(desk: HelpDesk, category: str = "groceries") -> HelpRequest:
    request, duplicate = await desk.requests.submit(
        RESIDENT, "Kari", "kari", "asker", "nb", filled(category)
    )
    assert not duplicate
    return request


async def approve(desk: HelpDesk, user_id: int, name: str = "Ola Nordmann") -> None:
    conversation = Conversation(
        "volunteer", "submitted", {"name": name, "area": "Asker", "skills": "groceries"}
    )
    await desk.volunteers.register(user_id, conversation, "nb")
    assert await desk.volunteers.decide(user_id, True, staff_id=9) is not None


async def store_resident(desk: HelpDesk, chosen_language: str) -> None:
    """The resident's row, as the bot's Residents store it: Asker, `chosen_language`."""
    await desk.db.write(
        "INSERT INTO residents (user_id, municipality, language, created_at, updated_at) "
        "VALUES (?, 'asker', ?, 0, 0)",
        (RESIDENT, chosen_language),
    )


async def messages_to(desk: HelpDesk, chat_id: int) -> list[str]:
    """What the messages queued for `chat_id` say, rendered as the outbox sends them."""
    rows = await desk.db.fetchall(
        """SELECT id, kind, chat_id, request_id, payload, attempts FROM outbox
           WHERE chat_id = ? AND kind = 'message' AND payload IS NOT NULL ORDER BY id""",
        (chat_id,),
    )
    items = [OutboxItem(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in rows]
    return [(await desk.outbox.render(item))[0] for item in items]


async def test_submit_stores_with_a_reference_and_queues_the_group_post(desk: HelpDesk) -> None:
    request = await submit(desk)
    assert request.ref == "A-1001"
    assert request.state == "open"
    items = await desk.outbox.due()
    assert [(i.kind, i.chat_id, i.request_id) for i in items] == [("group", GROUP, request.id)]


async def test_same_request_again_points_to_the_first(desk: HelpDesk) -> None:
    first = await submit(desk)
    again, duplicate = await desk.requests.submit(RESIDENT, "Kari", None, "asker", "nb", filled())
    assert duplicate and again.id == first.id
    other = await submit(desk, "pharmacy")
    assert other.id != first.id


@pytest.mark.parametrize("round_", range(100))
async def test_fifty_simultaneous_claims_have_exactly_one_winner(
    desk: HelpDesk, round_: int
) -> None:
    volunteers = list(range(2000, 2050))
    for user_id in volunteers:
        await approve(desk, user_id)
    request = await submit(desk)
    results = await asyncio.gather(*(desk.requests.claim(request.id, v) for v in volunteers))
    winners = [v for v, r in zip(volunteers, results, strict=True) if r.status == "won"]
    assert len(winners) == 1
    assert all(r.status == "taken" for r in results if r.status != "won")
    stored = await desk.requests.get(request.id)
    assert stored is not None and stored.volunteer_id == winners[0]
    with_phone = {v: [m for m in await messages_to(desk, v) if PHONE in m] for v in volunteers}
    assert len(with_phone[winners[0]]) == 1  # the details, to the winner only
    assert all(not found for v, found in with_phone.items() if v != winners[0])


async def test_only_approved_volunteers_can_claim(desk: HelpDesk) -> None:
    request = await submit(desk)
    assert (await desk.requests.claim(request.id, 4242)).status == "not_volunteer"
    conversation = Conversation("volunteer", "submitted", {"name": "Per", "skills": "dog"})
    await desk.volunteers.register(4243, conversation, "nb")  # pending, not approved
    assert (await desk.requests.claim(request.id, 4243)).status == "not_volunteer"
    stored = await desk.requests.get(request.id)
    assert stored is not None and stored.state == "open"


async def test_release_done_and_who_may_do_them(desk: HelpDesk) -> None:
    await approve(desk, 2001)
    await approve(desk, 2002)
    request = await submit(desk)
    assert (await desk.requests.claim(request.id, 2001)).status == "won"
    assert await desk.requests.release(request.id, 2002) is None  # not the claimer
    assert await desk.requests.complete(request.id, 2002) is None
    released = await desk.requests.release(request.id, 2001)
    assert released is not None and released.state == "open" and released.volunteer_id is None
    assert (await desk.requests.claim(request.id, 2002)).status == "won"
    done = await desk.requests.complete(request.id, 2002)
    assert done is not None and done.state == "done"
    resident = await messages_to(desk, RESIDENT)
    assert [("Ola" in m, "tilbake i køen" in m, "utført" in m) for m in resident] == [
        (True, False, False),
        (False, True, False),
        (True, False, False),
        (False, False, True),
    ]


async def test_resident_cancel_tells_the_volunteer(desk: HelpDesk) -> None:
    await approve(desk, 2001)
    request = await submit(desk)
    await desk.requests.claim(request.id, 2001)
    assert await desk.requests.cancel_by_resident(request.id, resident_id=999) is None  # not theirs
    cancelled = await desk.requests.cancel_by_resident(request.id, RESIDENT)
    assert cancelled is not None and cancelled.state == "cancelled"
    assert any("avbrutt" in m for m in await messages_to(desk, 2001))
    assert await desk.requests.cancel_by_resident(request.id, RESIDENT) is None  # already closed


async def test_the_resident_is_told_in_the_language_they_chose_since_asking(
    desk: HelpDesk,
) -> None:
    """A request made in Norwegian, English chosen with /language since: the notice is in
    English; without a choice it stays in the request's language."""
    await approve(desk, 2001)
    first = await submit(desk)
    await desk.requests.claim(first.id, 2001)
    await store_resident(desk, chosen_language="en")
    await desk.requests.release(first.id, 2001)
    assert "back in the queue" in (await messages_to(desk, RESIDENT))[-1]
    await desk.db.write("UPDATE residents SET language = NULL, last_language = 'sv'")
    await desk.requests.claim(first.id, 2001)
    await desk.requests.release(first.id, 2001)
    assert "tilbake i køen" in (await messages_to(desk, RESIDENT))[-1]


async def test_escalation_alerts_staff_once_and_tells_the_resident(desk: HelpDesk) -> None:
    desk.requests.escalate_after_seconds = -1
    request = await submit(desk)
    assert [r.id for r in await desk.requests.escalate_due()] == [request.id]
    assert await desk.requests.escalate_due() == []
    staff = await messages_to(desk, STAFF)
    assert any(request.ref in m and PHONE not in m for m in staff)
    assert any("66 700 000" in m for m in await messages_to(desk, RESIDENT))
    closed = await desk.requests.close_by_staff(request.id)
    assert closed is not None and closed.closed_by == "staff"


async def test_escalation_says_one_minute_not_one_minutes(desk: HelpDesk) -> None:
    desk.requests.escalate_after_seconds = 60
    request = await submit(desk)
    await desk.db.write(
        "UPDATE help_requests SET created_at = created_at - 120 WHERE id = ?", (request.id,)
    )
    assert [r.id for r in await desk.requests.escalate_due()] == [request.id]
    staff = "\n".join(await messages_to(desk, STAFF))
    assert "after 1 minute." in staff


async def test_group_redraws_are_merged(desk: HelpDesk) -> None:
    await approve(desk, 2001)
    request = await submit(desk)
    await desk.requests.claim(request.id, 2001)
    await desk.requests.release(request.id, 2001)
    groups = [i for i in await desk.outbox.due() if i.kind == "group"]
    assert len(groups) == 1


def file_bytes(db: Database) -> bytes:
    data = db.path.read_bytes()
    wal = db.path.with_name(db.path.name + "-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


async def test_retention_erases_personal_data_from_the_file(desk: HelpDesk) -> None:
    await approve(desk, 2001)
    request = await submit(desk)
    await desk.requests.claim(request.id, 2001)
    await desk.requests.complete(request.id, 2001)
    for item in await desk.outbox.due():
        await desk.outbox.sent(item, 1)
    desk.privacy.retention_seconds = -1
    assert await desk.privacy.erase_expired() == 1
    erased = await desk.requests.get(request.id)
    assert erased is not None and erased.phone is None and erased.description is None
    assert erased.state == "done" and erased.ref == request.ref
    raw = file_bytes(desk.db)
    assert PHONE.encode() not in raw
    assert "melk og brød".encode() not in raw


async def test_forget_me_closes_and_erases_everything(desk: HelpDesk) -> None:
    await approve(desk, 2001)
    request = await submit(desk)
    await desk.requests.claim(request.id, 2001)
    await store_resident(desk, chosen_language="nb")
    await desk.privacy.forget_resident(RESIDENT)
    closed = await desk.requests.get(request.id)
    assert closed is not None and closed.state == "cancelled" and closed.resident_id is None
    assert any("avbrutt" in m for m in await messages_to(desk, 2001))
    assert await messages_to(desk, RESIDENT) == []
    assert await desk.db.fetchval("SELECT COUNT(*) FROM residents") == 0
    raw = file_bytes(desk.db)
    assert PHONE.encode() not in raw and b"Kari" not in raw


async def test_sent_messages_drop_their_text(desk: HelpDesk) -> None:
    await approve(desk, 2001)
    request = await submit(desk)
    await desk.requests.claim(request.id, 2001)
    for item in await desk.outbox.due():
        await desk.outbox.sent(item, 7)
    # Only the purposes are kept (the volunteer's registration post, the details message), so
    # they can be updated later.
    kept = await desk.db.fetchall("SELECT payload FROM outbox WHERE payload IS NOT NULL")
    assert sorted(row[0] for row in kept) == [
        '{"purpose":"registration:2001"}',
        '{"purpose":"volunteer_details"}',
    ]
    assert PHONE not in str(kept)
    stored = await desk.requests.get(request.id)
    assert stored is not None and stored.group_message_id == 7


@pytest.mark.parametrize("ends", ["done", "release", "resident_cancel", "staff_close"])
async def test_the_volunteers_details_message_loses_the_contact_when_the_job_ends(
    desk: HelpDesk, ends: str
) -> None:
    await approve(desk, 2001)
    request = await submit(desk)
    await desk.requests.claim(request.id, 2001)
    for item in await desk.outbox.due():
        await desk.outbox.sent(item, 70 if item.chat_id == 2001 else 7)
    if ends == "done":
        await desk.requests.complete(request.id, 2001)
    elif ends == "release":
        await desk.requests.release(request.id, 2001)
    elif ends == "resident_cancel":
        await desk.requests.cancel_by_resident(request.id, RESIDENT)
    else:
        await desk.requests.close_by_staff(request.id)
    edits = [i for i in await desk.outbox.due() if i.kind == "edit"]
    assert len(edits) == 1
    assert edits[0].chat_id == 2001 and edits[0].payload is not None
    assert edits[0].payload["edit"] == 70
    text, buttons = await desk.outbox.render(edits[0])
    assert PHONE not in text and request.ref in text and not buttons


async def test_conversation_survives_a_restart(tmp_path: Path) -> None:
    async with Database(tmp_path / "bot.db") as db:
        desk = HelpDesk.build(db, volunteer_chat_id=GROUP, staff_chat_id=None, contact_line=contact)
        await desk.start()
        await desk.conversations.save(
            RESIDENT, Conversation("request", "area", {"category": "dog"})
        )
    async with Database(tmp_path / "bot.db") as db:
        desk = HelpDesk.build(db, volunteer_chat_id=GROUP, staff_chat_id=None, contact_line=contact)
        await desk.start()
        assert desk.conversations.is_talking(RESIDENT)
        assert await desk.conversations.get(RESIDENT) == Conversation(
            "request", "area", {"category": "dog"}
        )


async def test_revoking_returns_claimed_requests_to_the_queue(desk: HelpDesk) -> None:
    await approve(desk, 2001)
    request = await submit(desk)
    await desk.requests.claim(request.id, 2001)
    assert await desk.volunteers.revoke(2001, staff_id=9) is not None
    reopened = await desk.requests.get(request.id)
    assert reopened is not None and reopened.state == "open"
    assert (await desk.requests.claim(request.id, 2001)).status == "not_volunteer"


async def unsent_details(desk: HelpDesk, request_id: int) -> int:
    return int(
        await desk.db.fetchval(
            """SELECT COUNT(*) FROM outbox WHERE request_id = ? AND state = 'pending'
                 AND json_extract(payload, '$.purpose') = 'volunteer_details'""",
            (request_id,),
        )
    )


@pytest.mark.parametrize("how", ["revoked", "cancelled", "released"])
async def test_details_not_yet_sent_never_reach_a_volunteer_who_lost_the_job(
    desk: HelpDesk, how: str
) -> None:
    await approve(desk, 2001)
    request = await submit(desk)
    await desk.requests.claim(request.id, 2001)
    assert await unsent_details(desk, request.id) == 1  # Telegram has not taken it yet
    if how == "revoked":
        await desk.volunteers.revoke(2001, staff_id=9)
    elif how == "cancelled":
        await desk.requests.cancel_by_resident(request.id, RESIDENT)
    else:
        await desk.requests.release(request.id, 2001)
    assert await unsent_details(desk, request.id) == 0
    assert not any(PHONE in m for m in await messages_to(desk, 2001))


async def test_forget_me_leaves_no_message_addressed_to_the_resident(desk: HelpDesk) -> None:
    await approve(desk, 2001)
    request = await submit(desk)
    await desk.requests.claim(request.id, 2001)  # the resident is told who will help...
    for item in await desk.outbox.due():
        await desk.outbox.sent(item, 7)  # ...and the notice was sent
    assert await desk.db.fetchval("SELECT COUNT(*) FROM outbox WHERE chat_id = ?", (RESIDENT,))
    await desk.privacy.forget_resident(RESIDENT)
    assert await desk.db.fetchval("SELECT COUNT(*) FROM outbox WHERE chat_id = ?", (RESIDENT,)) == 0


def test_database_file_is_plain_sqlite(tmp_path: Path) -> None:
    assert sqlite3.sqlite_version_info >= (3, 35)


@pytest.mark.parametrize(
    ("step", "text"),
    [
        ("description", "Ring meg på 912 34 567 når du kommer"),
        ("description", "Handle for @kari_nordby"),
        ("description", "svar til kari@example.no"),
        ("area", "Sentrum +4791234567"),
    ],
)
def test_intake_keeps_contact_details_out_of_what_the_group_sees(step: str, text: str) -> None:
    conversation = Conversation("request", step, {"category": "groceries"})
    outcome = request_text(conversation, text)
    assert outcome.error == "intake_no_contact_details"
    assert outcome.conversation == conversation


def test_intake_accepts_ordinary_numbers_in_a_description() -> None:
    conversation = Conversation("request", "description", {"category": "groceries"})
    outcome = request_text(conversation, "2 liter melk, 10 egg og resept nr 1234")
    assert outcome.error is None and outcome.conversation.step == "area"


async def test_open_posts_are_redrawn_as_they_age(desk: HelpDesk) -> None:
    request = await submit(desk)
    for item in await desk.outbox.due():
        await desk.outbox.sent(item, 7)  # posted in the group
    assert await desk.requests.refresh_ages() == 0  # just posted: nothing stale yet
    # Twenty minutes later (moved back in the database rather than waiting).
    await desk.db.write(
        "UPDATE help_requests SET created_at = created_at - 1200 WHERE id = ?", (request.id,)
    )
    await desk.db.write(
        "UPDATE outbox SET created_at = created_at - 1200 WHERE request_id = ?", (request.id,)
    )
    assert await desk.requests.refresh_ages() == 1
    assert [(i.kind, i.request_id) for i in await desk.outbox.due()] == [("group", request.id)]
    assert await desk.requests.refresh_ages() == 0  # the redraw just queued counts as fresh
    assert len(await desk.outbox.due()) == 1


@pytest.mark.parametrize(
    ("step", "contact", "back_to"),
    [
        ("consent", "phone", "phone"),
        ("consent", "telegram", "contact"),  # no phone step was taken
        ("phone", "phone", "contact"),
        ("confirm", "phone", "consent"),
        ("category", "", "category"),  # the first step has nowhere to go back to
    ],
)
def test_back_goes_to_the_step_the_resident_last_saw(step: str, contact: str, back_to: str) -> None:
    data = {"category": "groceries", "contact": contact} if contact else {}
    conversation = Conversation("request", step, data)
    assert request_back(conversation) == Conversation("request", back_to, data)


@pytest.mark.parametrize(
    ("text", "cancel"),
    [
        ("avbryt", True),
        ("Stopp!", True),
        ("cancel please", True),
        ("AVBRYT", True),
        ("stopp ved butikken på hjørnet", False),
        ("Heggedal", False),
    ],
)
def test_a_cancel_word_alone_cancels(text: str, cancel: bool) -> None:
    assert is_cancel(text) is cancel


@pytest.mark.parametrize(
    ("step", "text", "question"),
    [
        ("area", "hva er telefonnummeret til politiet?", True),
        ("area", "Heggedal", False),
        ("area", "Hvor er apoteket", True),
        ("timing", "når stenger butikken?", True),
        ("description", "kan noen handle melk for meg?", False),
    ],
)
def test_a_question_is_told_from_a_steps_answer(step: str, text: str, question: bool) -> None:
    assert is_question_at(Conversation("request", step, {}), text) is question


async def test_a_volunteer_who_asks_to_be_forgotten_is_erased_after_their_claims_are_released(
    desk: HelpDesk,
) -> None:
    await approve(desk, 2001)
    request = await submit(desk)
    await desk.requests.claim(request.id, 2001)
    await desk.privacy.forget_resident(2001)
    assert await desk.volunteers.get(2001) is None
    released = await desk.requests.get(request.id)
    assert released is not None and released.state == "open" and released.volunteer_id is None
    assert await desk.db.fetchall("SELECT name, phone FROM volunteers") == []


async def test_a_forgotten_volunteers_copy_of_the_residents_details_is_edited_away(
    desk: HelpDesk,
) -> None:
    await approve(desk, 2001)
    request = await submit(desk)
    await desk.requests.claim(request.id, 2001)
    for item in await desk.outbox.due():
        await desk.outbox.sent(item, 77)  # the details reached the volunteer
    await desk.privacy.forget_resident(2001)
    edits = await desk.db.fetchall(
        "SELECT chat_id, payload FROM outbox WHERE kind = 'edit' AND state = 'pending'"
    )
    assert [row["chat_id"] for row in edits] == [2001]
    assert "Nordmann" not in edits[0]["payload"] and "2001" not in edits[0]["payload"]


async def test_a_hand_over_that_cannot_reach_the_volunteer_is_reported_to_staff(
    desk: HelpDesk,
) -> None:
    await approve(desk, 2001)
    request = await submit(desk)
    await desk.requests.assign(request.id, 2001)
    [details] = [
        i
        for i in await desk.outbox.due()
        if i.payload and i.payload.get("purpose") == "volunteer_details"
    ]
    await desk.requests.undeliverable_details(details, "Forbidden: bot was blocked by the user")
    reopened = await desk.requests.get(request.id)
    assert reopened is not None and reopened.state == "open"
    staff = await messages_to(desk, STAFF)
    assert any(
        f"{request.ref}</b> could not be handed to Ola" in m and "blocked by the user" in m
        for m in staff
    )


async def test_a_claim_retried_by_the_winner_is_theirs_and_sends_nothing_twice(
    desk: HelpDesk,
) -> None:
    await approve(desk, 2001)
    await approve(desk, 2002, "Per Hansen")
    request = await submit(desk)
    assert (await desk.requests.claim(request.id, 2001)).status == "won"
    assert (await desk.requests.claim(request.id, 2001)).status == "yours"
    assert (await desk.requests.claim(request.id, 2002)).status == "taken"
    details = [
        i
        for i in await desk.outbox.due()
        if i.payload and i.payload.get("purpose") == "volunteer_details"
    ]
    assert len(details) == 1


async def test_a_decision_from_the_command_line_updates_the_staff_chat_post(
    desk: HelpDesk,
) -> None:
    registration = Conversation("volunteer", "submitted", {"name": "Ola", "skills": "dog"})
    await desk.volunteers.register(2001, registration, "nb")
    for item in await desk.outbox.due():
        await desk.outbox.sent(item, 500 if item.chat_id == STAFF else 1)
    await desk.volunteers.decide(2001, True, None)  # as `volunteers approve 2001` does
    [edit] = [i for i in await desk.outbox.due() if i.kind == "edit"]
    assert edit.chat_id == STAFF and edit.payload is not None and edit.payload["edit"] == 500
    text, buttons = await desk.outbox.render(edit)
    assert "Approved from the command line" in text and not buttons
    # A decision made with the post's own buttons edits it there: nothing more is queued.
    await desk.volunteers.revoke(2001, 77)
    assert len([i for i in await desk.outbox.due() if i.kind == "edit"]) == 1


def _with(conversation: Conversation, **changes: str) -> Conversation:
    return Conversation(conversation.kind, conversation.step, {**conversation.data, **changes})


@pytest.mark.parametrize(
    ("municipality", "changes", "duplicate"),
    [
        ("asker", {"description": "Melk og brød!"}, True),
        ("ockero", {}, False),  # another municipality
        ("asker", {"description": "hente reseptfrie medisiner på apoteket"}, False),
        ("asker", {"anyway": "1"}, False),  # "send anyway"
    ],
)
async def test_a_duplicate_is_the_same_kind_place_and_description(
    desk: HelpDesk, municipality: str, changes: dict[str, str], duplicate: bool
) -> None:
    first = await submit(desk)
    again, found = await desk.requests.submit(
        RESIDENT, "Kari", None, municipality, "nb", _with(filled(), **changes)
    )
    assert found is duplicate
    assert (again.id == first.id) is duplicate


async def test_a_message_a_crash_caught_on_its_way_is_sent_again_as_a_repeat(
    tmp_path: Path,
) -> None:
    """Marked "sending" before the call: after a restart it is sent again, marked as a repeat
    (Telegram may have it already); one that had not started is sent as it was."""
    async with Database(tmp_path / "bot.db") as db:
        desk = HelpDesk.build(db, volunteer_chat_id=GROUP, staff_chat_id=None, contact_line=contact)
        request = await submit(desk)
        [post] = [i for i in await desk.outbox.due() if i.kind == "group"]
        await desk.outbox.sending(post)
        assert post.id not in [i.id for i in await desk.outbox.due()]  # not sent twice at once
    async with Database(tmp_path / "bot.db") as db:
        desk = HelpDesk.build(db, volunteer_chat_id=GROUP, staff_chat_id=None, contact_line=contact)
        assert await desk.outbox.reconcile() == 1
        assert await desk.outbox.reconcile() == 0
        due = {i.id: i for i in await desk.outbox.due()}
        assert due[post.id].payload == {"repeat": True}
        assert due[post.id].request_id == request.id
        assert all(not (i.payload or {}).get("repeat") for i in due.values() if i.id != post.id)


async def test_details_on_their_way_when_the_job_ends_are_withdrawn_once_sent(
    desk: HelpDesk,
) -> None:
    await approve(desk, 2001)
    request = await submit(desk)
    await desk.requests.claim(request.id, 2001)
    [details] = [
        i
        for i in await desk.outbox.due()
        if (i.payload or {}).get("purpose") == "volunteer_details"
    ]
    await desk.outbox.sending(details)
    await desk.requests.release(request.id, 2001)  # while Telegram is taking the details
    await desk.outbox.sent(details, 70)
    edits = [i for i in await desk.outbox.due() if i.kind == "edit"]
    assert [(e.chat_id, (e.payload or {}).get("edit")) for e in edits] == [(2001, 70)]
    assert PHONE not in str(edits[0].payload)


async def test_a_notice_is_rendered_when_sent_in_the_language_chosen_by_then(
    tmp_path: Path,
) -> None:
    """Queued as a key and values: the notice and its contact line are in the resident's
    language at send time, not the request's, and not two languages in one message."""

    def contact_in(municipality: str | None, lang: str) -> str:
        return f"<b>contact {municipality} {lang}</b>"

    async with Database(tmp_path / "bot.db") as db:
        desk = HelpDesk.build(
            db,
            volunteer_chat_id=GROUP,
            staff_chat_id=STAFF,
            contact_line=contact_in,
            escalate_after_seconds=0,
        )
        await desk.start()
        await submit(desk)  # asked in Norwegian
        await desk.requests.escalate_due()
        await store_resident(desk, "en")  # then the resident chose English
        notice = (await messages_to(desk, RESIDENT))[-1]
        assert notice.startswith("It is taking longer than usual")
        assert notice.endswith("<b>contact asker en</b>")


async def test_a_volunteers_messages_are_rendered_when_sent_in_their_language_by_then(
    desk: HelpDesk,
) -> None:
    """The approval and the contact details are stored as a view and its values: a volunteer
    who changes language before they are sent gets them in the new one."""
    await approve(desk, 2001)
    request = await submit(desk)
    await desk.requests.claim(request.id, 2001)
    await desk.db.write("UPDATE volunteers SET language = 'en' WHERE user_id = 2001")
    approval, details = await messages_to(desk, 2001)
    assert approval == say("volunteer_approved", "en")
    claimed = await desk.requests.get(request.id)
    assert claimed is not None and details == volunteer_details(claimed, "en")[0]
    assert PHONE in details and details != volunteer_details(claimed, "nb")[0]
    [item] = [
        i
        for i in await desk.outbox.due()
        if (i.payload or {}).get("purpose") == "volunteer_details"
    ]
    _, keyboard = await desk.outbox.render(item)
    assert [b.label for b in keyboard[0]] == [say("button_done", "en"), say("button_release", "en")]


async def test_rows_stored_with_their_text_before_views_are_still_sent_as_written(
    desk: HelpDesk,
) -> None:
    """An outbox written by an earlier version holds rendered text and buttons (and edits
    with their text): after an upgrade they are sent as they were stored."""
    old_message = {
        "text": "Ola, you have A-1001",
        "buttons": [[{"label": "Done", "action": "d", "args": ["1"]}]],
        "purpose": "volunteer_details",
    }
    for kind, payload in (("message", old_message), ("edit", {"text": "gone", "edit": 70})):
        await desk.db.write(
            """INSERT INTO outbox (kind, chat_id, request_id, payload, not_before, created_at)
               VALUES (?, 2001, 1, ?, 0, 0)""",
            (kind, json.dumps(payload)),
        )
    message, edit = await desk.outbox.due()
    assert await desk.outbox.render(message) == (
        "Ola, you have A-1001",
        [[Button("Done", "d", ("1",))]],
    )
    assert await desk.outbox.render(edit) == ("gone", [])


async def pending_about(desk: HelpDesk, request: HelpRequest) -> list[tuple[str, int | None]]:
    """The unsent outbox rows of a request: (kind, chat)."""
    rows = await desk.db.fetchall(
        "SELECT kind, chat_id FROM outbox WHERE request_id = ? AND state = 'pending'",
        (request.id,),
    )
    return [(str(kind), chat) for kind, chat in rows]


async def test_forget_me_leaves_no_unsent_post_about_the_request(desk: HelpDesk) -> None:
    """Offered first to the volunteer of its area, escalated to staff, its group post not
    made yet: after /forgetme none of those goes out, and no unsent row holds its text."""
    near = Conversation(
        "volunteer", "submitted", {"name": "Ola", "area": "Heggedal", "skills": "groceries"}
    )
    await desk.volunteers.register(2001, near, "nb")
    await desk.volunteers.decide(2001, True, staff_id=9)
    request = await submit(desk)
    await desk.db.write(
        "UPDATE help_requests SET created_at = created_at - 7200 WHERE id = ?", (request.id,)
    )
    await desk.requests.escalate_due()
    before = await pending_about(desk, request)
    assert ("message", 2001) in before and ("message", STAFF) in before  # offer, escalation
    await desk.privacy.forget_resident(RESIDENT)
    assert await pending_about(desk, request) == []
    unsent = await desk.db.fetchall("SELECT payload FROM outbox WHERE state = 'pending'")
    assert not [p for (p,) in unsent if p and ("melk" in p or "Kari" in p)]


async def test_forget_me_keeps_the_redraw_that_shows_a_posted_request_erased(
    desk: HelpDesk,
) -> None:
    request = await submit(desk)
    await desk.db.write(
        "UPDATE help_requests SET group_chat_id = ?, group_message_id = 77 WHERE id = ?",
        (GROUP, request.id),
    )
    await desk.db.write("UPDATE outbox SET state = 'sent' WHERE request_id = ?", (request.id,))
    await desk.privacy.forget_resident(RESIDENT)
    # The post in the group is redrawn, from the erased row: cancelled, without the details.
    assert await pending_about(desk, request) == [("group", GROUP)]


async def ask(desk: HelpDesk, user_id: int, text: str) -> None:
    await desk.db.write(
        """INSERT INTO questions (user_id, municipality, language, text, outcome, asked_at)
           VALUES (?, 'asker', 'nb', ?, 'fallback', 0)""",
        (user_id, text),
    )


async def mark_handled(desk: HelpDesk, text: str) -> str:
    key = wording_key(text, "asker")
    await desk.db.write(
        "INSERT INTO handled_groups (key, staff_id, handled_at) VALUES (?, 9, 0)", (key,)
    )
    return key


async def test_forget_me_drops_the_handled_marks_only_their_questions_made(
    desk: HelpDesk,
) -> None:
    """A mark is a short hash of the folded words: a guess at what someone asked can be
    checked against it. The erased resident's own wordings lose theirs; one that another
    resident asked too (in other case and punctuation) keeps it."""
    await ask(desk, RESIDENT, "hvor er vollenbrygga")
    await ask(desk, RESIDENT, "Hvor er tilfluktsrommet?")
    await ask(desk, 1002, "hvor er tilfluktsrommet")
    await ask(desk, 1002, "hvem henter søpla")
    only_theirs = await mark_handled(desk, "hvor er vollenbrygga")
    shared = await mark_handled(desk, "hvor er tilfluktsrommet")
    someone_else = await mark_handled(desk, "hvem henter søpla")
    for key in (only_theirs, shared):  # as the console's audit log names the marks it set
        await desk.db.write(
            """INSERT INTO console_audit (staff_id, staff_name, action, target, at)
               VALUES (9, 'Siri', 'mark_handled', ?, 0)""",
            (key,),
        )
    await desk.privacy.forget_resident(RESIDENT)
    kept = {str(k) for (k,) in await desk.db.fetchall("SELECT key FROM handled_groups")}
    assert kept == {shared, someone_else}
    assert only_theirs not in kept
    audited = await desk.db.fetchall("SELECT target FROM console_audit ORDER BY id")
    assert [t for (t,) in audited] == [None, shared]


async def test_a_forgotten_volunteer_leaves_no_approval_behind(desk: HelpDesk) -> None:
    both = Conversation(
        "volunteer",
        "submitted",
        {"name": "Ola", "area": "Asker", "skills": "dog", "municipalities": "asker,ockero"},
    )
    await desk.volunteers.register(2001, both, "nb")
    await desk.volunteers.decide(2001, True, staff_id=9, municipalities=["asker"])
    await desk.privacy.forget_resident(2001)
    assert await desk.db.fetchall("SELECT * FROM volunteer_approvals") == []


async def test_an_expired_rejection_goes_with_its_approvals(desk: HelpDesk) -> None:
    one = Conversation(
        "volunteer", "submitted", {"name": "Ola", "skills": "dog", "municipalities": "asker"}
    )
    await desk.volunteers.register(2001, one, "nb")
    await desk.volunteers.decide(2001, False, staff_id=9)
    desk.privacy.retention_seconds = -1  # everything decided is past the retention period
    await desk.privacy.erase_expired()
    assert await desk.volunteers.get(2001) is None
    assert await desk.db.fetchall("SELECT * FROM volunteer_approvals") == []


async def test_a_volunteer_forgotten_before_staff_saw_them_is_never_posted(desk: HelpDesk) -> None:
    """The staff chat's registration post (their name and phone) is still unsent when the
    volunteer asks to be forgotten: it never goes out."""
    conversation = Conversation(
        "volunteer", "submitted", {"name": "Ola Nordmann", "area": "Asker", "phone": "41234567"}
    )
    await desk.volunteers.register(2001, conversation, "nb")
    unsent = await desk.db.fetchall("SELECT payload FROM outbox WHERE state = 'pending'")
    assert any("Nordmann" in (p or "") for (p,) in unsent)
    await desk.privacy.forget_resident(2001)
    unsent = await desk.db.fetchall("SELECT payload FROM outbox WHERE state = 'pending'")
    assert not [p for (p,) in unsent if p and ("Nordmann" in p or "41234567" in p)]


async def test_a_hand_over_to_no_registered_volunteer_says_gone_in_its_own_transaction(
    desk: HelpDesk,
) -> None:
    """Staff hand a request to an id no volunteer is registered under (erased since the
    page was shown, or never one): "gone", decided where the hand-over reads the volunteer;
    a volunteer's own claim then says "not_volunteer", and one not yet approved is that."""
    request = await submit(desk)
    assert (await desk.requests.assign(request.id, 2001)).status == "gone"
    assert (await desk.requests.claim(request.id, 2001)).status == "not_volunteer"
    await approve(desk, 2001)
    await desk.privacy.forget_resident(2001)
    assert (await desk.requests.assign(request.id, 2001)).status == "gone"
    registration = {"name": "Per Hansen", "area": "Heggedal", "skills": "groceries"}
    await desk.volunteers.register(2002, Conversation("volunteer", "submitted", registration), "nb")
    assert (await desk.requests.assign(request.id, 2002)).status == "not_volunteer"
    stored = await desk.requests.get(request.id)
    assert stored is not None and (stored.state, stored.volunteer_id) == ("open", None)
