"""Fit replies into Telegram messages: at most 4096 UTF-16 code units each."""

from __future__ import annotations

import html
import re

TELEGRAM_LIMIT = 4096
_TAG = re.compile(r"<[^>]+>")


def utf16_length(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def _plain(text: str) -> str:
    """A line with its markup removed and re-escaped, safe to cut anywhere between words."""
    return html.escape(html.unescape(_TAG.sub("", text)), quote=False)


def _hard_split(line: str, limit: int) -> list[str]:
    """Cut one over-long line at spaces (or anywhere, as a last resort) without markup."""
    pieces: list[str] = []
    current = ""
    for word in _plain(line).split(" "):
        candidate = f"{current} {word}" if current else word
        if utf16_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while utf16_length(word) > limit:
            cut = limit
            while utf16_length(word[:cut]) > limit:
                cut -= 1
            # Never cut inside an entity such as &amp;.
            amp = word.rfind("&", 0, cut)
            if amp != -1 and ";" not in word[amp:cut]:
                cut = amp or cut
            pieces.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        pieces.append(current)
    return pieces


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split Telegram HTML into messages within `limit`, preferring paragraph breaks.

    Markup in this project never spans lines, so cutting between lines keeps every tag closed.
    """
    if utf16_length(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        parts = [line] if utf16_length(line) <= limit else _hard_split(line, limit)
        for part in parts:
            candidate = f"{current}\n{part}" if current else part
            if utf16_length(candidate) <= limit:
                current = candidate
            else:
                if current.strip():
                    chunks.append(current.strip("\n"))
                current = part
    if current.strip():
        chunks.append(current.strip("\n"))
    return chunks
