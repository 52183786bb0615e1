"""One staff chat and volunteer group per municipality, through the real Application: each kind
of message goes to its municipality's chats in its language, and staff and volunteers act only
on their own municipality's requests and volunteers."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.console.actions import NOT_YOURS, Verdict
from bot.fakeapi import Message, User
from bot.helpdesk.intake import Conversation
from bot.helpdesk.models import HelpRequest
from bot.messages import say
from bot.types import Lang
from tests.inprocess import STAFF_CHAT_ID, VOLUNTEER_CHAT_ID, LiveBot, live_bot

ASKER_STAFF, OCKERO_STAFF = -1001000000011, -1001000000012
ASKER_GROUP, OCKERO_GROUP = -1001000000021, -1001000000022


def text_of(message: Message) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", message.text or ""))


def plain(key: str, lang: Lang, **values: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", say(key, lang, **values)))


@dataclass
class Region:
    """The bot with Asker's and Öckerö's own chats, and the people in them."""

    bot: LiveBot
    anne: User  # Asker's staff, and an observer (restricted) in Öckerö's staff chat
    sven: User  # Öckerö's staff
    lars: User  # a resident of Öckerö

    def posts(self, chat: int, needle: str) -> list[Message]:
        return [m for m in self.bot.core.bot_messages(chat) if needle in text_of(m)]

    async def post(self, chat: int, needle: str) -> Message:
        """The bot's message in `chat` that contains `needle`, once it is there."""
        core = self.bot.core
        found = await core.wait_for(
            lambda: next(iter(self.posts(chat, needle)), None), what=f"{needle!r} in {chat}"
        )
        assert found is not None
        return found

    async def volunteer(self, user: User, municipalities: str, approve: bool = True) -> None:
        """`user` registered for `municipalities` (comma-separated); approved by the global
        staff when `approve`."""
        desk = self.bot.runtime.desk
        data = {"name": f"{user.first_name} Test", "area": "Heggedal, Hönö", "skills": "groceries"}
        registration = Conversation(
            "volunteer", "submitted", {**data, "municipalities": municipalities}
        )
        await desk.volunteers.register(user.id, registration, "nb")
        if approve:
            assert await desk.volunteers.decide(user.id, True, staff_id=1) is not None

    async def request(
        self, resident: User, municipality: str, area: str = "Sentrum"
    ) -> HelpRequest:
        """A help request stored for `resident` in `municipality`."""
        data = {
            "category": "groceries",
            "description": "melk og brød",
            "area": area,
            "timing": "today",
            "contact": "telegram",
            "consent": "yes",
        }
        lang = "sv" if municipality == "ockero" else "nb"
        conversation = Conversation("request", "confirm", data)
        request, _ = await self.bot.runtime.desk.requests.submit(
            resident.id, resident.first_name, None, municipality, lang, conversation
        )
        return request

    async def handoff_question(self) -> Message:
        """Lars (in Öckerö) asks what the bot cannot answer and sends it on to the staff:
        the question's post in Öckerö's staff chat."""
        await self.bot.send(self.lars, "/municipality ockero")
        fallback = await self.bot.send(self.lars, "När går nästa tåg till Oslo från Hönö?")
        self.bot.core.press_button(self.lars, fallback, text=say("button_ask_staff", "sv"))
        return await self.post(OCKERO_STAFF, "Oslo")

    async def escalated(self, request: HelpRequest, staff_chat: int) -> Message:
        """Time passes for `request` beyond ESCALATE_AFTER_MINUTES and housekeeping runs."""
        desk = self.bot.runtime.desk
        await desk.db.write(
            "UPDATE help_requests SET created_at = created_at - 7200 WHERE id = ?", (request.id,)
        )
        await desk.requests.escalate_due()
        return await self.post(staff_chat, f"⏰ {request.ref}")


