"""Where each municipality's help-desk messages go, and who may act on what.

Each municipality can have its own staff chat and volunteer group: the environment's
STAFF_CHAT_ID_<ID> and VOLUNTEER_CHAT_ID_<ID> first, then its municipality file's
`staff_chat` and `volunteer_chat`, then the global STAFF_CHAT_ID and VOLUNTEER_CHAT_ID. The
municipality files can be reloaded while the bot runs, so a route is looked up each time.

`may_act` is the one rule for staff: the Telegram handlers call it, and so can the staff
console. Nothing here knows Telegram.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

from bot.helpdesk.models import Volunteer
from bot.kb.knowledge import Municipality
from bot.messages import STAFF_LANG
from bot.types import Lang

MunicipalityTable = Callable[[], Mapping[str, Municipality]]


@dataclass(frozen=True)
class Route:
    """One municipality's staff chat, volunteer group and the language staff read there."""

    staff: int | None
    volunteers: int | None
    language: Lang


@dataclass(frozen=True)
class StaffScope:
    """The municipalities a staff member may act for; `everywhere` for the global staff."""

    everywhere: bool = False
    municipalities: frozenset[str] = frozenset()

    @property
    def is_staff(self) -> bool:
        return self.everywhere or bool(self.municipalities)

    def covers(self, municipality: str | None) -> bool:
        if self.everywhere:
            return True
        return municipality is not None and municipality in self.municipalities


NOBODY = StaffScope()
EVERYWHERE = StaffScope(everywhere=True)


def may_act(scope: StaffScope, municipalities: Collection[str | None]) -> bool:
    """Whether staff with `scope` may act on a request or a volunteer of `municipalities`
    (a request's one municipality, or every municipality a volunteer signed up for).

    The global staff may act on everything. Anyone else only when every one of them is
    theirs: Asker's staff decide on Asker's requests and volunteers, never on Öckerö's, and a
    volunteer who signed up for both needs staff of both (or the global staff). A request or
    volunteer with no municipality belongs to the global staff.
    """
    if scope.everywhere:
        return True
    if not municipalities:
        return False
    return all(scope.covers(m) for m in municipalities)


def may_write_notice(
    scope: StaffScope, municipality: str | None, chat_municipalities: frozenset[str] = frozenset()
) -> bool:
    """Whether staff with `scope` may write a notice to `municipality` (None: to all).

    The one rule for the staff chats and the console: the global staff may write to any
    municipality or to all; a municipality's staff only to their own. In a municipality's own
    staff chat (`chat_municipalities`), only to that chat's municipality, unless global staff.
    """
    if scope.everywhere:
        return True
    if not scope.covers(municipality):
        return False
    return not chat_municipalities or municipality in chat_municipalities


def may_claim(volunteer: Volunteer, municipality: str | None) -> bool:
    """Whether a volunteer may take a request in `municipality`: approved for it by its
    staff. A volunteer registered before municipalities were asked for has none, and once
    approved may take any request, as they could then."""
    if not volunteer.municipalities:
        return volunteer.approved
    return municipality is not None and municipality in volunteer.approved_for


@dataclass
class Chats:
    """The routes of every municipality, from the settings and the municipality files."""

    volunteers: int | None
    staff: int | None
    staff_chats: Mapping[str, int] = field(default_factory=dict)
    volunteer_chats: Mapping[str, int] = field(default_factory=dict)
    municipality_staff: Mapping[str, frozenset[int]] = field(default_factory=dict)
    global_staff: frozenset[int] = frozenset()
    municipalities: MunicipalityTable = lambda: {}

    def route(self, municipality: str | None) -> Route:
        """Where a municipality's messages go (the global chats when it has none)."""
        found = self.municipalities().get(municipality or "")
        if found is None:
            return Route(self.staff, self.volunteers, STAFF_LANG)
        staff = self.staff_chats.get(found.id) or found.staff_chat or self.staff
        volunteers = self.volunteer_chats.get(found.id) or found.volunteer_chat or self.volunteers
        return Route(staff, volunteers, found.language)

    def language(self, municipality: str | None) -> Lang:
        """The language staff messages about `municipality` are written in."""
        return self.route(municipality).language

    def staff_chat_ids(self) -> set[int]:
        """Every staff chat, the global one included."""
        chats = {self.route(m).staff for m in self.municipalities()}
        chats.add(self.staff)
        return {c for c in chats if c is not None}

    def municipalities_of_staff_chat(self, chat_id: int) -> frozenset[str]:
        """The municipalities whose staff chat `chat_id` is (not the global one's fallback)."""
        return frozenset(
            m
            for m in self.municipalities()
            if self.route(m).staff == chat_id and chat_id != self.staff
        )

    def chat_language(self, chat_id: int) -> Lang:
        """The language of a municipality's own staff chat; the staff language elsewhere."""
        mine = sorted(self.municipalities_of_staff_chat(chat_id))
        return self.language(mine[0]) if mine else STAFF_LANG

    def scope(self, user_id: int, member_of: Iterable[int]) -> StaffScope:
        """A person's staff scope from the staff chats they are a member of: listed in
        STAFF_USER_IDS or in the global staff chat is everywhere; in a municipality's chat,
        or listed for it, is that municipality."""
        chats = set(member_of)
        if user_id in self.global_staff or (self.staff is not None and self.staff in chats):
            return EVERYWHERE
        mine = {m for m, users in self.municipality_staff.items() if user_id in users}
        for chat in chats:
            mine |= self.municipalities_of_staff_chat(chat)
        return StaffScope(municipalities=frozenset(mine))

    def unknown(self) -> list[str]:
        """Municipality ids the environment names that the knowledge base does not know (a
        typo in STAFF_CHAT_ID_OKERO would otherwise send Öckerö's messages to the global
        chats without a word)."""
        named = {*self.staff_chats, *self.volunteer_chats, *self.municipality_staff}
        return sorted(named - set(self.municipalities()))

    def place_name(self, municipality: str | None) -> str:
        """A municipality's name in its own language ("Öckerö kommun"), or its id."""
        found = self.municipalities().get(municipality or "")
        return found.display_name(found.language) if found else (municipality or "–")
