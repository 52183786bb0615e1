"""Knowledge-base loading: every staff mistake gives a plain message with file and line."""

from __future__ import annotations

import tracemalloc
from datetime import date
from pathlib import Path

import pytest

from bot.answering.matching import Matcher
from bot.kb import yamlsource
from bot.kb.loader import LoadResult, Problem, load_knowledge
from tests.conftest import ENTRY, WriteFile

TODAY = date(2026, 11, 22)


def load(root: Path) -> LoadResult:
    return load_knowledge(root, today=TODAY)


def only_error(result: LoadResult) -> Problem:
    assert len(result.errors) == 1, [str(p) for p in result.problems]
    return result.errors[0]


def test_tiny_kb_loads_cleanly(tiny_kb: Path) -> None:
    result = load(tiny_kb)
    assert result.problems == []
    assert list(result.kb.entries) == ["asker-a"]
    entry = result.kb.entries["asker-a"]
    assert entry.location.line == 2
    assert entry.question_lines["en"] == (11,)


def test_yaml_syntax_error_names_file_and_line(tiny_kb: Path, write: WriteFile) -> None:
    write(
        "asker/payments.yaml",
        ENTRY.format(id="asker-a").replace("title:\n", "title: Nyby: frivillig\n      x:\n"),
    )
    problem = only_error(load(tiny_kb))
    assert str(problem.location.file) == "asker/payments.yaml"
    assert problem.location.line == 4
    assert "YAML syntax error" in problem.message


def test_tab_indentation_gets_a_hint(tiny_kb: Path, write: WriteFile) -> None:
    write("asker/payments.yaml", "entries:\n\t- id: x\n")
    problem = only_error(load(tiny_kb))
    assert problem.location.line == 2
    assert "tabs" in problem.message


def test_unknown_field_suggests_the_right_name(tiny_kb: Path, write: WriteFile) -> None:
    write("asker/payments.yaml", ENTRY.format(id="asker-a").replace("    answer:", "    anwser:"))
    result = load(tiny_kb)
    messages = {p.message: p.location.line for p in result.errors}
    assert messages["unknown field 'anwser' (did you mean 'answer'?)"] == 12
    assert "'answer' is missing" in messages


def test_duplicate_id_names_both_places(tiny_kb: Path, write: WriteFile) -> None:
    write("asker/payments.yaml", ENTRY.format(id="asker-a") + ENTRY.format(id="asker-a")[9:])
    result = load(tiny_kb)
    duplicate = [p for p in result.errors if "already used" in p.message]
    assert len(duplicate) == 1
    assert duplicate[0].location.line == 17
    assert "asker/payments.yaml:2" in duplicate[0].message
    assert list(result.kb.entries) == ["asker-a"]


def test_missing_language_is_an_error(tiny_kb: Path, write: WriteFile) -> None:
    write(
        "asker/payments.yaml",
        ENTRY.format(id="asker-a").replace(
            "      en: You can apply to postpone the due date.\n", ""
        ),
    )
    problem = only_error(load(tiny_kb))
    assert problem.message == "'answer' has no 'en' version"
    assert problem.location.line == 12


def test_unknown_language_code(tiny_kb: Path, write: WriteFile) -> None:
    write(
        "asker/payments.yaml",
        ENTRY.format(id="asker-a").replace("      en: Postponed", "      de: Postponed"),
    )
    messages = [p.message for p in load(tiny_kb).errors]
    assert any("unknown language code 'de'" in m for m in messages)


def test_same_example_question_in_two_entries(tiny_kb: Path, write: WriteFile) -> None:
    write("asker/payments.yaml", ENTRY.format(id="asker-a") + ENTRY.format(id="asker-b")[9:])
    result = load(tiny_kb)
    assert len(result.errors) == 2  # the nb and the en question
    assert all("also in 'asker-a'" in p.message for p in result.errors)


