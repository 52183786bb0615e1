"""`python -m bot.fakeapi`: serve a fake Telegram on 127.0.0.1 for manual testing."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence

from bot.fakeapi.core import DEFAULT_TOKEN, FakeTelegram
from bot.fakeapi.server import FakeTelegramServer

_LOGGER = logging.getLogger("bot.fakeapi")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot.fakeapi",
        description="A local stand-in for the Telegram Bot API. Point the bot at it with "
        "TELEGRAM_BASE_URL=http://127.0.0.1:PORT/bot and drive it via /_test/ (see "
        "bot/fakeapi/server.py).",
    )
    parser.add_argument("--port", type=int, default=8081, help="port on 127.0.0.1 (0: any)")
    parser.add_argument(
        "--token",
        action="append",
        help=f"bot token to accept (repeatable; default {DEFAULT_TOKEN})",
    )
    parser.add_argument("--username", default="crisis_help_test_bot", help="the bot's username")
    parser.add_argument(
        "--no-privacy", action="store_true", help="the bot sees every group message"
    )
    parser.add_argument(
        "--lenient-html", action="store_true", help="accept bare '&' and unknown attributes"
    )
    parser.add_argument("--rate-limits", action="store_true", help="answer 429 when the bot floods")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING...")
    return parser


async def _serve(args: argparse.Namespace) -> None:
    cores = [
        FakeTelegram(
            token,
            username=args.username,
            privacy_mode=not args.no_privacy,
            strict_html=not args.lenient_html,
        )
        for token in args.token or [DEFAULT_TOKEN]
    ]
    for core in cores:
        if args.rate_limits:
            core.enable_rate_limits()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with FakeTelegramServer(*cores, port=args.port) as server:
        _LOGGER.info("Bot API base URL: %s (test API under %s/_test/)", server.base_url, server.url)
        for core in cores:
            _LOGGER.info("accepting token %s (bot @%s)", core.token, core.bot_user.username)
        await stop.wait()
    _LOGGER.info("stopped")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until interrupted."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    try:
        asyncio.run(_serve(args))
    except ValueError as error:
        _LOGGER.error("%s", error)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
