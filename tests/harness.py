"""Shared parts of the attack harnesses: case counts, seeds and hostile input.

Each harness runs a few fixed cases in `make test` and many more in `make soak`:

- `SOAK=1` selects each harness's soak count, `SOAK_CASES=N` sets the count outright;
- `SOAK_SEED=S` makes case i use seed S + i (default 0), so one failing case is rerun alone
  with `SOAK_SEED=<its seed> SOAK_CASES=1`.

A test that wants to join `make soak` (the repeated kill -9 test, for one) is marked
`@pytest.mark.soak` and takes its count from `case_count` and its seeds from `seeds`.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator

from bot.fakeapi.html import EntityParseError, parse_html, utf16_len

TELEGRAM_LIMIT = 4096


def soaking() -> bool:
    """True in `make soak`."""
    return os.environ.get("SOAK", "") not in ("", "0") or "SOAK_CASES" in os.environ


def case_count(bounded: int, soak: int) -> int:
    """How many cases a harness runs: `bounded` in `make test`, `soak` in `make soak`."""
    explicit = os.environ.get("SOAK_CASES")
    if explicit:
        return int(explicit)
    return soak if soaking() else bounded


# Cases each harness test ran, and its first and last seed: `make soak` prints them.
CASES_RUN: dict[str, tuple[int, int, int]] = {}


def seeds(bounded: int, soak: int) -> Iterator[int]:
    """The seed of every case: consecutive from `SOAK_SEED` (0 unless set)."""
    first = int(os.environ.get("SOAK_SEED", "0"))
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]
    for seed in range(first, first + case_count(bounded, soak)):
        done, _, _ = CASES_RUN.get(test, (0, seed, seed))
        yield seed
        CASES_RUN[test] = (done + 1, first, seed)


def html_problem(text: str) -> str | None:
    """Why Telegram would refuse `text` as an HTML message, or None when it is valid.

    The local Bot API's parser follows Telegram's and is strict: only the tags Telegram
    supports, closed in order, and every `&` an entity.
    """
    try:
        parsed = parse_html(text, strict=True)
    except EntityParseError as error:
        return str(error)
    if not parsed.text.strip():
        return "the message is empty"
    if utf16_len(parsed.text) > TELEGRAM_LIMIT:
        return f"the message is {utf16_len(parsed.text)} UTF-16 units long"
    return None


# -- resident messages ------------------------------------------------------------------------

WORDS = tuple(
    (
        "hjelp hjelpe handle mat apotek medisin hund lufte skyss kjøre butikken korona vaksine "
        "test karantene faktura betale utsette skole barnehage strøm vann stengt åpent når hvor "
        "hvordan kan jeg du vi kommunen Asker Heggedal Öckerö Hallstahammar hjälp handla "
        "läkemedel hämta skjuts vaccin räkning stängd öppen var hur kommun help shopping "
        "pharmacy dog walk ride invoice postpone school power water closed open where how when "
        "please takk tack thanks avbryt stopp cancel tilbake back ja nei yes no"
    ).split()
)
COMMANDS = tuple(
    (
        "/start /menu /municipality /language /help /privacy /requesthelp /hjelp /hjalp /status "
        "/cancel /forgetme /volunteer /reload /unanswered /nosuchcommand /START /Menu"
    ).split()
)
# Pieces that have broken text handling somewhere: markup, entities, controls, scripts.
ODD_PIECES = (
    "<b>",
    "</b>",
    "<i>x</i>",
    "<a href='javascript:alert(1)'>x</a>",
    "<script>",
    "<tg-spoiler>",
    "&amp;",
    "&lt;",
    "&",
    "&#0;",
    "&#xD800;",
    "&nbsp",
    "**",
    "__",
    "`",
    "```",
    "[x](http://example.invalid)",
    "\\",
    "%s",
    "{name}",
    "{0}",
    "'; DROP TABLE residents; --",
    "\u200b",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u202e",
    "\u2066",
    "\ufeff",
    "\u0301",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\r\n",
    "\t",
    "\u2028",
    "👨‍👩‍👧‍👦",
    "💥",
    "🇳🇴",
    "🙂",
    "Привет",
    "مرحبا",
    "你好",
    "שלום",
    "ǅ",
    "ﬁ",
    "𝓗𝓮𝓵𝓹",
    "12345678",
    "+47 987 65 432",
    "@someone",
    "kari@example.invalid",
    "#tag",
    "https://example.invalid/x?a=1&b=2",
    "../../etc/passwd",
    "?",
    "!!!",
    "…",
)
ADVERSARIAL_TEXTS = (
    "",
    " ",
    "\n\n\t ",
    "\x00",
    "hei\x00hallo",
    "\x01\x02\x03\x07\x1b[31mrød\x1b[0m",
    "\u200f\u202eRTL-tekst\u202c",
    "\u200b\u200c\u200d\u2060\ufeff",
    "👨‍👩‍👧‍👦🔥💥🇳🇴",
    "<b>fet</b> &amp; <i>kursiv</i> <script>alert(1)</script>",
    "&lt;b&gt; &amp;amp; &#0; &#xD800; &bogus; & alone",
    "**fet** _kursiv_ `kode` ```blokk``` [lenke](http://example.invalid) ~~x~~ ||s||",
    "Hei Привет مرحبا 你好 hej hello",
    "a" * 5000,
    "å" * 4096,
    "ord " * 1200,
    "hjelp " * 700,
    "Kan jeg få utsatt betalingen av fakturaen?" + " " * 3000 + "x",
    "/municipality ../../etc",
    "/municipality " + "Öckerö" * 80,
    "/municipality <b>asker</b>",
    "/municipality <script>&",
    "/language 💥",
    "/language \u200f",
    "/language nb nb nb",
    "/language <i>&",
    "/start",
    "/start payload",
    "/start " + "x" * 64,
    "/start ../../etc",
    "/start@crisis_help_bot",
    "/menu@someone_else_bot",
    "/requesthelp <b>",
    "/cancel 99999999999999999999999",
    "/status'; DROP TABLE residents; --",
    "/forgetme",
    "/volunteer",
    "/reload",
    "/nosuchcommand",
    "/",
    "avbryt",
    "Stopp!",
    "tilbake",
    "+47 987 65 432",
    "12345678901234567890",
    "han puster ikke",
)


def random_text(rng: random.Random) -> str:
    """A resident message put together from words, commands, odd pieces and code points."""
    kind = rng.random()
    if kind < 0.05:
        return rng.choice(ADVERSARIAL_TEXTS)
    if kind < 0.1:
        # One very long word or one word repeated: the matcher's worst cases.
        piece = rng.choice(WORDS + ODD_PIECES)
        joiner = rng.choice(["", " "])
        return joiner.join([piece] * rng.randint(50, 1500))[:5000]
    parts: list[str] = []
    if rng.random() < 0.2:
        parts.append(rng.choice(COMMANDS))
    for _ in range(rng.choice([1, 1, 2, 3, 5, 8, 20, 60])):
        roll = rng.random()
        if roll < 0.55:
            parts.append(rng.choice(WORDS))
        elif roll < 0.85:
            parts.append(rng.choice(ODD_PIECES))
        else:
            parts.append("".join(chr(_code_point(rng)) for _ in range(rng.randint(1, 12))))
    separator = rng.choice([" ", " ", "", "\n", "  "])
    return separator.join(parts)


def _code_point(rng: random.Random) -> int:
    """Any Unicode scalar value (surrogates cannot travel in Telegram's UTF-8 text)."""
    while True:
        code = rng.choice(
            [rng.randint(0, 0x7F), rng.randint(0x80, 0xFFFF), rng.randint(0, 0x10FFFF)]
        )
        if not 0xD800 <= code <= 0xDFFF:
            return code


# -- button data ------------------------------------------------------------------------------


def random_callback_data(rng: random.Random) -> str:
    """Callback data no honest button carries: any bytes a client can put there."""
    roll = rng.random()
    if roll < 0.25:
        raw = bytes(rng.randint(0, 255) for _ in range(rng.randint(1, 64)))
        # The Bot API hands over callback data as a string; bytes that are not UTF-8 arrive
        # replaced (or, through a JSON escape, as lone surrogates).
        return raw.decode("utf-8", rng.choice(["replace", "surrogateescape", "ignore"])) or "x"
    if roll < 0.5:
        return "".join(chr(_code_point(rng)) for _ in range(rng.randint(1, 40)))
    if roll < 0.6:
        return "".join(chr(rng.randint(0xD800, 0xDFFF)) for _ in range(rng.randint(1, 4)))
    if roll < 0.7:
        return rng.choice(["x", "|", "é"]) * rng.randint(65, 400)
    # Shaped like ours: an action, arguments and a signature-like tail.
    action = rng.choice(["m", "l", "e", "f", "t", "h", "ik", "ib", "ix", "is", "s", "c", "zz"])
    args = [rng.choice(["asker", "1", "0", "-1", "99999999999", "", "é", "💥"]) for _ in range(3)]
    tail = "".join(rng.choice("ABCDEFGHabcdefgh0123456789-_") for _ in range(8))
    return "|".join([action, *args[: rng.randint(0, 3)], tail])
