"""How help requests read: in the volunteer group, to the volunteer, to residents and staff."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from bot.helpdesk.models import HelpRequest, Volunteer
from bot.messages import STAFF_LANG, escape, format_minutes, say, say_html
from bot.types import Action, Lang


@dataclass(frozen=True)
class Button:
    """A button to send: its label and what it does. Signed when it is sent."""

    label: str
    action: str
    args: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "action": self.action, "args": list(self.args)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Button:
        return cls(str(data["label"]), str(data["action"]), tuple(str(a) for a in data["args"]))


Keyboard = list[list[Button]]


def age(seconds: int, lang: Lang) -> str:
    minutes = max(seconds, 0) // 60
    if minutes < 1:
        return say("age_now", lang)
    if minutes < 120:
        return say("age_minutes", lang, n=str(minutes))
    return say("age_hours", lang, n=str(minutes // 60))


def summary(request: HelpRequest, lang: Lang) -> str:
    """The request as the resident gave it, without contact details."""
    lines = [
        f"<b>{say('label_help', lang)}</b>: {say(f'category_{request.category}', lang)}",
        f"<b>{say('label_description', lang)}</b>: {escape(request.description or '–')}",
        f"<b>{say('label_area', lang)}</b>: {escape(request.area or '–')}",
        f"<b>{say('label_when', lang)}</b>: {say(f'timing_{request.timing}', lang)}",
    ]
    return "\n".join(lines)


def group_message(
    request: HelpRequest, lang: Lang, now: int, volunteer_name: str | None
) -> tuple[str, Keyboard]:
    """The volunteer group's message for a request in its current state. No personal data."""
    values = {
        "ref": request.ref,
        "category": say(f"category_{request.category}", lang),
        "description": request.description or "–",
        "area": request.area or "–",
        "when": say(f"timing_{request.timing}", lang),
    }
    if request.state == "open":
        text = say("group_request", lang, age=age(now - request.created_at, lang), **values)
        return text, [[Button(say("button_take", lang), Action.CLAIM, (str(request.id),))]]
    if request.state == "claimed":
        return say("group_taken", lang, name=volunteer_name or "?", **values), []
    state = say(f"state_{request.state}", lang)
    return say("group_closed", lang, ref=request.ref, category=values["category"], state=state), []


def volunteer_offer(request: HelpRequest, lang: Lang, now: int) -> tuple[str, Keyboard]:
    """The private message to a volunteer who listed the request's area: the group's post,
    with its "I'll take it" button, before the group sees it. No personal data."""
    text, keyboard = group_message(request, lang, now, None)
    return say_html("volunteer_offer", lang, {"post": text}), keyboard


def volunteer_details(request: HelpRequest, lang: Lang) -> tuple[str, Keyboard]:
    """The private message that gives the one volunteer the resident's contact details."""
    name = request.resident_name or "?"
    if request.contact_method == "phone" and request.phone:
        contact = say("contact_via_phone", lang, name=name, phone=request.phone)
    else:
        username = f" (@{request.resident_username})" if request.resident_username else ""
        # A mention the volunteer can tap, not a raw tg:// address.
        mention = (
            f'<a href="tg://user?id={int(request.resident_id)}">{escape(name)}</a>'
            if request.resident_id
            else escape(name)
        )
        contact = say_html("contact_via_telegram", lang, {"mention": mention}, username=username)
    html = {"summary": summary(request, lang), "contact": contact}
    text = say_html("volunteer_details", lang, html, ref=request.ref)
    keyboard = [
        [
            Button(say("button_done", lang), Action.DONE, (str(request.id),)),
            Button(say("button_release", lang), Action.RELEASE, (str(request.id),)),
        ]
    ]
    return text, keyboard


def volunteer_details_gone(ref: str, state: str, lang: Lang) -> str:
    """What the volunteer's private message becomes once the request is no longer theirs."""
    return say("volunteer_details_gone", lang, ref=ref, state=say(f"state_{state}", lang))


def staff_escalation(
    request: HelpRequest, minutes: int, lang: Lang = STAFF_LANG
) -> tuple[str, Keyboard]:
    """The staff chat's alert for a request nobody has taken. No contact details."""
    text = say_html(
        "staff_escalation",
        lang,
        {"summary": summary(request, lang)},
        ref=request.ref,
        duration=format_minutes(minutes, lang),
    )
    keyboard = [
        [
            Button(say("button_staff_close", lang), Action.STAFF_CLOSE, (str(request.id),)),
            Button(say("button_staff_assign", lang), Action.STAFF_ASSIGN, (str(request.id),)),
        ]
    ]
    return text, keyboard


def staff_decided(volunteer: Volunteer, lang: Lang = STAFF_LANG) -> str:
    """A registration post once staff decided from the command line: the outcome, no buttons."""
    text, _ = staff_registration(volunteer, lang=lang)
    outcome = (
        say(f"staff_outcome_{volunteer.state}", lang)
        if volunteer.state in ("approved", "rejected", "revoked")
        else volunteer.state
    )
    return say_html("staff_decided_from_cli", lang, {"text": text}, outcome=outcome)


def staff_undeliverable(
    ref: str, volunteer: str | None, reason: str, lang: Lang = STAFF_LANG
) -> str:
    """The staff chat's alert that a request could not reach the volunteer it went to."""
    why = say("staff_telegram_said", lang, reason=reason) if reason else ""
    return say_html(
        "staff_undeliverable",
        lang,
        {"why": why},
        ref=ref,
        volunteer=volunteer or say("staff_the_volunteer", lang),
    )


