"""Concept rules: combinations of concepts (a person + a state, water + not up) as data files.

`data/concepts/<lang>.yaml` lists each concept's words per language; `data/rules.yaml` combines
concepts into rules per kind of emergency, in the pattern language of `bot.answering.patterns`.
Both are read once, when the detector is built. Any mistake in them is a `DetectorDataError`
with the file and line, and the tests load them, so a broken table fails CI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.answering.emergency.model import DetectorDataError
from bot.answering.patterns import (
    Analysis,
    Classifier,
    Compiler,
    Pattern,
    PatternError,
    PatternSet,
    analyse_tokens,
    parse_atom,
)
from bot.text import fold

CONCEPT_LANGUAGES = ("nb", "nn", "sv", "en")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# The levels a cap may hold a message at: nothing, or at most the warning line.
EmergencyCap = int
_CAP_LEVELS: dict[str, EmergencyCap] = {"none": 0, "line": 1}
# Words after a plea that make it a task ("help me to carry", "hjelpe meg å handle").
_TASK_MARKERS = frozenset({"a", "att", "to", "med", "with", "til", "till"})
# How many words after the plea a task marker may come ("help my dad to carry").
_TASK_REACH = 3
# How many words before a local cap's word a negation undoes it.
_NEGATION_REACH = 3
_OPTIONAL_SECTIONS = frozenset(
    {"caps", "local_caps", "local_caps_unless", "local_vetoes", "closing"}
)
_CLOSING_KEYS = frozenset({"concepts", "everyday", "fillers"})
# LibYAML's loader when PyYAML has it: the concept files are read at every start.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_rules(data_dir: Path) -> ConceptRules:
    """The concept rules of a data folder: concepts/, rules.yaml and not_typos.yaml."""
    return ConceptRules(
        load_concepts(data_dir / "concepts"),
        data_dir / "rules.yaml",
        load_not_typos(data_dir / "not_typos.yaml"),
    )


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """A rule that matched: the kind of emergency and the rule's text (never the message)."""

    situation: str
    rule: str
    strong: bool  # a combination of concepts, not a single word or phrase


def node_line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def read_yaml(path: Path) -> yaml.Node:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DetectorDataError(path, f"cannot read it ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise DetectorDataError(path, f"not UTF-8 ({error.reason})") from None
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise DetectorDataError(path, f"{where}{error.problem}") from None
    if not isinstance(node, yaml.MappingNode):
        raise DetectorDataError(path, "must be a mapping of names to values")
    return node


def mapping_items(path: Path, node: yaml.Node) -> Iterator[tuple[str, yaml.Node]]:
    """The keys and value nodes of a mapping; a repeated key is an error."""
    if not isinstance(node, yaml.MappingNode):
        raise DetectorDataError(path, f"line {node_line(node)}: expected a mapping")
    seen: set[str] = set()
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode) or not re.fullmatch(r"[a-z_]+", key.value):
            raise DetectorDataError(path, f"line {node_line(key)}: a name is lower_case letters")
        if key.value in seen:
            raise DetectorDataError(path, f"line {node_line(key)}: {key.value!r} appears twice")
        seen.add(key.value)
        yield key.value, value


def string_items(path: Path, node: yaml.Node) -> list[tuple[str, int]]:
    if not isinstance(node, yaml.SequenceNode):
        raise DetectorDataError(path, f"line {node_line(node)}: expected a list")
    found = []
    for item in node.value:
        if not isinstance(item, yaml.ScalarNode) or not item.value.strip():
            raise DetectorDataError(path, f"line {node_line(item)}: expected a word or phrase")
        found.append((item.value, node_line(item)))
    return found


def load_concepts(folder: Path) -> dict[str, list[str]]:
    """Every concept's words, all languages together; each word is checked as it is read."""
    concepts: dict[str, list[str]] = {}
    for lang in CONCEPT_LANGUAGES:
        path = folder / f"{lang}.yaml"
        for name, value in mapping_items(path, read_yaml(path)):
            for word, line in string_items(path, value):
                if word.startswith("@"):
                    raise DetectorDataError(
                        path, f"line {line}: a concept lists words, not @groups"
                    )
                try:
                    parse_atom(word)
                except PatternError as error:
                    raise DetectorDataError(path, f"line {line}: {error}") from None
                concepts.setdefault(name, []).append(word)
    return concepts