def test_an_example_question_in_three_entries_names_each_earlier_one(
    tiny_kb: Path, write: WriteFile
) -> None:
    entries = [ENTRY.format(id=f"asker-{name}") for name in "abc"]
    write("asker/payments.yaml", entries[0] + "".join(e[9:] for e in entries[1:]))
    messages = sorted(p.message for p in load(tiny_kb).errors)
    # Per language: b repeats a; c repeats a and b.
    assert len(messages) == 6
    assert sum("also in 'asker-a'" in m for m in messages) == 4
    assert sum("also in 'asker-b'" in m for m in messages) == 2


def test_the_same_question_in_two_municipalities_is_fine(tiny_kb: Path, write: WriteFile) -> None:
    write(
        "ockero/municipality.yaml",
        """\
        id: ockero
        name: {sv: Öckerö kommun, en: Öckerö Municipality}
        country: SE
        language: sv
        files: [a.yaml]
        """,
    )
    write("ockero/a.yaml", ENTRY.format(id="ockero-a").replace("nb:", "sv:"))
    assert load(tiny_kb).errors == []


def test_past_review_date_is_a_warning(tiny_kb: Path, write: WriteFile) -> None:
    entry = ENTRY.format(id="asker-a").replace("reviewed: 2026-11-22", "reviewed: 2025-12-01")
    write("asker/payments.yaml", entry + "    review_by: 2026-01-31\n")
    result = load(tiny_kb)
    assert result.errors == []
    assert len(result.warnings) == 1
    assert result.warnings[0].location.line == 17
    assert "due for review on 2026-01-31" in result.warnings[0].message


def test_impossible_date_is_reported_with_its_line(tiny_kb: Path, write: WriteFile) -> None:
    write("asker/payments.yaml", ENTRY.format(id="asker-a").replace("2026-11-22", "2026-02-30"))
    problem = only_error(load(tiny_kb))
    assert problem.location.line == 16
    assert "YYYY-MM-DD" in problem.message


def test_unknown_municipality_folder(tiny_kb: Path, write: WriteFile) -> None:
    write("oslo/a.yaml", ENTRY.format(id="oslo-a"))
    problem = only_error(load(tiny_kb))
    assert str(problem.location.file) == "oslo"
    assert "unknown municipality folder 'oslo'" in problem.message


def test_municipality_id_must_match_folder(tiny_kb: Path, write: WriteFile) -> None:
    text = (tiny_kb / "asker/municipality.yaml").read_text().replace("id: asker", "id: askr")
    write("asker/municipality.yaml", text)
    assert "must be the folder's name" in only_error(load(tiny_kb)).message


def test_unknown_topic_and_source(tiny_kb: Path, write: WriteFile) -> None:
    write(
        "asker/payments.yaml",
        ENTRY.format(id="asker-a")
        .replace("topic: payments", "topic: paymets")
        .replace("source: asker-2020-03-20", "source: nowhere"),
    )
    messages = sorted(p.message for p in load(tiny_kb).errors)
    assert messages[0].startswith("unknown source 'nowhere'")
    assert messages[1].startswith("unknown topic 'paymets' (did you mean 'payments'?)")


def test_unlisted_file_is_a_warning(tiny_kb: Path, write: WriteFile) -> None:
    write("asker/forgotten.yaml", ENTRY.format(id="asker-z"))
    result = load(tiny_kb)
    assert result.errors == []
    assert "not listed" in result.warnings[0].message
    assert "asker-z" not in result.kb.entries


def test_listed_file_that_is_missing_is_reported_where_it_is_listed(tiny_kb: Path) -> None:
    # Found by the knowledge-base attack harness: a typo in 'files' was reported at the
    # misspelt path, a file that does not exist, with no line.
    (tiny_kb / "asker/payments.yaml").unlink()
    problem = only_error(load(tiny_kb))
    assert str(problem.location) == "asker/municipality.yaml:9"
    assert problem.message == "'payments.yaml' is listed in 'files', but asker/ has no such file"


def test_a_shared_file_that_is_missing_is_reported_where_it_is_listed(
    tiny_kb: Path, write: WriteFile
) -> None:
    write("shared/shared.yaml", "files:\n  - national.yaml\n")
    problem = only_error(load(tiny_kb))
    assert str(problem.location) == "shared/shared.yaml:2"
    assert problem.message == "'national.yaml' is listed in 'files', but shared/ has no such file"


