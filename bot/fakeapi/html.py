"""Telegram's HTML parse mode and text clean-up: plain text plus UTF-16 `entities`.

The parser follows the algorithm of Telegram's own server library (TDLib's `parse_html` and
`fix_formatted_text`), so offsets, error messages and the trimming of whitespace match what
the Bot API returns. With ``strict=True`` (the default) it also refuses two things Telegram
silently tolerates but its documentation forbids: a bare ``&`` that starts no entity, and an
attribute a tag does not support. That catches escaping bugs before they reach users.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "MAX_MESSAGE_LENGTH",
    "EntityParseError",
    "FormattedText",
    "clean_text",
    "find_entities",
    "format_text",
    "parse_html",
    "sort_entities",
    "utf16_len",
]

MAX_MESSAGE_LENGTH = 4096

Entity = dict[str, Any]
UserResolver = Callable[[int], dict[str, Any] | None]

_SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SUPPORTED_ATTRIBUTES = frozenset(
    {
        ("a", "href"),
        ("code", "class"),
        ("span", "class"),
        ("tg-emoji", "emoji-id"),
        ("blockquote", "expandable"),
    }
)
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}
_SPACES = frozenset(" \t\r\n\0\v\f")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPECIAL = re.compile(r"[<&]")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

# TDLib's order for entities that share offset and length.
_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}
_DEFAULT_PRIORITY = 50
_EXCLUSIVE = frozenset({"code", "pre"})
_NO_AUTODETECT = frozenset({"code", "pre", "text_link", "text_mention", "custom_emoji"})


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; `str()` is Telegram's explanation."""


@dataclass(frozen=True, slots=True)
class FormattedText:
    """Message text as Telegram stores it: plain text and its entities (UTF-16 units)."""

    text: str
    entities: list[Entity]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's offsets and limits."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _char_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8", "surrogatepass"))


def _is_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _decode_entity(source: str, pos: int) -> tuple[str, int] | None:
    """Decode the character reference at `pos` (an '&'), TDLib style; None if there is none."""
    n = len(source)
    end = pos + 1
    if end < n and source[end] == "#":
        end += 1
        value = 0
        if end < n and source[end] == "x":
            end += 1
            while end < n and source[end] in "0123456789abcdefABCDEF":
                value = value * 16 + int(source[end], 16)
                end += 1
        else:
            while end < n and source[end] in "0123456789":
                value = value * 10 + int(source[end])
                end += 1
        if value == 0 or value >= 0x10FFFF or end - pos >= 10:
            return None
        if 0xD800 <= value <= 0xDFFF:
            raise EntityParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, check "
                "for unmatched surrogate code units"
            )
        decoded = chr(value)
    else:
        while end < n and source[end].isascii() and source[end].isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(source[pos + 1 : end])
        if named is None:
            return None
        decoded = named
    if end < n and source[end] == ";":
        end += 1
    return decoded, end


@dataclass(slots=True)
class _OpenTag:
    name: str
    argument: str
    offset: int
    piece: int


