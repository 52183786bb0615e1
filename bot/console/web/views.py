"""Rendering the console: Jinja templates that escape every value, the catalogue's strings in
the staff member's language, and times in the municipality's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_date

from bot.console.reports import COUNTRY_ZONES, DEFAULT_ZONE
from bot.console.text import short_datetime
from bot.messages import BABEL_LOCALES, MESSAGES, format_minutes
from bot.types import Lang

# Each country's municipalities keep one time zone.
# With no municipality chosen, a Swedish reader sees Stockholm's time (the same offset).
READER_ZONE = {"sv": "Europe/Stockholm"}

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("bot.console.web", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class Texts:
    """The catalogue's console strings in one language, as plain text (templates escape)."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    def __call__(self, key: str, **values: Any) -> str:
        table = MESSAGES[key]
        return (table.get(self.lang) or table["en"]).format(**values)


@lru_cache(maxsize=8)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_name(country: str | None, lang: Lang) -> str:
    """The time zone of a municipality's country; without one, the reader's."""
    return COUNTRY_ZONES.get(country or "") or READER_ZONE.get(lang, DEFAULT_ZONE)


def local_time(stamp: int | float | None, zone_id: str, lang: Lang) -> str:
    """A Unix time as a short date and time in `zone_id`, written the reader's way."""
    if stamp is None:
        return ""
    moment = datetime.fromtimestamp(stamp, UTC).astimezone(zone(zone_id))
    pattern, locale = short_datetime(lang)
    return str(pattern.apply(moment, locale))


def local_hour(stamp: int, zone_id: str) -> int:
    return datetime.fromtimestamp(stamp, UTC).astimezone(zone(zone_id)).hour


def local_day(stamp: int, zone_id: str, lang: Lang) -> str:
    """A day as a short label: "2. des." (nb), "2 dec." (sv), "2 Dec" (en)."""
    moment = datetime.fromtimestamp(stamp, UTC).astimezone(zone(zone_id))
    return str(format_date(moment.date(), "d MMM", locale=BABEL_LOCALES[lang]))


def age(seconds: int | float, lang: Lang) -> str:
    """How long ago, in words: "2 hours 5 minutes"."""
    return format_minutes(int(seconds // 60), lang)


def render(template: str, **context: Any) -> str:
    return _ENV.get_template(template).render(**context)
