"""What a help request and a volunteer are."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any, Literal

Category = Literal["groceries", "pharmacy", "transport", "dog", "other"]
Timing = Literal["today", "week", "flexible"]
State = Literal["open", "claimed", "done", "cancelled"]
VolunteerState = Literal["pending", "approved", "rejected", "revoked"]

CATEGORIES: tuple[Category, ...] = ("groceries", "pharmacy", "transport", "dog", "other")
TIMINGS: tuple[Timing, ...] = ("today", "week", "flexible")
STATES: tuple[State, ...] = ("open", "claimed", "done", "cancelled")
ACTIVE: tuple[State, ...] = ("open", "claimed")
# The letter that starts a reference, per municipality: A-1042 is a request from Asker.
REFERENCE_LETTERS = {"asker": "A", "ockero": "O", "hallstahammar": "H", "katrineholm": "K"}


def reference(municipality: str | None, number: int) -> str:
    """The short reference residents and staff use, such as A-1042."""
    return f"{REFERENCE_LETTERS.get(municipality or '', 'R')}-{number}"


@dataclass(frozen=True, slots=True)
class HelpRequest:
    """One request for practical help. Personal fields are None once erased."""

    id: int
    ref: str
    resident_id: int | None
    resident_name: str | None
    resident_username: str | None
    municipality: str | None
    language: str
    category: Category
    description: str | None
    area: str | None
    timing: Timing
    contact_method: str
    phone: str | None
    state: State
    volunteer_id: int | None
    group_chat_id: int | None
    group_message_id: int | None
    created_at: int
    claimed_at: int | None
    closed_at: int | None
    closed_by: str | None
    escalated_at: int | None
    erased_at: int | None
    # Told first to the volunteers whose areas match (offered_at), and then posted to the whole
    # group (widened_at). Defaults: a snapshot stored before these existed still loads.
    offered_at: int | None = None
    widened_at: int | None = None

    @classmethod
    def from_row(cls, row: Any) -> HelpRequest:
        return cls(*row)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def in_group(self) -> bool:
        """Whether the whole volunteer group sees it: at once, unless it was offered to the
        volunteers of its area first and has not been widened yet."""
        return self.offered_at is None or self.widened_at is not None


def without_contact(request: HelpRequest) -> HelpRequest:
    """The request without who asked and how to reach them: what staff alerts may hold."""
    return replace(
        request, resident_id=None, resident_name=None, resident_username=None, phone=None
    )


REQUEST_COLUMNS = (
    "id, ref, resident_id, resident_name, resident_username, municipality, language, category, "
    "description, area, timing, contact_method, phone, state, volunteer_id, group_chat_id, "
    "group_message_id, created_at, claimed_at, closed_at, closed_by, escalated_at, erased_at, "
    "offered_at, widened_at"
)


@dataclass(frozen=True, slots=True)
class Volunteer:
    """A person who offered to help; only `approved` volunteers can take requests."""

    user_id: int
    name: str | None
    area: str | None
    skills: tuple[str, ...]
    phone: str | None
    language: str | None
    state: VolunteerState
    confidentiality_accepted_at: int | None
    registered_at: int
    decided_at: int | None
    decided_by: int | None
    # The municipalities they signed up for; none for someone registered before they were
    # asked, who may help anywhere.
    municipalities: tuple[str, ...] = ()
    # Each municipality's staff decide for it alone: (municipality, state) for each of
    # `municipalities`. `state` is the overall one: approved somewhere, else pending
    # somewhere, else revoked, else rejected.
    approvals: tuple[tuple[str, VolunteerState], ...] = ()

    @classmethod
    def from_row(cls, row: Any) -> Volunteer:
        values = list(row)
        values[3] = split_list(values[3])
        values[11] = split_list(values[11])
        pairs = (pair.partition(":") for pair in split_list(values[12]))
        values[12] = tuple(sorted((m, state) for m, _, state in pairs))
        return cls(*values)

    @property
    def approved(self) -> bool:
        return self.state == "approved"

    def state_in(self, municipality: str) -> VolunteerState | None:
        """Their state for `municipality`; None when they did not sign up for it."""
        return dict(self.approvals).get(municipality)

    def in_state(self, state: VolunteerState) -> tuple[str, ...]:
        """The municipalities they are `state` for, in the order they signed up."""
        return tuple(m for m in self.municipalities if self.state_in(m) == state)

    @property
    def approved_for(self) -> tuple[str, ...]:
        return self.in_state("approved")


VOLUNTEER_COLUMNS = (
    "user_id, name, area, skills, phone, language, state, confidentiality_accepted_at, "
    "registered_at, decided_at, decided_by, municipalities, "
    "(SELECT group_concat(a.municipality || ':' || a.state) FROM volunteer_approvals AS a "
    "WHERE a.user_id = volunteers.user_id) AS approvals"
)


def overall_state(states: Collection[VolunteerState]) -> VolunteerState:
    """A volunteer's state from their per-municipality ones: approved somewhere, else
    pending somewhere, else revoked somewhere, else rejected."""
    order: tuple[VolunteerState, ...] = ("approved", "pending", "revoked")
    return next((state for state in order if state in states), "rejected")


def split_list(stored: str | None) -> tuple[str, ...]:
    """A comma-separated column as a tuple."""
    return tuple(s for s in (stored or "").split(",") if s)
