"""A small pattern language over folded tokens, shared by the intent detectors.

A pattern is matched against a message's folded tokens (`bot.text.tokens`: lowercase, å/ä→a,
ö/ø→o, æ→ae). Words may be written with or without diacritics; they are folded when compiled.

    "@breathe @not /6"        one pattern: two slots, a window of 6 tokens

- Slots are separated by spaces. Every slot must match its own token, and all of them must lie
  within a window of N consecutive tokens (default: number of slots + 1), in any order.
- A slot lists alternatives separated by `|`:
    `word`   the word itself, or a typo of it: exact below 5 letters, one edit (OSA: insert,
             delete, substitute or swap two neighbours) from 5 letters, two edits from 9;
    `stem*`  any word starting with the stem (typos in the stem: exact below 6 letters, one
             edit from 6, two from 9);
    `*tail`  any longer word ending with the tail, exactly (compounds: "*brann" → skogbrann);
    `=word`  the word exactly, never a typo (`=stem*`: the stem exactly);
    `@group` every alternative of a group (groups may use groups).
- Options: `/N` sets the window; `^` (first) keeps the slots in the written order; `#N` matches
  only messages of at most N tokens; `<N` only matches starting in the first N tokens (`<1`:
  the message begins with it); `-slot` is a veto: the pattern does not match if a token
  of that slot lies within the matched tokens or `~N` (default 2) tokens either side; `-<slot`
  looks only at the N tokens before the match, `->slot` only at those after. `~N` belongs to
  the veto before it. Veto words match exactly (a typo never cancels a match).

A pattern is looked up by its slot with the fewest stopwords (`bot.stopwords`); the other
slots are checked only when that one occurs. A real word that a pattern word mistakes for a
typo (as "cooking" for "choking") belongs in the classifier's `not_typos`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.stopwords import STOPWORDS
from bot.text import fold, tokens, words


class PatternError(ValueError):
    """A pattern or a word group that cannot be compiled."""


AtomKind = Literal["word", "stem", "prefix", "tail", "exact", "phrase"]


@dataclass(frozen=True, slots=True)
class Atom:
    kind: AtomKind
    text: str


def word_edits(length: int) -> int:
    """How many typos a word of this length may have and still match."""
    return 0 if length < 5 else 1 if length < 9 else 2


def stem_edits(length: int) -> int:
    """How many typos a stem of this length may have and still match."""
    return 0 if length < 6 else 1 if length < 9 else 2


@lru_cache(maxsize=1 << 15)
def parse_atom(raw: str) -> Atom:
    """One alternative of a slot or a group: a word, a stem, a tail or a phrase."""
    kind: AtomKind = "word"
    text = raw
    if " " in raw.strip():
        text = raw.strip().removeprefix("=")
        folded = words(fold(text))
        if len(folded) < 2 or "*" in text or "=" in text:
            raise PatternError(f"not a phrase of plain words: {raw!r}")
        return Atom("phrase", " ".join(folded))
    if text.startswith("=") and text.endswith("*"):
        kind, text = "prefix", text[1:-1]
    elif text.startswith("="):
        kind, text = "exact", text[1:]
    elif text.endswith("*"):
        kind, text = "stem", text[:-1]
    elif text.startswith("*"):
        kind, text = "tail", text[1:]
    folded = words(fold(text))
    if len(folded) != 1 or "*" in text or "=" in text:
        raise PatternError(f"not a single word: {raw!r}")
    return Atom(kind, folded[0])


@dataclass(frozen=True, slots=True)
class Veto:
    """Tokens that cancel a match: `before` tokens before it and `after` tokens after it."""

    bits: int
    before: int
    after: int
    inside: bool  # the matched tokens themselves count too

    def cancels(self, masks: Sequence[int], first: int, last: int) -> bool:
        lo = max(0, first - self.before)
        hi = min(len(masks), last + self.after + 1)
        return any(
            masks[i] & self.bits for i in range(lo, hi) if self.inside or not first <= i <= last
        )


@dataclass(frozen=True, slots=True)
class Pattern:
    """One compiled pattern: its slots are bits of the token masks."""

    source: str
    label: str
    order: int
    slots: tuple[int, ...]
    trigger: int  # index of the slot looked up first
    window: int
    ordered: bool
    vetoes: tuple[Veto, ...]
    max_tokens: int
    start_within: int  # the match must begin before this token
    need: int  # every slot's bit

    def find(self, masks: Sequence[int]) -> int | None:
        """The first token of a match in `masks`, or None."""
        n = len(masks)
        if n > self.max_tokens:
            return None
        trigger_bit = self.slots[self.trigger]
        others = [i for i in range(len(self.slots)) if i != self.trigger]
        w = self.window
        for t in range(n):
            if not masks[t] & trigger_bit:
                continue
            lo, hi = max(0, t - w + 1), min(n, t + w)
            choices: list[list[int]] = []
            for slot in others:
                bit = self.slots[slot]
                found = [i for i in range(lo, hi) if i != t and masks[i] & bit]
                if not found:
                    break
                choices.append(found)
            else:
                start = self._place(masks, t, others, choices)
                if start is not None:
                    return start
        return None

    def _place(
        self, masks: Sequence[int], t: int, others: list[int], choices: list[list[int]]
    ) -> int | None:
        for combo in itertools.product(*choices):
            positions = [t, *combo]
            if len(set(positions)) != len(positions):
                continue
            first, last = min(positions), max(positions)
            if last - first >= self.window or first >= self.start_within:
                continue
            if self.ordered:
                by_slot = sorted(zip([self.trigger, *others], positions, strict=True))
                placed = [position for _, position in by_slot]
                if placed != sorted(placed):
                    continue
            if any(veto.cancels(masks, first, last) for veto in self.vetoes):
                continue
            return first
        return None


class Compiler:
    """Turns pattern strings into bit masks, and words into the bits they carry.

    `groups` maps a group's name to its alternatives (words, stems, tails or other @groups).
    """

    def __init__(self, groups: Mapping[str, Sequence[str]]) -> None:
        self.groups = groups
        self.used_groups: set[str] = set()
        # A group's atoms, worked out once: large groups are used by many patterns.
        self._expanded: dict[tuple[str, bool], frozenset[Atom]] = {}
        self.slot_bits: dict[frozenset[Atom], int] = {}
        self.atom_bits: dict[Atom, int] = {}

    def expand(
        self, alternatives: Iterable[str], seen: tuple[str, ...] = (), exact: bool = False
    ) -> frozenset[Atom]:
        """The atoms of a slot. With `exact`, words and stems match only as written."""
        atoms: set[Atom] = set()
        for raw in alternatives:
            if not raw:
                raise PatternError("empty alternative: a stray '|'?")
            if raw.startswith("@"):
                name = raw[1:]
                if name in seen:
                    raise PatternError(f"group @{name} uses itself")
                if name not in self.groups:
                    raise PatternError(f"no group @{name}")
                self.used_groups.add(name)
                key = (name, exact)
                group = self._expanded.get(key)
                if group is None:
                    group = self.expand(self.groups[name], (*seen, name), exact)
                    self._expanded[key] = group
                atoms |= group
            else:
                atom = parse_atom(raw)
                if exact and atom.kind in ("word", "stem"):
                    atom = Atom("exact" if atom.kind == "word" else "prefix", atom.text)
                atoms.add(atom)
        return frozenset(atoms)

    def slot(self, spec: str, exact: bool = False) -> int:
        atoms = self.expand(spec.split("|"), exact=exact)
        if not atoms:
            raise PatternError(f"empty slot: {spec!r}")
        bit = self.slot_bits.get(atoms)
        if bit is None:
            bit = 1 << len(self.slot_bits)
            self.slot_bits[atoms] = bit
            for atom in atoms:
                self.atom_bits[atom] = self.atom_bits.get(atom, 0) | bit
        return bit

    def pattern(self, label: str, order: int, source: str) -> Pattern:
        slots: list[int] = []
        slot_specs: list[str] = []
        vetoes: list[tuple[str, int, int]] = []  # (side, bits, margin)
        window: int | None = None
        ordered = False
        max_tokens = start_within = 1 << 30
        for part in source.split():
            if part == "^":
                ordered = True
            elif part[0] == "/":
                window = int(part[1:])
            elif part[0] == "#":
                max_tokens = int(part[1:])
            elif part[0] == "<":
                start_within = int(part[1:])
            elif part[0] == "~":
                if not vetoes:
                    raise PatternError(f"~N without a veto before it: {source!r}")
                side, bits, _ = vetoes[-1]
                vetoes[-1] = (side, bits, int(part[1:]))
            elif part[0] == "-":
                side = part[1] if part[1:2] in ("<", ">") else ""
                vetoes.append((side, self.slot(part[1 + len(side) :], exact=True), 2))
            else:
                slots.append(self.slot(part))
                slot_specs.append(part)
        if not slots:
            raise PatternError(f"pattern without slots: {source!r}")
        # Look the pattern up by its slot with the fewest common words (the first, on a tie).
        common = [
            sum(atom.text in STOPWORDS for atom in self.expand(spec.split("|")))
            for spec in slot_specs
        ]
        trigger = common.index(min(common))
        return Pattern(
            source=" ".join(source.split()),
            label=label,
            order=order,
            slots=tuple(slots),
            trigger=trigger,
            window=window if window is not None else len(slots) + 1,
            ordered=ordered,
            vetoes=tuple(
                Veto(bits, 0 if side == ">" else m, 0 if side == "<" else m, not side)
                for side, bits, m in vetoes
            ),
            max_tokens=max_tokens,
            start_within=start_within,
            need=sum(set(slots)),
        )


class PatternSet:
    """Patterns indexed by the bit of their trigger slot."""

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        self.patterns = tuple(patterns)
        self._by_trigger: dict[int, list[Pattern]] = {}
        self._triggers = 0
        for pattern in self.patterns:
            bit = pattern.slots[pattern.trigger]
            self._by_trigger.setdefault(bit, []).append(pattern)
            self._triggers |= bit

    def candidates(self, union: int) -> list[Pattern]:
        """The patterns whose every slot occurs somewhere in a message, in table order."""
        present = union & self._triggers
        found: list[Pattern] = []
        while present:
            low = present & -present
            present ^= low
            for pattern in self._by_trigger[low]:
                if pattern.need & union == pattern.need:
                    found.append(pattern)
        found.sort(key=lambda pattern: pattern.order)
        return found

    def first(self, masks: Sequence[int], union: int) -> Pattern | None:
        for pattern in self.candidates(union):
            if pattern.find(masks) is not None:
                return pattern
        return None

    def matches(self, masks: Sequence[int], union: int) -> list[tuple[Pattern, int]]:
        found = []
        for pattern in self.candidates(union):
            start = pattern.find(masks)
            if start is not None:
                found.append((pattern, start))
        return found


def compile_sets(
    compiler: Compiler, tables: Iterable[tuple[str, Sequence[str]]]
) -> tuple[PatternSet, dict[str, PatternSet]]:
    """All patterns of the tables in one set, in table order, and each table's own set."""
    everything: list[Pattern] = []
    by_label: dict[str, PatternSet] = {}
    for label, sources in tables:
        compiled = [compiler.pattern(label, len(everything) + i, s) for i, s in enumerate(sources)]
        everything.extend(compiled)
        by_label[label] = PatternSet(compiled)
    return PatternSet(everything), by_label


