"""Catalogue texts, times and language names as plain text for the console.

`bot.messages.say` escapes values for Telegram's HTML; the console's texts go into SVG and
HTML pages (which escape them where they render them), CSV and YAML (which must not be
escaped at all). So here a value is put in as it is, and whoever renders escapes once.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime

from bot.messages import BABEL_LOCALES, MESSAGES
from bot.types import LANGS, Lang


def plain(key: str, lang: Lang, **values: str) -> str:
    """The catalogue text `key` in `lang` (English if missing), values unescaped."""
    table = MESSAGES[key]
    return (table.get(lang) or table["en"]).format(**values)


def local_time(moment: datetime, lang: Lang) -> str:
    """A time as staff read it in `lang` ("02.12.2026, 13:00"), in the zone it carries."""
    return str(format_datetime(moment, "short", locale=BABEL_LOCALES[lang]))


def language_name(code: str, lang: Lang) -> str:
    """ "Norwegian" for nb, in `lang`; any other code as it is."""
    return plain(f"lang_name_{code}", lang) if code in LANGS else code
