"""The bot's own HTTP server (aiohttp), in polling and webhook mode alike: Telegram's webhook,
the staff console, `/healthz` and `/metrics`.

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
from prometheus_client import CONTENT_TYPE_LATEST
from telegram import Update
from telegram.ext import Application

from bot.console.web import Console, add_console
from bot.helpdesk.routing import StaffScope
from bot.monitoring import health
from bot.tg.handlers.staff import StaffHandlers
from bot.tg.processing import is_update_id
from bot.tg.runtime import Runtime

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


def add_webhook(
    app: web.Application, application: AnyApplication, webhook_path: str, secret: str
) -> None:
    """The webhook at `/<webhook_path>`."""

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

    app.router.add_post(f"/{webhook_path}", webhook)


def add_monitoring(app: web.Application, runtime: Runtime) -> None:
    """`GET /healthz` (JSON; 200 healthy, 503 not) and `GET /metrics` (Prometheus text)."""

    async def healthz(request: web.Request) -> web.Response:
        """The bot's health, for the host's checks."""
        found = await health(runtime, runtime.metrics.last_update_at)
        return web.json_response(found.report, status=200 if found.healthy else 503)

    async def metrics(request: web.Request) -> web.Response:
        """Every metric, for Prometheus to scrape."""
        body = await runtime.metrics.exposition(runtime)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)


def make_web_app(
    application: AnyApplication,
    runtime: Runtime,
    webhook_path: str | None = None,
    secret: str | None = None,
) -> web.Application:
    """The bot's one aiohttp application: the webhook (when `webhook_path` is given), the
    staff console, `/healthz` and `/metrics`."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    if webhook_path is not None:
        assert secret is not None
        add_webhook(app, application, webhook_path, secret)
    add_monitoring(app, runtime)
    staff = StaffHandlers(runtime)

    async def is_staff(user_id: int) -> bool | None:
        return await staff.membership(application.bot, user_id)

    async def scope_of(user_id: int) -> StaffScope:
        return await staff.scope(application.bot, user_id)

    console = Console(
        runtime, is_staff, runtime.settings.console_url, scope_of, runtime.notice_wake.set
    )
    add_console(app, console)
    return app


async def serve(
    application: AnyApplication,
    runtime: Runtime,
    *,
    listen: str,
    port: int,
    webhook: tuple[str, str, str] | None = None,
) -> None:
    """Run the bot and its HTTP server until SIGINT or SIGTERM: polling for updates, or, with
    `webhook` (its local path, public URL and secret), receiving them through the server."""
    assert application.post_init is not None and application.updater is not None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    path, url, secret = webhook if webhook is not None else (None, None, None)
    await application.initialize()
    await application.post_init(application)
    polling = webhook is None
    if polling:
        # In the order of PTB's run_polling: the updater before the application.
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
    await application.start()
    runner = web.AppRunner(make_web_app(application, runtime, path, secret), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, listen, port).start()
        logger.info("serving HTTP on %s:%d", listen, port)
        if url is not None:
            # Telegram is told only once the server listens, so no update is sent to nobody.
            await application.bot.set_webhook(
                url, secret_token=secret, allowed_updates=Update.ALL_TYPES
            )
        await stop.wait()
    finally:
        await runner.cleanup()
        if polling and application.updater.running:
            await application.updater.stop()
        await application.stop()
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
