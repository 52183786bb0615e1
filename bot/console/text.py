"""Catalogue texts, times and language names as plain text for the console.

`bot.messages.say` escapes values for Telegram's HTML; the console's texts go into SVG and
HTML pages (which escape them where they render them), CSV and YAML (which must not be
escaped at all). So here a value is put in as it is, and whoever renders escapes once.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from babel import Locale
from babel.dates import (
    DateTimePattern,
    get_date_format,
    get_datetime_format,
    get_time_format,
    parse_pattern,
)

from bot.messages import BABEL_LOCALES, MESSAGES
from bot.types import LANGS, Lang


def plain(key: str, lang: Lang, **values: str) -> str:
    """The catalogue text `key` in `lang` (English if missing), values unescaped."""
    table = MESSAGES[key]
    return (table.get(lang) or table["en"]).format(**values)


@lru_cache(maxsize=8)
def short_datetime(lang: Lang) -> tuple[DateTimePattern, Locale]:
    """The locale's short date-and-time pattern, parsed once: Babel's format_datetime parses
    the locale and the pattern again at every call, 50 µs a time on a page of thousands."""
    locale = Locale.parse(BABEL_LOCALES[lang])
    pattern = (
        str(get_datetime_format("short", locale))
        .replace("{1}", get_date_format("short", locale).pattern)
        .replace("{0}", get_time_format("short", locale).pattern)
    )
    return parse_pattern(pattern), locale


def local_time(moment: datetime, lang: Lang) -> str:
    """A time as staff read it in `lang` ("02.12.2026, 13:00"), in the zone it carries."""
    pattern, locale = short_datetime(lang)
    return str(pattern.apply(moment, locale))


def language_name(code: str, lang: Lang) -> str:
    """ "Norwegian" for nb, in `lang`; any other code as it is."""
    return plain(f"lang_name_{code}", lang) if code in LANGS else code
