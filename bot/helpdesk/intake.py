"""The steps of asking for help, and of registering as a volunteer, as pure state machines.

A conversation is a kind, a step and the answers so far. It is stored after every step, so a
restart in the middle of intake carries on where the resident was. Each function takes the
current state and an input and returns the next state, or the reason the input was refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from bot.helpdesk.models import CATEGORIES, TIMINGS
from bot.text import clean, fold, has_letters, tokens

Kind = Literal["request", "volunteer"]

REQUEST_STEPS = (
    "category",
    "description",
    "area",
    "timing",
    "contact",
    "phone",
    "consent",
    "confirm",
)
VOLUNTEER_STEPS = ("name", "municipalities", "area", "skills", "phone", "confidentiality")

# Typed alone (or with "please"), these end the conversation like the cancel button.
CANCEL_WORDS = frozenset(
    fold(word)
    for word in "avbryt avbryte stopp stop slutt avslutt cancel quit exit abort glem".split()
)
# A question typed at a step that does not take one is answered, and the step asked again.
# The description may itself be phrased as a question ("can someone buy milk?").
_QUESTION_STEPS = frozenset({"area", "timing", "contact", "consent", "confirm", "name", "skills"})
_QUESTION_WORDS = frozenset(
    fold(word)
    for word in """
        hva hvem hvor hvordan hvorfor når hvilken hvilke kva kven kor korleis kvifor vad vem
        var hur varför när vilken vilka what who where how why when which
    """.split()
)


def is_cancel(text: str) -> bool:
    """True when the whole message says "stop" ("avbryt", "Stopp!", "cancel please")."""
    words = tokens(text)
    return 1 <= len(words) <= 2 and words[0] in CANCEL_WORDS


def is_question_at(conversation: Conversation, text: str) -> bool:
    """True when `text`, typed at this step, is a question rather than the step's answer."""
    if conversation.step not in _QUESTION_STEPS:
        return False
    words = tokens(text)
    if len(words) < 2:
        return False
    return clean(text).endswith("?") or words[0] in _QUESTION_WORDS


MAX_DESCRIPTION = 300
MIN_DESCRIPTION = 5
MAX_AREA = 60
MAX_NAME = 60
_HOUSE_NUMBER = re.compile(r"\b\d{1,4}\s*[a-z]?\b", re.IGNORECASE)
_PHONE_CHARS = re.compile(r"^\+?[\d\s().-]+$")
# Contact details typed into the text the whole group sees: a phone-like run of digits, a
# Telegram @username or an email address.
_CONTACT_IN_TEXT = re.compile(r"\+?\d(?:[\s.-]?\d){6,}|(?<!\w)@\w{3,}|\b[\w.+-]+@[\w-]+\.\w+")


def shows_contact_details(text: str) -> bool:
    """True when text meant for the volunteer group carries a phone number, @name or email."""
    return bool(_CONTACT_IN_TEXT.search(text))


@dataclass(frozen=True)
class Conversation:
    """Where a resident or volunteer is in a multi-step conversation with the bot."""

    kind: Kind
    step: str
    data: dict[str, str] = field(default_factory=dict)

    def with_answer(self, key: str, value: str, step: str) -> Conversation:
        return replace(self, step=step, data={**self.data, key: value})


@dataclass(frozen=True)
class Outcome:
    """The next state, or `error`: a message key saying why the input was refused."""

    conversation: Conversation
    error: str | None = None


def normalise_phone(text: str) -> str | None:
    """A phone number as typed or shared, tidied; None when it cannot be one."""
    value = clean(text).strip()
    if not _PHONE_CHARS.match(value):
        return None
    digits = re.sub(r"\D", "", value)
    if not 8 <= len(digits) <= 15:
        return None
    return ("+" if value.startswith("+") else "") + digits


# -- asking for help -----------------------------------------------------------------------


def start_request(category: str | None = None) -> Conversation:
    """A new request; a known category (from the resident's message) skips the first step."""
    if category in CATEGORIES:
        return Conversation("request", "description", {"category": category})
    return Conversation("request", "category")


def _next_after_contact(data: dict[str, str]) -> str:
    return "phone" if data.get("contact") == "phone" and not data.get("phone") else "consent"


def request_choice(conversation: Conversation, value: str) -> Outcome:
    """A button was pressed in the request conversation."""
    step = conversation.step
    if step == "category" and value in CATEGORIES:
        return Outcome(conversation.with_answer("category", value, "description"))
    if step == "timing" and value in TIMINGS:
        return Outcome(conversation.with_answer("timing", value, "contact"))
    if step == "contact" and value in ("telegram", "phone"):
        data = {k: v for k, v in conversation.data.items() if k != "phone"}
        changed = Conversation("request", step, data).with_answer("contact", value, "")
        return Outcome(replace(changed, step=_next_after_contact(changed.data)))
    if step == "consent" and value == "yes":
        return Outcome(conversation.with_answer("consent", "yes", "confirm"))
    return Outcome(conversation, "button_expired")


