"""Öckerö's own staff chat and volunteer group, set in the environment of the bot as a
subprocess, over HTTP: a volunteer's sign-up and a resident's request go there, in Swedish,
and Asker's staff cannot decide on Öckerö's volunteer."""

from __future__ import annotations

from pathlib import Path

from bot.messages import say
from tests.e2e.conftest import World
from tests.e2e.test_volunteer_queue import answer_to, fill_request, plain, reply, running_bot, seen

OCKERO_STAFF, OCKERO_GROUP = -1001000000012, -1001000000022


async def test_ockero_s_sign_ups_and_requests_go_to_its_own_chats_and_only_its_staff_decide(
    world: World, tmp_path: Path
) -> None:
    core, ola, lars = world.core, world.volunteer, world.other_resident
    anne = core.add_user("Anne", user_id=3002, language_code="nb")
    sven = core.add_user("Sven", user_id=3003, language_code="sv")
    # Anne is Asker's staff (listed for it) and reads along in Öckerö's chat.
    core.add_group(
        "Öckerö staff", chat_id=OCKERO_STAFF, members={sven: "member", anne: "restricted"}
    )
    core.add_group("Öckerö volunteers", chat_id=OCKERO_GROUP, members={ola: "member"})
    env = {
        "STAFF_CHAT_ID_OCKERO": str(OCKERO_STAFF),
        "VOLUNTEER_CHAT_ID_OCKERO": str(OCKERO_GROUP),
        "STAFF_USER_IDS_ASKER": str(anne.id),
    }
    async with running_bot(world, tmp_path, **env):
        core.inject_text(ola, "/volunteer")
        await reply(core, ola, "(1/6)")
        core.inject_text(ola, "Ola Nordmann")
        prompt = await reply(core, ola, "(2/6)")
        core.press_button(ola, prompt, text="Öckerö kommune")
        prompt = await core.wait_for_message(ola, lambda m: "✅ Öckerö kommune" in m.button_texts)
        core.press_button(ola, prompt, text=say("button_skills_done", "nb"))
        await reply(core, ola, "(3/6)")
        core.inject_text(ola, "Hönö")
        prompt = await reply(core, ola, "(4/6)")
        core.press_button(ola, prompt, text=say("category_groceries", "nb"))
        prompt = await core.wait_for_message(ola, lambda m: bool(m.button_texts))
        core.press_button(ola, prompt, text=say("button_skills_done", "nb"))
        prompt = await reply(core, ola, "(5/6)")
        core.press_button(ola, prompt, text=say("button_skip", "nb"))
        prompt = await reply(core, ola, "(6/6)")
        core.press_button(ola, prompt, text=say("button_accept", "nb"))
        card = await reply(core, OCKERO_STAFF, f"(id {ola.id})")
        assert "Öckerö kommun" in (card.text or "")
        assert not [
            m for m in core.bot_messages(world.staff_chat) if f"(id {ola.id})" in (m.text or "")
        ]

        refused = await answer_to(
            core, core.press_button(anne, card, text=say("button_approve", "sv"))
        )
        assert refused.text == say("staff_not_yours", "sv", place="Öckerö kommun")
        core.press_button(sven, card, text=say("button_approve", "sv"))
        await seen(core, ola, plain("volunteer_approved_for", "nb", places="Öckerö kommun"))

        # Lars lives in Öckerö and asks for help in Hönö: Ola, who listed Hönö, hears first.
        core.inject_text(lars, "/municipality ockero")
        await reply(core, lars, "Öckerö")
        summary = await fill_request(core, lars, lang="sv", area="Hono")
        core.press_button(lars, summary, text=say("button_send_request", "sv"))
        offer = await seen(core, ola, plain("volunteer_offer", "nb", post="")[:15])
        assert say("button_take", "nb") in offer.button_texts
        assert not core.bot_messages(OCKERO_GROUP)
