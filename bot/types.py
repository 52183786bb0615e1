"""The few value types every layer shares, and the one place a language code is read.

They live apart from the knowledge base's pydantic schema, so the help desk, the Telegram layer
and the answer engine can name a language without importing the file formats.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["nb", "sv", "en"]
Country = Literal["NO", "SE"]
Situation = Literal["medical", "fire", "violence", "suicide", "water", "missing"]
LANGS: tuple[Lang, ...] = ("nb", "sv", "en")

# Norwegian Bokmål and Nynorsk are answered in Bokmål, the language the documents use.
_BASES: dict[str, Lang] = {"nb": "nb", "nn": "nb", "no": "nb", "sv": "sv", "en": "en"}


def to_lang(code: str | None, *, strict: bool = False) -> Lang | None:
    """The reply language for a language code ("nb", "nn", "no-NO", "sv_SE", "en-GB").

    None for no code. Another language ("de") is English, the language everyone is offered
    besides their own; with `strict` (a code someone typed as a choice) it is None instead.
    """
    if not code or not code.strip():
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    found = _BASES.get(base)
    if found is None and not strict:
        return "en"
    return found


def lang_or_english(code: str | None) -> Lang:
    """`to_lang`, with English when there is no code."""
    return to_lang(code) or "en"
