"""Button action codes: one name each, short, and every one of them built and handled."""

from __future__ import annotations

import re
from pathlib import Path

import bot
from bot.types import Action

SOURCES = "\n".join(
    path.read_text(encoding="utf-8") for path in Path(bot.__file__).parent.rglob("*.py")
)


def test_every_code_has_one_name_and_fits_the_callback_data() -> None:
    codes = [action.value for action in Action]
    assert len(codes) == len(set(codes))
    assert all(1 <= len(code) <= 4 and code.isascii() for code in codes)


def test_every_action_is_both_put_on_a_button_and_handled() -> None:
    for action in Action:
        uses = len(re.findall(rf"\bAction\.{action.name}\b", SOURCES))
        assert uses >= 2, f"Action.{action.name} is used {uses} time(s): built but never handled?"


def test_every_action_belongs_to_exactly_one_flow() -> None:
    from bot.tg.handlers.emergency import EmergencyHandlers
    from bot.tg.handlers.intake import HelpDeskHandlers
    from bot.tg.handlers.notices import NoticeHandlers
    from bot.tg.handlers.resident import ResidentHandlers
    from bot.tg.handlers.staff import StaffHandlers
    from bot.tg.handlers.volunteer import VolunteerHandlers

    flows = [
        EmergencyHandlers,
        ResidentHandlers,
        HelpDeskHandlers,
        VolunteerHandlers,
        StaffHandlers,
        NoticeHandlers,
    ]
    owned = [action for flow in flows for action in flow.ACTIONS]
    assert len(owned) == len(set(owned)), "an action is claimed by two flows"
    assert set(owned) == set(Action)
