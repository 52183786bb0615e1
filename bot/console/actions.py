"""The one adapter between the console's buttons, the command line and the help desk.

Each change calls the very help desk method the staff chat's button calls, so the resident,
the volunteer and the volunteer group are told through the outbox exactly as from the chat,
and each is written to the audit log: as the console session's staff member, or as the
`Actor` the command line names with `--as`.

Volunteer decisions pass no staff id to the help desk: for the help desk that means a decision
made away from the staff chat, whose registration post then shows the outcome and loses its
buttons. Who decided is in the audit log.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.console.auth import Actor, Audit, Session, volunteer_target
from bot.helpdesk.desk import HelpDesk
from bot.helpdesk.models import Volunteer
from bot.helpdesk.routing import StaffScope, may_act
from bot.storage.db import Database, now
from bot.storage.records import wording_key

# Who takes an action: a console session's staff member, or the command line's `--as`.
Who = Session | Actor
# Where a volunteer may be approved from: pending, or (`again`, as staff may from the command
# line) rejected or revoked before.
AGAIN = ("pending", "rejected", "revoked")


# What `StaffActions.verdict` says: allowed; another municipality's (`place` names the first
# one not the staff member's); gone (a volunteer no longer registered: erased meanwhile); or,
# for a volunteer's decision for one municipality, one they no longer signed up for.
ALLOWED, NOT_YOURS, GONE, DROPPED = "allowed", "not_yours", "gone", "dropped"
# What `told` makes of GONE and DROPPED for a municipality's staff in their own municipality:
# not (or no longer) signed up there, whichever it is.
NOT_THERE = "not_there"


@dataclass(frozen=True)
class Verdict:
    """Whether a staff member may change a request or volunteer, and if not, why."""

    outcome: str
    place: str | None = None
    # The municipalities the change is about (for the audit log and the post's language).
    municipalities: tuple[str | None, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.outcome == ALLOWED


def _judged(scope: StaffScope, municipalities: Sequence[str | None]) -> Verdict:
    """`routing.may_act` as a verdict, naming the first municipality that is not theirs."""
    found = tuple(municipalities)
    if may_act(scope, found):
        return Verdict(ALLOWED, None, found)
    place = next((m for m in found if not scope.covers(m)), None)
    return Verdict(NOT_YOURS, place, found)


def told(verdict: Verdict, scope: StaffScope, municipality: str | None) -> Verdict:
    """`verdict` as it may be told to staff who name the volunteer by any id they like (the
    console's address, unlike the staff chats' signed buttons): for a municipality's staff,
    a refusal never tells a volunteer of another municipality from an id that is no one's.
    A decision not for one of their own municipalities is another municipality's, whoever
    the id is. In one of theirs, GONE (no one) and DROPPED (not signed up there, as is
    every other municipality's volunteer too) are one answer, NOT_THERE. The global staff,
    who see everyone, are told which. It never allows what `verdict` refused."""
    if scope.everywhere or verdict.outcome not in (GONE, DROPPED):
        return verdict
    if municipality is None or not scope.covers(municipality):
        return Verdict(NOT_YOURS, municipality)
    return Verdict(NOT_THERE, municipality)


class StaffActions:
    """Close, hand over, approve, reject, revoke, and mark a group handled, each audited."""

    def __init__(self, db: Database, desk: HelpDesk, audit: Audit) -> None:
        self.db = db
        self.desk = desk
        self.audit = audit

    async def verdict(
        self, scope: StaffScope, kind: str, target: int, municipality: str | None = None
    ) -> Verdict:
        """Whether staff with `scope` may change this request or volunteer, and if not why:
        the one rule for the staff chats' buttons, the console and the command line
        (`routing.may_act`), so Asker's staff cannot act on Öckerö's anywhere. A volunteer's
        decision for one of their municipalities needs staff of that one; one for none of
        them (a post from before) needs staff of all. A volunteer who is no longer there
        (erased meanwhile) is GONE for everyone: nothing to decide, and nothing refused."""
        if kind == "requests":
            # A request is never deleted (erasure keeps its row): one not found is nobody's
            # municipality's, the global staff's, whose change then finds nothing to change.
            request = await self.desk.requests.get(target)
            return _judged(scope, (request.municipality,) if request else ())
        if kind == "volunteers":
            volunteer = await self.desk.volunteers.get(target)
            if volunteer is None:
                return Verdict(GONE)
            if municipality is not None:
                if municipality not in volunteer.municipalities:
                    # Signed up again without it: nothing of theirs there to decide.
                    return Verdict(DROPPED, municipality)
                return _judged(scope, (municipality,))
            return _judged(scope, volunteer.municipalities)
        return Verdict(ALLOWED if scope.is_staff else NOT_YOURS)

    async def may_act(
        self, scope: StaffScope, kind: str, target: int, municipality: str | None = None
    ) -> bool:
        """Whether `verdict` allows it."""
        return (await self.verdict(scope, kind, target, municipality)).allowed

    async def close_request(self, who: Who, request_id: int) -> bool:
        """As the staff chat's Close: the resident and any volunteer are told."""
        request = await self.desk.requests.close_by_staff(request_id)
        if request is not None:
            await self.audit.record(who, "close", request.ref, request.municipality)
        return request is not None

    async def hand_over(self, who: Who, request_id: int, volunteer_id: int) -> str:
        """As the staff chat's hand-over: the help desk's claim status ("won" when it worked,
        "gone" when no such volunteer is registered)."""
        result = await self.desk.requests.assign(request_id, volunteer_id)
        if result.status == "won" and result.request is not None:
            volunteer = await self.desk.volunteers.get(volunteer_id)
            to = volunteer_target(volunteer.name if volunteer else None, volunteer_id)
            await self.audit.record(
                who, "hand_over", f"{result.request.ref} → {to}", result.request.municipality
            )
        return result.status

    async def decide(
        self,
        who: Who,
        user_id: int,
        approve: bool,
        municipality: str | None = None,
        again: bool = False,
    ) -> Volunteer | None:
        """As the staff chat's Approve and Reject, for `municipality` alone (all of the
        volunteer's, when None): the volunteer is told what for. Only a pending volunteer,
        unless `again` approves someone rejected or revoked. The volunteer as they are now,
        or None when nothing changed."""
        states = AGAIN if approve and again else ("pending",)
        decided = await self.desk.volunteers.decide_where(
            user_id, approve, None, states, _just(municipality)
        )
        if decided is None:
            return None
        volunteer, changed = decided
        action = "approve" if approve else "reject"
        await self._audit_decision(who, action, volunteer, changed)
        return volunteer

    async def revoke(
        self, who: Who, user_id: int, municipality: str | None = None
    ) -> Volunteer | None:
        """As the staff chat's Revoke: their requests there go back to the queue; they are
        told. The volunteer as they are now, or None when nothing changed."""
        revoked = await self.desk.volunteers.revoke_where(user_id, None, _just(municipality))
        if revoked is None:
            return None
        volunteer, changed = revoked
        await self._audit_decision(who, "revoke", volunteer, changed)
        return volunteer

    async def _audit_decision(
        self, who: Who, action: str, volunteer: Volunteer, changed: list[str]
    ) -> None:
        """Once for each municipality the decision changed, as the staff chat does, so each
        one's staff see it; once with none for a volunteer registered without any."""
        target = volunteer_target(volunteer.name, volunteer.user_id)
        places: list[str | None] = [*changed] or [None]
        for place in places:
            await self.audit.record(who, action, target, place)

    async def owner_of(self, key: str, municipalities: Collection[str]) -> str | None:
        """Which of `municipalities` the unanswered wording `key` was asked in, or None.
        Keys are hashes: those municipalities' unanswered questions are read again to find
        it (marking a group handled is rare; showing the page is not)."""
        mine = sorted(municipalities)

        def run(connection: sqlite3.Connection) -> str | None:
            marks = ", ".join("?" for _ in mine)
            rows = connection.execute(
                f"""SELECT DISTINCT text, municipality FROM questions
                    WHERE outcome = 'fallback' AND text IS NOT NULL
                      AND municipality IN ({marks})""",
                mine,
            )
            for text, municipality in rows:
                if wording_key(text, municipality) == key:
                    return str(municipality)
            return None

        return await self.db.read(run) if mine else None

    async def mark_handled(self, who: Who, key: str, municipality: str | None = None) -> None:
        """An unanswered-questions group is dealt with (the reports read handled_groups)."""

        def run(connection: sqlite3.Connection) -> None:
            connection.execute(
                """INSERT INTO handled_groups (key, staff_id, handled_at)
                   VALUES (?, ?, ?)
                   ON CONFLICT (key) DO UPDATE SET staff_id = excluded.staff_id,
                     handled_at = excluded.handled_at""",
                (key, who.staff_id, now()),
            )

        await self.db.run_write(run)
        await self.audit.record(who, "mark_handled", key, municipality)


def _just(municipality: str | None) -> list[str] | None:
    return [municipality] if municipality is not None else None