@dataclass(frozen=True, slots=True)
class _Fuzzy:
    """Candidates for a typo that begin with one letter: forms, their bits, edits allowed."""

    forms: list[str]
    bits: list[int]
    edits: list[int]

    @staticmethod
    def of(table: Mapping[str, int], limit: Callable[[int], int]) -> _Fuzzy:
        forms = sorted(table)
        return _Fuzzy(forms, [table[f] for f in forms], [limit(len(f)) for f in forms])


def _by_first_letter(
    tables: Mapping[int, Mapping[str, int]], limit: Callable[[int], int]
) -> dict[tuple[int, str], _Fuzzy]:
    """Typo candidates keyed by (length compared, first letter), and by (length compared,
    first two letters) for the typos that swap the first two."""
    split: dict[tuple[int, str], dict[str, int]] = {}
    for length, table in tables.items():
        for text, bits in table.items():
            split.setdefault((length, text[0]), {})[text] = bits
            if len(text) > 1:
                split.setdefault((length, text[:2]), {})[text] = bits
    return {key: _Fuzzy.of(table, limit) for key, table in split.items()}


def _typo_bits(text: str, table: Mapping[tuple[int, str], _Fuzzy]) -> int:
    """Bits of the forms `text` is a typo of. Typos keep the first letter, or swap the first
    two ("bevisstløs" / "ebvisstløs"), as people rarely mistype the first letter."""
    bits = 0
    n = len(text)
    for key in ((n, text[0]), (n, text[1] + text[0])) if n > 1 else ((n, text[0]),):
        candidates = table.get(key)
        if candidates is None:
            continue
        for _, distance, index in process.extract(
            text, candidates.forms, scorer=OSA.distance, score_cutoff=2, limit=None
        ):
            if 0 < distance <= candidates.edits[index]:
                bits |= candidates.bits[index]
    return bits


