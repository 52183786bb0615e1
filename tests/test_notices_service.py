"""The notice model without Telegram: recipients fixed at the start, each claimed before it is
sent and recorded after; a crash in between makes it "unknown", never a second copy; paused
and cancelled notices claim nothing; a live notice is an answer until staff end it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.answering.service import KnowledgeService
from bot.config import DEFAULT_KNOWLEDGE_DIR
from bot.notices.service import Notice, Notices, Result, as_entries, take_over
from bot.notices.subscriptions import Subscriptions
from bot.storage import Database


async def ready_notice(db: Database, notices: Notices, subscribers: int) -> int:
    subscriptions = Subscriptions(db)
    for user_id in range(1, subscribers + 1):
        await subscriptions.set(user_id, "asker", True)
    # Someone who said no, and someone subscribed elsewhere: neither gets Asker's notice.
    await subscriptions.set(1000, "asker", False)
    await subscriptions.set(1001, "ockero", True)
    draft = await notices.create("asker", ["nb", "en"], created_by=7, staff_chat_id=-1)
    await notices.add_text(draft.id, "nb", "Kok vannet.")
    ready = await notices.add_text(draft.id, "en", "Boil the water.")
    assert ready.state == "ready"
    return draft.id


async def taken_over(db: Database, notices: Notices, writer: int, taker: int) -> Notice:
    """A draft `writer` began in a staff chat (its Norwegian text), taken over by `taker`."""
    draft = await notices.create("asker", ["nb", "en"], created_by=writer, staff_chat_id=-1)
    await notices.add_text(draft.id, "nb", "Kok vannet.")
    taken = await db.run_write(lambda conn: take_over(conn, draft.id, taker))
    assert taken is not None
    return taken


async def test_recipients_are_fixed_at_the_start_and_each_is_claimed_once(tmp_path: Path) -> None:
    async with Database(tmp_path / "bot.db") as db:
        notices = Notices(db)
        notice_id = await ready_notice(db, notices, 5)
        outcome, started = await notices.start(notice_id, staff_id=7)
        assert outcome == "started" and started is not None and started.recipients == 5
        first = await notices.claim(3)
        second = await notices.claim(10)
        assert sorted(d.user_id for d in [*first, *second]) == [1, 2, 3, 4, 5]
        assert await notices.claim(10) == []
        finished = await notices.record(Result(d, "sent", 100 + d.user_id) for d in first)
        assert finished == []
        assert await notices.record(Result(d, "sent", 1) for d in second) == [notice_id]
        assert (await notices.progress(notice_id)).sent == 5


async def test_a_crash_between_claim_and_record_leaves_unknown_never_a_second_copy(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.db"
    async with Database(path) as db:
        notices = Notices(db)
        notice_id = await ready_notice(db, notices, 4)
        await notices.start(notice_id, staff_id=7)
        claimed = await notices.claim(2)
        # The process dies here: the two claimed may or may not have reached Telegram.
    async with Database(path) as db:
        notices = Notices(db)
        assert await notices.reconcile() == 2
        rest = await notices.claim(10)
        assert {d.user_id for d in rest}.isdisjoint(d.user_id for d in claimed)
        assert len(rest) == 2
        await notices.record(Result(d, "sent", 1) for d in rest)
        progress = await notices.progress(notice_id)
        assert (progress.sent, progress.unknown, progress.waiting) == (2, 2, 0)
        notice = await notices.get(notice_id)
        assert notice is not None and notice.state == "done"


async def test_paused_and_cancelled_notices_claim_nothing(tmp_path: Path) -> None:
    async with Database(tmp_path / "bot.db") as db:
        notices = Notices(db)
        notice_id = await ready_notice(db, notices, 3)
        await notices.start(notice_id, staff_id=7)
        await notices.pause(notice_id)
        assert await notices.claim(10) == []
        await notices.resume(notice_id)
        one = await notices.claim(1)
        assert len(one) == 1
        cancelled = await notices.cancel(notice_id)
        assert cancelled.state == "cancelled"
        assert await notices.claim(10) == []
        # The one on its way when staff cancelled is still recorded.
        await notices.record([Result(one[0], "sent", 1)])
        progress = await notices.progress(notice_id)
        assert (progress.sent, progress.cancelled, progress.waiting) == (1, 2, 0)


async def test_a_429_puts_a_delivery_back_in_line_and_a_timeout_is_never_retried(
    tmp_path: Path,
) -> None:
    async with Database(tmp_path / "bot.db") as db:
        notices = Notices(db)
        notice_id = await ready_notice(db, notices, 2)
        await notices.start(notice_id, staff_id=7)
        held, cut = await notices.claim(2)
        await notices.record(
            [Result(held, "retry", retry_at=0.0), Result(cut, "unknown", error="timed out")]
        )
        again = await notices.claim(10)
        assert [d.user_id for d in again] == [held.user_id]
        assert again[0].attempts == 1


async def test_the_two_person_rule_needs_someone_else(tmp_path: Path) -> None:
    async with Database(tmp_path / "bot.db") as db:
        notices = Notices(db, needs_second_staff=True)
        notice_id = await ready_notice(db, notices, 1)
        outcome, _ = await notices.start(notice_id, staff_id=7)
        assert outcome == "needs_second"
        assert await notices.claim(10) == []
        outcome, started = await notices.start(notice_id, staff_id=8)
        assert outcome == "started" and started is not None and started.approved_by == 8
        again, _ = await notices.start(notice_id, staff_id=8)
        assert again == "not_ready"


async def test_a_draft_taken_over_takes_no_more_chat_text_and_its_taker_needs_a_second(
    tmp_path: Path,
) -> None:
    async with Database(tmp_path / "bot.db") as db:
        notices = Notices(db, needs_second_staff=True)
        draft = await notices.create("asker", ["nb", "en"], created_by=7, staff_chat_id=-1)
        await notices.prompted(draft.id, 55)
        await notices.add_text(draft.id, "nb", "Kok vannet.")
        taken = await db.run_write(lambda c: take_over(c, draft.id, 9))
        assert taken is not None and taken.taken_over_by == 9 and taken.in_console
        assert await db.run_write(lambda c: take_over(c, draft.id, 10)) is None  # once only
        # The chat's prompt no longer finds it, and a reply already on its way changes nothing.
        assert await notices.by_prompt(-1, 55) is None
        late = await notices.add_text(draft.id, "en", "From the chat.")
        assert late.texts == {"nb": "Kok vannet."} and late.state == "draft"
        await notices.prompted(draft.id, 56)
        assert await notices.by_prompt(-1, 56) is None
        # Every language is needed before it is ready.
        assert (await notices.edit(draft.id, {"nb": "Kok vannet."}, 9)).state == "draft"
        ready = await notices.edit(draft.id, {"nb": "Kok vannet nå.", "en": "Boil it."}, 9)
        assert ready.state == "ready" and ready.texts["en"] == "Boil it."
        # The chat's writer and the console's taker both wrote it: a third person sends.
        for writer in (7, 9):
            outcome, _ = await notices.start(draft.id, staff_id=writer)
            assert outcome == "needs_second"
        outcome, _ = await notices.start(draft.id, staff_id=8)
        assert outcome == "started"
        sent = await notices.edit(draft.id, {"nb": "x", "en": "y"}, 9)
        assert sent.texts == ready.texts  # never once sent


async def test_only_the_taker_edits_a_taken_over_draft_so_a_third_person_must_approve(
    tmp_path: Path,
) -> None:
    # A began it in a chat, B took it over in the console; C may neither write it nor, as
    # a writer, send it alone.
    a, b, c = 7, 9, 11
    async with Database(tmp_path / "bot.db") as db:
        notices = Notices(db, needs_second_staff=True)
        draft = await taken_over(db, notices, a, b)
        refused = await notices.edit(draft.id, {"nb": "Cs tekst.", "en": "C's text."}, c)
        assert refused.state == "draft" and refused.texts == {"nb": "Kok vannet."}
        ready = await notices.edit(draft.id, {"nb": "Bs tekst.", "en": "B's text."}, b)
        assert ready.state == "ready" and ready.writers == {a, b}
        again = await notices.edit(draft.id, {"nb": "Cs tekst.", "en": "C's text."}, c)
        assert again.texts == ready.texts
        for writer in (a, b):
            assert (await notices.start(draft.id, writer, ready.digest))[0] == "needs_second"
        outcome, started = await notices.start(draft.id, c, ready.digest)
        assert outcome == "started" and started is not None and started.approved_by == c


async def test_a_ready_notice_changed_since_the_approver_saw_it_is_not_started(
    tmp_path: Path,
) -> None:
    async with Database(tmp_path / "bot.db") as db:
        notices = Notices(db, needs_second_staff=True)
        draft = await taken_over(db, notices, 7, 9)
        seen = await notices.edit(draft.id, {"nb": "Versjon 1.", "en": "Version 1."}, 9)
        # The approver's page shows version 1; the taker saves version 2 meanwhile.
        saved = await notices.edit(draft.id, {"nb": "Versjon 2.", "en": "Version 2."}, 9)
        assert saved.state == "ready" and saved.digest != seen.digest
        outcome, unchanged = await notices.start(draft.id, 8, seen.digest)
        assert outcome == "changed" and unchanged is not None and unchanged.state == "ready"
        outcome, started = await notices.start(draft.id, 8, saved.digest)
        assert outcome == "started" and started is not None
        assert started.texts == {"nb": "Versjon 2.", "en": "Version 2."}


async def test_a_notice_never_taken_over_is_not_edited(tmp_path: Path) -> None:
    async with Database(tmp_path / "bot.db") as db:
        notices = Notices(db)
        notice_id = await ready_notice(db, notices, 1)
        edited = await notices.edit(notice_id, {"nb": "x", "en": "y"}, 7)
        assert edited.texts == {"nb": "Kok vannet.", "en": "Boil the water."}


async def test_a_live_notice_is_an_answer_until_staff_end_it(tmp_path: Path) -> None:
    async with Database(tmp_path / "bot.db") as db:
        notices = Notices(db)
        subscriptions = Subscriptions(db)
        await subscriptions.set(1, "asker", True)
        draft = await notices.create("asker", ["nb", "en"], created_by=7, staff_chat_id=-1)
        await notices.add_text(
            draft.id, "nb", "Kokevarsel: kok drikkevannet i ett minutt før du drikker det."
        )
        await notices.add_text(
            draft.id, "en", "Boil notice: boil drinking water for one minute before drinking it."
        )
        await notices.start(draft.id, staff_id=7)
        knowledge = KnowledgeService(DEFAULT_KNOWLEDGE_DIR)
        await knowledge.show_extra(as_entries(await notices.live(), ["NO", "SE"]))
        reply = knowledge.responder.answer("må jeg koke drikkevannet?", "asker", "nb")
        assert reply.entry_id == f"notice-{draft.id}"
        assert "kok drikkevannet i ett minutt" in reply.text
        # A reload of the files keeps the live notices merged in.
        outcome = await knowledge.reload()
        assert outcome.applied and f"notice-{draft.id}" in knowledge.responder.kb.entries
        await notices.end(draft.id)
        await knowledge.show_extra(as_entries(await notices.live(), ["NO", "SE"]))
        after = knowledge.responder.answer("må jeg koke drikkevannet?", "asker", "nb")
        assert after.entry_id != f"notice-{draft.id}"
        assert f"notice-{draft.id}" not in knowledge.responder.kb.entries


async def test_a_late_record_from_a_sender_thought_dead_changes_no_reconciled_row(
    tmp_path: Path,
) -> None:
    async with Database(tmp_path / "bot.db") as db:
        notices = Notices(db)
        notice_id = await ready_notice(db, notices, 2)
        await notices.start(notice_id, staff_id=7)
        late, other = await notices.claim(2)
        assert await notices.reconcile() == 2  # the bot thought its sender dead
        # That sender's answers come after all: a 429 does not put an "unknown" row back
        # in line, nor does a "sent" overwrite it.
        await notices.record([Result(late, "retry", retry_at=0.0), Result(other, "sent", 5)])
        assert await notices.claim(10) == []
        rows = await db.fetchall("SELECT state, attempts, message_id FROM notice_deliveries")
    assert sorted((str(s), int(a), m) for s, a, m in rows) == [("unknown", 0, None)] * 2


def test_a_notice_whose_id_an_entry_has_takes_no_entrys_place() -> None:
    # The schema keeps `notice-` ids for notices; a knowledge base from elsewhere (an older
    # snapshot) may still hold one. Neither replaces the other.
    from dataclasses import replace

    from bot.answering.service import with_extra
    from bot.kb.loader import load_knowledge

    kb = load_knowledge(DEFAULT_KNOWLEDGE_DIR).kb
    first = next(iter(kb.entries.values()))
    entries = {("notice-1" if e is first else e.id): e for e in kb.entries.values()}
    kb = replace(kb, entries=entries)
    notice = replace(first, id="notice-1", title={"nb": "Kok vannet", "en": "Boil the water"})
    merged = with_extra(kb, [notice])
    assert merged.entries["notice-1"] is first
    assert list(merged.entries)[: len(entries)] == list(entries)
    (added,) = [e for e in merged.entries.values() if e is notice or e.title == notice.title]
    assert added.id not in entries and added.title == notice.title


async def test_live_notices_shown_during_a_reload_are_in_what_it_applies(
    tiny_kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A reload and the live notices' rebuild each build a Responder in a thread; one that
    # lands after the other must not undo it (the notice lost, or the edit).
    import asyncio
    import threading
    from dataclasses import replace

    from bot.answering import service
    from tests.conftest import ENTRY

    knowledge = KnowledgeService(tiny_kb)
    entered, release = threading.Event(), threading.Event()
    built = service.Responder

    def slow_first(*args: Any, **kwargs: Any) -> Any:
        if not entered.is_set():
            entered.set()
            release.wait(timeout=30)
        return built(*args, **kwargs)

    monkeypatch.setattr(service, "Responder", slow_first)
    (tiny_kb / "asker" / "payments.yaml").write_text(ENTRY.format(id="asker-b"), encoding="utf-8")
    reloading = asyncio.create_task(knowledge.reload())
    await asyncio.to_thread(entered.wait, 30)  # the reload is building its Responder
    notice = replace(next(iter(knowledge.base.entries.values())), id="notice-1")
    showing = asyncio.create_task(knowledge.show_extra([notice]))
    await asyncio.sleep(0)  # let show_extra start (and, without a lock, build from the old files)
    release.set()
    await asyncio.gather(reloading, showing)
    assert set(knowledge.responder.kb.entries) == {"asker-b", "notice-1"}
