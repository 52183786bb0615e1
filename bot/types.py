"""The few value types every layer shares, and the one place a language code is read.

They live apart from the knowledge base's pydantic schema, so the help desk, the Telegram layer
and the answer engine can name a language without importing the file formats.
"""

from __future__ import annotations

from enum import StrEnum, unique
from typing import Literal

Lang = Literal["nb", "sv", "en"]
Country = Literal["NO", "SE"]
Situation = Literal["medical", "fire", "violence", "suicide", "water", "missing"]
LANGS: tuple[Lang, ...] = ("nb", "sv", "en")

# Norwegian Bokmål and Nynorsk are answered in Bokmål, the language the documents use.
_BASES: dict[str, Lang] = {"nb": "nb", "nn": "nb", "no": "nb", "sv": "sv", "en": "en"}


def to_lang(code: str | None, *, strict: bool = False) -> Lang | None:
    """The reply language for a language code ("nb", "nn", "no-NO", "sv_SE", "en-GB").

    None for no code. Another language ("de") is English, the language everyone is offered
    besides their own; with `strict` (a code someone typed as a choice) it is None instead.
    """
    if not code or not code.strip():
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    found = _BASES.get(base)
    if found is None and not strict:
        return "en"
    return found


def lang_or_english(code: str | None) -> Lang:
    """`to_lang`, with English when there is no code."""
    return to_lang(code) or "en"


@unique
class Action(StrEnum):
    """Every button's action code, in one place; `unique` refuses two names for one code.

    Codes are short because a button's callback data holds 64 bytes, and they never change:
    buttons already sent carry them.
    """

    # The resident's menu and answers
    SET_MUNICIPALITY = "m"
    SET_LANGUAGE = "l"
    MENU = "menu"
    TOPIC = "t"
    ENTRY = "e"
    FEEDBACK = "f"
    ASK_STAFF = "s"
    ANSWER_FOR = "q"
    NONE_OF_THESE = "n"
    # Emergencies
    NOT_EMERGENCY = "ne"
    CONTINUE = "ec"
    # Asking for help and registering as a volunteer
    PRACTICAL_HELP = "h"  # start asking for help, optionally with a category
    CHOOSE = "ik"
    BACK = "ib"
    QUIT = "ix"
    SEND = "is"
    RESUME = "iu"  # go on with the conversation in progress
    SEND_ANYWAY = "ia"  # store a request although it looks like one still active
    SWITCH = "iw"  # drop it and start another (the argument: request or volunteer)
    FORGET_YES = "fy"
    FORGET_NO = "fn"
    RESIDENT_CANCEL = "x"
    # Volunteers
    CLAIM = "c"
    DONE = "d"
    RELEASE = "r"
    # Staff
    STAFF_CLOSE = "sc"
    STAFF_ASSIGN = "sa"
    STAFF_GIVE = "sv"
    APPROVE = "va"
    REJECT = "vr"
    REVOKE = "vk"
    # Urgent notices: a resident's answer to the offer, and staff's buttons on a notice
    NOTICES_YES = "ny"
    NOTICES_NO = "nn"
    NOTICE_SEND = "ns"  # send, or approve and send under the two-person rule
    NOTICE_DISCARD = "nd"
    NOTICE_PAUSE = "np"
    NOTICE_RESUME = "nr"
    NOTICE_CANCEL = "nc"
    NOTICE_END = "nx"
