"""Per-municipality routing and the staff rule, as plain functions (no Telegram)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.helpdesk.desk import HelpDesk
from bot.helpdesk.intake import Conversation
from bot.helpdesk.models import Volunteer
from bot.helpdesk.routing import (
    EVERYWHERE,
    NOBODY,
    Chats,
    StaffScope,
    may_act,
    may_claim,
    may_write_notice,
)
from bot.kb.knowledge import Municipality
from bot.messages import say
from bot.storage import Database
from tests.test_queue import messages_to

GLOBAL_STAFF, GLOBAL_GROUP = -100, -200
ASKER_FILE_STAFF, ASKER_ENV_STAFF, OCKERO_GROUP = -101, -102, -201


def municipality(slug: str, language: str, **chats: int) -> Municipality:
    return Municipality(slug, {"en": slug}, "NO", language, None, None, (), **chats)  # type: ignore[arg-type]


TABLE = {
    "asker": municipality("asker", "nb", staff_chat=ASKER_FILE_STAFF),
    "ockero": municipality("ockero", "sv", volunteer_chat=OCKERO_GROUP),
    "katrineholm": municipality("katrineholm", "sv"),
}


def chats(**kwargs: object) -> Chats:
    return Chats(GLOBAL_GROUP, GLOBAL_STAFF, municipalities=lambda: TABLE, **kwargs)  # type: ignore[arg-type]


def test_the_environment_wins_over_the_file_and_the_global_chats_are_the_fallback() -> None:
    assert chats().route("asker").staff == ASKER_FILE_STAFF
    assert chats(staff_chats={"asker": ASKER_ENV_STAFF}).route("asker").staff == ASKER_ENV_STAFF
    ockero = chats().route("ockero")
    assert (ockero.staff, ockero.volunteers, ockero.language) == (GLOBAL_STAFF, OCKERO_GROUP, "sv")
    unknown = chats().route(None)
    assert (unknown.staff, unknown.volunteers, unknown.language) == (
        GLOBAL_STAFF,
        GLOBAL_GROUP,
        "en",
    )
    assert chats().route("asker").language == "nb"


def test_a_staff_scope_follows_the_chats_a_person_is_in() -> None:
    routing = chats(municipality_staff={"ockero": frozenset({7})}, global_staff=frozenset({9}))
    assert routing.scope(1, [ASKER_FILE_STAFF]) == StaffScope(municipalities=frozenset({"asker"}))
    assert routing.scope(1, [GLOBAL_STAFF]) == EVERYWHERE
    assert routing.scope(9, []) == EVERYWHERE
    assert routing.scope(7, []) == StaffScope(municipalities=frozenset({"ockero"}))
    # Katrineholm has no chat of its own: the global staff chat is its, and everyone's.
    assert routing.scope(1, [-999]) == NOBODY
    assert routing.staff_chat_ids() == {GLOBAL_STAFF, ASKER_FILE_STAFF}


def test_staff_act_only_on_their_own_municipalities() -> None:
    asker = StaffScope(municipalities=frozenset({"asker"}))
    assert may_act(asker, ["asker"])
    assert not may_act(asker, ["ockero"])
    assert not may_act(asker, ["asker", "ockero"])  # a volunteer of both needs staff of both
    assert not may_act(asker, [None])
    assert not may_act(asker, [])
    assert may_act(EVERYWHERE, ["ockero", None])
    assert not may_act(NOBODY, ["asker"])


def test_a_volunteer_claims_only_where_approved() -> None:
    both = Volunteer(
        1, "Ola", None, (), None, "nb", "approved", None, 0, None, None, ("asker", "ockero")
    )
    approved_in_asker = replace(both, approvals=(("asker", "approved"), ("ockero", "pending")))
    assert may_claim(approved_in_asker, "asker")
    assert not may_claim(approved_in_asker, "ockero")
    assert not may_claim(approved_in_asker, None)
    revoked = replace(both, state="revoked", approvals=(("asker", "revoked"),))
    assert not may_claim(revoked, "asker")
    # Registered before municipalities were asked for: approved, they help anywhere.
    anywhere = replace(both, municipalities=())
    assert may_claim(anywhere, "ockero")
    assert not may_claim(replace(anywhere, state="pending"), "ockero")


async def test_staff_messages_read_in_the_municipality_s_language_and_fall_back_to_global(
    tmp_path: Path,
) -> None:
    async with Database(tmp_path / "bot.db") as db:
        desk = HelpDesk.build(
            db,
            volunteer_chat_id=GLOBAL_GROUP,
            staff_chat_id=GLOBAL_STAFF,
            contact_line=lambda municipality, lang: "",
            chats=chats(),
        )
        await desk.start()
        data = {"name": "Ola Nordmann", "area": "Hönö", "skills": "groceries"}
        await desk.volunteers.register(7, Conversation("volunteer", "submitted", data), "nb")
        both = {**data, "municipalities": "asker,ockero"}
        await desk.volunteers.register(8, Conversation("volunteer", "submitted", both), "nb")
        # Registered without municipalities: the global staff decide, in English. Öckerö has
        # no staff chat of its own: its card is in the global chat too, in Swedish; Asker's is
        # in Asker's, in Norwegian.
        english, swedish = await messages_to(desk, GLOBAL_STAFF)
        assert english.startswith(say("staff_registration", "en", **CARD)[:10])
        assert swedish.startswith(say("staff_registration", "sv", **CARD)[:10])
        (norwegian,) = await messages_to(desk, ASKER_FILE_STAFF)
        assert norwegian.startswith(say("staff_registration", "nb", **CARD)[:10])


CARD = {"id": "", "name": "", "area": "", "skills": "", "phone": "", "places": "", "history": ""}


def test_a_municipality_the_knowledge_base_does_not_know_is_named() -> None:
    routing = chats(
        staff_chats={"okero": -5, "asker": -6}, municipality_staff={"oslo": frozenset()}
    )
    assert routing.unknown() == ["okero", "oslo"]


def test_who_may_write_a_notice_to_where() -> None:
    asker = StaffScope(municipalities=frozenset({"asker"}))
    # The global staff: anywhere, and to all, from any chat.
    assert may_write_notice(EVERYWHERE, None)
    assert may_write_notice(EVERYWHERE, "ockero", frozenset({"asker"}))
    # Asker's staff: Asker only, never all; in Asker's chat only Asker.
    assert may_write_notice(asker, "asker")
    assert may_write_notice(asker, "asker", frozenset({"asker"}))
    assert not may_write_notice(asker, None)
    assert not may_write_notice(asker, "ockero")
    assert not may_write_notice(
        StaffScope(municipalities=frozenset({"asker", "ockero"})), "ockero", frozenset({"asker"})
    )
    assert not may_write_notice(NOBODY, "asker")
