"""CSV downloads of the console's reports, for Excel and any spreadsheet.

UTF-8 with a byte-order mark (Excel reads æ, ø, å and ä right only with it) and CRLF line
ends. A text cell that starts with = + - @, a tab or a carriage return gets a leading
apostrophe: a spreadsheet would otherwise run a resident's "=HYPERLINK(...)" as a formula
(CSV injection). Numbers are written as numbers. Times are local to the report's time zone,
as "2026-12-02 13:00".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from bot.console.knowledge import KnowledgeReport, flag_labels
from bot.console.reports import EntryFeedback, Overview, RequestFigures, Shares, UnansweredReport
from bot.console.text import plain
from bot.types import Lang

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | date | None


def safe_cell(value: Cell) -> str | int | float:
    """One cell as written: numbers as they are, text defused, times as local text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def rows_bytes(rows: Iterable[Sequence[Cell]]) -> bytes:
    """A whole CSV file of `rows` as they are (a page of several tables), every cell safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return (BOM + out.getvalue()).encode("utf-8")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """A whole CSV file: the header row, then the rows, every cell made safe."""
    return rows_bytes([header, *rows])


def _labels(lang: Lang, *keys: str) -> list[str]:
    return [plain(f"console.{key}", lang) for key in keys]


def _minutes(seconds: float | None) -> float | None:
    return round(seconds / 60, 1) if seconds is not None else None


def overview_hours_csv(found: Overview, lang: Lang) -> bytes:
    """The questions-per-hour chart's data: one row an hour."""
    header = [plain("console.csv_hour", lang) + f" ({found.zone})", *_labels(lang, "csv_questions")]
    return csv_bytes(header, ((hour.start, hour.count) for hour in found.hours))


def _summary_row(
    name: str, questions: int, shares: Shares, emergencies: int, requests: RequestFigures
) -> list[Cell]:
    return [
        name,
        questions,
        shares.answered,
        shares.clarified,
        shares.unanswered,
        emergencies,
        requests.opened,
        requests.claimed,
        requests.done,
        _minutes(requests.claim_median_s),
        _minutes(requests.claim_p90_s),
    ]


def overview_summary_csv(found: Overview, lang: Lang) -> bytes:
    """The shares, emergencies and help requests, for all languages and for each."""
    header = _labels(
        lang,
        "csv_language",
        "csv_questions",
        "outcome_answered",
        "outcome_clarified",
        "outcome_unanswered",
        "csv_emergencies",
        "csv_requests_opened",
        "csv_requests_claimed",
        "csv_requests_done",
        "csv_claim_median",
        "csv_claim_p90",
    )
    every = _summary_row(
        plain("console.csv_all_languages", lang),
        found.questions,
        found.shares,
        found.emergencies,
        found.requests,
    )
    rows = [
        _summary_row(row.language, row.questions, row.shares, row.emergencies, row.requests)
        for row in found.by_language
    ]
    return csv_bytes(header, [every, *rows])


def unanswered_csv(report: UnansweredReport, lang: Lang) -> bytes:
    """One row per example of each group (the texts are masked)."""
    header = _labels(
        lang, "csv_group", "csv_municipality", "csv_count", "csv_last_asked", "csv_handled"
    )
    header += _labels(lang, "csv_language", "csv_example", "csv_count")
    yes, no = plain("console.yes", lang), plain("console.no", lang)
    rows = [
        [
            group.key,
            group.municipality,
            group.count,
            group.last_asked,
            yes if group.handled else no,
            example.language,
            example.text,
            example.count,
        ]
        for group in report.groups
        for example in group.examples
    ]
    return csv_bytes(header, rows)


def feedback_csv(rows: Sequence[EntryFeedback], lang: Lang) -> bytes:
    """One row per entry, then one per question that led to a 👎 (masked)."""
    header = _labels(lang, "csv_entry", "csv_title", "csv_helpful", "csv_unhelpful", "csv_question")
    lines: list[list[Cell]] = []
    for row in rows:
        lines.append([row.entry_id, row.title, row.helpful, row.unhelpful, None])
        lines.extend([row.entry_id, None, None, None, q.text] for q in row.questions)
    return csv_bytes(header, lines)


def knowledge_csv(report: KnowledgeReport, lang: Lang) -> bytes:
    """Every entry with its review dates and flags."""
    header = _labels(
        lang,
        "csv_entry",
        "csv_municipality",
        "csv_topic",
        "csv_languages",
        "csv_reviewed",
        "csv_review_by",
        "csv_file",
        "csv_line",
        "csv_flags",
    )
    rows: list[list[Cell]] = []
    for entry in report.entries:
        rows.append(
            [
                entry.id,
                entry.scope,
                entry.topic_title,
                " ".join(entry.languages),
                entry.reviewed,
                entry.review_by,
                str(entry.file),
                entry.line,
                "; ".join(flag_labels(entry, lang)),
            ]
        )
    return csv_bytes(header, rows)
