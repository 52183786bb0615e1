"""Help requests and small talk, found in a resident's message before knowledge-base matching.

`bot.answering` asks these after the emergency detector (`bot.answering.emergency`):

- `detect_help_request`: is the resident asking a volunteer for practical help (groceries,
  pharmacy, transport, dog) for themselves or someone they care for?
- `detect_smalltalk`: is the whole message a greeting, thanks, goodbye, "how are you", "who are
  you" or an acknowledgement?

The tables are data files in `bot/answering/data/`: `help_patterns.yaml` (word groups, tasks and
signals, in the pattern language of `bot.answering.patterns`, and the real words that are never
typos) and `smalltalk.yaml`. To add a phrase, add a line to the right table (and a test to
tests/test_intents.py). A mistake in a table is a `DetectorDataError` with the file and line.
No Telegram imports; every table is compiled at import.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal, cast, get_args

import yaml
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.answering.emergency.model import DetectorDataError
from bot.answering.emergency.rules import mapping_items, node_line, read_yaml, string_items
from bot.answering.patterns import (
    Classifier,
    Compiler,
    Pattern,
    PatternError,
    PatternSet,
    analyse_tokens,
    word_edits,
)
from bot.answering.query import analyse_query
from bot.stopwords import STOPWORDS
from bot.text import clean, fold, words

__all__ = [
    "HelpCategory",
    "HelpMatch",
    "HelpStrength",
    "SmalltalkKind",
    "detect_help_request",
    "detect_smalltalk",
    "help_signals",
]

HelpCategory = Literal["groceries", "pharmacy", "transport", "dog", "other"]
SmalltalkKind = Literal["greeting", "thanks", "bye", "how_are_you", "who_are_you", "ack"]

# Longer messages are never small talk.
_SMALLTALK_MAX_TOKENS: Final = 12


class HelpStrength(enum.Enum):
    """How sure it is that the resident asks a volunteer for practical help."""

    STRONG = "strong"  # a concrete practical task
    GENERIC = "generic"  # "I need help" with no task: the caller decides


@dataclass(frozen=True, slots=True)
class HelpMatch:
    """A request for practical help found in a message."""

    category: HelpCategory
    strength: HelpStrength


# =============================================================================================
# The tables: data files in bot/answering/data/
# =============================================================================================

DATA_DIR: Final = Path(__file__).parent / "data"
_SIGNALS_NEEDED: Final = frozenset({"explicit", "ask", "need", "offer", "info", "admin", "generic"})


def _compiled(
    path: Path, compiler: Compiler, node: yaml.Node, start: int
) -> list[tuple[str, list[Pattern]]]:
    """Each table of patterns of a section, compiled; a bad pattern is reported by line."""
    tables = []
    order = start
    for label, patterns in mapping_items(path, node):
        compiled = []
        for source, line in string_items(path, patterns):
            try:
                compiled.append(compiler.pattern(label, order, source))
            except PatternError as error:
                raise DetectorDataError(path, f"line {line}: {error}") from None
            order += 1
        tables.append((label, compiled))
    return tables


def _words_in(path: Path, node: yaml.Node) -> list[str]:
    found = str(node.value).split() if isinstance(node, yaml.ScalarNode) else []
    if not found:
        raise DetectorDataError(path, f"line {node_line(node)}: expected words separated by spaces")
    return found


def load_help_patterns(
    path: Path,
) -> tuple[Compiler, PatternSet, dict[str, PatternSet], frozenset[str]]:
    """The help patterns of a data file: the compiler of its word groups, the task patterns
    in one set, each signal's own set, and the words that are never typos."""
    sections = dict(mapping_items(path, read_yaml(path)))
    if set(sections) != {"groups", "tasks", "signals", "not_typos"}:
        raise DetectorDataError(
            path, "needs exactly four sections: groups, tasks, signals, not_typos"
        )
    groups = {name: _words_in(path, node) for name, node in mapping_items(path, sections["groups"])}
    compiler = Compiler(groups)
    tasks = _compiled(path, compiler, sections["tasks"], 0)
    if {label for label, _ in tasks} != set(get_args(HelpCategory)):
        raise DetectorDataError(path, f"tasks must be exactly {', '.join(get_args(HelpCategory))}")
    signals = _compiled(path, compiler, sections["signals"], 0)
    missing = _SIGNALS_NEEDED - {label for label, _ in signals}
    if missing:
        raise DetectorDataError(path, f"signals missing: {', '.join(sorted(missing))}")
    not_typos = frozenset(fold(word) for word in _words_in(path, sections["not_typos"]))
    task_set = PatternSet([pattern for _, compiled in tasks for pattern in compiled])
    return compiler, task_set, {label: PatternSet(c) for label, c in signals}, not_typos