@asynccontextmanager
async def region(tmp_path: Path, **settings: Any) -> AsyncIterator[Region]:
    """Asker's and Öckerö's own staff chats and volunteer groups set in the environment."""
    settings.setdefault("staff_chats", {"asker": ASKER_STAFF, "ockero": OCKERO_STAFF})
    settings.setdefault("volunteer_chats", {"asker": ASKER_GROUP, "ockero": OCKERO_GROUP})
    async with live_bot(tmp_path, **settings) as bot:
        core = bot.core
        anne = core.add_user("Anne", language_code="nb")
        sven = core.add_user("Sven", language_code="sv")
        lars = core.add_user("Lars", language_code="sv")
        core.add_group("Asker staff", chat_id=ASKER_STAFF, members={anne: "member"})
        core.add_group(
            "Öckerö staff", chat_id=OCKERO_STAFF, members={sven: "member", anne: "restricted"}
        )
        core.add_group("Asker volunteers", chat_id=ASKER_GROUP, members={bot.volunteer: "member"})
        core.add_group("Öckerö volunteers", chat_id=OCKERO_GROUP, members={bot.volunteer: "member"})
        await bot.send(bot.volunteer, "/start")  # so the bot may write to Ola privately
        yield Region(bot, anne, sven, lars)


def chats_holding(region: Region, needle: str) -> set[int]:
    chats = (STAFF_CHAT_ID, VOLUNTEER_CHAT_ID, ASKER_STAFF, OCKERO_STAFF, ASKER_GROUP, OCKERO_GROUP)
    return {chat for chat in chats if region.posts(chat, needle)}


# -- routing ----------------------------------------------------------------------------------


async def test_help_requests_and_escalations_go_to_their_municipality_s_chats(
    tmp_path: Path,
) -> None:
    async with region(tmp_path) as place:
        bot = place.bot
        ockero = await place.request(place.lars, "ockero")
        asker = await place.request(bot.resident, "asker")
        post = await place.post(OCKERO_GROUP, ockero.ref)
        assert say("button_take", "sv") in post.button_texts  # Öckerö's group reads Swedish
        await place.post(ASKER_GROUP, asker.ref)

        alert = await place.escalated(ockero, OCKERO_STAFF)
        assert say("button_staff_close", "sv") in alert.button_texts
        alert = await place.escalated(asker, ASKER_STAFF)
        assert say("button_staff_close", "nb") in alert.button_texts
        assert chats_holding(place, ockero.ref) == {OCKERO_GROUP, OCKERO_STAFF}
        assert chats_holding(place, asker.ref) == {ASKER_GROUP, ASKER_STAFF}


async def test_a_volunteer_s_sign_up_goes_to_the_staff_of_each_municipality_chosen(
    tmp_path: Path,
) -> None:
    async with region(tmp_path) as place:
        bot = place.bot
        await place.volunteer(bot.volunteer, "ockero", approve=False)
        card = await place.post(OCKERO_STAFF, f"(id {bot.volunteer.id})")
        assert say("button_approve", "sv") in card.button_texts
        assert "Öckerö kommun" in text_of(card)
        assert chats_holding(place, f"(id {bot.volunteer.id})") == {OCKERO_STAFF}

        both = bot.core.add_user("Nora", language_code="nb")
        await place.volunteer(both, "asker,ockero", approve=False)
        await place.post(ASKER_STAFF, f"(id {both.id})")
        await place.post(OCKERO_STAFF, f"(id {both.id})")
        assert chats_holding(place, f"(id {both.id})") == {ASKER_STAFF, OCKERO_STAFF}


