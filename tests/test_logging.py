"""What reaches the log: never the token, never a resident's message."""

from __future__ import annotations

import logging

import pytest

from bot.config import load_settings
from bot.tg.run import PTB_UPDATER_LOGGER, configure_logging

TOKEN = "123456:ABCdefGhIJKlmNoPQRsTUVwxyZ"
SECRET_TEXT = "min adresse er Storgata 5 og jeg er syk"


def test_malformed_webhook_data_is_logged_without_its_content(
    caplog: pytest.LogCaptureFixture,
) -> None:
    configure_logging(load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "LOG_LEVEL": "INFO"}))
    data = {"update_id": "NaN", "message": {"text": SECRET_TEXT}}
    try:
        raise ValueError(f"bad update {data}")
    except ValueError as error:
        # What python-telegram-bot's webhook server logs when it cannot read an update.
        logging.getLogger(PTB_UPDATER_LOGGER).critical(
            "Something went wrong processing the data received from Telegram. "
            "Received data was *not* processed! Received data was: %r",
            data,
            exc_info=error,
        )
    assert caplog.records, "the event itself is logged"
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert SECRET_TEXT not in logged
    assert "Storgata" not in logged
    assert "not an update (ValueError)" in logged