def request_text(conversation: Conversation, text: str) -> Outcome:
    """The resident typed something in the request conversation."""
    value = clean(text)
    step = conversation.step
    if step == "description":
        if len(value) > MAX_DESCRIPTION:
            return Outcome(conversation, "intake_description_too_long")
        if len(value) < MIN_DESCRIPTION or not has_letters(value):
            return Outcome(conversation, "intake_description_too_short")
        if shows_contact_details(value):
            return Outcome(conversation, "intake_no_contact_details")
        return Outcome(conversation.with_answer("description", value, "area"))
    if step == "area":
        if len(value) > MAX_AREA:
            return Outcome(conversation, "intake_area_too_long")
        if len(value) < 2 or not has_letters(value):
            return Outcome(conversation, "intake_area_too_short")
        if shows_contact_details(value):
            return Outcome(conversation, "intake_no_contact_details")
        if _HOUSE_NUMBER.search(value):
            return Outcome(conversation, "intake_area_no_address")
        return Outcome(conversation.with_answer("area", value, "timing"))
    if step == "phone":
        return request_phone(conversation, value)
    return Outcome(conversation, "intake_use_buttons")


def request_phone(conversation: Conversation, number: str) -> Outcome:
    """A phone number, typed or shared with Telegram's contact button."""
    if conversation.step != "phone":
        return Outcome(conversation, "intake_use_buttons")
    phone = normalise_phone(number)
    if phone is None:
        return Outcome(conversation, "intake_phone_invalid")
    return Outcome(conversation.with_answer("phone", phone, "consent"))


def request_back(conversation: Conversation) -> Conversation:
    """One step back; at the first step, stay."""
    order = [
        s for s in REQUEST_STEPS if s != "phone" or conversation.data.get("contact") == "phone"
    ]
    if conversation.step not in order:
        return conversation
    index = order.index(conversation.step)
    return replace(conversation, step=order[max(index - 1, 0)])


# -- registering as a volunteer --------------------------------------------------------------


def start_volunteer(municipality: str | None = None) -> Conversation:
    """A new registration; the municipality the person chose as a resident is ticked."""
    data = {"municipalities": municipality} if municipality else {}
    return Conversation("volunteer", "name", data)


def _toggled(chosen: str, value: str, order: Sequence[str]) -> str:
    """A comma-separated choice with `value` ticked or unticked, in `order`."""
    picked = [s for s in chosen.split(",") if s]
    picked = [s for s in picked if s != value] if value in picked else [*picked, value]
    return ",".join(c for c in order if c in picked)


def volunteer_text(conversation: Conversation, text: str) -> Outcome:
    """The volunteer typed something during registration."""
    value = clean(text)
    step = conversation.step
    if step == "name":
        if not has_letters(value) or len(value) < 2:
            return Outcome(conversation, "volunteer_name_invalid")
        if len(value) > MAX_NAME:
            return Outcome(conversation, "volunteer_name_too_long")
        return Outcome(conversation.with_answer("name", value, "municipalities"))
    if step == "area":
        if not has_letters(value) or len(value) < 2:
            return Outcome(conversation, "intake_area_too_short")
        if len(value) > MAX_AREA:
            return Outcome(conversation, "intake_area_too_long")
        return Outcome(conversation.with_answer("area", value, "skills"))
    if step == "phone":
        phone = normalise_phone(value)
        if phone is None:
            return Outcome(conversation, "intake_phone_invalid")
        return Outcome(conversation.with_answer("phone", phone, "confidentiality"))
    return Outcome(conversation, "intake_use_buttons")


def volunteer_choice(
    conversation: Conversation, value: str, municipalities: Sequence[str] = ()
) -> Outcome:
    """A button was pressed during registration; `municipalities` are those to choose from."""
    step = conversation.step
    if step == "municipalities" and value in municipalities:
        chosen = _toggled(conversation.data.get("municipalities", ""), value, municipalities)
        return Outcome(conversation.with_answer("municipalities", chosen, step))
    if step == "municipalities" and value == "done":
        if not conversation.data.get("municipalities"):
            return Outcome(conversation, "volunteer_municipalities_needed")
        return Outcome(replace(conversation, step="area"))
    if step == "skills" and value in CATEGORIES:
        chosen = _toggled(conversation.data.get("skills", ""), value, CATEGORIES)
        return Outcome(conversation.with_answer("skills", chosen, "skills"))
    if step == "skills" and value == "done":
        if not conversation.data.get("skills"):
            return Outcome(conversation, "volunteer_skills_needed")
        return Outcome(replace(conversation, step="phone"))
    if step == "phone" and value == "skip":
        data = {k: v for k, v in conversation.data.items() if k != "phone"}
        return Outcome(Conversation("volunteer", "confidentiality", data))
    if step == "confidentiality" and value == "yes":
        return Outcome(conversation.with_answer("confidentiality", "yes", "submitted"))
    return Outcome(conversation, "button_expired")


def volunteer_back(conversation: Conversation) -> Conversation:
    if conversation.step not in VOLUNTEER_STEPS:
        return conversation
    index = VOLUNTEER_STEPS.index(conversation.step)
    return replace(conversation, step=VOLUNTEER_STEPS[max(index - 1, 0)])