async def test_registration_asks_for_the_municipalities_with_the_resident_s_own_ticked(
    tmp_path: Path,
) -> None:
    async with region(tmp_path) as place:
        bot = place.bot
        await bot.choose_asker()
        await bot.send(bot.resident, "/volunteer")
        asked = await bot.send(bot.resident, "Kari Nordmann")
        assert (asked.text or "").startswith("(2/6)")
        assert "✅ Asker kommune" in asked.button_texts
        ockero = next(b for b in asked.button_texts if "Öckerö" in b)
        ticked = await bot.press(bot.resident, asked, ockero)
        assert "✅ Öckerö kommune" in ticked.button_texts
        area = await bot.press(bot.resident, ticked, say("button_skills_done", "nb"))
        assert (area.text or "").startswith("(3/6)")
        conversation = await bot.runtime.desk.conversations.get(bot.resident.id)
        assert conversation is not None
        assert conversation.data["municipalities"] == "asker,ockero"


async def test_a_handoff_question_goes_to_its_municipality_s_staff_and_back(tmp_path: Path) -> None:
    async with region(tmp_path) as place:
        bot, lars = place.bot, place.lars
        question = await place.handoff_question()
        opening = plain("staff_question", "sv", place="", language="", text="")[:20]
        assert text_of(question).startswith(opening)  # in Swedish
        assert chats_holding(place, "Oslo") == {OCKERO_STAFF}
        await bot.core.wait_for_message(lars)  # "sent to the municipality"
        bot.core.inject_text(
            place.sven, "Tågtider finns hos SJ.", chat=OCKERO_STAFF, reply_to=question
        )
        answer = await bot.core.wait_for_message(lars, lambda m: "SJ" in (m.text or ""))
        assert "SJ" in text_of(answer)
        await place.post(OCKERO_STAFF, plain("staff_reply_sent", "sv"))

        # Lars's reply to the answer goes on in the same thread, in Öckerö's chat.
        bot.core.inject_text(lars, "Gäller det även helgen?", reply_to=answer)
        follow_up = await place.post(OCKERO_STAFF, "Gäller det även helgen?")
        assert follow_up.reply_to is not None
        assert follow_up.reply_to.message_id == question.message_id
        assert chats_holding(place, "Gäller det även helgen?") == {OCKERO_STAFF}


async def test_a_reload_report_in_a_municipality_s_chat_lists_its_own_files(
    tmp_path: Path, kb_copy: Path
) -> None:
    async with region(tmp_path, knowledge_dir=kb_copy) as place:
        bot = place.bot
        broken = kb_copy / "ockero" / "leisure.yaml"
        broken.write_text(broken.read_text().replace("reviewed:", "reviewd:", 1))
        bot.core.inject_text(place.sven, "/reload", chat=OCKERO_STAFF)
        report = await place.post(OCKERO_STAFF, "ockero/leisure.yaml")
        assert text_of(report).startswith(
            plain("staff_not_reloaded", "sv", errors="1", entries="")[:15]
        )
        bot.core.inject_text(place.anne, "/reload", chat=ASKER_STAFF)
        answer = await bot.core.wait_for_message(ASKER_STAFF)
        assert "ockero/" not in text_of(answer)  # Öckerö's file is not Asker's business


# -- authorisation ----------------------------------------------------------------------------


async def outbox_size(place: Region) -> int:
    return int(await place.bot.runtime.desk.db.fetchval("SELECT COUNT(*) FROM outbox") or 0)


def alert_for(place: Region, pressed: Any) -> str | None:
    answers = [
        a
        for a in place.bot.core.callback_answers
        if a.callback_query_id == pressed.callback_query_id
    ]
    return answers[-1].text if answers else None


async def answered(place: Region, pressed: Any) -> str | None:
    """The answer to a press, once the bot has given it."""
    await place.bot.until_handled(pressed)
    return alert_for(place, pressed)