_COMPILER, _TASK_SET, _SIGNAL_SETS, _NOT_TYPOS = load_help_patterns(DATA_DIR / "help_patterns.yaml")
_CLASSIFIER = Classifier(_COMPILER.atom_bits, _NOT_TYPOS)


@dataclass(frozen=True, slots=True)
class _HelpScan:
    """The help patterns' view of one message: the signals that match, in table order, and
    the task patterns that match with where they start."""

    union: int
    signals: tuple[str, ...]
    tasks: tuple[tuple[Pattern, int], ...]


# Help and small-talk detection may run on the same message one after the other, and the help
# detector reads the signals twice (its verdict and its features): each message is scanned
# once.
@lru_cache(maxsize=32)
def _scan(text: str) -> _HelpScan:
    analysis = analyse_tokens(_CLASSIFIER, analyse_query(text).words)
    if not analysis.union:
        return _HelpScan(0, (), ())
    masks, union = analysis.masks, analysis.union
    signals = tuple(
        name for name, patterns in _SIGNAL_SETS.items() if patterns.first(masks, union) is not None
    )
    return _HelpScan(union, signals, tuple(_TASK_SET.matches(masks, union)))


def forget_analyses() -> None:
    """Drop the kept analyses: their keys are messages' texts (after an erasure)."""
    _scan.cache_clear()


# =============================================================================================
# The public functions
# =============================================================================================


_CATEGORIES: Final[dict[str, HelpCategory]] = {c: c for c in get_args(HelpCategory)}


def help_signals(text: str) -> tuple[str, ...]:
    """The help patterns that match a message: each signal by name and each kind of task
    ("task:dog"). The learned help detector weighs them as features."""
    scan = _scan(text)
    if not scan.union:
        return ()
    return (*scan.signals, *sorted({"task:" + pattern.label for pattern, _ in scan.tasks}))


def detect_help_request(text: str) -> HelpMatch | None:
    """A request for a volunteer's practical help, if the message is one."""
    scan = _scan(text)
    signals = scan.signals
    if not scan.union or "admin" in signals:
        return None
    explicit = "explicit" in signals
    if not explicit and "offer" in signals:
        return None
    asked = explicit or "ask" in signals
    if (asked or "need" in signals) and "info" not in signals:
        tasks = scan.tasks
        specific = [(start, p.order, p.label) for p, start in tasks if p.label != "other"]
        if specific:
            return HelpMatch(_CATEGORIES[min(specific)[2]], HelpStrength.STRONG)
        if tasks and asked:
            return HelpMatch("other", HelpStrength.STRONG)
    if "generic" in signals:
        return HelpMatch("other", HelpStrength.GENERIC)
    return None


# =============================================================================================
# Small talk: the whole message must be made of these phrases (and filler words)
# =============================================================================================


def load_smalltalk(
    path: Path,
) -> tuple[dict[SmalltalkKind, str], frozenset[str], dict[str, SmalltalkKind]]:
    """The small-talk phrases of each kind (in order of priority), the filler words, and the
    kind of each emoji."""
    sections = dict(mapping_items(path, read_yaml(path)))
    if set(sections) != {"phrases", "filler", "emoji"}:
        raise DetectorDataError(path, "needs exactly three sections: phrases, filler, emoji")
    kinds = set(get_args(SmalltalkKind))
    phrases: dict[SmalltalkKind, str] = {}
    for kind, node in mapping_items(path, sections["phrases"]):
        if kind not in kinds:
            raise DetectorDataError(path, f"line {node_line(node)}: no kind of small talk {kind!r}")
        phrases[cast(SmalltalkKind, kind)] = " ".join(_words_in(path, node))
    emoji: dict[str, SmalltalkKind] = {}
    for kind, node in mapping_items(path, sections["emoji"]):
        if kind not in kinds:
            raise DetectorDataError(path, f"line {node_line(node)}: no kind of small talk {kind!r}")
        for symbol, _ in string_items(path, node):
            emoji[symbol] = cast(SmalltalkKind, kind)
    filler = frozenset(fold(word) for word in _words_in(path, sections["filler"]))
    return phrases, filler, emoji


