"""The character n-gram cosines the matcher orders its best candidates by."""

from __future__ import annotations

import math
from array import array
from pathlib import Path

import pytest

from bot.answering.ngrams import MAX_NEAR, NgramSpace, word_grams
from tests.conftest import WriteFile
from tests.test_matching import _matcher, _ranked


def test_a_word_is_padded_and_cut_into_three_to_five_letters() -> None:
    assert word_grams("vann") == {
        " va": 1,
        "van": 1,
        "ann": 1,
        "nn ": 1,
        " van": 1,
        "vann": 1,
        "ann ": 1,
        " vann": 1,
        "vann ": 1,
    }


def test_a_word_is_near_its_other_forms_and_not_an_unrelated_word() -> None:
    space = NgramSpace(["strommen", "vannet", "betaling"])
    near, _ = space.similar("strommens")
    assert 0 in near and 1 not in near and 2 not in near
    # A bag of one term asked as that very term is a cosine of 1.
    bag = (array("i", [1]), array("i", [1]))
    assert space.query(["vannet"]).cosine(bag, space.norm(bag)) == pytest.approx(1.0)
    assert space.query(["betaling"]).cosine(bag, space.norm(bag)) == 0.0


def test_cosines_lie_between_0_and_1_and_count_words_the_kb_lacks() -> None:
    space = NgramSpace(["strommen", "vannet"])
    bag = (array("i", [0, 1]), array("i", [2, 1]))
    known = space.query(["strommen"]).cosine(bag, space.norm(bag))
    diluted = space.query(["strommen", "skattemeldingen"]).cosine(bag, space.norm(bag))
    assert 0.0 < diluted < known <= 1.0
    assert math.isclose(space.query([]).cosine(bag, space.norm(bag)), 0.0)


def test_the_candidates_are_ordered_with_the_ngram_cosines(tiny_kb: Path, write: WriteFile) -> None:
    matcher = _matcher(
        tiny_kb,
        write,
        ("asker-a", "Strøm", "Når kommer strømmen tilbake?", "Nettet er nede."),
        ("asker-b", "Vann", "Kan jeg drikke vannet?", "Vannet er trygt å drikke."),
    )
    # "straumen" (nynorsk) is no form the lexicon knows of "strømmen"; its n-grams are near.
    ranked = _ranked(matcher, "kjem straumen tilbake snart")
    assert next(iter(ranked)) == "asker-a"
    top = ranked["asker-a"]
    assert top.ngram > 0.0 and 0.0 <= top.ngram_answer <= 1.0
    assert 0.0 < top.order <= 100.0
    assert all(c.ngram <= top.ngram for c in ranked.values())


def test_a_word_counts_towards_its_nearest_terms_only() -> None:
    # Many terms share most of their n-grams with the word: only the nearest are kept.
    terms = ["betalingx", *(f"betaling{a}{b}" for a in "abcdefgh" for b in "abcdefgh")]
    terms.append("betal")  # farther than any of the two-letter endings
    space = NgramSpace(terms)
    near, _ = space.similar("betalingx")
    assert len(terms) > MAX_NEAR and len(near) == MAX_NEAR
    assert 0 in near  # the word itself (a term of the vocabulary)
    assert len(terms) - 1 not in near