async def test_an_asker_staff_member_s_press_on_an_ockero_button_is_refused_and_changes_nothing(
    tmp_path: Path,
) -> None:
    async with region(tmp_path) as place:
        bot = place.bot
        request = await place.request(place.lars, "ockero")
        alert = await place.escalated(request, OCKERO_STAFF)
        before = await outbox_size(place)
        pressed = bot.core.press_button(place.anne, alert, text=say("button_staff_close", "sv"))
        refusal = say("staff_not_yours", "sv", place="Öckerö kommun")
        assert await answered(place, pressed) == refusal
        stored = await bot.runtime.desk.requests.get(request.id)
        assert stored is not None and stored.state == "open"
        assert await outbox_size(place) == before  # nothing to send: nothing changed
        assert bot.core.get_message(OCKERO_STAFF, alert.message_id).text == alert.text

        await place.volunteer(bot.volunteer, "ockero", approve=False)
        card = await place.post(OCKERO_STAFF, f"(id {bot.volunteer.id})")
        pressed = bot.core.press_button(place.anne, card, text=say("button_approve", "sv"))
        assert await answered(place, pressed) == refusal
        volunteer = await bot.runtime.desk.volunteers.get(bot.volunteer.id)
        assert volunteer is not None and volunteer.state == "pending"

        # Öckerö's own staff may; the note is in Swedish.
        pressed = bot.core.press_button(place.sven, card, text=say("button_approve", "sv"))
        await bot.until_handled(pressed)
        shown = plain("staff_approved_by", "sv", who="Sven")
        await bot.core.wait_for(
            lambda: shown in text_of(bot.core.get_message(OCKERO_STAFF, card.message_id)),
            what="the approval note",
        )


async def test_a_staff_button_asks_the_consoles_rule(tmp_path: Path) -> None:
    """The chat's buttons decide with `StaffActions.verdict`, as the console and the command
    line do: one rule. Told it is Öckerö's, the chat refuses even Öckerö's own staff."""
    async with region(tmp_path) as place:
        bot = place.bot
        request = await place.request(place.lars, "ockero")
        alert = await place.escalated(request, OCKERO_STAFF)
        asked: list[tuple[str, int]] = []

        async def not_yours(scope: Any, kind: str, target: int, place_: Any = None) -> Verdict:
            asked.append((kind, target))
            return Verdict(NOT_YOURS, "ockero", ("ockero",))

        bot.runtime.actions.verdict = not_yours  # type: ignore[method-assign]
        pressed = bot.core.press_button(place.sven, alert, text=say("button_staff_close", "sv"))
        assert await answered(place, pressed) == say("staff_not_yours", "sv", place="Öckerö kommun")
        assert asked == [("requests", request.id)]
        stored = await bot.runtime.desk.requests.get(request.id)
        assert stored is not None and stored.state == "open"


async def test_a_press_on_an_erased_volunteer_s_post_says_so(tmp_path: Path) -> None:
    """The volunteer asked to be forgotten after their post went out: the global staff's
    Approve says that they are gone, not that it was already decided, and changes nothing."""
    async with region(tmp_path) as place:
        bot = place.bot
        await place.volunteer(bot.volunteer, "ockero", approve=False)
        card = await place.post(OCKERO_STAFF, f"(id {bot.volunteer.id})")
        await bot.runtime.forget_person(bot.volunteer.id)
        before = await outbox_size(place)
        pressed = bot.core.press_button(bot.staff, card, text=say("button_approve", "sv"))
        assert await answered(place, pressed) == say("staff_volunteer_gone", "sv")
        assert await bot.runtime.desk.volunteers.get(bot.volunteer.id) is None
        assert await outbox_size(place) == before
        entries = await bot.runtime.audit.latest(10)
        assert [e.action for e in entries if e.action != "erase"] == []


