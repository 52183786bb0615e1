"""Staff actions taken in a staff chat (its buttons and commands) are in the audit log with
their municipality, as the console's are, and each municipality's audit view shows its own;
an old registration post's button for a municipality the volunteer dropped decides nothing."""

from __future__ import annotations

from pathlib import Path

from bot.console.auth import AuditEntry
from bot.console.web.pages import ReportCache, View, audit
from bot.helpdesk.intake import Conversation
from bot.helpdesk.routing import StaffScope
from bot.messages import say
from tests.inprocess import STAFF_CHAT_ID, live_bot
from tests.test_notices_staff import held_notice
from tests.test_tg_routing import OCKERO_STAFF, Region, answered, plain, region


async def entries(place: Region) -> list[AuditEntry]:
    """Every audit entry, oldest first (straight from the table, not a filtered view)."""
    return list(reversed(await place.bot.runtime.audit.latest(1000)))


async def audit_rows(place: Region, municipality: str, staff_id: int) -> list[list[str]]:
    """The audit page's rows as that municipality's staff member reads them, in Swedish."""
    runtime = place.bot.runtime
    view = View(
        runtime,
        ReportCache(runtime.knowledge.root),
        "sv",
        municipality,
        scope=StaffScope(municipalities=frozenset({municipality})),
        reader=staff_id,
    )
    page = await audit(view)
    return [[str(cell) for cell in row] for row in page.tables[0].rows]


async def test_a_staff_chat_s_buttons_are_audited_with_their_municipality(tmp_path: Path) -> None:
    async with region(tmp_path) as place:
        bot = place.bot
        request = await place.request(place.lars, "ockero")
        alert = await place.escalated(request, OCKERO_STAFF)

        # Anne (Asker's staff) is refused on Öckerö's request: nothing is audited.
        pressed = bot.core.press_button(place.anne, alert, text=say("button_staff_close", "sv"))
        assert await answered(place, pressed) == say("staff_not_yours", "sv", place="Öckerö kommun")
        assert await entries(place) == []

        pressed = bot.core.press_button(place.sven, alert, text=say("button_staff_close", "sv"))
        await bot.until_handled(pressed)
        (closed,) = await entries(place)
        assert (closed.staff_id, closed.staff_name, closed.action) == (
            place.sven.id,
            "Sven",
            "close",
        )
        assert (closed.target, closed.municipality, closed.surface) == (
            request.ref,
            "ockero",
            "chat",
        )

        # Anne approves a volunteer for Asker in Asker's chat: Asker's entry, not Öckerö's.
        ola = bot.volunteer
        await place.volunteer(ola, "asker,ockero", approve=False)
        card = await place.post(-1001000000011, f"(id {ola.id})")
        pressed = bot.core.press_button(place.anne, card, text=say("button_approve", "nb"))
        await bot.until_handled(pressed)
        approved = (await entries(place))[-1]
        assert (approved.action, approved.municipality, approved.surface) == (
            "approve",
            "asker",
            "chat",
        )
        assert approved.target == f"Ola ({ola.id})"

        # Öckerö's audit view: Sven's close, from the staff chat; not Asker's approval.
        rows = await audit_rows(place, "ockero", place.sven.id)
        assert len(rows) == 1
        _, who, what, target, where = rows[0]
        assert who == f"Sven ({place.sven.id})" and target == request.ref
        assert what == plain("console_audit_close", "sv") and where == "personalchatten"
        assert [row[3] for row in await audit_rows(place, "asker", place.anne.id)] == [
            f"Ola ({ola.id})"
        ]


async def test_a_staff_answer_and_a_reload_in_a_staff_chat_are_audited(tmp_path: Path) -> None:
    async with region(tmp_path) as place:
        bot, lars = place.bot, place.lars
        question = await place.handoff_question()
        bot.core.inject_text(
            place.sven, "Tågtider finns hos SJ.", chat=OCKERO_STAFF, reply_to=question
        )
        await place.post(OCKERO_STAFF, plain("staff_reply_sent", "sv"))
        bot.core.inject_text(place.sven, "/reload", chat=OCKERO_STAFF)
        await bot.core.wait_for(
            lambda: (
                len(place.posts(OCKERO_STAFF, plain("staff_reloaded", "sv", entries="")[:8])) > 0
            ),
            what="the reload report",
        )
        found = [(e.action, e.municipality, e.surface) for e in await entries(place)]
        assert found == [("staff_answer", "ockero", "chat"), ("reload", "ockero", "chat")]
        (answer,) = [e for e in await entries(place) if e.action == "staff_answer"]
        # Which question, never what was asked or who asked it.
        assert answer.target is not None and answer.target.startswith("#")
        assert "Oslo" not in answer.target and str(lars.id) not in answer.target


async def test_an_old_post_s_button_for_a_dropped_municipality_decides_nothing(
    tmp_path: Path,
) -> None:
    """Ola signed up for Asker and Öckerö, then again for Asker alone. The first post's
    "Approve for Öckerö" is refused with why, and approves him nowhere (not for Asker
    instead), however much its presser may decide."""
    async with region(tmp_path, staff_chats={}, volunteer_chats={}) as place:
        bot, desk = place.bot, place.bot.runtime.desk
        ola = bot.volunteer
        await place.volunteer(ola, "asker,ockero", approve=False)
        card = await place.post(STAFF_CHAT_ID, f"(id {ola.id})")
        again = Conversation(
            "volunteer",
            "submitted",
            {"name": "Ola Test", "skills": "groceries", "municipalities": "asker"},
        )
        await desk.volunteers.register(ola.id, again, "nb")
        for_ockero = say("button_approve_for", "nb", place="Öckerö kommun")
        pressed = bot.core.press_button(bot.staff, card, text=for_ockero)  # the global staff
        assert await answered(place, pressed) == say(
            "staff_volunteer_dropped", "en", place="Öckerö kommun"
        )
        volunteer = await desk.volunteers.get(ola.id)
        assert volunteer is not None
        assert (volunteer.state, volunteer.approvals) == ("pending", (("asker", "pending"),))
        assert await entries(place) == []


async def test_a_notice_s_life_in_the_staff_chat_is_audited(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        progress = await held_notice(bot)  # written and sent from the staff chat
        await bot.core.wait_for(lambda: not bot.core.faults, what="the 429 to be used")
        for label in ("button_notice_pause", "button_notice_resume", "button_notice_cancel"):
            current = bot.core.get_message(bot.staff_chat, progress.message_id)
            await bot.until_handled(
                bot.core.press_button(bot.staff, current, text=say(label, "en"))
            )
        current = bot.core.get_message(bot.staff_chat, progress.message_id)
        end = say("button_notice_end", "en")
        await bot.until_handled(bot.core.press_button(bot.staff, current, text=end))
        found = list(reversed(await bot.runtime.audit.latest(50)))
        assert [e.action for e in found] == [
            "notice_create",
            "notice_start",
            "notice_pause",
            "notice_resume",
            "notice_cancel",
            "notice_end",
        ]
        assert {(e.staff_id, e.municipality, e.surface) for e in found} == {
            (bot.staff.id, "asker", "chat")
        }
        assert {e.target for e in found} == {"#1 → Asker Municipality"}