def parse_html(
    source: str, *, strict: bool = True, resolve_user: UserResolver | None = None
) -> FormattedText:
    """Parse Telegram HTML into text and entities (before Telegram's clean-up and trimming).

    Raises EntityParseError with Telegram's message (without the "can't parse entities: "
    prefix) for anything Telegram refuses.
    """
    pieces: list[str] = []
    utf16 = 0
    stack: list[_OpenTag] = []
    entities: list[Entity] = []
    n = len(source)

    def at(index: int) -> str:
        return source[index] if index < n else "\0"

    def fail(message: str) -> EntityParseError:
        return EntityParseError(message)

    i = 0
    while i < n:
        match = _SPECIAL.search(source, i)
        stop = match.start() if match else n
        if stop > i:
            run = source[i:stop]
            pieces.append(run)
            utf16 += utf16_len(run)
            i = stop
            continue
        if source[i] == "&":
            decoded = _decode_entity(source, i)
            if decoded is not None:
                char, i = decoded
                pieces.append(char)
                utf16 += _char_units(char)
                continue
            if strict:
                raise fail(
                    f'Character "&" at byte offset {_byte_offset(source, i)} does not start '
                    'an HTML entity; escape it as "&amp;"'
                )
            pieces.append("&")
            utf16 += 1
            i += 1
            continue

        begin = i
        byte_begin = _byte_offset(source, begin)
        i += 1
        if at(i) != "/":
            while at(i) not in _SPACES and at(i) != ">":
                i += 1
            if i >= n:
                raise fail(f"Unclosed start tag at byte offset {byte_begin}")
            tag = _lower(source[begin + 1 : i])
            if tag not in _SUPPORTED_TAGS:
                raise fail(f'Unsupported start tag "{tag}" at byte offset {byte_begin}')
            argument = ""
            while at(i) != ">":
                while i < n and at(i) in _SPACES:
                    i += 1
                if at(i) == ">":
                    break
                attribute_begin = i
                while at(i) not in _SPACES and at(i) not in "=>":
                    i += 1
                attribute = source[attribute_begin:i]
                if not attribute:
                    raise fail(
                        f'Empty attribute name in the tag "{tag}" at byte offset {byte_begin}'
                    )
                while i < n and at(i) in _SPACES:
                    i += 1
                if i >= n:
                    raise fail(f'Unclosed start tag "{tag}" at byte offset {byte_begin}')
                if at(i) != "=":
                    if tag == "blockquote" and attribute == "expandable":
                        argument = "1"
                        continue
                    raise fail(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {byte_begin}'
                    )
                i += 1
                while i < n and at(i) in _SPACES:
                    i += 1
                if i >= n:
                    raise fail(f'Unclosed start tag "{tag}" at byte offset {byte_begin}')
                if at(i) not in "'\"":
                    token_begin = i
                    while _is_alnum(at(i)) or at(i) in ".-":
                        i += 1
                    value = _lower(source[token_begin:i])
                    if at(i) not in _SPACES and at(i) != ">":
                        raise fail(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(source, token_begin)}"
                        )
                else:
                    quote = source[i]
                    i += 1
                    chars: list[str] = []
                    while i < n and source[i] != quote:
                        if source[i] == "&":
                            decoded = _decode_entity(source, i)
                            if decoded is not None:
                                chars.append(decoded[0])
                                i = decoded[1]
                                continue
                            if strict:
                                raise fail(
                                    f'Character "&" at byte offset {_byte_offset(source, i)} '
                                    'does not start an HTML entity; escape it as "&amp;"'
                                )
                        chars.append(source[i])
                        i += 1
                    if at(i) == quote:
                        i += 1
                    value = "".join(chars)
                if i >= n:
                    raise fail(f"Unclosed start tag at byte offset {byte_begin}")
                if tag == "a" and attribute == "href":
                    argument = value
                elif tag == "code" and attribute == "class" and value.startswith("language-"):
                    argument = value[9:]
                elif tag == "span" and attribute == "class" and value.startswith("tg-"):
                    argument = value[3:]
                elif tag == "tg-emoji" and attribute == "emoji-id":
                    argument = value
                elif tag == "blockquote" and attribute == "expandable":
                    argument = "1"
                elif strict and (tag, attribute) not in _SUPPORTED_ATTRIBUTES:
                    raise fail(
                        f'Unsupported attribute "{attribute}" in the tag "{tag}" at byte '
                        f"offset {byte_begin}"
                    )
            if tag == "span" and argument != "spoiler":
                raise fail(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_begin}')
            stack.append(_OpenTag(tag, argument, utf16, len(pieces)))
            i += 1
            continue

        if not stack:
            raise fail(f"Unexpected end tag at byte offset {byte_begin}")
        while at(i) not in _SPACES and at(i) != ">":
            i += 1
        end_name = source[begin + 2 : i]
        while i < n and at(i) in _SPACES:
            i += 1
        if at(i) != ">":
            raise fail(f"Unclosed end tag at byte offset {byte_begin}")
        opened = stack.pop()
        if end_name and end_name != opened.name:
            raise fail(
                f'Unmatched end tag at byte offset {byte_begin}, expected "</{opened.name}>", '
                f'found "</{end_name}>"'
            )
        if utf16 > opened.offset:
            inner = "".join(pieces[opened.piece :])
            _close_entity(entities, opened, utf16 - opened.offset, inner, resolve_user)
        i += 1

    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return FormattedText("".join(pieces), sort_entities(entities))