def load_not_typos(path: Path) -> frozenset[str]:
    """Real words that must never be read as a typo of a concept word."""
    sections = dict(mapping_items(path, read_yaml(path)))
    if set(sections) != {"not_typos"}:
        raise DetectorDataError(path, "needs exactly one section: not_typos")
    return frozenset(fold(word) for word, _ in string_items(path, sections["not_typos"]))


class ConceptRules:
    """The compiled rules, checked against a message's folded tokens."""

    def __init__(
        self,
        concepts: Mapping[str, Sequence[str]],
        rules_file: Path,
        not_typos: frozenset[str] = frozenset(),
    ) -> None:
        root = read_yaml(rules_file)
        sections = dict(mapping_items(rules_file, root))
        if set(sections) - _OPTIONAL_SECTIONS != {"context_concepts", "vetoes", "rules"}:
            raise DetectorDataError(
                rules_file,
                "needs the sections context_concepts, vetoes and rules"
                " (and may have caps, local_caps, local_vetoes and closing)",
            )
        vetoes = {}
        for name, node in mapping_items(rules_file, sections["vetoes"]):
            if not isinstance(node, yaml.ScalarNode):
                raise DetectorDataError(rules_file, f"line {node_line(node)}: expected text")
            vetoes[name] = node.value
        self.compiler = Compiler(concepts)
        compiled: list[Pattern] = []
        situations: list[str] = []
        for situation, node in mapping_items(rules_file, sections["rules"]):
            situations.append(situation)
            self._compile_into(compiled, rules_file, situation, node, vetoes)
        self.situations = tuple(situations)
        self.patterns = PatternSet(compiled)
        self.caps = self._compile_caps(rules_file, sections.get("caps"), vetoes)
        self.unused_concepts = sorted(set(concepts) - self.compiler.used_groups)
        self.concept_bits = {name: self.compiler.slot("@" + name) for name in sorted(concepts)}
        context = set()
        for name, line in string_items(rules_file, sections["context_concepts"]):
            if name not in concepts:
                raise DetectorDataError(rules_file, f"line {line}: no concept named {name!r}")
            context.add(name)
        self.danger_bits = 0
        for name, bit in self.concept_bits.items():
            if name not in context:
                self.danger_bits |= bit
        self.local_caps = self._compile_local_caps(rules_file, sections.get("local_caps"))
        self.closing_bits, self.everyday_bits, self.closing_fillers = self._compile_closing(
            rules_file, sections.get("closing")
        )
        self.not_bits = self.concept_bits.get("not", 0)
        unless = sections.get("local_caps_unless")
        self.local_caps_unless = (
            sum(self.concept_bits[n] for n in self._concept_names(rules_file, unless))
            if unless is not None
            else 0
        )
        # "now", and "again" ("I once again fell"): what comes after is not the past
        self.now_bits = self.concept_bits.get("now", 0) | self.concept_bits.get("again_en", 0)
        self.local_vetoes = self._compile_local_caps(rules_file, sections.get("local_vetoes"))
        self.local_veto_bits = sum(bit for bit, _ in self.local_vetoes)
        # The words of a plea that opens a message ("can someone help me, ...").
        self.opener_bits = self.concept_bits.get("help_opener", 0)
        # The concepts reported as the model's features: all of them, unless the detector
        # limits them to those its model was fitted with (`limit_features`).
        self.feature_bits = sum(self.concept_bits.values())
        # A stem is a prefix of every word it matches: two typos in one match too much.
        self.classifier = Classifier(
            self.compiler.atom_bits, not_typos, max_stem_edits=1, compounds_too=True
        )
        self._names = lru_cache(maxsize=1 << 14)(self._names_of)

    def _compile_into(
        self,
        compiled: list[Pattern],
        path: Path,
        name: str,
        node: yaml.Node,
        vetoes: Mapping[str, str],
    ) -> None:
        """Compile a list of rule texts named `name` onto `compiled`, numbered after it."""
        for text, line in string_items(path, node):
            source = self._expand_vetoes(text, vetoes, path, line)
            try:
                compiled.append(self.compiler.pattern(name, len(compiled), source))
            except PatternError as error:
                raise DetectorDataError(path, f"line {line}: {error}") from None

    def _compile_caps(
        self, path: Path, node: yaml.Node | None, vetoes: Mapping[str, str]
    ) -> tuple[tuple[EmergencyCap, PatternSet], ...]:
        """The `caps` section: for each level, the patterns of contexts that cap it."""
        if node is None:
            return ()
        found = []
        for name, value in mapping_items(path, node):
            if name not in _CAP_LEVELS:
                raise DetectorDataError(
                    path, f"line {node_line(value)}: a cap is none or line, not {name!r}"
                )
            compiled: list[Pattern] = []
            self._compile_into(compiled, path, name, value, vetoes)
            found.append((_CAP_LEVELS[name], PatternSet(compiled)))
        return tuple(sorted(found))

    def _concept_names(self, path: Path, node: yaml.Node) -> list[str]:
        names = []
        for name, line in string_items(path, node):
            if name not in self.concept_bits:
                raise DetectorDataError(path, f"line {line}: no concept named {name!r}")
            names.append(name)
        return names

    def _compile_local_caps(
        self, path: Path, node: yaml.Node | None
    ) -> tuple[tuple[int, int], ...]:
        """A `local_caps` or `local_vetoes` section: concept name -> how many words it reaches."""
        if node is None:
            return ()
        found = []
        for name, value in mapping_items(path, node):
            if name not in self.concept_bits:
                raise DetectorDataError(path, f"line {node_line(value)}: no concept named {name!r}")
            if not isinstance(value, yaml.ScalarNode) or not value.value.isdigit():
                raise DetectorDataError(path, f"line {node_line(value)}: expected a distance")
            found.append((self.concept_bits[name], int(value.value)))
        return tuple(found)

    def _compile_closing(
        self, path: Path, node: yaml.Node | None
    ) -> tuple[int, int, frozenset[str]]:
        """The `closing` section: the concepts of an everyday closing, those of them that make
        a goodbye everyday, and the filler words a closing may also have."""
        if node is None:
            return 0, 0, frozenset()
        sections = dict(mapping_items(path, node))
        if set(sections) != _CLOSING_KEYS:
            raise DetectorDataError(
                path, f"line {node_line(node)}: closing needs concepts, everyday and fillers"
            )
        closing = sum(self.concept_bits[n] for n in self._concept_names(path, sections["concepts"]))
        everyday = sum(
            self.concept_bits[n] for n in self._concept_names(path, sections["everyday"])
        )
        fillers = frozenset(fold(word) for word, _ in string_items(path, sections["fillers"]))
        return closing, everyday, fillers

    def closing_only(self, words: Sequence[str], analysis: Analysis) -> bool:
        """True when the message is made only of closing words ("bye", "thanks", "see you")
        and fillers ("and", "the"): any other word ("on the other side") makes it more."""
        bits = self.closing_bits
        if not analysis.union & bits:
            return False
        fillers = self.closing_fillers
        return all(
            mask & bits or word in fillers for word, mask in zip(words, analysis.masks, strict=True)
        )

    def everyday_closing(self, words: Sequence[str], analysis: Analysis) -> bool:
        """A closing alone with an everyday concept (thanks for the help, a "see you", a
        season's greeting): "Bye everyone, see you tomorrow" is no farewell, so not even the
        goodbye rule raises it."""
        return bool(analysis.union & self.everyday_bits) and self.closing_only(words, analysis)

    def _local_cap(self, analysis: Analysis) -> bool:
        """True when every danger word of the message is near a word of a local cap's concept
        ("I nearly died laughing"): a danger word further away ("..., but now grandpa has
        fallen") is outside the idiom and keeps the model's level."""
        masks = analysis.masks
        for bit, distance in self.local_caps:
            if not analysis.union & bit:
                continue
            # a negated context is none ("not by accident", "ikke ved et uhell")
            anchors = [
                i
                for i, mask in enumerate(masks)
                if mask & bit
                and not any(m & self.not_bits for m in masks[max(0, i - _NEGATION_REACH) : i])
            ]
            # a farewell elsewhere in the message ("..., takk for alt") undoes it
            if any(m & self.local_caps_unless and not m & bit for m in masks):
                continue
            if anchors and all(
                any(abs(i - a) <= distance for a in anchors)
                for i, mask in enumerate(masks)
                if mask & self.danger_bits
            ):
                return True
        return False

    def cap(self, words: Sequence[str], analysis: Analysis) -> EmergencyCap | None:
        """The lowest cap whose context the message is in, if any (0: none, 1: line)."""
        if self.closing_only(words, analysis) or self._local_cap(analysis):
            return 0
        for level, patterns in self.caps:
            if patterns.first(analysis.masks, analysis.union) is not None:
                return level
        return None

    def limit_features(self, names: Iterable[str]) -> None:
        """Report only these concepts as the model's features (those it was fitted with):
        a concept added since the fit changes no score."""
        wanted = set(names)
        self.feature_bits = sum(b for n, b in self.concept_bits.items() if n in wanted)
        self._names.cache_clear()

    def opener_length(self, words: Sequence[str], analysis: Analysis) -> int:
        """How many words of a plea for help open the message ("kan noen hjelpe meg, ..."),
        or 0. A plea that goes on into a task ("... help me to carry", "help my dad to carry")
        opens nothing."""
        masks = analysis.masks
        length = 0
        while length < len(masks) and masks[length] & self.opener_bits:
            length += 1
        if length == 0 or length == len(words):
            return 0
        # the task may follow the person to help ("kan nokon hjelpe mor å bere inn ved")
        if any(word in _TASK_MARKERS for word in words[length : length + _TASK_REACH]):
            return 0
        return length

    @staticmethod
    def _expand_vetoes(text: str, vetoes: Mapping[str, str], path: Path, line: int) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in vetoes:
                raise DetectorDataError(path, f"line {line}: no veto named {{{name}}}")
            return vetoes[name]

        return _PLACEHOLDER.sub(replace, text)

    def has_danger(self, analysis: Analysis) -> bool:
        """True when the message has a word of at least one concept of danger."""
        return bool(analysis.union & self.danger_bits)

    def analyse(self, words: Sequence[str]) -> Analysis:
        """The concept bits of each word of a message."""
        return analyse_tokens(self.classifier, words)

    def matches(self, analysis: Analysis) -> list[RuleMatch]:
        """Every rule that matches, in the order of the file."""
        found = self.patterns.matches(analysis.masks, analysis.union)
        if found and analysis.union & self.local_veto_bits:
            found = [(p, start) for p, start in found if not self._locally_vetoed(analysis, start)]
        return [
            RuleMatch(pattern.label, pattern.source, len(pattern.slots) > 1) for pattern, _ in found
        ]

    def _locally_vetoed(self, analysis: Analysis, start: int) -> bool:
        """True when a rule's match begins a few words after a local veto's word ("I once fell
        through the ice"), with no word of now between them ("I once called the police on him,
        now he is back and hitting me" is now). A veto in the rule's own text would rename the
        rule, and the model knows the rules by name."""
        masks = analysis.masks
        for bit, reach in self.local_vetoes:
            for i in range(max(0, start - reach), start + 1):
                if masks[i] & bit and not any(m & self.now_bits for m in masks[i + 1 : start + 1]):
                    return True
        return False

    @staticmethod
    def best(matches: Sequence[RuleMatch]) -> RuleMatch | None:
        """The first rule that combines concepts, else the first rule."""
        for match in matches:
            if match.strong:
                return match
        return matches[0] if matches else None

    def _names_of(self, mask: int) -> tuple[str, ...]:
        mask &= self.feature_bits
        return tuple(name for name, bit in self.concept_bits.items() if mask & bit)

    def concepts_of(self, analysis: Analysis) -> list[tuple[str, ...]]:
        """For each word, the names of the concepts it belongs to (the model's features)."""
        names = self._names
        return [names(mask) if mask else () for mask in analysis.masks]
