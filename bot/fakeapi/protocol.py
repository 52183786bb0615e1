"""The Bot API's wire conventions: the JSON envelope, errors and parameter decoding."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "TOKEN_PATTERN",
    "ApiError",
    "ApiResponse",
    "Params",
    "bad_request",
    "forbidden",
]

# Real tokens have 35 characters after the colon; the example in Telegram's docs has 34.
TOKEN_PATTERN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{30,50}$")


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(
        self, status: int, description: str, parameters: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = dict(parameters) if parameters else None

    def to_response(self) -> ApiResponse:
        """The HTTP status and envelope Telegram sends for this error."""
        payload: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            payload["parameters"] = self.parameters
        return ApiResponse(self.status, payload)


def bad_request(message: str) -> ApiError:
    """A 400 "Bad Request: ..." error."""
    return ApiError(400, f"Bad Request: {message}")


def forbidden(message: str) -> ApiError:
    """A 403 "Forbidden: ..." error."""
    return ApiError(403, f"Forbidden: {message}")


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """An HTTP status with Telegram's JSON envelope."""

    status: int
    payload: dict[str, Any]

    @classmethod
    def success(cls, result: Any, description: str | None = None) -> ApiResponse:
        """`{"ok": true, "result": ...}`, with Telegram's optional description."""
        payload: dict[str, Any] = {"ok": True, "result": result}
        if description:
            payload["description"] = description
        return cls(200, payload)

    @property
    def ok(self) -> bool:
        """Whether this is a success."""
        return 200 <= self.status < 300

    @property
    def description(self) -> str | None:
        """The error (or success) description."""
        value = self.payload.get("description")
        return value if isinstance(value, str) else None

    def body(self) -> bytes:
        """The UTF-8 JSON body."""
        return json.dumps(self.payload, ensure_ascii=False, separators=(",", ":")).encode()


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


class Params:
    """A call's parameters, accepting native JSON values or strings as over form encoding.

    PTB, like most clients, sends every value as a string (objects JSON-encoded, strings
    raw); JSON bodies carry native types. Each getter records the decoded value in `decoded`
    for the call log.
    """

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw: dict[str, Any] = dict(raw)
        self.decoded: dict[str, Any] = dict(raw)

    def has(self, name: str) -> bool:
        """Whether the parameter was passed."""
        return self.raw.get(name) is not None

    def get_str(self, name: str) -> str | None:
        """A string parameter (numbers are accepted and converted)."""
        value = self.raw.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int | float):
            value = str(value)
        elif not isinstance(value, str):
            value = json.dumps(value)
        self.decoded[name] = value
        return value

    def get_int(self, name: str, *, error: str | None = None) -> int | None:
        """An integer parameter; a malformed one is a 400."""
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        result: int | None = None
        if isinstance(value, bool):
            result = int(value)
        elif isinstance(value, int):
            result = value
        elif isinstance(value, float) and value.is_integer():
            result = int(value)
        elif isinstance(value, str):
            try:
                result = int(value.strip())
            except ValueError:
                try:
                    number = float(value)
                except ValueError:
                    number = 0.5
                if number.is_integer():
                    result = int(number)
        if result is None:
            raise bad_request(error or f'field "{name}" must be of type Integer')
        self.decoded[name] = result
        return result

    def get_float(self, name: str) -> float | None:
        """A number parameter."""
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        try:
            result = float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Number') from None
        self.decoded[name] = result
        return result

    def get_bool(self, name: str, default: bool = False) -> bool:
        """A Boolean parameter ("true"/"false" as strings too)."""
        value = self.raw.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            result = value
        elif isinstance(value, int | float):
            result = bool(value)
        elif isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            result = value.strip().lower() in _TRUE
        else:
            raise bad_request(f'field "{name}" must be of type Boolean')
        self.decoded[name] = result
        return result

    def get_json(self, name: str, *, error: str) -> Any:
        """An object or array parameter, JSON-encoded when it came as a string."""
        value = self.raw.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            if value == "":
                return None
            try:
                value = json.loads(value)
            except ValueError:
                raise bad_request(error) from None
        self.decoded[name] = value
        return value

    def get_chat_id(self, name: str = "chat_id") -> int | str:
        """A chat id: an integer or "@username"; missing is Telegram's "chat_id is empty"."""
        value = self.raw.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, str) and value.strip().startswith("@"):
            self.decoded[name] = value.strip()
            return value.strip()
        result = self.get_int(name, error="chat not found")
        assert result is not None
        return result