def _close_entity(
    entities: list[Entity],
    opened: _OpenTag,
    length: int,
    inner: str,
    resolve_user: UserResolver | None,
) -> None:
    offset, tag, argument = opened.offset, opened.name, opened.argument
    simple = _SIMPLE_TAGS.get(tag)
    if simple is not None or (tag == "span" and argument == "spoiler"):
        entities.append({"offset": offset, "length": length, "type": simple or "spoiler"})
    elif tag == "tg-emoji":
        if not argument.isdigit() or not 0 < int(argument) < 2**63:
            raise EntityParseError("Invalid custom emoji identifier specified")
        entities.append(
            {
                "offset": offset,
                "length": length,
                "type": "custom_emoji",
                "custom_emoji_id": argument,
            }
        )
    elif tag == "a":
        url = argument or inner
        user_id = _mentioned_user_id(url)
        if user_id is not None:
            user = resolve_user(user_id) if resolve_user else None
            if user is not None:
                entities.append(
                    {"offset": offset, "length": length, "type": "text_mention", "user": user}
                )
            return
        checked = normalize_url(url)
        if checked is not None:
            entities.append(
                {"offset": offset, "length": length, "type": "text_link", "url": checked}
            )
    elif tag == "pre":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "code"
            and last["offset"] == offset
            and last["length"] == length
            and last.get("language")
        ):
            last["type"] = "pre"
        else:
            entities.append({"offset": offset, "length": length, "type": "pre"})
    elif tag == "code":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "pre"
            and last["offset"] == offset
            and last["length"] == length
            and argument
        ):
            last["language"] = argument
        else:
            entity: Entity = {"offset": offset, "length": length, "type": "code"}
            if argument:
                entity["language"] = argument
            entities.append(entity)
    elif tag == "blockquote":
        kind = "expandable_blockquote" if argument == "1" else "blockquote"
        entities.append({"offset": offset, "length": length, "type": kind})


_USER_LINK = re.compile(r"tg://user\?id=(\d{1,19})$", re.IGNORECASE)


def _mentioned_user_id(url: str) -> int | None:
    match = _USER_LINK.match(url.strip())
    return int(match.group(1)) if match else None


_HOST = re.compile(r"^[A-Za-z0-9\-._~%\u0080-\uffff]+(:\d{1,5})?$")


def normalize_url(url: str) -> str | None:
    """Telegram's view of a link target: scheme added, empty path made "/"; None if invalid."""
    url = url.strip()
    if not url or any(c in _SPACES for c in url):
        return None
    if "://" not in url:
        if url.lower().startswith(("tg:", "mailto:")):
            return url
        url = "http://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme in ("tg", "ton"):
        return url
    if scheme not in ("http", "https", "ftp"):
        return None
    host = parts.netloc.rpartition("@")[2]
    if not host or not _HOST.match(host):
        return None
    return urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, parts.fragment))


def sort_entities(entities: list[Entity]) -> list[Entity]:
    """Telegram's order: by offset, longer first, then TDLib's type priority."""

    def key(entity: Entity) -> tuple[int, int, int]:
        priority = _PRIORITY.get(entity["type"], _DEFAULT_PRIORITY)
        if entity["type"] == "pre" and entity.get("language"):
            priority = 10
        return entity["offset"], -entity["length"], priority

    return sorted(entities, key=key)


def _utf16_offsets(text: str) -> list[int]:
    """UTF-16 offset of every character index (and of the end)."""
    if utf16_len(text) == len(text):
        return list(range(len(text) + 1))
    offsets = [0] * (len(text) + 1)
    total = 0
    for index, char in enumerate(text):
        offsets[index] = total
        total += _char_units(char)
    offsets[len(text)] = total
    return offsets


