"""The bot's own HTTP server (aiohttp): Telegram's webhook.

PTB's built-in webhook server answers 500 to a body it cannot read as an update, so Telegram
would retry it forever, and it keeps no record of why. Here the body is checked before anything
is stored: a wrong secret is 403, anything that is not a Telegram update (not JSON, NaN, no
whole-number update_id, an object PTB cannot read) is 400 and never stored, and an update is
answered 200 only once it is recorded in the inbox, so Telegram never counts as delivered an
update the bot could lose.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.tg.processing import is_update_id

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are a few kilobytes; a megabyte is far beyond any of them.
MAX_BODY_BYTES = 1024 * 1024

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class NotAnUpdate(ValueError):
    """A webhook body that is not a Telegram update."""


def _no_constants(name: str) -> Any:
    raise NotAnUpdate(f"{name} is not JSON")


def parse_update(body: bytes, application: AnyApplication) -> Update:
    """The update in a webhook body; NotAnUpdate says why it is not one."""
    try:
        data = json.loads(body, parse_constant=_no_constants)
    except UnicodeDecodeError as exc:
        raise NotAnUpdate("the body is not UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise NotAnUpdate(f"the body is not JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise NotAnUpdate("the body is not a JSON object")
    if not is_update_id(data.get("update_id")):
        raise NotAnUpdate("update_id is not a whole number")
    try:
        update = Update.de_json(data, application.bot)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise NotAnUpdate(f"the update cannot be read ({type(exc).__name__})") from exc
    if update is None:
        raise NotAnUpdate("the update is empty")
    return update


def make_web_app(application: AnyApplication, webhook_path: str, secret: str) -> web.Application:
    """The aiohttp application: the webhook at `/<webhook_path>`."""

    async def webhook(request: web.Request) -> web.Response:
        """One update from Telegram: 200 once it is stored, 400 if it is not an update."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.json_response({"ok": False, "error": "wrong secret"}, status=403)
        try:
            body = await request.read()
            update = parse_update(body, application)
        except web.HTTPRequestEntityTooLarge:
            logger.warning("the webhook refused a body larger than %d bytes", MAX_BODY_BYTES)
            raise
        except NotAnUpdate as exc:
            # The reason only: the body may hold a resident's message.
            logger.warning("the webhook refused a body that is not an update: %s", exc)
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        await application.update_queue.put(update)
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_post(f"/{webhook_path}", webhook)
    return app


async def serve_webhook(
    application: AnyApplication,
    *,
    listen: str,
    port: int,
    webhook_path: str,
    webhook_url: str,
    secret: str,
) -> None:
    """Run the bot behind its own webhook server until SIGINT or SIGTERM."""
    assert application.post_init is not None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await application.initialize()
    await application.post_init(application)
    await application.start()
    runner = web.AppRunner(make_web_app(application, webhook_path, secret), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, listen, port).start()
        # Telegram is told only once the server listens, so no update is sent to nobody.
        await application.bot.set_webhook(
            webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
        )
        logger.info("listening for the webhook on %s:%d", listen, port)
        await stop.wait()
    finally:
        await runner.cleanup()
        await application.stop()
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
