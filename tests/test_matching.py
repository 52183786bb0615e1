"""The matcher's lexical retrieval (BM25 over the entries' words) and how it orders entries."""

from __future__ import annotations

from pathlib import Path

from bot.answering.matching import Candidate, Matcher, content_words
from bot.kb.loader import load_knowledge
from tests.conftest import WriteFile

_ENTRY = """\
  - id: {id}
    topic: payments
    title:
      nb: {title}
      en: About {id}
    questions:
      nb:
        - {question}
      en:
        - What about {id}?
    answer:
      nb: {answer}
      en: See {id}.
    source: asker-2020-03-20
    reviewed: 2026-11-22
"""

_POWER = (
    "asker-a",
    "Strøm",
    "Når kommer strømmen tilbake?",
    "Nettselskapet melder at strømmen kommer tilbake i kveld.",
)
_FILLER = " ".join(f"Punkt {n} handler om noe helt annet enn dette." for n in range(30))


def _matcher(tiny_kb: Path, write: WriteFile, *entries: tuple[str, str, str, str]) -> Matcher:
    """A knowledge base of Asker entries, each (id, title, question, answer) in nb."""
    body = "entries:\n" + "".join(
        _ENTRY.format(id=i, title=t, question=q, answer=a) for i, t, q, a in entries
    )
    write("asker/payments.yaml", body)
    result = load_knowledge(tiny_kb)
    assert result.errors == [], [str(p) for p in result.errors]
    return Matcher(result.kb)


def _ranked(matcher: Matcher, question: str) -> dict[str, Candidate]:
    candidates = matcher.rank(content_words(question), "asker", limit=10).candidates
    return {c.entry.id: c for c in candidates}


def test_a_word_only_in_an_answer_gives_that_entry_a_lexical_score(
    tiny_kb: Path, write: WriteFile
) -> None:
    matcher = _matcher(
        tiny_kb,
        write,
        _POWER,
        ("asker-b", "Vann", "Kan jeg drikke vannet?", "Vannet er trygt å drikke."),
    )
    ranked = _ranked(matcher, "hva sier nettselskapet")
    assert list(ranked) == ["asker-a"]
    top = ranked["asker-a"]
    assert 0.0 < top.lexical <= 1.0
    assert top.relevance > 0.0


def test_the_shorter_entry_wins_when_both_mention_the_word_once(
    tiny_kb: Path, write: WriteFile
) -> None:
    matcher = _matcher(
        tiny_kb,
        write,
        (
            "asker-long",
            "Mye informasjon",
            "Hvor finner jeg alt?",
            f"Les om brøyting her. {_FILLER}",
        ),
        ("asker-short", "Vinter", "Når kommer vinteren?", "Les om brøyting her."),
    )
    ranked = _ranked(matcher, "brøyting")
    assert ranked["asker-short"].lexical > ranked["asker-long"].lexical
    assert next(iter(ranked)) == "asker-short"


def test_a_word_the_knowledge_base_lacks_lowers_the_lexical_share(
    tiny_kb: Path, write: WriteFile
) -> None:
    matcher = _matcher(tiny_kb, write, _POWER)
    alone = _ranked(matcher, "nettselskapet")["asker-a"].lexical
    diluted = _ranked(matcher, "nettselskapet skattemeldingen")["asker-a"].lexical
    assert 0.0 < diluted < alone


def test_a_typo_of_an_answer_word_still_counts_lexically(tiny_kb: Path, write: WriteFile) -> None:
    matcher = _matcher(tiny_kb, write, _POWER)
    assert _ranked(matcher, "netselskapet")["asker-a"].lexical > 0.0


def test_an_example_question_as_written_comes_first(tiny_kb: Path, write: WriteFile) -> None:
    # asker-b is short and says "kriseledelsen" three times; asker-a, long, has the question.
    matcher = _matcher(
        tiny_kb,
        write,
        (
            "asker-a",
            "Kommunens arbeid",
            "Hva er kriseledelsen?",
            "Kommunen har satt krisestab. " + _FILLER,
        ),
        (
            "asker-b",
            "Ledelse",
            "Hvem sitter i kriseledelsen?",
            "Kriseledelsen møtes daglig. Kriseledelsen består av ordføreren.",
        ),
    )
    ranked = _ranked(matcher, "Hva er kriseledelsen?")
    assert ranked["asker-b"].lexical > ranked["asker-a"].lexical
    assert next(iter(ranked)) == "asker-a"
