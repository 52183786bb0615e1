"""The pattern language shared by the intent detectors (see bot/answering/patterns.py)."""

from __future__ import annotations

import pytest

from bot.answering.patterns import Classifier, Compiler, PatternError, analyse_tokens
from bot.text import tokens

GROUPS = {
    "breathe": ["pust*", "andas", "breath*"],
    "not": ["ikke", "inte", "not"],
    "stop_breathing": ["@breathe", "=stopped breathing"],
    "self": ["@self"],
}


def _matches(pattern: str, text: str) -> bool:
    compiler = Compiler(GROUPS)
    compiled = compiler.pattern("test", 0, pattern)
    analysis = analyse_tokens(Classifier(compiler.atom_bits, frozenset()), tokens(text))
    return compiled.find(analysis.masks) is not None


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        # slots match in any order within the window (default: slots + 1)
        ("puster ikke", "puster ikke", True),
        ("puster ikke", "ikke puster", True),
        ("puster ikke", "puster han ikke", True),
        ("puster ikke", "puster han nesten ikke", False),
        ("puster ikke /4", "puster han nesten ikke", True),
        # ^ keeps the written order
        ("^ there fire /3", "there is a fire", False),
        ("^ there fire /4", "there is a fire", True),
        ("^ there fire /4", "fire is there", False),
        # typos: exact below 5 letters, one edit from 5, two from 9; the first letter stays
        ("puls", "puls", True),
        ("puls", "pols", False),
        ("puster", "pustr", True),
        ("puster", "pusster", True),
        ("puster", "pister", True),
        ("puster", "ouster", False),
        ("puster", "upster", True),
        ("bevisstløs", "bevistlos", True),
        ("bevisstløs", "bvistlos", True),
        ("bevisstløs", "bvstlos", False),
        ("=puster", "pustr", False),
        # stems, exact stems and tails
        ("selvmord*", "selvmordstanker", True),
        ("selvmord*", "selmordstanker", True),
        ("=selvmord*", "selmordstanker", False),
        ("*brann", "skogbrann", True),
        ("*brann", "brann", False),
        # groups
        ("@breathe @not", "andas inte", True),
        # vetoes cancel a match near them, and never through a typo
        ("brenner -for ~1", "det brenner", True),
        ("brenner -for ~1", "jeg brenner for frivillighet", False),
        ("brenner -for ~1", "brenner, ring for all del", True),
        ("puster ikke -nesen ~2", "han puster nesten ikke", True),
        ("puster tungt -<ikke ~2", "han puster ikke tungt", True),
        ("puster tungt -<ikke ~2", "ikke puster tungt", False),
        ("puster tungt -<ikke ~2", "puster tungt, ikke bra", True),
        ("puster tungt ->ikke ~2", "puster tungt, ikke bra", False),
        ("puster tungt -ikke ~1 -bra ~0", "puster tungt, ikke bra", False),
        ("puster tungt -ikke ~0 -bra ~0", "puster tungt, ikke bra", True),
        # #N: short messages only; <N: the match begins in the first N tokens
        ("brann #3", "brann!", True),
        ("brann #3", "hva gjør jeg ved brann i boligen", False),
        ("trenger jeg <1", "trenger jeg resept", True),
        ("trenger jeg <1", "nå trenger jeg hjelp", False),
        # each slot needs a token of its own
        ("ikke ikke", "ikke", False),
        ("ikke ikke", "ikke ikke", True),
        # a phrase in a group matches its words next to each other, exactly
        ("@stop_breathing", "he stopped breathing", True),
        ("@stop_breathing", "he stopped, breathing", True),
        ("@stop_breathing", "stopped he breathing", True),
        ("@stop_breathing puls", "stopped breathing, no puls", True),
        # "aa" is typed for "å" and folds like it
        ("på gulvet", "paa gulvet", True),
    ],
)
def test_pattern_language(pattern: str, text: str, expected: bool) -> None:
    assert _matches(pattern, text) is expected


@pytest.mark.parametrize(
    "pattern",
    ["", "/3", "@no_such_group", "two words|", "epi-pen", "-veto ~1", "~1 word -veto"],
)
def test_malformed_patterns_are_rejected(pattern: str) -> None:
    with pytest.raises(PatternError):
        Compiler(GROUPS).pattern("test", 0, pattern)


def test_a_group_that_uses_itself_is_rejected() -> None:
    with pytest.raises(PatternError, match="uses itself"):
        Compiler(GROUPS).pattern("test", 0, "@self")


@pytest.mark.parametrize("word", ["epi-pen*", "two words*", "=", "*"])
def test_malformed_group_words_are_rejected(word: str) -> None:
    with pytest.raises(PatternError):
        Compiler({"group": [word]}).pattern("test", 0, "@group")