def staff_registration(
    volunteer: Volunteer,
    earlier: Volunteer | None = None,
    lang: Lang = STAFF_LANG,
    places: Sequence[str] = (),
    decide_for: Sequence[str] = (),
) -> tuple[str, Keyboard]:
    """The staff chat's message about a new volunteer to vet, with how an earlier
    registration of the same person ended (rejected or revoked), if one did; its buttons
    decide for `decide_for` (`places` names the volunteer's municipalities, in order)."""
    skills = ", ".join(say(f"category_{s}", lang) for s in volunteer.skills) or "–"
    history = ""
    if earlier is not None and earlier.state in ("rejected", "revoked"):
        when = (
            datetime.fromtimestamp(earlier.decided_at, UTC).date().isoformat()
            if earlier.decided_at
            else say("staff_unknown_date", lang)
        )
        state = say(f"staff_state_{earlier.state}", lang)
        history = say("staff_registered_before", lang, state=state, date=when)
    text = say_html(
        "staff_registration",
        lang,
        {"history": history},
        id=str(volunteer.user_id),
        name=volunteer.name or "–",
        area=volunteer.area or "–",
        places=", ".join(places or volunteer.municipalities) or "–",
        skills=skills,
        phone=volunteer.phone or "–",
    )
    return text, decision_buttons(
        volunteer, lang, decide_for, dict(zip(volunteer.municipalities, places, strict=False))
    )


def decision_buttons(
    volunteer: Volunteer,
    lang: Lang,
    decide_for: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
) -> Keyboard:
    """Approve and Reject for each of `decide_for` still pending, and Revoke for each
    approved (a staff chat decides for its own municipalities only); for a volunteer
    registered without municipalities, Approve and Reject for them as a whole. A chat
    that decides for one municipality has the plain labels."""
    uid = str(volunteer.user_id)
    if not decide_for:
        return [
            [
                Button(say("button_approve", lang), Action.APPROVE, (uid,)),
                Button(say("button_reject", lang), Action.REJECT, (uid,)),
            ]
        ]
    rows: Keyboard = []
    for m in decide_for:
        place = (names or {}).get(m, m)

        def label(key: str, place: str = place) -> str:
            return say(key, lang) if len(decide_for) == 1 else say(f"{key}_for", lang, place=place)

        state = volunteer.state_in(m)
        if state == "pending":
            rows.append(
                [
                    Button(label("button_approve"), Action.APPROVE, (uid, m)),
                    Button(label("button_reject"), Action.REJECT, (uid, m)),
                ]
            )
        elif state == "approved":
            rows.append([Button(label("button_revoke"), Action.REVOKE, (uid, m))])
    return rows


# -- rendering at send time ------------------------------------------------------------------
#
# A transition stores a view's name and its values in the outbox (`queue_view`); the sender
# renders it with the function below, in the recipient's language at that moment. The values
# are JSON: a request or volunteer as `snapshot` makes it.

View = Callable[[dict[str, Any], Lang], tuple[str, Keyboard]]


def snapshot(record: HelpRequest | Volunteer) -> dict[str, Any]:
    """A request or volunteer as JSON values for a view."""
    return asdict(record)


def _request(values: dict[str, Any]) -> HelpRequest:
    return HelpRequest(**values["request"])


def _volunteer(data: dict[str, Any] | None) -> Volunteer | None:
    if not data:
        return None
    lists = {
        "skills": tuple(data["skills"]),
        "municipalities": tuple(data.get("municipalities", ())),
        "approvals": tuple((m, state) for m, state in data.get("approvals", ())),
    }
    return Volunteer(**{**data, **lists})


def _registration(values: dict[str, Any], lang: Lang) -> tuple[str, Keyboard]:
    volunteer = _volunteer(values["volunteer"])
    assert volunteer is not None
    places = [str(p) for p in values.get("places", ())]
    decide_for = [str(m) for m in values.get("decide_for", ())]
    earlier = _volunteer(values.get("earlier"))
    return staff_registration(volunteer, earlier, lang, places, decide_for)


def _decided(values: dict[str, Any], lang: Lang) -> tuple[str, Keyboard]:
    """The outcome, and the buttons left for the municipalities the post decides for (none
    for a volunteer registered without municipalities, or a post stored before)."""
    volunteer = _volunteer(values["volunteer"])
    assert volunteer is not None
    decide_for = [str(m) for m in values.get("decide_for", ())]
    if not decide_for:
        return staff_decided(volunteer, lang), []
    names = dict(zip(volunteer.municipalities, values.get("places", ()), strict=False))
    return staff_decided(volunteer, lang), decision_buttons(volunteer, lang, decide_for, names)


VIEWS: dict[str, View] = {
    "say": lambda values, lang: (say(values["key"], lang, **values.get("values", {})), []),
    "volunteer_details": lambda values, lang: volunteer_details(_request(values), lang),
    "volunteer_offer": lambda values, lang: volunteer_offer(
        _request(values), lang, int(time.time())
    ),
    "volunteer_details_gone": lambda values, lang: (
        volunteer_details_gone(values["ref"], values["state"], lang),
        [],
    ),
    "staff_escalation": lambda values, lang: staff_escalation(
        _request(values), int(values["minutes"]), lang
    ),
    "staff_registration": _registration,
    "staff_decided": _decided,
    "staff_undeliverable": lambda values, lang: (
        staff_undeliverable(values["ref"], values.get("volunteer"), values["reason"], lang),
        [],
    ),
}
