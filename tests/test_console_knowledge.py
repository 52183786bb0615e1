"""The console's knowledge-base report: review dates and flags, kb check problems, reloads."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.answering.service import ReloadOutcome
from bot.console.knowledge import (
    FolderChecks,
    ReloadStatus,
    check_folder,
    flag_labels,
    knowledge_report,
    reload_label,
)
from bot.kb.knowledge import Location
from bot.kb.loader import Problem

ENTRY = "asker-police-easter"  # stamped for nb and en, to be reviewed by 2027-05-22
BEFORE_DUE, AFTER_DUE = date(2026, 12, 2), date(2027, 6, 1)


def edit_english_answer(root: Path) -> None:
    path = root / "asker" / "safety.yaml"
    text = path.read_text(encoding="utf-8")
    edited = text.replace("The notice (30 March 2020)", "The notice (of 30 March 2020)", 1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")


def test_every_entry_is_listed_with_its_topic_languages_and_dates(kb_copy: Path) -> None:
    check = check_folder(kb_copy, BEFORE_DUE)
    report = knowledge_report(check, "en")
    assert len(report.entries) == len(check.kb.entries)
    status = next(s for s in report.entries if s.id == ENTRY)
    assert (status.scope, status.topic, status.topic_title) == (
        "asker",
        "safety",
        "Safety and security",
    )
    assert status.languages == ("nb", "en")
    assert (status.reviewed, status.review_by) == (date(2026, 11, 22), date(2027, 5, 22))
    assert status.file == Path("asker/safety.yaml") and status.line == 2
    assert status.reviewed_languages == ("nb", "en") and status.changed_languages == ()
    assert not status.stale and not status.one_language_only


def test_an_entry_past_its_review_date_is_stale(kb_copy: Path) -> None:
    report = knowledge_report(check_folder(kb_copy, AFTER_DUE), "en")
    status = next(s for s in report.entries if s.id == ENTRY)
    assert status.overdue and status.stale
    # Flagged entries come first.
    flagged = [s.stale or s.one_language_only for s in report.entries]
    assert flagged == sorted(flagged, reverse=True)
    assert report.stale == sum(1 for s in report.entries if s.stale) >= 1


def test_an_answer_edited_in_one_language_leaves_it_reviewed_in_the_other_only(
    kb_copy: Path,
) -> None:
    edit_english_answer(kb_copy)
    report = knowledge_report(check_folder(kb_copy, BEFORE_DUE), "nb")
    status = report.entries[0]
    assert status.id == ENTRY
    assert status.changed_languages == ("en",) and status.reviewed_languages == ("nb",)
    assert status.stale and status.one_language_only and not status.overdue
    assert report.one_language_only == 1
    # kb check warns about it too, with the file and line.
    warning = next(p for p in report.warnings if ENTRY in p.message)
    assert warning.location.file == Path("asker/safety.yaml") and warning.location.line


def test_errors_are_reported_with_their_file_and_line(kb_copy: Path) -> None:
    path = kb_copy / "asker" / "safety.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("topic: safety", "topic: safty", 1),
        encoding="utf-8",
    )
    report = knowledge_report(check_folder(kb_copy, BEFORE_DUE), "en")
    (error,) = report.errors
    assert error.location == Location(Path("asker/safety.yaml"), 3)
    assert "unknown topic 'safty'" in error.message


def test_one_municipality_sees_its_entries_and_problems_and_the_shared_ones(
    kb_copy: Path,
) -> None:
    check = check_folder(kb_copy, AFTER_DUE)
    report = knowledge_report(check, "en", municipality="ockero")
    scopes = {s.scope for s in report.entries}
    assert scopes == {"ockero", "shared"}
    assert all(p.location.file.parts[0] in ("ockero", "shared") for p in report.warnings)
    everything = knowledge_report(check, "en")
    assert len(everything.warnings) > len(report.warnings)


def test_the_last_reload_is_reported_as_given() -> None:
    at = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    problem = Problem("error", Location(Path("asker/x.yaml"), 4), "broken")
    refused = ReloadStatus.of(ReloadOutcome(False, 120, [problem], []), at)
    assert refused == ReloadStatus(at, False, 120, 1, 0)


def test_the_folder_is_checked_again_only_when_a_file_changes_or_a_day_passes(
    kb_copy: Path,
) -> None:
    checks = FolderChecks(kb_copy)
    first = checks.get(BEFORE_DUE)
    assert checks.get(BEFORE_DUE) is first
    assert checks.get(AFTER_DUE) is not first
    later = checks.get(AFTER_DUE)
    edit_english_answer(kb_copy)
    assert checks.get(AFTER_DUE) is not later


def test_flags_and_the_last_reload_read_in_the_staff_members_language(kb_copy: Path) -> None:
    edit_english_answer(kb_copy)
    report = knowledge_report(check_folder(kb_copy, AFTER_DUE), "nb")
    status = next(s for s in report.entries if s.id == ENTRY)
    assert flag_labels(status, "nb") == [
        "Skulle vært gjennomgått 22.05.2027",
        "Endret etter gjennomgangen: engelsk",
        "Bare gjennomgått på norsk",
    ]
    at = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    oslo, stockholm = ZoneInfo("Europe/Oslo"), ZoneInfo("Europe/Stockholm")
    assert reload_label(None, "en", oslo) == "No reload since the bot started"
    applied = ReloadStatus(at, True, 140, 0, 2)
    assert reload_label(applied, "en", oslo) == "Loaded 02/12/2026, 10:00: 140 entries"
    refused = ReloadStatus(at, False, 140, 3, 0)
    assert reload_label(refused, "sv", stockholm) == (
        "Ny laddning avvisad 2026-12-02 10:00: 3 fel; förra versionen svarar fortfarande"
    )
