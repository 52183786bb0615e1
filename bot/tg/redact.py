"""The log filter that keeps the bot token out of every log, in the bot's process and in its
notice process (which imports this alone, not the whole bot)."""

from __future__ import annotations

import logging


class RedactToken(logging.Filter):
    """Defence in depth: whatever logs a URL or an error, the bot token never reaches a log."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg = message.replace(self.token, "<token>")
            record.args = None
        if record.exc_text and self.token in record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, "<token>")
        return True
