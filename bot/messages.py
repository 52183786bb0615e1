"""Everything the bot says that does not come from the knowledge base, in nb, sv and en.

The texts are data: one catalogue per language in `bot/catalogue/`. Templates are Telegram
HTML. Values passed to `say` are escaped, so knowledge-base text can never break the markup.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Final

import yaml

from bot.types import LANGS, Lang

# libyaml's parser when PyYAML has it: the catalogue is read at every start.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# The staff chat's language: its notices are read by everyone in it, so no one reader's
# language applies.
STAFF_LANG: Final[Lang] = "en"

CATALOGUE_DIR = Path(__file__).parent / "catalogue"


def load_catalogue(folder: Path = CATALOGUE_DIR) -> dict[str, dict[Lang, str]]:
    """Every message by key and language, from one YAML file per language."""
    messages: dict[str, dict[Lang, str]] = {}
    for lang in LANGS:
        with (folder / f"{lang}.yaml").open(encoding="utf-8") as file:
            table = yaml.load(file, Loader=_Loader)
        for key, template in table.items():
            messages.setdefault(str(key), {})[lang] = str(template)
    return messages


MESSAGES: Final[dict[str, dict[Lang, str]]] = load_catalogue()


def say(key: str, lang: Lang, **values: str) -> str:
    """The message `key` in `lang` (English if missing), with `values` HTML-escaped."""
    return say_html(key, lang, {}, **values)


def say_html(key: str, lang: Lang, html: Mapping[str, str], **values: str) -> str:
    """Like `say`, plus `html`: values that are already Telegram HTML, built by this program."""
    table = MESSAGES[key]
    template = table.get(lang) or table["en"]
    return template.format(**{k: escape(v) for k, v in values.items()}, **html)


def escape(text: str) -> str:
    """Escape text for Telegram's HTML parse mode."""
    return html.escape(text, quote=False)


# The CLDR locale behind each reply language: British English writes "22 November 2026".
BABEL_LOCALES: Final[dict[Lang, str]] = {"nb": "nb_NO", "sv": "sv_SE", "en": "en_GB"}
# Residents' own way: 22.11.2026 (nb), 2026-11-22 (sv), 22 November 2026 (en).
_DATE_FORMATS: Final[dict[Lang, str]] = {"nb": "short", "sv": "short", "en": "long"}


@lru_cache(maxsize=4096)
def format_date(day: date, lang: Lang) -> str:
    """A date as residents write it, by Babel's locale data."""
    from babel.dates import format_date as babel_date

    return str(babel_date(day, _DATE_FORMATS[lang], locale=BABEL_LOCALES[lang]))


@lru_cache(maxsize=4096)
def format_minutes(minutes: int, lang: Lang) -> str:
    """A duration in words with the language's plural: "1 minute", "2 hours 5 minutes"."""
    from babel.units import format_unit

    hours, rest = divmod(max(minutes, 0), 60)
    locale = BABEL_LOCALES[lang]
    parts = []
    if hours:
        parts.append(format_unit(hours, "duration-hour", length="long", locale=locale))
    if rest or not hours:
        parts.append(format_unit(rest, "duration-minute", length="long", locale=locale))
    return " ".join(parts)