async def test_a_hand_over_to_a_volunteer_erased_since_the_list_says_so(tmp_path: Path) -> None:
    """Ola asked to be forgotten after Sven's list of volunteers to hand the request to went
    out: pressing his name says he is no longer registered, not that he is no longer
    approved, and hands nothing over."""
    async with region(tmp_path) as place:
        bot = place.bot
        await place.volunteer(bot.volunteer, "ockero")
        request = await place.request(place.lars, "ockero")
        alert = await place.escalated(request, OCKERO_STAFF)
        pressed = bot.core.press_button(place.sven, alert, text=say("button_staff_assign", "sv"))
        await bot.until_handled(pressed)
        picker = await place.post(OCKERO_STAFF, say("staff_hand_to", "sv"))
        await bot.runtime.forget_person(bot.volunteer.id)
        pressed = bot.core.press_button(place.sven, picker, text="Ola Test")
        await bot.until_handled(pressed)
        # The note is written under the list before the press counts as handled.
        assert plain("staff_volunteer_gone", "sv") in text_of(picker)
        assert plain("staff_volunteer_not_approved", "sv") not in text_of(picker)
        stored = await bot.runtime.desk.requests.get(request.id)
        assert stored is not None and (stored.state, stored.volunteer_id) == ("open", None)


async def test_the_global_staff_act_everywhere(tmp_path: Path) -> None:
    async with region(tmp_path) as place:
        bot = place.bot
        # Siri is staff through the global staff chat; in Öckerö's she only reads along.
        bot.core.set_member_status(OCKERO_STAFF, bot.staff, "restricted")
        request = await place.request(place.lars, "ockero")
        alert = await place.escalated(request, OCKERO_STAFF)
        pressed = bot.core.press_button(bot.staff, alert, text=say("button_staff_close", "sv"))
        await bot.until_handled(pressed)
        stored = await bot.runtime.desk.requests.get(request.id)
        assert stored is not None and stored.state == "cancelled"


async def test_a_volunteer_approved_for_asker_cannot_claim_in_ockero(tmp_path: Path) -> None:
    async with region(tmp_path) as place:
        bot = place.bot
        await place.volunteer(bot.volunteer, "asker")
        request = await place.request(place.lars, "ockero")
        post = await place.post(OCKERO_GROUP, request.ref)
        pressed = bot.core.press_button(bot.volunteer, post, text=say("button_take", "sv"))
        refusal = say("claim_not_here", "nb", places="Asker kommune", place="Öckerö kommun")
        assert await answered(place, pressed) == refusal
        stored = await bot.runtime.desk.requests.get(request.id)
        assert stored is not None and (stored.state, stored.volunteer_id) == ("open", None)
        assert not [
            m for m in bot.core.bot_messages(bot.volunteer) if request.ref in (m.text or "")
        ]

        # Nor can staff hand it to him: the picker offers no one.
        alert = await place.escalated(request, OCKERO_STAFF)
        pressed = bot.core.press_button(place.sven, alert, text=say("button_staff_assign", "sv"))
        assert await answered(place, pressed) == say("staff_no_volunteers", "sv")

        asker = await place.request(bot.resident, "asker")
        post = await place.post(ASKER_GROUP, asker.ref)
        pressed = bot.core.press_button(bot.volunteer, post, text=say("button_take", "nb"))
        assert await answered(place, pressed) == say("claim_won", "nb", ref=asker.ref)


