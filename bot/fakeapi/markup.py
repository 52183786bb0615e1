"""Validation of `reply_markup`: inline keyboards, reply keyboards, removal and force reply."""

from __future__ import annotations

from typing import Any

from bot.fakeapi.html import normalize_url
from bot.fakeapi.protocol import bad_request

__all__ = ["INLINE_ACTIONS", "validate_reply_markup"]

INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_INLINE_EXTRA = ("icon_custom_emoji_id", "style")
_KEYBOARD_REQUESTS = (
    "request_contact",
    "request_location",
    "request_poll",
    "request_users",
    "request_chat",
    "web_app",
)
_MAX_BUTTONS = 100
_MAX_CALLBACK_DATA = 64


def validate_reply_markup(markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Check a decoded reply_markup like Telegram; returns it normalised, or None if absent."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return _inline_keyboard(markup["inline_keyboard"])
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        return _reply_keyboard(markup)
    if "remove_keyboard" in markup:
        if markup["remove_keyboard"] is not True:
            raise bad_request('field "remove_keyboard" of the ReplyKeyboardRemove must be True')
        result: dict[str, Any] = {"remove_keyboard": True}
        if isinstance(markup.get("selective"), bool):
            result["selective"] = markup["selective"]
        return result
    if "force_reply" in markup:
        if markup["force_reply"] is not True:
            raise bad_request('field "force_reply" of the ForceReply must be True')
        return {key: markup[key] for key in markup if key != "force_reply"} | {"force_reply": True}
    raise bad_request("can't parse reply keyboard markup JSON object")


def _rows(value: Any, field: str, kind: str) -> list[list[Any]]:
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        raise bad_request(f'field "{field}" of the {kind} should be an Array of Arrays')
    if sum(len(row) for row in value) > _MAX_BUTTONS:
        raise bad_request("REPLY_MARKUP_TOO_LONG")
    return value


def _inline_keyboard(value: Any) -> dict[str, Any]:
    rows = _rows(value, "inline_keyboard", "InlineKeyboardMarkup")
    checked = [[_inline_button(button) for button in row] for row in rows]
    return {"inline_keyboard": checked}


def _inline_button(button: Any) -> dict[str, Any]:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise bad_request(prefix + "InlineKeyboardButton should be an Object")
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request(prefix + 'Field "text" must be of type String')
    actions = [name for name in INLINE_ACTIONS if button.get(name) is not None]
    if not actions:
        raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad_request(
            prefix + f"a button must use exactly one of the optional fields, got {actions}"
        )
    action = actions[0]
    value = button[action]
    if action == "callback_data":
        if not isinstance(value, str) or not 1 <= len(value.encode()) <= _MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
    elif action == "url" and (not isinstance(value, str) or normalize_url(value) is None):
        raise bad_request("BUTTON_URL_INVALID")
    result: dict[str, Any] = {"text": text, action: value}
    for extra in _INLINE_EXTRA:
        if extra in button:
            result[extra] = button[extra]
    return result


def _reply_keyboard(markup: dict[str, Any]) -> dict[str, Any]:
    rows = _rows(markup["keyboard"], "keyboard", "ReplyKeyboardMarkup")
    keyboard: list[list[dict[str, Any]]] = []
    for row in rows:
        checked_row: list[dict[str, Any]] = []
        for button in row:
            if isinstance(button, str):
                checked_row.append({"text": button})
                continue
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )
            requests = [name for name in _KEYBOARD_REQUESTS if button.get(name)]
            if len(requests) > 1:
                raise bad_request(
                    f"can't parse keyboard button: more than one request field: {requests}"
                )
            checked_row.append(dict(button))
        keyboard.append(checked_row)
    placeholder = markup.get("input_field_placeholder")
    if placeholder is not None and (not isinstance(placeholder, str) or len(placeholder) > 64):
        raise bad_request("input field placeholder is too long")
    result: dict[str, Any] = {"keyboard": keyboard}
    for option in (
        "is_persistent",
        "resize_keyboard",
        "one_time_keyboard",
        "input_field_placeholder",
        "selective",
    ):
        if option in markup:
            result[option] = markup[option]
    return result
