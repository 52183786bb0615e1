"""The learned part's features: the same function at training and at run time.

A message becomes a set of feature names: character 3- to 5-grams of each folded word (padded
with spaces, so "blå" gives " bl", "blå", "lå "), each word, each pair of neighbouring words,
each concept of the concept rules a word belongs to ("c:breathe"), each pair of concepts
near each other ("p:breathe|not"). Character grams carry typos, inflections, compounds and
missing diacritics; words and pairs carry negation and context ("ikke puster", "last year");
concepts carry what the words mean across languages and synonyms; and each concept rule that
matches ("r:@breathe @not ..."), so the model learns how far to trust each rule. Every feature
has the value count/sqrt(total count), so long and short messages score on the same scale. A
word's own features do not depend on its neighbours, so the bot sums their weights once per
word.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence

GRAM_SIZES = (3, 4, 5)
# Longer words are cut here: no real word needs more, and the cost stays linear.
MAX_WORD_CHARS = 24
# Messages are scored in windows of this many words, overlapping by half, and the most
# alarming window counts: an emergency at the end of a long message is not diluted.
WINDOW_WORDS = 40


# A message's length in words, up to this many, is a feature of its own: a two-word message
# with one alarming word is not as alarming as a long one full of them.
LENGTH_BUCKETS = 8
# Concepts of words at most this far apart make a pair.
CONCEPT_REACH = 3


def word_features(word: str) -> list[str]:
    """The features one word brings, wherever it stands: its character grams and itself."""
    padded = f" {word[:MAX_WORD_CHARS]} "
    size = len(padded)
    found = [padded[start : start + n] for n in GRAM_SIZES for start in range(size - n + 1)]
    found.append("w:" + word[:MAX_WORD_CHARS])
    return found


def context_features(
    words: Sequence[str],
    concepts: Sequence[Sequence[str]],
    rules: Sequence[str],
    pairs: bool = True,
) -> list[str]:
    """The features that depend on where words stand: word pairs, concepts and their pairs,
    and the rules that match. Without `pairs`, the word pairs are left out (the bot looks
    them up without building their names)."""
    found = ["r:" + rule for rule in rules]
    found.append(f"n:{min(len(words), LENGTH_BUCKETS)}")
    add = found.append
    if pairs:
        cut = [word[:MAX_WORD_CHARS] for word in words]
        found += [f"b:{previous} {word}" for previous, word in itertools.pairwise(cut)]
    for position, names in enumerate(concepts):
        for name in names:
            add("c:" + name)
            for later in concepts[position + 1 : position + 1 + CONCEPT_REACH]:
                for other in later:
                    if other != name:
                        add(f"p:{name}|{other}" if name < other else f"p:{other}|{name}")
    return found


def features(
    words: Sequence[str], concepts: Sequence[Sequence[str]] = (), rules: Sequence[str] = ()
) -> Counter[str]:
    """How often each feature occurs in a message, given its folded words (`bot.text.tokens`),
    for each word the names of its concepts, and the concept rules that match it.

    Each feature's value is its count divided by the square root of the total count."""
    found: Counter[str] = Counter()
    for word in words:
        found.update(word_features(word))
    found.update(context_features(words, concepts, rules))
    return found


def windows(length: int) -> list[slice]:
    """The whole message, or overlapping windows of it when it is long."""
    if length <= WINDOW_WORDS:
        return [slice(0, length)]
    step = WINDOW_WORDS // 2
    return [slice(start, start + WINDOW_WORDS) for start in range(0, length - step, step)]
