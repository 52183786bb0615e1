"""`python -m bot run`: serve residents on Telegram, by polling or through a webhook, with the
bot's HTTP server (console, health, metrics) on PORT in both modes."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from bot.config import Settings
from bot.errors import ConfigError
from bot.tg.app import build_application
from bot.tg.redact import RedactToken
from bot.tg.runtime import Runtime
from bot.tg.web import serve

logger = logging.getLogger(__name__)


class DropUpdateContent(logging.Filter):
    """PTB's webhook server logs the whole body it could not read as an update, at CRITICAL:
    a resident's message would reach the log. Keep the event, never the content."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "received data" in str(record.msg).lower():
            error = record.exc_info[1] if record.exc_info else None
            kind = f" ({type(error).__name__})" if error is not None else ""
            record.msg = (
                f"the webhook received data that is not an update{kind}; it was refused, "
                "and its content is not logged"
            )
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


# PTB's logger for its updater and webhook server.
PTB_UPDATER_LOGGER = "telegram.ext.Updater"
# Libraries that log what must not reach a log at any level: request URLs hold the token,
# and aiosqlite at DEBUG logs every SQL statement with its parameters (residents' messages).
_QUIET_LIBRARIES = ("httpx", "httpcore", "aiosqlite")


def configure_logging(settings: Settings) -> None:
    """The bot's own loggers at the configured level; libraries never below INFO.

    At DEBUG, libraries log whole updates and queries, so DEBUG applies to `bot.*` only.
    """
    level = logging.getLevelName(settings.log_level)
    logging.basicConfig(
        level=max(level, logging.INFO), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("bot").setLevel(level)
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    updater = logging.getLogger(PTB_UPDATER_LOGGER)
    if not any(isinstance(f, DropUpdateContent) for f in updater.filters):
        updater.addFilter(DropUpdateContent())
    if settings.token:
        for handler in logging.getLogger().handlers:
            handler.addFilter(RedactToken(settings.token))


def webhook_path(settings: Settings) -> str:
    """The local path the webhook server listens on: the path of WEBHOOK_URL."""
    if not settings.webhook_url:
        raise ConfigError("WEBHOOK_URL", "is required with --webhook")
    if not settings.webhook_secret:
        raise ConfigError("WEBHOOK_SECRET", "is required with --webhook")
    path = urlsplit(settings.webhook_url).path.strip("/")
    if not path:
        raise ConfigError("WEBHOOK_URL", "needs a path, such as https://example.org/telegram")
    return path


def run_bot(settings: Settings, webhook: bool) -> int:
    """Run until stopped (SIGINT or SIGTERM)."""
    settings.require_token()
    path = webhook_path(settings) if webhook else ""
    configure_logging(settings)
    runtime = Runtime(settings)
    runtime.knowledge.require_usable()
    application = build_application(settings, runtime)
    webhook_setup = None
    if webhook:
        assert settings.webhook_url is not None and settings.webhook_secret is not None
        webhook_setup = (path, settings.webhook_url, settings.webhook_secret)
    logger.info("starting with %s", "a webhook" if webhook else "long polling")
    asyncio.run(
        serve(
            application, runtime, listen=settings.listen, port=settings.port, webhook=webhook_setup
        )
    )
    return 0
