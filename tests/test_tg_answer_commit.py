"""An answered question's update is marked done in the commit that records the answer, so a
crash right after it never answers the question twice."""

from __future__ import annotations

from pathlib import Path

from bot.storage.records import Inbox
from tests.inprocess import live_bot


async def test_the_answer_commit_marks_the_update_done(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        marked_at_the_end: list[int] = []

        async def crash_before_the_end(self: Inbox, update_id: int) -> None:
            # As if the process died between sending the answer and the handler's end.
            marked_at_the_end.append(update_id)

        bot.runtime.inbox.mark_processed = crash_before_the_end.__get__(bot.runtime.inbox)  # type: ignore[method-assign]
        injected = bot.core.inject_text(bot.resident, "innbyggerservice telefon")
        answer = await bot.core.wait_for_message(bot.resident)
        assert "66 700 000" in (answer.text or "")
        await bot.core.wait_for(
            lambda: injected.update_id in marked_at_the_end, what="the handler to end"
        )
        assert injected.update_id not in [u for u, _ in await bot.runtime.inbox.pending()]
        rows = await bot.runtime.db.fetchall(
            "SELECT reply_message_id FROM questions WHERE update_id = ?", (injected.update_id,)
        )
        assert [tuple(r) for r in rows] == [(answer.message_id,)]


async def test_a_question_handled_again_after_a_crash_is_stored_once(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        questions = bot.runtime.questions
        first = await questions.record(
            7, "asker", "nb", "når åpner biblioteket", "fallback", None, 41
        )
        again = await questions.record(
            7, "asker", "nb", "når åpner biblioteket", "answered", "x", 41
        )
        other = await questions.record(7, "asker", "nb", "når åpner biblioteket", "fallback")
        assert first == again != other
        rows = await bot.runtime.db.fetchall("SELECT outcome FROM questions WHERE update_id = 41")
        assert [tuple(r) for r in rows] == [("answered",)]
