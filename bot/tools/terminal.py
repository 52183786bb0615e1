"""Show Telegram HTML replies on a terminal."""

from __future__ import annotations

import html
import re

_BOLD = re.compile(r"<(b|strong)>(.*?)</\1>", re.DOTALL)
_ITALIC = re.compile(r"<(i|em)>(.*?)</\1>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def html_to_text(text: str, color: bool = False) -> str:
    """Plain text for a terminal; bold and italic become ANSI styles when `color` is set."""
    if color:
        text = _BOLD.sub("\x1b[1m\\2\x1b[0m", text)
        text = _ITALIC.sub("\x1b[3m\\2\x1b[0m", text)
    return html.unescape(_TAG.sub("", text))
