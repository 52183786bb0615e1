"""Masking personal data in residents' question texts before staff see them in the console.

Residents write names, phone numbers, e-mail addresses and personal numbers into questions
("jeg heter Kari, ring meg på 912 34 567"). The console shows the questions without them:
each is replaced by a placeholder from the catalogue, in the staff member's language.

What is masked, in this order (an earlier kind wins where two overlap):
- e-mail addresses, and Telegram user names (@kari_n);
- personal numbers: the Norwegian fødselsnummer and D-nummer (11 digits, DDMMYY + 5) and the
  Swedish personnummer and samordningsnummer (YYMMDD-NNNN, YYYYMMDDNNNN, with - or +);
- phone numbers: 7 to 15 digits, spaced, dashed, dotted or bracketed, with +47, +46, 0047 or
  any other country code, but not dates, years, clock times or amounts of money;
- names: the words after "jeg heter", "mitt navn er", "jag heter", "mitt namn är", "my name
  is", "I am" and their kin, and capitalised words inside a sentence that are neither known
  words (the knowledge base's own words: places, services, the names in its answers), nor
  in data/known_words.txt (the municipalities' villages and islands, countries, shops,
  agencies), nor named like a lake, river or valley ("Semsvannet"), nor in a short list of
  words every language capitalises (weekdays, months). Acronyms and single letters are no
  names. A street name is masked: with a number, it is an address.

It errs on the side of masking: a capitalised word it does not know is hidden, even if it is a
place a resident spelt their own way. A question still reads as a question without it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.console.text import plain
from bot.kb.knowledge import KnowledgeBase
from bot.text import fold, words
from bot.types import LANGS, Lang

KINDS = ("name", "phone", "email", "id_number")

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@(?:[\w-]+\.)+[^\W\d_]{2,}\b", re.UNICODE)
_HANDLE = re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}\b")
# DDMMYY NNNNN, with an optional space (or dash) after the date: a fødselsnummer or D-nummer.
_NO_ID = re.compile(r"(?<![\d+])(\d{6})[ -]?(\d{5})(?!\d)")
# (YY)YYMMDD-NNNN or +NNNN (100 years or older), or the same without a separator.
_SE_ID = re.compile(r"(?<![\d+])((?:19|20)?\d{6})([-+ ]?)(\d{4})(?!\d)")
# A run that might be a phone number: digits with single spaces, dashes, dots, slashes or
# brackets between them, and an optional + or 00 country prefix.
_PHONE = re.compile(r"(?<![\w+])(?:\+|\b)\(?\d(?:[ \-./]?\(?\d\)?)+(?!\w)")
# Dates, clock times and year ranges: digits that are no phone number, hidden from the phone
# search. Each stops where no further digit follows, so 12.34.56.78 stays a phone number.
_NOT_PHONE = re.compile(
    r"(?<![\d.])(?:"
    r"\d{4}-\d{1,2}-\d{1,2}(?![-.]?\d)"  # 2020-03-20
    r"|\d{1,2}[./]\d{1,2}[./](?:\d{4}|\d{2})(?![./-]?\d)"  # 20.03.2020, 20/3/20
    r"|(?:19|20)\d{2}\s?[-–/]\s?(?:(?:19|20)\d{2}|\d{2})(?![-./]?\d)"  # 2019-2020, 2019/20
    r"|(?:[01]?\d|2[0-3])[.:][0-5]\d(?![.:]?\d)"  # 09.00, 14:30
    r")"
)
_MONEY_AFTER = re.compile(
    r"^\s*(?:kr\b|kroner|kronor|nok\b|sek\b|eur\b|euro|usd\b|dollar|,-|[€$£%])", re.IGNORECASE
)
_MONEY_BEFORE = re.compile(r"(?:kr\.?|nok|sek|eur|usd|[€$£])\s*$", re.IGNORECASE)
_MIN_PHONE_DIGITS, _MAX_PHONE_DIGITS = 7, 15

_WORD = r"[^\W\d_](?:[^\W\d_]|['’-](?=[^\W\d_]))*"
_TOKEN = re.compile(_WORD, re.UNICODE)
# After these, the next word is a name whatever its case ("jeg heter kari").
_STRONG_INTROS = (
    "jeg heter",
    "eg heiter",
    "jeg heiter",
    "mitt navn er",
    "navnet mitt er",
    "mitt namn er",
    "jag heter",
    "mitt namn är",
    "namnet mitt är",
    "my name is",
    "my name's",
)
# After these, only capitalised words are a name ("I am Kari", not "I am worried").
_WEAK_INTROS = (
    "call me",
    "i am",
    "i'm",
    "i’m",
    "jeg er",
    "eg er",
    "jag är",
    "this is",
    "det er",
    "det är",
)
# Words that follow an intro but are no name ("my name is not important").
_NOT_A_NAME = frozenset({"not", "ikke", "ikkje", "inte", "also", "ogsa", "ocksa", "og", "och"})
# Capitalised in the middle of a sentence without being anyone's name.
COMMON_CAPITALISED = frozenset(
    fold(word)
    for word in """
    I Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May
    June July August September October November December Christmas Easter Covid Corona
    Norway Norwegian Norge Noreg Sweden Swedish Sverige Denmark Danish Danmark Finland Europe
    European Europa EU English Engelsk Engelska Norsk Svenska Svensk Ukraine Ukrainian Ukraina
    Poland Polish Polen Oslo Bergen Trondheim Stavanger Stockholm Göteborg Gothenburg Malmö
    Uppsala Västerås Eskilstuna Viken Akershus Västmanland Södermanland Västra Götaland
    NAV FHI Helsenorge Folkehelseinstituttet Folkhälsomyndigheten Försäkringskassan 1177 Vipps
    Swish BankID MinID Skatteetaten Skatteverket Polisen Politiet Røde Kors Röda Korset Red
    Cross Sivilforsvaret MSB WHO Google Facebook Telegram WhatsApp Messenger Teams Zoom SMS OK
    Hei Hej Hello Hi Takk Tack Thanks Please
    """.split()
)


KNOWN_WORDS_FILE = Path(__file__).parent / "data" / "known_words.txt"
# Endings of lakes, rivers, fjords, hills and valleys ("Semsvannet", "Duveholmssjön"), folded:
# places. Street names are not among them: with a number, they are an address.
PLACE_ENDINGS = (
    "vannet",
    "vatnet",
    "vann",
    "sjon",
    "sjoen",
    "elva",
    "fjorden",
    "asen",
    "bukta",
    "dalen",
    "holmen",
    "landet",
    "bekken",
    "oya",
)


def _read_known_words(path: Path = KNOWN_WORDS_FILE) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(
        fold(word) for line in lines if not line.startswith("#") for word in line.split()
    )


KNOWN_WORDS = _read_known_words()
_LISTED = COMMON_CAPITALISED | KNOWN_WORDS


def _is_place(folded: str) -> bool:
    return any(folded.endswith(end) and len(folded) >= len(end) + 3 for end in PLACE_ENDINGS)


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    kind: str


def _full_name_words(text: str) -> tuple[set[str], set[str]]:
    """The folded words of `text`: those written only as part of a run of capitalised words
    (a full name: "Lene Conradi", "Catarina Petterson"), and the others."""
    in_names: set[str] = set()
    others: set[str] = set()
    tokens = list(_TOKEN.finditer(text))
    for index, token in enumerate(tokens):
        capitalised = token.group(0)[0].isupper()
        beside = [
            tokens[i]
            for i in (index - 1, index + 1)
            if 0 <= i < len(tokens)
            and tokens[i].group(0)[0].isupper()
            and text[
                min(tokens[i].end(), token.end()) : max(tokens[i].start(), token.start())
            ].strip(" ")
            == ""
        ]
        parts = words(fold(token.group(0)))
        (in_names if capitalised and beside else others).update(parts)
    return in_names, others


def known_terms(kb: KnowledgeBase) -> frozenset[str]:
    """The folded words of the knowledge base: its places, services and the other words of
    its texts, which are not a resident's name when a question mentions them.

    The words of a full name in an answer ("ordfører Lene Conradi") are left out unless the
    knowledge base also uses them otherwise: a resident called Lene is still masked."""
    found: set[str] = set()
    in_names: set[str] = set()

    def add(texts: Iterable[str]) -> None:
        for text in texts:
            names, others = _full_name_words(text)
            in_names.update(names)
            found.update(others)

    for municipality in kb.municipalities.values():
        for text in (municipality.id, *municipality.name.values(), *municipality.aliases):
            found.update(words(fold(text)))
    for topic in kb.topics.values():
        add(topic.title.values())
    for entry in kb.entries.values():
        add(entry.title.values())
        add(entry.answer.values())
        # Not the keywords: lower-case lists, where a name ("lene") looks like any word.
        for texts in entry.questions.values():
            add(texts)
    # Sources are publishers and document titles: no one's name, whatever their case.
    for source in kb.sources.values():
        found.update(words(fold(f"{source.title} {source.publisher}")))
    return frozenset(found)


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _plausible_date(day: int, month: int) -> bool:
    # D-numbers add 40 to the day, samordningsnummer 60, and test numbers 40 or 80 to the month.
    return (1 <= day % 40 <= 31 or 61 <= day <= 91) and 1 <= month % 40 <= 12


def _id_numbers(text: str) -> list[_Span]:
    spans = []
    for match in _NO_ID.finditer(text):
        head = match.group(1)
        if _plausible_date(int(head[0:2]), int(head[2:4])):
            spans.append(_Span(match.start(), match.end(), "id_number"))
    for match in _SE_ID.finditer(text):
        head = match.group(1)[-6:]
        # Without a separator ten digits could be a phone number: only a full date counts.
        if not match.group(2) and len(match.group(1)) == 6:
            continue
        if _plausible_date(int(head[4:6]), int(head[2:4])):
            spans.append(_Span(match.start(), match.end(), "id_number"))
    return spans


def _phones(text: str) -> list[_Span]:
    spans = []
    # The same length with dates and times blanked out: positions stay those of `text`.
    searched = _NOT_PHONE.sub(lambda found: "x" * len(found.group(0)), text)
    for match in _PHONE.finditer(searched):
        candidate = match.group(0).rstrip(")")
        start, end = match.start(), match.start() + len(candidate)
        count = _digits(candidate)
        international = candidate.startswith(("+", "00"))
        if not _MIN_PHONE_DIGITS <= count <= _MAX_PHONE_DIGITS:
            continue
        if not international and (
            _MONEY_AFTER.match(text[end:]) or _MONEY_BEFORE.search(text[:start])
        ):
            continue
        spans.append(_Span(start, end, "phone"))
    return spans


def _sentence_initial(text: str, start: int) -> bool:
    """True when the word at `start` begins the text, a sentence, a line or a quotation."""
    # A short look back is enough, and keeps a long text linear.
    window = text[max(0, start - 16) : start]
    before = window.rstrip(" \t\"'«»“”‘’([-–—*•")
    if not before:
        return start <= 16
    return before[-1] in ".!?:;\n\r…"


# Masked texts a Masker keeps (a few pages' worth); beyond it, it starts afresh.
MASKED_KEPT = 20_000


class Masker:
    """Masks personal data in question texts; build one per knowledge base and reuse it."""

    def __init__(self, known: Iterable[str] = (), *, _words: frozenset[str] | None = None) -> None:
        # `_words`: another masker's whole set, shared as it is (see `emptied`).
        self.known = _words if _words is not None else frozenset(known)
        if _words is None:
            self.known |= COMMON_CAPITALISED | KNOWN_WORDS
        # Texts masked before: the console's pages show the same questions again and again.
        self._masked: dict[tuple[str, str], str] = {}

    def forget(self) -> None:
        """Drop the texts masked before: they are residents' words (after an erasure)."""
        self._masked.clear()

    def emptied(self) -> Masker:
        """The same masker with no texts masked before (cheap: the known words are shared)."""
        # Through __init__, so whatever it sets up is there on this path too.
        return Masker(_words=self.known)

    @classmethod
    def for_knowledge(cls, kb: KnowledgeBase) -> Masker:
        return cls(known_terms(kb))

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """Where the personal data is: (start, end, kind), in order, never overlapping."""
        found = [
            *(_Span(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)),
            *(_Span(m.start(), m.end(), "name") for m in _HANDLE.finditer(text)),
            *_id_numbers(text),
            *_phones(text),
            *self._names(text),
        ]
        # Earlier kinds first, then the longer span: the first to claim a character keeps it.
        order = {"email": 0, "id_number": 1, "phone": 2, "name": 3}
        found.sort(key=lambda s: (order[s.kind], s.start, -(s.end - s.start)))
        taken: list[_Span] = []
        claimed = bytearray(len(text))
        for span in found:
            if not any(claimed[span.start : span.end]):
                claimed[span.start : span.end] = b"\x01" * (span.end - span.start)
                taken.append(span)
        return [(s.start, s.end, s.kind) for s in sorted(taken, key=lambda s: s.start)]

    def _names(self, text: str) -> list[_Span]:
        tokens = list(_TOKEN.finditer(text))
        folded = [fold(t.group(0)) for t in tokens]
        names: list[_Span] = []
        after_intro = _intro_ends(text)
        for index, token in enumerate(tokens):
            word = token.group(0)
            strength = after_intro.get(token.start())
            if strength == "strong" and folded[index] not in _NOT_A_NAME:
                names.append(_Span(token.start(), token.end(), "name"))
                continue
            head = word.split("-")[0]
            if not word[0].isupper() or head.isupper():
                continue  # lower case, an acronym (NAV, HLR-kurs) or a letter (vitamin D)
            continues_name = bool(names) and names[-1].end == _previous_end(tokens, index)
            if strength == "weak" or continues_name:
                # "I am Kari", "Kari Nordmann": a name unless a listed word ("det er Asker
                # kommune"); the knowledge base's words do not count here ("I am Per").
                if folded[index] not in _LISTED and not _is_place(folded[index]):
                    names.append(_Span(token.start(), token.end(), "name"))
                continue
            if _sentence_initial(text, token.start()):
                continue
            parts = [p for p in words(folded[index]) if p]
            if not any(p in self.known or _is_place(p) for p in parts):
                names.append(_Span(token.start(), token.end(), "name"))
        return names

    def mask(self, text: str, lang: Lang) -> str:
        """`text` with each piece of personal data replaced by its placeholder in `lang`;
        a name of several words ("Kari Nordmann") becomes one placeholder."""
        found = self._masked.get((text, lang))
        if found is None:
            if len(self._masked) >= MASKED_KEPT:
                self._masked.clear()
            found = self._masked[text, lang] = self._mask(text, lang)
        return found

    def _mask(self, text: str, lang: Lang) -> str:
        pieces: list[str] = []
        cursor = 0
        last_kind: str | None = None
        for start, end, kind in self.spans(text):
            between = text[cursor:start]
            if kind == "name" and last_kind == "name" and between.strip(" -") == "":
                cursor = end  # the surname after a first name: one placeholder for both
                continue
            pieces.append(between)
            pieces.append(placeholder(kind, lang))
            cursor, last_kind = end, kind
        pieces.append(text[cursor:])
        return "".join(pieces)