async def test_each_municipality_s_staff_approve_a_volunteer_for_their_own_alone(
    tmp_path: Path,
) -> None:
    """Ola signed up for Asker and Öckerö: Anne (Asker's staff) approves him for Asker only,
    he is told so, and he cannot take an Öckerö request until Sven approves him there."""
    async with region(tmp_path) as place:
        bot, desk = place.bot, place.bot.runtime.desk
        ola = bot.volunteer
        await place.volunteer(ola, "asker,ockero", approve=False)
        asker_card = await place.post(ASKER_STAFF, f"(id {ola.id})")
        ockero_card = await place.post(OCKERO_STAFF, f"(id {ola.id})")
        pressed = bot.core.press_button(place.anne, asker_card, text=say("button_approve", "nb"))
        await bot.until_handled(pressed)
        volunteer = await desk.volunteers.get(ola.id)
        assert volunteer is not None
        assert volunteer.approvals == (("asker", "approved"), ("ockero", "pending"))
        assert volunteer.state == "approved"
        told = plain("volunteer_approved_for", "nb", places="Asker kommune")
        await bot.core.wait_for(
            lambda: any(told in text_of(m) for m in bot.core.bot_messages(ola)),
            what="the volunteer told what he is approved for",
        )
        # Öckerö's post keeps its buttons: Asker's decision was not Öckerö's.
        assert (
            say("button_approve", "sv")
            in bot.core.get_message(OCKERO_STAFF, ockero_card.message_id).button_texts
        )

        request = await place.request(place.lars, "ockero")
        post = await place.post(OCKERO_GROUP, request.ref)
        pressed = bot.core.press_button(ola, post, text=say("button_take", "sv"))
        refusal = say("claim_not_here", "nb", places="Asker kommune", place="Öckerö kommun")
        assert await answered(place, pressed) == refusal
        stored = await desk.requests.get(request.id)
        assert stored is not None and (stored.state, stored.volunteer_id) == ("open", None)

        pressed = bot.core.press_button(place.sven, ockero_card, text=say("button_approve", "sv"))
        await bot.until_handled(pressed)
        pressed = bot.core.press_button(ola, post, text=say("button_take", "sv"))
        assert await answered(place, pressed) == say("claim_won", "nb", ref=request.ref)


async def test_revoking_for_one_municipality_keeps_what_he_took_in_the_other(
    tmp_path: Path,
) -> None:
    async with region(tmp_path) as place:
        bot, desk = place.bot, place.bot.runtime.desk
        ola = bot.volunteer
        await place.volunteer(ola, "asker,ockero")  # approved for both by the global staff
        asker = await place.request(bot.resident, "asker")
        ockero = await place.request(place.lars, "ockero")
        assert (await desk.requests.claim(asker.id, ola.id)).status == "won"
        assert (await desk.requests.claim(ockero.id, ola.id)).status == "won"
        revoked = await desk.volunteers.revoke(ola.id, 1, ["ockero"])
        assert revoked is not None
        assert revoked.approvals == (("asker", "approved"), ("ockero", "revoked"))
        kept = await desk.requests.get(asker.id)
        released = await desk.requests.get(ockero.id)
        assert kept is not None and (kept.state, kept.volunteer_id) == ("claimed", ola.id)
        assert released is not None and (released.state, released.volunteer_id) == ("open", None)


async def test_a_staff_chat_of_two_municipalities_decides_for_each_with_its_own_buttons(
    tmp_path: Path,
) -> None:
    """Without their own chats, Asker's and Öckerö's sign-ups go to the global staff chat:
    one post, Approve and Reject for each; approving for one leaves the other's buttons."""
    async with region(tmp_path, staff_chats={}, volunteer_chats={}) as place:
        bot, desk = place.bot, place.bot.runtime.desk
        ola = bot.volunteer
        await place.volunteer(ola, "asker,ockero", approve=False)
        card = await place.post(STAFF_CHAT_ID, f"(id {ola.id})")
        for_asker = say("button_approve_for", "nb", place="Asker kommune")
        for_ockero = say("button_approve_for", "nb", place="Öckerö kommun")
        assert for_asker in card.button_texts and for_ockero in card.button_texts
        pressed = bot.core.press_button(bot.staff, card, text=for_ockero)
        await bot.until_handled(pressed)
        volunteer = await desk.volunteers.get(ola.id)
        assert volunteer is not None
        assert volunteer.approvals == (("asker", "pending"), ("ockero", "approved"))
        now = bot.core.get_message(STAFF_CHAT_ID, card.message_id)
        assert for_asker in now.button_texts and for_ockero not in now.button_texts
        assert say("button_revoke_for", "nb", place="Öckerö kommun") in now.button_texts
        note = plain("staff_approved_for_by", "nb", place="Öckerö kommun", who="Siri")
        assert note in text_of(now)