_SMALLTALK, _FILLER, _EMOJI_KINDS = load_smalltalk(DATA_DIR / "smalltalk.yaml")
_EMOJI_IGNORED: Final = frozenset(
    "\ufe0f\ufe0e\u200d\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff !?.,:;-–—…~*'\""
)
_REPEATS: Final = re.compile(r"(.)\1+")


def _smalltalk_tables() -> tuple[dict[tuple[str, ...], int], dict[str, int], list[str], int]:
    phrases: dict[tuple[str, ...], int] = {}
    for rank, kind in enumerate(_SMALLTALK):
        for phrase in _SMALLTALK[kind].split("|"):
            key = tuple(words(fold(phrase)))
            if key:
                phrases.setdefault(key, rank)
    vocabulary = {word for phrase in phrases for word in phrase} | set(_FILLER)
    index = {word: i for i, word in enumerate(sorted(vocabulary))}
    longest = max(len(phrase) for phrase in phrases)
    return phrases, index, sorted(vocabulary), longest


_PHRASES, _VOCAB_INDEX, _VOCAB, _LONGEST_PHRASE = _smalltalk_tables()
_KINDS: Final[tuple[SmalltalkKind, ...]] = tuple(_SMALLTALK)
_NO_PHRASE: Final = len(_KINDS)


@lru_cache(maxsize=4096)
def _smalltalk_word(token: str) -> str | None:
    """The small-talk word a token stands for: itself, without repeated letters, or a typo."""
    if token in _VOCAB_INDEX:
        return token
    for squeezed in (_REPEATS.sub(r"\1\1", token), _REPEATS.sub(r"\1", token)):
        if squeezed in _VOCAB_INDEX:
            return squeezed
    edits = word_edits(len(token))
    if edits == 0 or token in STOPWORDS or token in _NOT_TYPOS:
        return None
    for word, _, _ in process.extract(
        token, _VOCAB, scorer=OSA.distance, score_cutoff=edits, limit=None
    ):
        if word_edits(len(word)) and (word[0] == token[0] or word[:2] == token[1::-1]):
            return word
    return None


def _emoji_only_kind(text: str) -> SmalltalkKind | None:
    """The small talk a message of emoji alone ("👍", "🙏") stands for."""
    kinds: set[SmalltalkKind] = set()
    for ch in clean(text[:200]):
        if ch in _EMOJI_IGNORED:
            continue
        kind = _EMOJI_KINDS.get(ch)
        if kind is None:
            return None
        kinds.add(kind)
    for kind in _KINDS:
        if kind in kinds:
            return kind
    return None


def detect_smalltalk(text: str) -> SmalltalkKind | None:
    """What kind of small talk the message is, when all of it is small talk."""
    if len(text) > 400:
        return None
    found = analyse_query(text).match_words
    if not found:
        return _emoji_only_kind(text)
    if len(found) > _SMALLTALK_MAX_TOKENS:
        return None
    canonical: list[str] = []
    for token in found:
        word = _smalltalk_word(token)
        if word is None:
            return None
        canonical.append(word)
    # best[i]: the best (lowest) rank of a phrase in a full cover of the first i words by
    # phrases and filler; _NO_PHRASE when covered by filler alone, None when not covered.
    best: list[int | None] = [_NO_PHRASE] + [None] * len(canonical)
    for end in range(1, len(canonical) + 1):
        options: list[int] = []
        before = best[end - 1]
        if canonical[end - 1] in _FILLER and before is not None:
            options.append(before)
        for size in range(1, min(_LONGEST_PHRASE, end) + 1):
            rank = _PHRASES.get(tuple(canonical[end - size : end]))
            before = best[end - size]
            if rank is not None and before is not None:
                options.append(min(rank, before))
        best[end] = min(options) if options else None
    found_rank = best[-1]
    if found_rank is None or found_rank == _NO_PHRASE:
        return None
    return _KINDS[found_rank]
