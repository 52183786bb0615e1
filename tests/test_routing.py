"""Per-municipality routing and the staff rule, as plain functions (no Telegram)."""

from __future__ import annotations

from bot.helpdesk.routing import EVERYWHERE, NOBODY, Chats, StaffScope, may_act, may_claim
from bot.kb.knowledge import Municipality

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
    assert routing.volunteer_chat_ids() == {GLOBAL_GROUP, OCKERO_GROUP}


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
    assert may_claim(("asker",), "asker")
    assert not may_claim(("asker",), "ockero")
    assert may_claim((), "ockero")  # registered before municipalities were asked for
