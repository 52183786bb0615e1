"""The staff console on the web: the HTTP routes under /console/ (server.py), what each page
shows (pages.py) and how it is rendered (views.py, templates/, static/); the Notices page and
its routes (notices.py) call the notices service. It renders the console's reports
(bot/console) and calls the help desk through bot/console/actions.py; the Telegram layer
serves it on the bot's one aiohttp application, never the reverse."""

from bot.console.web.server import COOKIE, NAV, Console, add_console

__all__ = ["COOKIE", "NAV", "Console", "add_console"]