class Classifier:
    """Which slot bits a folded token carries: exact words, stems and tails first, then typos
    (only for tokens that are neither stopwords nor known real words)."""

    def __init__(
        self,
        atom_bits: Mapping[Atom, int],
        not_typos: frozenset[str],
        max_stem_edits: int = 2,
        compounds_too: bool = False,
    ) -> None:
        self.not_typos = not_typos
        # With `compounds_too`, a word of `not_typos` is not read as a compound either
        # (Norwegian "trettifire" is thirty-four, not a fire).
        self.not_compounds = not_typos if compounds_too else frozenset()

        def limit(length: int) -> int:
            return min(stem_edits(length), max_stem_edits)

        self.exact: dict[str, int] = {}
        stems: dict[int, dict[str, int]] = {}
        tails: dict[int, dict[str, int]] = {}
        typo_words: dict[int, dict[str, int]] = {}  # token length -> word -> bits
        typo_stems: dict[int, dict[str, int]] = {}  # prefix length -> stem -> bits
        # Phrases by their first two words: a common first word ("i", "ikke") alone would make
        # every such token try dozens of phrases.
        self.phrases: dict[tuple[str, str], list[tuple[tuple[str, ...], int]]] = {}
        for atom, bits in atom_bits.items():
            text, n = atom.text, len(atom.text)
            if atom.kind == "phrase":
                phrase = tuple(text.split())
                self.phrases.setdefault((phrase[0], phrase[1]), []).append((phrase, bits))
            elif atom.kind == "tail":
                _add(tails, n, text, bits)
            elif atom.kind in ("stem", "prefix"):
                _add(stems, n, text, bits)
                edits = limit(n) if atom.kind == "stem" else 0
                for length in range(n - edits, n + edits + 1):
                    if edits:
                        _add(typo_stems, length, text, bits)
            else:
                self.exact[text] = self.exact.get(text, 0) | bits
                edits = word_edits(n) if atom.kind == "word" else 0
                for length in range(n - edits, n + edits + 1):
                    if edits:
                        _add(typo_words, length, text, bits)
        self.stems = sorted(stems.items())
        self.tails = sorted(tails.items())
        self.typo_words = _by_first_letter(typo_words, word_edits)
        self.typo_stems = _by_first_letter(typo_stems, limit)
        self.typo_stem_lengths = sorted({length for length, _ in self.typo_stems})
        self.classify = lru_cache(maxsize=1 << 16)(self._classify)

    def _classify(self, token: str) -> int:
        bits = self.exact.get(token, 0)
        n = len(token)
        for length, table in self.stems:
            if length > n:
                break
            bits |= table.get(token[:length], 0)
        if token not in self.not_compounds:
            for length, table in self.tails:
                if length >= n:
                    break
                bits |= table.get(token[-length:], 0)
        if bits or n < 4 or token in self.not_typos or token in STOPWORDS or token.isdigit():
            return bits
        bits |= _typo_bits(token, self.typo_words)
        for length in self.typo_stem_lengths:
            if length > n:
                break
            bits |= _typo_bits(token[:length], self.typo_stems)
        return bits


def _add(table: dict[int, dict[str, int]], length: int, text: str, bits: int) -> None:
    row = table.setdefault(length, {})
    row[text] = row.get(text, 0) | bits


@dataclass(frozen=True, slots=True)
class Analysis:
    """The slot bits of each token of one message, and all of them together."""

    masks: tuple[int, ...]
    union: int


def analyse(classifier: Classifier, text: str, limit: int) -> Analysis:
    """Classify the first `limit` characters of `text`, token by token."""
    return analyse_tokens(classifier, tokens(text, limit=limit))


def analyse_tokens(classifier: Classifier, found: Sequence[str]) -> Analysis:
    """Classify already folded tokens; a phrase marks every token it spans."""
    classify = classifier.classify
    masks = [classify(token) for token in found]
    phrases = classifier.phrases
    if phrases:
        for start, pair in enumerate(itertools.pairwise(found)):
            for phrase, bits in phrases.get(pair, ()):
                end = start + len(phrase)
                if end == start + 2 or tuple(found[start:end]) == phrase:
                    for position in range(start, end):
                        masks[position] |= bits
    union = 0
    for mask in masks:
        union |= mask
    return Analysis(tuple(masks), union)