def test_duplicate_key_is_an_error(tiny_kb: Path, write: WriteFile) -> None:
    write("asker/payments.yaml", ENTRY.format(id="asker-a") + "    source: asker-2020-03-30\n")
    problem = only_error(load(tiny_kb))
    assert problem.location.line == 17
    assert "written twice" in problem.message


def test_unquoted_no_is_still_norway(tiny_kb: Path) -> None:
    # YAML 1.1 would read NO as false; staff must not have to know that.
    assert "country: NO" in (tiny_kb / "asker/municipality.yaml").read_text()
    assert load(tiny_kb).kb.municipalities["asker"].country == "NO"


def test_non_utf8_file(tiny_kb: Path) -> None:
    (tiny_kb / "asker/payments.yaml").write_bytes("entries: [æ]".encode("latin-1"))
    assert "not UTF-8" in only_error(load(tiny_kb)).message


def test_an_undecodable_byte_is_reported_with_its_line_and_column(tiny_kb: Path) -> None:
    (tiny_kb / "asker/payments.yaml").write_bytes(b"entries:\n  - id: caf" + b"\xe9\n")
    problem = only_error(load(tiny_kb))
    assert problem.location.line == 2
    assert "line 2, column 12 is not UTF-8 text (byte 0xe9)" in problem.message


def test_a_nul_byte_is_reported_with_its_line_and_column(tiny_kb: Path) -> None:
    (tiny_kb / "asker/payments.yaml").write_bytes(b"entries:\n  - id: a\x00b\n")
    problem = only_error(load(tiny_kb))
    assert problem.location.line == 2
    assert "line 2, column 10 holds a control character (U+0000)" in problem.message


def test_one_broken_entry_does_not_hide_the_others(tiny_kb: Path, write: WriteFile) -> None:
    write(
        "asker/payments.yaml",
        ENTRY.format(id="asker-a") + "  - id: asker-b\n    topic: payments\n",
    )
    result = load(tiny_kb)
    assert list(result.kb.entries) == ["asker-a"]
    assert result.errors
    assert all(p.location.line == 17 for p in result.errors)


def test_missing_folder() -> None:
    result = load(Path("/nonexistent/knowledge"))
    assert result.kb.entries == {}
    assert only_error(result).message == "the knowledge folder does not exist"


def test_problem_renders_as_file_line_severity_message(tiny_kb: Path, write: WriteFile) -> None:
    write("asker/payments.yaml", "entries: 5\n")
    assert str(only_error(load(tiny_kb))) == (
        "asker/payments.yaml:1: error: 'entries' must be a list of entries"
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    topic:", "    topik:"),  # one entry fails validation
        ("entries:", "entries:\n  - id: [broken"),  # the whole file fails to parse
    ],
)
def test_a_broken_entry_is_reported_once_not_again_by_its_relatives(
    kb_copy: Path, old: str, new: str
) -> None:
    broken = kb_copy / "asker" / "payments.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    result = load(kb_copy)
    assert result.errors
    assert all(p.location.file == Path("asker/payments.yaml") for p in result.errors), [
        str(p) for p in result.errors
    ]
    assert not any("related entry" in p.message for p in result.errors)


def test_a_word_longer_than_any_real_one_is_a_warning_with_its_line(tiny_kb: Path) -> None:
    long_word = "a" * 20_000
    text = ENTRY.format(id="asker-a").replace(
        "        - Kan jeg utsette fakturaen?", f"        - Kan jeg utsette {long_word}?"
    )
    (tiny_kb / "asker/payments.yaml").write_text(text, encoding="utf-8")
    result = load(tiny_kb)
    assert result.errors == []
    [warning] = result.warnings
    assert warning.location.line == 9
    assert "a word of 20000 letters" in warning.message


