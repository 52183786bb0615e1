"""The overview's SVG charts and the console's CSV exports."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.console.charts import (
    NARROW,
    count_axis,
    hours_chart,
    languages_chart,
    shares_chart,
)
from bot.console.csvexport import (
    BOM,
    csv_bytes,
    feedback_csv,
    knowledge_csv,
    overview_hours_csv,
    overview_summary_csv,
    safe_cell,
    unanswered_csv,
)
from bot.console.knowledge import check_folder, knowledge_report
from bot.console.reports import (
    DownvotedQuestion,
    EntryFeedback,
    Example,
    HourCount,
    LanguageFigures,
    Overview,
    RequestFigures,
    Shares,
    UnansweredGroup,
    UnansweredReport,
)
from bot.types import Lang

SVG = "{http://www.w3.org/2000/svg}"
OSLO = ZoneInfo("Europe/Oslo")
START = datetime(2026, 11, 25, 14, 0, tzinfo=OSLO)


SHARES = Shares(6, 3, 1)


def make_overview(counts: list[int], shares: Shares = SHARES) -> Overview:
    hours = tuple(HourCount(START + timedelta(hours=i), n) for i, n in enumerate(counts))
    requests = RequestFigures(4, 3, 2, 0, 1, 600.0, 1800.0)
    return Overview(
        municipality="asker",
        zone="Europe/Oslo",
        start=START,
        end=START + timedelta(hours=len(counts)),
        hours=hours,
        shares=shares,
        emergencies=2,
        requests=requests,
        by_language=(
            LanguageFigures("nb", 7, Shares(5, 1, 1), 1, requests),
            LanguageFigures("en", 3, Shares(1, 2, 0), 1, RequestFigures()),
        ),
    )


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None and title.text and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


@pytest.mark.parametrize(
    ("peak", "axis"),
    [
        (0, (1, 1)),
        (1, (1, 1)),
        (3, (1, 3)),
        (7, (2, 4)),
        (10, (2, 5)),
        (11, (5, 3)),
        (40, (10, 4)),
        (440, (100, 5)),
        (999, (200, 5)),
        (1001, (500, 3)),
    ],
)
def test_the_count_axis_has_round_steps(peak: int, axis: tuple[int, int]) -> None:
    assert count_axis(peak) == axis


def test_the_hours_chart_has_a_bar_an_hour_and_labelled_axes() -> None:
    counts = [0] * 168
    counts[100] = 40
    counts[101] = 10
    root = parse(hours_chart(make_overview(counts), "en"))
    assert root.find(f"{SVG}title").text == "Questions per hour, last 7 days"  # type: ignore[union-attr]
    desc = root.find(f"{SVG}desc").text or ""  # type: ignore[union-attr]
    assert "50 questions" in desc and "with 40 questions" in desc and "Europe/Oslo" in desc
    bars = root.findall(f"{SVG}g/{SVG}rect")
    assert len(bars) == 168
    heights = [float(bar.get("height", "0")) for bar in bars]
    assert heights[100] == max(heights) and heights[101] == pytest.approx(heights[100] / 4)
    assert heights[0] == 0
    assert bars[100].find(f"{SVG}title").text.endswith(": 40")  # type: ignore[union-attr]
    labels = texts(root)
    assert "Time (Europe/Oslo)" in labels and "Questions per hour" in labels
    assert "Thu 26 Nov" in labels  # a label at each local midnight
    assert (
        sum(1 for label in labels if label[:3] in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))
        == 7
    )
    assert {"0", "10", "20", "30", "40"} <= set(labels)  # the count axis


@pytest.mark.parametrize(
    ("lang", "title"),
    [("nb", "Spørsmål per time, siste 7 dager"), ("sv", "Frågor per timme, senaste 7 dagarna")],
)
def test_the_hours_chart_speaks_the_staff_members_language(lang: Lang, title: str) -> None:
    root = parse(hours_chart(make_overview([1] * 168), lang))
    assert root.find(f"{SVG}title").text == title  # type: ignore[union-attr]


def test_an_empty_hours_chart_says_there_were_no_questions() -> None:
    root = parse(hours_chart(make_overview([0] * 168, Shares()), "en"))
    assert (root.find(f"{SVG}desc").text or "").startswith("No questions from")  # type: ignore[union-attr]


def test_the_shares_chart_splits_one_bar_by_outcome() -> None:
    root = parse(shares_chart(make_overview([1] * 168), "en"))
    segments = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    widths = [float(r.get("width", "0")) for r in segments]
    assert len(widths) == 3
    assert widths[0] == pytest.approx(widths[2] * 6, rel=0.01)
    assert widths[1] == pytest.approx(widths[2] * 3, rel=0.01)
    legend = texts(root)
    assert legend == ["Answered: 6 (60%)", "Asked to clarify: 3 (30%)", "Not answered: 1 (10%)"]
    desc = root.find(f"{SVG}desc").text  # type: ignore[union-attr]
    assert desc == "60% answered, 30% asked to clarify and 10% not answered, of 10 questions."


def test_the_languages_chart_has_a_bar_per_language() -> None:
    root = parse(languages_chart(make_overview([1] * 168), "en"))
    labels = texts(root)
    assert labels[:2] == ["Norwegian", "English"]
    desc = root.find(f"{SVG}desc").text or ""  # type: ignore[union-attr]
    assert desc.startswith("Norwegian: 5 answered, 1 asked to clarify, 1 not answered; English")


def test_the_phone_drawings_keep_their_text_readable_at_a_phone_s_width() -> None:
    """Drawn NARROW units wide, a chart on a 360-pixel phone shows its 14-unit text at about
    14 pixels: every other day labelled, by weekday and date, and one legend line a colour."""
    found = make_overview([1] * 168)
    hours = parse(hours_chart(found, "en", "chart-hours-narrow", NARROW))
    assert hours.get("viewBox") == f"0 0 {NARROW} 320"
    assert "narrow" in (hours.get("class") or "").split()
    assert len(hours.findall(f"{SVG}g/{SVG}rect")) == 168
    days = [label for label in texts(hours) if label[:3] in ("Mon", "Tue", "Wed", "Thu", "Fri")]
    days += [label for label in texts(hours) if label[:3] in ("Sat", "Sun")]
    assert len(days) == 4 and "Thu 26" in days  # not "Thu 26 Nov": it would not fit
    for chart in (
        shares_chart(found, "en", "s", NARROW),
        languages_chart(found, "en", "l", NARROW),
    ):
        root = parse(chart)
        legend = [t for t in root.iter(f"{SVG}text") if (t.text or "").startswith("Answered")]
        rest = [t for t in root.iter(f"{SVG}text") if (t.text or "").startswith("Not answered")]
        assert float(rest[0].get("y", "0")) - float(legend[0].get("y", "0")) == 44
        assert float(rest[0].get("y", "0")) < float((root.get("viewBox") or "").split()[3])
        assert all(float(t.get("x", "0")) < NARROW for t in root.iter(f"{SVG}text"))


def test_chart_text_is_escaped_once() -> None:
    found = make_overview([1] * 168)
    fields = {name: getattr(found, name) for name in found.__slots__}  # type: ignore[attr-defined]
    unsafe = Overview(**{**fields, "zone": 'Zone <&">'})
    root = parse(hours_chart(unsafe, "en"))
    assert 'Zone <&">' in (root.find(f"{SVG}desc").text or "")  # type: ignore[union-attr]
    assert 'Time (Zone <&">)' in texts(root)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+47 912 34 567", "'+47 912 34 567"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("  =1+1", "'  =1+1"),
        ("\n@SUM(A1)", "'\n@SUM(A1)"),
        ("plain", "plain"),
        ("a = b", "a = b"),
        ("", ""),
        (None, ""),
        (-5, -5),
        (2.5, 2.5),
        (date(2026, 12, 2), "2026-12-02"),
        (datetime(2026, 12, 2, 13, 5, tzinfo=OSLO), "2026-12-02 13:05"),
    ],
)
def test_cells_cannot_become_formulas(value: object, written: object) -> None:
    assert safe_cell(value) == written  # type: ignore[arg-type]


def read(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM.encode("utf-8"))
    text = data.decode("utf-8")[1:]
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text)))


def test_csv_is_utf8_with_a_bom_and_quotes_what_it_must() -> None:
    rows = read(csv_bytes(["Spørsmål", "n"], [['Når går "ferja", tror du?', 3], ["=1+1", -1]]))
    assert rows == [["Spørsmål", "n"], ['Når går "ferja", tror du?', "3"], ["'=1+1", "-1"]]


def test_the_overview_exports_its_chart_data() -> None:
    found = make_overview([0] * 167 + [5])
    hours = read(overview_hours_csv(found, "en"))
    assert hours[0] == ["Hour (Europe/Oslo)", "Questions"]
    assert hours[1] == ["2026-11-25 14:00", "0"] and hours[-1] == ["2026-12-02 13:00", "5"]
    assert len(hours) == 169
    summary = read(overview_summary_csv(found, "nb"))
    assert summary[0][:3] == ["Språk", "Spørsmål", "Besvart"]
    assert summary[1][:6] == ["Alle språk", "5", "6", "3", "1", "2"]
    assert summary[1][-2:] == ["10.0", "30.0"]
    assert [row[0] for row in summary[2:]] == ["nb", "en"]


def test_unanswered_and_feedback_exports_have_a_row_per_text() -> None:
    group = UnansweredGroup(
        key="abc",
        wording="=cmd",
        municipality="asker",
        count=3,
        examples=(Example("=cmd", "nb", 2), Example("ring [telefon]", "nb", 1)),
        last_asked=START,
        handled=True,
        member_keys=("abc",),
    )
    rows = read(unanswered_csv(UnansweredReport((group,), 2, False), "en"))
    assert rows[1] == ["abc", "asker", "3", "2026-11-25 14:00", "yes", "nb", "'=cmd", "2"]
    assert rows[2][-2:] == ["ring [telefon]", "1"]
    entry = EntryFeedback("asker-a", "Title", 1, 2, (DownvotedQuestion("@x", "nb", START),))
    rows = read(feedback_csv([entry], "en"))
    assert rows[0] == ["Entry", "Title", "Helpful", "Not helpful", "Question"]
    assert rows[1:] == [["asker-a", "Title", "1", "2", ""], ["asker-a", "", "", "", "'@x"]]


def test_the_knowledge_export_has_every_entry_and_its_flags(kb_copy: Path) -> None:
    report = knowledge_report(check_folder(kb_copy, date(2027, 6, 1)), "en")
    rows = read(knowledge_csv(report, "en"))
    assert len(rows) == len(report.entries) + 1
    police = next(row for row in rows if row[0] == "asker-police-easter")
    assert police[1:4] == ["asker", "Safety and security", "nb en"]
    assert police[-1] == "Review was due on 22 May 2027"