async def test_a_decision_away_from_the_chats_edits_only_the_post_of_its_municipality(
    tmp_path: Path,
) -> None:
    """Approved for Öckerö in the console (or the command line): Öckerö's post shows it,
    with Revoke left; Asker's post, still to decide, keeps its buttons."""
    async with region(tmp_path) as place:
        bot, desk = place.bot, place.bot.runtime.desk
        ola = bot.volunteer
        await place.volunteer(ola, "asker,ockero", approve=False)
        await place.post(ASKER_STAFF, f"(id {ola.id})")
        ockero_card = await place.post(OCKERO_STAFF, f"(id {ola.id})")
        assert await desk.volunteers.decide(ola.id, True, None, municipalities=["ockero"])
        edits = await desk.db.fetchall("SELECT chat_id FROM outbox WHERE kind = 'edit' ORDER BY id")
        assert [chat for (chat,) in edits] == [OCKERO_STAFF]
        revoke = say("button_revoke", "sv")
        await bot.core.wait_for(
            lambda: (
                revoke in bot.core.get_message(OCKERO_STAFF, ockero_card.message_id).button_texts
            ),
            what="Öckerö's post with Revoke left",
        )


# -- volunteer areas --------------------------------------------------------------------------


async def group_redraws(place: Region, request: HelpRequest) -> int:
    """How many times the request has been queued for its group post."""
    found = await place.bot.runtime.desk.db.fetchval(
        "SELECT COUNT(*) FROM outbox WHERE kind = 'group' AND request_id = ?", (request.id,)
    )
    return int(found or 0)


async def half_the_escalation_time_passes(
    place: Region, request: HelpRequest, seconds: int
) -> None:
    """`seconds` pass for a request offered to its area's volunteers; housekeeping runs."""
    desk = place.bot.runtime.desk
    await desk.db.write(
        "UPDATE help_requests SET offered_at = offered_at - ? WHERE id = ?", (seconds, request.id)
    )
    await desk.requests.widen_due()


async def test_the_volunteers_of_a_request_s_area_get_it_first_and_can_take_it(
    tmp_path: Path,
) -> None:
    async with region(tmp_path) as place:
        bot = place.bot
        await place.volunteer(bot.volunteer, "asker")  # listed "Heggedal, Hönö"
        elsewhere = bot.core.add_user("Stina", language_code="sv")
        await bot.send(elsewhere, "/start")
        await place.volunteer(elsewhere, "ockero")  # the same areas, but in Öckerö
        request = await place.request(bot.resident, "asker", area="hegedal")
        offer = await bot.core.wait_for_message(
            bot.volunteer, lambda m: request.ref in (m.text or "")
        )
        assert text_of(offer).startswith(plain("volunteer_offer", "nb", post="")[:15])
        assert "Kari" not in text_of(offer)  # the group's post: no personal data
        assert await group_redraws(place, request) == 0  # the group does not see it yet
        assert not [m for m in bot.core.bot_messages(elsewhere) if request.ref in (m.text or "")]

        bot.core.press_button(bot.volunteer, offer, text=say("button_take", "nb"))
        details = await bot.core.wait_for_message(
            bot.volunteer, lambda m: "Kari" in (m.text or "") and request.ref in (m.text or "")
        )
        assert request.ref in text_of(details)
        stored = await bot.runtime.desk.requests.get(request.id)
        assert stored is not None and stored.volunteer_id == bot.volunteer.id
        # Taken before the group saw it: widening never posts it.
        await half_the_escalation_time_passes(place, request, 3600)
        assert await group_redraws(place, request) == 0


async def test_an_offer_nobody_takes_goes_to_the_whole_group_after_half_the_escalation_time(
    tmp_path: Path,
) -> None:
    async with region(tmp_path, escalate_after_minutes=40.0) as place:
        bot = place.bot
        await place.volunteer(bot.volunteer, "asker")
        request = await place.request(bot.resident, "asker", area="Heggedal sentrum")
        await bot.core.wait_for_message(bot.volunteer, lambda m: request.ref in (m.text or ""))
        await half_the_escalation_time_passes(place, request, 20 * 60 - 5)
        assert await group_redraws(place, request) == 0
        await half_the_escalation_time_passes(place, request, 10)
        post = await place.post(ASKER_GROUP, request.ref)
        assert say("button_take", "nb") in post.button_texts
        # Widened once: housekeeping again changes nothing.
        assert await bot.runtime.desk.requests.widen_due() == []
        assert chats_holding(place, request.ref) == {ASKER_GROUP}


