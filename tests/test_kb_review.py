"""Review stamps: an answer edited in one language and left stale in another is a warning."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.kb.loader import LoadResult, load_knowledge
from bot.kb.review import answer_hash, stamp_reviewed
from tests.conftest import ENTRY, WriteFile

TODAY = date(2026, 11, 22)
NB = "Du kan søke om utsatt betalingsfrist."
EN = "You can apply to postpone the due date."


def load(root: Path) -> LoadResult:
    return load_knowledge(root, today=TODAY)


def stamped_entry(nb: str = NB, en: str = EN) -> str:
    return ENTRY.format(id="asker-a") + (
        f"    reviewed_hashes: {{nb: {answer_hash(nb)}, en: {answer_hash(en)}}}\n"
    )


def test_an_answer_changed_in_one_language_only_is_a_warning(
    tiny_kb: Path, write: WriteFile
) -> None:
    write("asker/payments.yaml", stamped_entry().replace(EN, "You can apply online."))
    result = load(tiny_kb)
    assert result.errors == []
    [warning] = result.warnings
    assert str(warning.location) == "asker/payments.yaml:13"  # the Norwegian answer
    assert warning.message == (
        "the English answer of 'asker-a' changed since the review on 2026-11-22 but the "
        "Norwegian one did not: check it is still current, then run: "
        "python -m bot kb reviewed asker-a"
    )


@pytest.mark.parametrize(
    ("nb", "en"),
    [
        (NB, EN),  # nothing changed
        ("Søk om utsettelse.", "Apply for a delay."),  # both changed: edited together
        (NB.replace(" om ", " om\n        "), EN),  # re-wrapped, the same words
    ],
)
def test_no_warning_when_the_languages_agree(
    tiny_kb: Path, write: WriteFile, nb: str, en: str
) -> None:
    text = stamped_entry()
    if "\n" in nb:
        text = text.replace(f"nb: {NB}", f"nb: >-\n        {nb}")
    else:
        text = text.replace(NB, nb).replace(EN, en)
    write("asker/payments.yaml", text)
    assert load(tiny_kb).problems == []


def test_an_entry_without_hashes_is_not_checked(tiny_kb: Path, write: WriteFile) -> None:
    write("asker/payments.yaml", ENTRY.format(id="asker-a").replace(EN, "Changed."))
    assert load(tiny_kb).problems == []


def test_a_hash_written_by_hand_is_an_error_with_its_line(tiny_kb: Path, write: WriteFile) -> None:
    write("asker/payments.yaml", ENTRY.format(id="asker-a") + "    reviewed_hashes: {nb: abc}\n")
    [error] = load(tiny_kb).errors
    assert error.location.line == 17
    assert "'abc' in 'reviewed_hashes → nb' is not a review hash" in error.message


def test_stamping_changes_only_the_review_lines(tiny_kb: Path) -> None:
    path = tiny_kb / "asker/payments.yaml"
    original = (
        "# Payments: from asker-2020-03-20.\n"
        + ENTRY.format(id="asker-a").replace(
            "reviewed: 2026-11-22", "reviewed:   2026-01-05  # old"
        )
        + "\n  # the next entry\n"
        + ENTRY.format(id="asker-b").replace("entries:\n", "").replace("fakturaen", "regningen")
        + "    review_by: 2027-05-22\n"
    ).replace("Can I postpone my invoice?", "Can I postpone my bill?", 1)
    path.write_text(original, encoding="utf-8")
    entries = load(tiny_kb).kb.entries
    report = stamp_reviewed(tiny_kb, [entries["asker-a"]], date(2026, 12, 1))
    assert report.stamped == ["asker-a"]
    hashes = f"{{nb: {answer_hash(NB)}, en: {answer_hash(EN)}}}"
    expected = original.replace(
        "    reviewed:   2026-01-05  # old\n",
        f"    reviewed:   2026-12-01  # old\n    reviewed_hashes: {hashes}\n",
    )
    assert path.read_text(encoding="utf-8") == expected
    # Stamping again rewrites the hashes in place: no second line.
    entries = load(tiny_kb).kb.entries
    report = stamp_reviewed(tiny_kb, list(entries.values()), date(2026, 12, 1))
    assert report.stamped == ["asker-b"]
    assert report.unchanged == ["asker-a"]
    assert path.read_text(encoding="utf-8").count("reviewed_hashes") == 2
    assert load_knowledge(tiny_kb, today=date(2026, 12, 1)).problems == []


def test_stamping_replaces_block_style_hashes_and_keeps_crlf(tiny_kb: Path) -> None:
    path = tiny_kb / "asker/payments.yaml"
    text = (
        ENTRY.format(id="asker-a") + "    reviewed_hashes:\n      nb: aaaaaaaa\n      en: bbbbbbbb"
    )
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    entries = load(tiny_kb).kb.entries
    stamp_reviewed(tiny_kb, [entries["asker-a"]], TODAY)
    written = path.read_bytes().decode("utf-8")
    assert written == ENTRY.format(id="asker-a").replace("\n", "\r\n") + (
        f"    reviewed_hashes: {{nb: {answer_hash(NB)}, en: {answer_hash(EN)}}}\r\n"
    )
    assert load(tiny_kb).problems == []


def test_stamping_the_last_line_of_a_file_without_a_final_newline(tiny_kb: Path) -> None:
    path = tiny_kb / "asker/payments.yaml"
    path.write_text(ENTRY.format(id="asker-a").rstrip("\n"), encoding="utf-8")
    entries = load(tiny_kb).kb.entries
    stamp_reviewed(tiny_kb, [entries["asker-a"]], TODAY)
    assert path.read_text(encoding="utf-8").endswith(
        f"    reviewed: 2026-11-22\n    reviewed_hashes: {{nb: {answer_hash(NB)}, "
        f"en: {answer_hash(EN)}}}\n"
    )
    assert load(tiny_kb).problems == []


@pytest.mark.parametrize("digest", ["01234567", "0b010101", "12345678", "1a2b3c4d"])
def test_a_hash_that_looks_like_a_number_is_written_so_it_reads_back_as_text(
    tiny_kb: Path, monkeypatch: pytest.MonkeyPatch, digest: str
) -> None:
    monkeypatch.setattr("bot.kb.review.answer_hash", lambda text: digest)
    entries = load(tiny_kb).kb.entries
    stamp_reviewed(tiny_kb, [entries["asker-a"]], TODAY)
    result = load(tiny_kb)
    assert result.problems == []
