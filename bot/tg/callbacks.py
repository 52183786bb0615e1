"""Opaque, signed `callback_data` for inline buttons.

Telegram lets any client send any callback_data for a message, so every button carries an
HMAC over its content and the chat it was sent to. A forged, altered or moved button fails
`decode` and changes nothing. The encoding stays within Telegram's 64-byte limit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

MAX_BYTES = 64
_SEPARATOR = "|"
_SIGNATURE_BYTES = 6


class CallbackTooLong(ValueError):
    """The button's content does not fit in 64 bytes."""


@dataclass(frozen=True, slots=True)
class Callback:
    """A decoded button press: an action code and its arguments."""

    action: str
    args: tuple[str, ...]

    def arg(self, index: int) -> str:
        return self.args[index] if index < len(self.args) else ""


class CallbackCodec:
    """Encodes and verifies button data with a secret key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _sign(self, chat_id: int, body: str) -> str:
        mac = hmac.new(self._key, f"{chat_id}{_SEPARATOR}{body}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:_SIGNATURE_BYTES]).decode()

    def encode(self, chat_id: int, action: str, *args: str | int) -> str:
        """Button data for `action` in `chat_id`; raises CallbackTooLong past 64 bytes."""
        parts = [action, *(str(a) for a in args)]
        if any(_SEPARATOR in part for part in parts):
            raise ValueError(f"callback parts may not contain {_SEPARATOR!r}")
        body = _SEPARATOR.join(parts)
        data = f"{body}{_SEPARATOR}{self._sign(chat_id, body)}"
        if len(data.encode()) > MAX_BYTES:
            raise CallbackTooLong(f"callback data is {len(data.encode())} bytes: {body!r}")
        return data

    def decode(self, chat_id: int, data: str | None) -> Callback | None:
        """The button's action and arguments, or None when forged, malformed or moved."""
        if not data:
            return None
        try:
            size = len(data.encode())
        except UnicodeEncodeError:  # a lone surrogate, sent as a JSON escape
            return None
        if size > MAX_BYTES:
            return None
        body, separator, signature = data.rpartition(_SEPARATOR)
        if not separator or not body:
            return None
        # As bytes: compare_digest refuses strings with non-ASCII characters.
        if not hmac.compare_digest(signature.encode(), self._sign(chat_id, body).encode()):
            return None
        action, *args = body.split(_SEPARATOR)
        return Callback(action, tuple(args))