async def test_a_request_in_an_area_nobody_listed_goes_to_the_group_at_once(
    tmp_path: Path,
) -> None:
    async with region(tmp_path) as place:
        bot = place.bot
        await place.volunteer(bot.volunteer, "asker")
        request = await place.request(bot.resident, "asker", area="Vollen")
        await place.post(ASKER_GROUP, request.ref)
        stored = await bot.runtime.desk.requests.get(request.id)
        assert stored is not None and stored.offered_at is None


# -- chats from the municipality file ---------------------------------------------------------


def set_chats(kb: Path, municipality: str, **chats: int) -> None:
    path = kb / municipality / "municipality.yaml"
    kept = [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if not line.startswith(("staff_chat:", "volunteer_chat:"))
    ]
    kept += [f"{name}: {value}" for name, value in chats.items()]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")


async def test_a_municipality_file_s_chats_route_its_messages_and_follow_a_reload(
    tmp_path: Path, kb_copy: Path
) -> None:
    set_chats(kb_copy, "ockero", staff_chat=OCKERO_STAFF, volunteer_chat=OCKERO_GROUP)
    async with region(tmp_path, knowledge_dir=kb_copy, staff_chats={}, volunteer_chats={}) as place:
        bot = place.bot
        first = await place.request(place.lars, "ockero")
        await place.post(OCKERO_GROUP, first.ref)
        await place.escalated(first, OCKERO_STAFF)
        asker = await place.request(bot.resident, "asker")
        await place.post(VOLUNTEER_CHAT_ID, asker.ref)  # Asker has none: the global group
        assert chats_holding(place, first.ref) == {OCKERO_GROUP, OCKERO_STAFF}

        moved = bot.core.add_group("Öckerö volunteers 2", members={bot.volunteer: "member"})
        set_chats(kb_copy, "ockero", staff_chat=OCKERO_STAFF, volunteer_chat=moved.id)
        outcome = await bot.runtime.knowledge.reload()
        assert outcome.applied, outcome.errors
        second = await place.request(bot.core.add_user("Maja", language_code="sv"), "ockero")
        await place.post(moved.id, second.ref)
        # The first request's post stays where it was posted: its redraws go there.
        await bot.runtime.desk.requests.close_by_staff(first.id)
        closed = say("state_cancelled", "sv")
        await bot.core.wait_for(
            lambda: any(closed in text_of(m) for m in place.posts(OCKERO_GROUP, first.ref)),
            what="the first post to show it closed",
        )


async def test_an_automatic_reload_tells_each_municipality_about_its_own_files(
    tmp_path: Path, kb_copy: Path
) -> None:
    async with region(tmp_path, knowledge_dir=kb_copy) as place:
        broken = kb_copy / "ockero" / "leisure.yaml"
        broken.write_text(broken.read_text().replace("reviewed:", "reviewd:", 1))
        # The bot's own watcher notices the change and reloads.
        everything = await place.post(STAFF_CHAT_ID, "ockero/leisure.yaml")
        assert text_of(everything).startswith(
            plain("staff_not_reloaded", "en", errors="1", entries="")[:15]
        )
        ockero = await place.post(OCKERO_STAFF, "ockero/leisure.yaml")
        assert text_of(ockero).startswith(
            plain("staff_not_reloaded", "sv", errors="1", entries="")[:15]
        )
        assert place.bot.core.bot_messages(ASKER_STAFF) == []  # nothing wrong in Asker's files