def _previous_end(tokens: list[re.Match[str]], index: int) -> int:
    """Where the word before this one ends, if only spaces or a hyphen come between."""
    if index == 0:
        return -1
    previous, current = tokens[index - 1], tokens[index]
    gap = current.string[previous.end() : current.start()]
    return previous.end() if gap.strip(" -") == "" and len(gap) <= 2 else -1


@lru_cache(maxsize=1)
def _intro_pattern() -> re.Pattern[str]:
    def alternatives(phrases: Iterable[str]) -> str:
        return "|".join(
            r"\s+".join(re.escape(part) for part in phrase.split())
            for phrase in sorted(phrases, key=len, reverse=True)
        )

    return re.compile(
        rf"\b(?:(?P<strong>{alternatives(_STRONG_INTROS)})|(?P<weak>{alternatives(_WEAK_INTROS)}))"
        r"[ \t]*[,:]?[ \t]+",
        re.IGNORECASE,
    )


def _intro_ends(text: str) -> dict[int, str]:
    """Where the word after an introduction ("my name is ") starts, and how strong it is."""
    return {
        match.end(): "strong" if match.group("strong") else "weak"
        for match in _intro_pattern().finditer(text)
    }


@lru_cache(maxsize=len(KINDS) * len(LANGS))
def placeholder(kind: str, lang: Lang) -> str:
    """What a masked piece reads as, such as "[name]" or "[telefon]"."""
    return plain(f"console.mask_{kind}", lang)


def mask(text: str, lang: Lang, known: Iterable[str] = ()) -> str:
    """Mask one text; for many, build a `Masker` once."""
    return Masker(known).mask(text, lang)