def test_a_long_word_costs_memory_in_proportion_to_its_length(tiny_kb: Path) -> None:
    text = ENTRY.format(id="asker-a").replace("Kan jeg utsette fakturaen?", "b" * 20_000)
    (tiny_kb / "asker/payments.yaml").write_text(text, encoding="utf-8")
    kb = load(tiny_kb).kb
    tracemalloc.start()
    try:
        Matcher(kb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Quadratic indexing would need hundreds of megabytes for this one word.
    assert peak < 5_000_000


def test_a_file_larger_than_the_limit_is_refused_with_a_plain_message(tiny_kb: Path) -> None:
    path = tiny_kb / "asker/payments.yaml"
    path.write_text(ENTRY.format(id="asker-a") + "#" * (yamlsource.MAX_FILE_BYTES + 1))
    assert "a file may hold at most 5 MB" in only_error(load(tiny_kb)).message


@pytest.mark.parametrize("depth", [200, 100_000])
def test_deep_nesting_is_an_error_with_its_line_not_a_crash(tiny_kb: Path, depth: int) -> None:
    path = tiny_kb / "asker/payments.yaml"
    path.write_text("entries:\n  - " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    problem = only_error(load(tiny_kb))
    assert problem.location.line == 2
    assert "nest" in problem.message


def test_a_municipality_without_phone_or_website_is_a_warning(tiny_kb: Path) -> None:
    path = tiny_kb / "asker/municipality.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('phone: "66 700 000"\n', ""))
    result = load(tiny_kb)
    assert result.errors == []
    [warning] = result.warnings
    assert warning.location.file == Path("asker/municipality.yaml")
    assert "no 'phone' or 'website'" in warning.message


def test_a_review_due_before_the_last_review_is_a_warning(tiny_kb: Path) -> None:
    path = tiny_kb / "asker/payments.yaml"
    text = ENTRY.format(id="asker-a") + "    review_by: 2026-01-01\n"
    path.write_text(text, encoding="utf-8")
    result = load(tiny_kb)
    assert result.errors == []
    assert any(
        "'review_by' (2026-01-01) is before 'reviewed' (2026-11-22)" in w.message
        for w in result.warnings
    )


def test_an_answer_too_long_for_one_message_is_a_warning_at_its_line(
    tiny_kb: Path, write: WriteFile
) -> None:
    # 3,250 characters, under the limit, but 3,900 as Telegram counts them: emoji count twice.
    answer = "🙂 ok " * 650
    write(
        "asker/payments.yaml",
        ENTRY.format(id="asker-a").replace("Du kan søke om utsatt betalingsfrist.", answer),
    )
    result = load(tiny_kb)
    assert result.errors == []
    [warning] = result.warnings
    assert (str(warning.location.file), warning.location.line) == ("asker/payments.yaml", 13)
    assert "'nb' answer" in warning.message and "in parts" in warning.message
    assert "asker-a" in result.kb.entries  # a warning: the entry still loads


def test_a_long_answer_that_fits_one_message_is_not_a_warning(
    tiny_kb: Path, write: WriteFile
) -> None:
    answer = "Ring oss på dagtid. " * 170  # 3,400 characters, all counted once
    write(
        "asker/payments.yaml",
        ENTRY.format(id="asker-a").replace("Du kan søke om utsatt betalingsfrist.", answer),
    )
    assert load(tiny_kb).problems == []


def _break(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_references_into_a_file_that_cannot_be_parsed_become_one_note(kb_copy: Path) -> None:
    # situation.yaml refers four times to entries in health.yaml.
    _break(kb_copy / "asker/health.yaml", "    topic: health", "\ttopic: health")
    result = load(kb_copy)
    assert [str(p.location) for p in result.errors] == ["asker/health.yaml:3"]
    [note] = [w for w in result.warnings if "not checked" in w.message]
    assert note.location.file == Path("asker/health.yaml")
    assert note.message == (
        "4 references to entries in asker/health.yaml were not checked because that file has "
        "an error"
    )


@pytest.mark.parametrize(
    ("broken", "old", "new"),
    [
        ("shared/national.yaml", "    topic: emergency", "    topic emergency"),
        ("shared/shared.yaml", "  - national.yaml", "\t- national.yaml"),
    ],
)
def test_references_into_shared_files_that_did_not_load(
    kb_copy: Path, broken: str, old: str, new: str
) -> None:
    # asker/children.yaml refers to no-alarmtelefonen in shared/national.yaml.
    _break(kb_copy / broken, old, new)
    result = load(kb_copy)
    assert {str(p.location.file) for p in result.errors} == {broken}, [
        str(p) for p in result.problems
    ]
    assert not any("not listed" in w.message for w in result.warnings)
    [note] = [w for w in result.warnings if "not checked" in w.message]
    assert note.location.file == Path(broken)
    assert "shared/national.yaml" in note.message


def test_references_into_a_municipality_whose_file_is_broken(
    tiny_kb: Path, write: WriteFile
) -> None:
    write("shared/shared.yaml", "files: [national.yaml]\n")
    national = ENTRY.format(id="no-a").replace(
        "topic: payments", "topic: payments\n    countries: [NO]"
    )
    write(
        "shared/national.yaml", national.replace("Kan jeg", "Kan vi") + "    related: [asker-a]\n"
    )
    write("asker/municipality.yaml", "id: asker\nname: {nb: Asker\n")
    result = load(tiny_kb)
    assert [str(p.location.file) for p in result.errors] == ["asker/municipality.yaml"]
    [note] = [w for w in result.warnings if "not checked" in w.message]
    assert note.message == (
        "1 reference to entries in asker/payments.yaml was not checked because "
        "asker/municipality.yaml has an error, so they were not read"
    )


def test_a_missing_related_entry_is_still_an_error_beside_a_broken_file(kb_copy: Path) -> None:
    _break(kb_copy / "asker/health.yaml", "    topic: health", "    topic health")
    _break(kb_copy / "asker/payments.yaml", "[asker-innbyggerservice]", "[asker-nowhere]")
    messages = [p.message for p in load(kb_copy).errors]
    assert "related entry 'asker-nowhere' does not exist" in messages


def test_a_broken_emergency_file_is_reported_once_not_again_per_country(kb_copy: Path) -> None:
    _break(kb_copy / "shared/emergency.yaml", "\ncountries:", "\ncountries")
    assert [str(p.location) for p in load(kb_copy).errors] == ["shared/emergency.yaml:6"]


def test_a_country_missing_from_a_good_emergency_file_is_still_an_error(
    tiny_kb: Path, write: WriteFile
) -> None:
    write(
        "shared/emergency.yaml",
        """\
        countries:
          SE:
            numbers:
              - number: "112"
                label: {sv: Nödnummer, en: Emergency number}
        """,
    )
    assert only_error(load(tiny_kb)).message == "no emergency numbers for NO"


def test_an_empty_source_list_is_an_error_with_its_line(tiny_kb: Path, write: WriteFile) -> None:
    # Found by the knowledge-base attack harness: every answer must name its document.
    write("asker/payments.yaml", ENTRY.format(id="asker-a").replace("asker-2020-03-20", "[]"))
    problem = only_error(load(tiny_kb))
    assert problem.location.line == 15
    assert problem.message == "'source' is an empty list: write at least one item"


def test_a_wrong_source_is_one_plain_error_not_one_per_shape(
    tiny_kb: Path, write: WriteFile
) -> None:
    # `source` takes one id or a list; pydantic used to report each shape, named by its type.
    write("asker/payments.yaml", ENTRY.format(id="asker-a").replace("asker-2020-03-20", "{}"))
    assert only_error(load(tiny_kb)).message == "'source' must be text"
    write("asker/payments.yaml", ENTRY.format(id="asker-a").replace("asker-2020-03-20", "[x_y]"))
    assert "in 'source → item 1' is not a valid id" in only_error(load(tiny_kb)).message


@pytest.mark.parametrize("ending", ["", "\n"])
def test_a_syntax_error_at_the_end_names_the_last_line_not_one_past_it(
    tiny_kb: Path, ending: str
) -> None:
    # Found by the knowledge-base attack harness: libyaml marks a key cut short at the very
    # end of a file on the line after the last one.
    text = ENTRY.format(id="asker-a").replace("    reviewed: 2026-11-22\n", "    review" + ending)
    (tiny_kb / "asker/payments.yaml").write_text(text, encoding="utf-8")
    problem = only_error(load(tiny_kb))
    assert problem.location.line == 16
    assert "YAML syntax error" in problem.message


def test_a_broken_emergency_file_is_reported_where_it_is_broken_only(tiny_kb: Path) -> None:
    # Found by the knowledge-base attack harness: each country's numbers were also reported
    # missing, without a line, repeating the one mistake.
    path = tiny_kb / "shared/emergency.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("label:", "label: [a]\n        x:", 1),
        encoding="utf-8",
    )
    result = load(tiny_kb)
    assert result.errors
    assert not [p for p in result.errors if "no emergency numbers" in p.message]
    assert all(p.location.line for p in result.errors), [str(p) for p in result.errors]


def test_a_country_without_emergency_numbers_is_still_an_error(
    tiny_kb: Path, write: WriteFile
) -> None:
    write(
        "shared/emergency.yaml",
        """\
        countries:
          "SE":
            numbers:
              - number: "112"
                urgent: true
                label: {nb: Nødnummer, sv: Larmnummer, en: Emergency}
        """,
    )
    assert [p.message for p in load(tiny_kb).errors] == ["no emergency numbers for NO"]


@pytest.mark.parametrize("empty", ["", " ~", " null"])
def test_an_empty_choice_says_it_is_empty_not_none(tiny_kb: Path, empty: str) -> None:
    # Found by the knowledge-base attack harness: "cannot be 'None'" is Python, not YAML.
    path = tiny_kb / "asker/municipality.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("language: nb", f"language:{empty}"))
    problem = only_error(load(tiny_kb))
    assert problem.location.line == 6
    assert problem.message == "'language' is empty: use 'nb' or 'sv'"


def test_a_municipality_names_its_own_staff_chat_and_volunteer_group(tiny_kb: Path) -> None:
    path = tiny_kb / "asker/municipality.yaml"
    path.write_text(
        path.read_text() + "staff_chat: -1001234\nvolunteer_chat: '-1005678'\n", encoding="utf-8"
    )
    result = load(tiny_kb)
    assert result.problems == []
    asker = result.kb.municipalities["asker"]
    assert (asker.staff_chat, asker.volunteer_chat) == (-1001234, -1005678)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("asker-staff", "'staff_chat' must be a whole number, not 'asker-staff'"),
        ("12345", "'staff_chat' must be a Telegram group id, a negative number such as"),
        ("-100.5", "'staff_chat' must be a whole number, not '-100.5'"),
    ],
)
def test_a_bad_staff_chat_is_reported_at_its_line(tiny_kb: Path, value: str, message: str) -> None:
    path = tiny_kb / "asker/municipality.yaml"
    path.write_text(path.read_text() + f"staff_chat: {value}\n", encoding="utf-8")
    problem = only_error(load(tiny_kb))
    assert str(problem.location) == "asker/municipality.yaml:10"
    assert problem.message.startswith(message), problem.message


def test_an_entry_id_a_live_notice_would_take_is_an_error_with_its_line(
    tiny_kb: Path, write: WriteFile
) -> None:
    # Live notices are answered as entries `notice-<n>`: an entry of that id would be
    # replaced by a notice (or replace it).
    write("asker/payments.yaml", ENTRY.format(id="notice-1"))
    problem = only_error(load(tiny_kb))
    assert problem.location.line == 2
    assert problem.message == (
        "'notice-1' in 'id' starts with 'notice-', which is kept for live notices: "
        "choose another id"
    )


def test_the_ids_of_a_file_that_does_not_parse_come_from_the_bytes_parsed(tmp_path: Path) -> None:
    # The cache files them under those bytes' digest; a save in between must not mix in.
    from bot.kb.loader import _Collector, _read

    path = tmp_path / "payments.yaml"
    path.write_text("entries:\n  - id: asker-new\n", encoding="utf-8")
    out = _Collector(tmp_path)
    assert _read(path, out, b"entries:\n  - id: asker-old\n    title: [\n") is None
    assert set(out.unloaded_ids) == {"asker-old"}
