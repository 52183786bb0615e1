"""The YAML snippets for unanswered groups paste into the knowledge base and load."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from bot.console.reports import Example, UnansweredGroup
from bot.console.snippets import (
    add_questions_snippet,
    new_entry_id,
    new_entry_snippet,
    questions_snippet_for,
)
from bot.kb.knowledge import SHARED, KnowledgeBase
from bot.kb.loader import load_knowledge

TODAY = date(2026, 12, 2)


def group(*examples: tuple[str, str], municipality: str | None = "asker") -> UnansweredGroup:
    shown = tuple(Example(text, language, 1) for text, language in examples)
    return UnansweredGroup(
        key="k",
        wording=shown[0].text,
        municipality=municipality,
        count=len(shown),
        examples=shown,
        last_asked=datetime(2026, 12, 2, tzinfo=UTC),
        handled=False,
        member_keys=("k",),
    )


# Wordings YAML would misread unquoted: a colon, a comment sign, a leading quote, a number.
AWKWARD = group(
    ("Når går ferja: #1 til [navn]?", "nb"),
    ("'Hvor' er det?", "nb"),
    ("1234", "nb"),
    ("When does the ferry leave?", "en"),
)


def problems(root: Path) -> list[str]:
    return [str(p) for p in load_knowledge(root, TODAY).problems]


def paste_after(path: Path, line: int, items: list[str]) -> None:
    """Paste list items after `line`, indented like it, as staff would."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    indent = lines[line - 1][: len(lines[line - 1]) - len(lines[line - 1].lstrip())]
    lines[line:line] = [f"{indent}{item}\n" for item in items]
    path.write_text("".join(lines), encoding="utf-8")


def test_questions_paste_after_the_line_the_snippet_names(kb_copy: Path) -> None:
    before = problems(kb_copy)
    kb = load_knowledge(kb_copy, TODAY).kb
    entry = kb.entries["asker-solgarden-corona-unit"]
    snippet = add_questions_snippet(AWKWARD, entry, "en")
    parsed = yaml.safe_load(snippet)
    assert parsed == {
        "nb": ["Når går ferja: #1 til [navn]?", "'Hvor' er det?", "1234"],
        "en": ["When does the ferry leave?"],
    }
    assert f"in {entry.location.file}, after line" in snippet
    # Paste each language's items where its comment says, the later lines first.
    blocks = snippet.split("# ")[1:]
    targets = []
    for block in blocks:
        comment, body = block.split("\n", 1)
        line = int(comment.rsplit("after line ", 1)[1].rstrip(":"))
        targets.append((line, [item for item in body.splitlines() if item.startswith("- ")]))
    path = kb_copy / entry.location.file
    for line, items in sorted(targets, reverse=True):
        paste_after(path, line, items)
    loaded = load_knowledge(kb_copy, TODAY)
    assert problems(kb_copy) == before
    questions = loaded.kb.entries[entry.id].questions
    assert {"Når går ferja: #1 til [navn]?", "'Hvor' er det?", "1234"} <= set(questions["nb"])
    assert "When does the ferry leave?" in questions["en"]


def test_a_language_the_entry_lacks_is_said_to_need_its_own_list(kb_copy: Path) -> None:
    kb = load_knowledge(kb_copy, TODAY).kb
    entry = kb.entries["asker-solgarden-corona-unit"]
    snippet = add_questions_snippet(group(("När går färjan?", "sv")), entry, "en")
    assert "has no sv questions yet" in snippet
    assert yaml.safe_load(snippet) == {"sv": ["När går färjan?"]}


def test_a_new_municipal_entry_pastes_under_entries_and_loads(kb_copy: Path) -> None:
    before = problems(kb_copy)
    kb = load_knowledge(kb_copy, TODAY).kb
    file, snippet = new_entry_snippet(AWKWARD, kb, "asker", "en", TODAY, topic="health")
    assert file is not None and file.parts[0] == "asker"
    with (kb_copy / file).open("a", encoding="utf-8") as out:
        out.write("".join(f"  {line}\n" for line in snippet.splitlines()))
    loaded = load_knowledge(kb_copy, TODAY)
    assert problems(kb_copy) == before
    (document,) = yaml.safe_load(snippet)
    entry = loaded.kb.entries[document["id"]]
    assert entry.topic == "health" and entry.scope == "asker"
    assert entry.questions["nb"] == ("Når går ferja: #1 til [navn]?", "'Hvor' er det?", "1234")
    assert entry.questions["en"] == ("When does the ferry leave?",)
    assert entry.answer["nb"] == "TODO: write the answer"
    assert entry.reviewed == TODAY
    assert entry.sources[0] in kb.sources


def test_a_new_shared_entry_has_every_country_and_language(kb_copy: Path) -> None:
    before = problems(kb_copy)
    kb = load_knowledge(kb_copy, TODAY).kb
    file, snippet = new_entry_snippet(group(("Hur ansöker jag?", "sv")), kb, SHARED, "sv", TODAY)
    assert file is not None and file.parts[0] == SHARED
    with (kb_copy / file).open("a", encoding="utf-8") as out:
        out.write("".join(f"  {line}\n" for line in snippet.splitlines()))
    assert problems(kb_copy) == before
    (document,) = yaml.safe_load(snippet)
    assert document["countries"] == ["NO", "SE"]
    assert set(document["questions"]) == {"nb", "sv", "en"}
    assert document["questions"]["sv"] == ["Hur ansöker jag?"]
    assert document["questions"]["nb"] == ["TODO: frågan på nb"]


def test_new_entry_ids_are_slugs_that_no_entry_has(tiny_kb: Path) -> None:
    kb: KnowledgeBase = load_knowledge(tiny_kb, TODAY).kb
    wanted = group(("Kan jeg utsette fakturaen? Ærlig talt!", "nb"))
    first = new_entry_id(wanted, kb, "asker")
    assert first == "asker-kan-jeg-utsette-fakturaen-aerlig"
    assert len(first) <= 40
    taken = KnowledgeBase(kb.municipalities, {**kb.entries, first: kb.entries["asker-a"]})
    second = new_entry_id(wanted, taken, "asker")
    assert second.endswith("-2") and len(second) <= 40 and second != first


def test_an_entry_chosen_by_id_gets_its_snippet_and_an_unknown_id_none(tiny_kb: Path) -> None:
    kb = load_knowledge(tiny_kb, TODAY).kb
    wanted = group(("Kan jeg betale senere?", "nb"))
    assert questions_snippet_for(wanted, kb, " asker-a ", "en") == add_questions_snippet(
        wanted, kb.entries["asker-a"], "en"
    )
    assert questions_snippet_for(wanted, kb, "asker-nope", "en") is None


def test_a_new_entry_with_an_unknown_topic_takes_the_usual_one(kb_copy: Path) -> None:
    kb = load_knowledge(kb_copy, TODAY).kb
    _, snippet = new_entry_snippet(group(("x?", "nb")), kb, "asker", "en", TODAY, topic="nope")
    (document,) = yaml.safe_load(snippet)
    assert document["topic"] in kb.topics
    with pytest.raises(ValueError, match="no municipality 'atlantis'"):
        new_entry_snippet(group(("x?", "nb")), kb, "atlantis", "en", TODAY)