def clean_text(text: str, entities: list[Entity]) -> FormattedText:
    """Telegram's clean-up of a message: control characters, empty entities, trimming.

    '\\r' is dropped, other control characters become spaces, entities that cover only
    whitespace vanish, trailing spaces and newlines go, and leading ones go up to the first
    entity. The result may be empty; the caller decides whether that is an error.
    """
    if text.isascii() and text.isprintable() and not entities:
        stripped = text.rstrip(" ")
        return FormattedText(stripped.lstrip(" "), [])

    chars: list[str] = []
    # UTF-16 offset in the old text -> offset in the new text, only needed when '\r' is dropped.
    removed_at: list[int] = []
    old_offset = 0
    for char in text:
        code = ord(char)
        if char == "\r":
            removed_at.append(old_offset)
            old_offset += 1
            continue
        chars.append(" " if code < 32 and char != "\n" else char)
        old_offset += _char_units(char)
    cleaned = "".join(chars)

    def shift(offset: int) -> int:
        if not removed_at:
            return offset
        return offset - sum(1 for position in removed_at if position < offset)

    offsets = _utf16_offsets(cleaned)
    kept: list[Entity] = []
    index_of = {value: index for index, value in enumerate(offsets)}
    for entity in entities:
        start = shift(entity["offset"])
        end = shift(entity["offset"] + entity["length"])
        if end <= start:
            continue
        first, last = index_of.get(start), index_of.get(end)
        if first is None or last is None:
            continue
        if not cleaned[first:last].strip(" \n"):
            continue
        kept.append({**entity, "offset": start, "length": end - start})

    stripped = cleaned.rstrip(" \n")
    end_units = offsets[len(stripped)]
    for entity in kept:
        if entity["offset"] + entity["length"] > end_units:
            entity["length"] = end_units - entity["offset"]
    kept = [entity for entity in kept if entity["length"] > 0]

    first_entity = min((entity["offset"] for entity in kept), default=end_units)
    lead = 0
    while lead < len(stripped) and offsets[lead] < first_entity and stripped[lead] in " \n":
        lead += 1
    if lead:
        stripped = stripped[lead:]
        for entity in kept:
            entity["offset"] -= lead
    return FormattedText(stripped, sort_entities(kept))


_URL_TAIL = ".,;:!?)]}'\"»"
_AUTO_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "email",
        re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b"),
    ),
    (
        "url",
        re.compile(
            r"(?<![\w@/.])(?:(?:https?|ftp|tg)://[^\s<>\"]+"
            r"|(?:www\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:com|org|net|info|io|se|no|dk|fi"
            r"|eu|gov|edu|uk|de|ru|me|app|dev|ai|nu)\b(?:[/?#][^\s<>\"]*)?)",
            re.IGNORECASE,
        ),
    ),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,32}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
    (
        "bot_command",
        re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])"),
    ),
)


def find_entities(text: str, existing: list[Entity] | None = None) -> list[Entity]:
    """Entities Telegram detects by itself: URLs, e-mail addresses, mentions, hashtags, commands.

    Detected entities that overlap code, pre, links, mentions by name or custom emoji, or
    each other, are left out, as Telegram does.
    """
    if not any(marker in text for marker in ("@", "#", "/", ".")):
        return []
    offsets: list[int] | None = None
    blocked: list[tuple[int, int]] = [
        (entity["offset"], entity["offset"] + entity["length"])
        for entity in existing or []
        if entity["type"] in _NO_AUTODETECT
    ]
    found: list[Entity] = []
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if kind == "url":
                while end > start and text[end - 1] in _URL_TAIL:
                    end -= 1
            if offsets is None:
                offsets = _utf16_offsets(text)
            begin, finish = offsets[start], offsets[end]
            if finish <= begin or any(begin < b and a < finish for a, b in blocked):
                continue
            blocked.append((begin, finish))
            found.append({"offset": begin, "length": finish - begin, "type": kind})
    return found


def format_text(
    text: str,
    parse_mode: str | None = None,
    *,
    entities: list[Entity] | None = None,
    strict: bool = True,
    resolve_user: UserResolver | None = None,
) -> FormattedText:
    """Turn the text of a sendMessage-like call into what Telegram stores and returns."""
    if parse_mode:
        parsed = parse_html(text, strict=strict, resolve_user=resolve_user)
    else:
        parsed = FormattedText(text, sort_entities([dict(entity) for entity in entities or []]))
    cleaned = clean_text(parsed.text, parsed.entities)
    kept = _drop_nested_in_code(cleaned.entities)
    detected = find_entities(cleaned.text, kept)
    if detected:
        kept = sort_entities(kept + detected)
    return FormattedText(cleaned.text, kept)


def _drop_nested_in_code(entities: list[Entity]) -> list[Entity]:
    """Telegram allows no formatting inside code and pre."""
    spans = [
        (entity["offset"], entity["offset"] + entity["length"])
        for entity in entities
        if entity["type"] in _EXCLUSIVE
    ]
    if not spans:
        return entities
    kept: list[Entity] = []
    for entity in entities:
        start, end = entity["offset"], entity["offset"] + entity["length"]
        kind = entity["type"]
        if kind in ("blockquote", "expandable_blockquote"):
            kept.append(entity)
            continue
        own = (start, end) if kind in _EXCLUSIVE else None
        if not any(a <= start and end <= b and (a, b) != own for a, b in spans):
            kept.append(entity)
    return kept
