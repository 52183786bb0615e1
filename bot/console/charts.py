"""The overview's charts as server-rendered SVG: no script, no external assets.

Each chart is one `<svg role="img">` labelled by its `<title>` and `<desc>`; the description
says in words what the chart shows, so a screen reader gets the figures, and every bar has a
`<title>` of its own (shown as a tooltip). Colours have at least 4.5:1 contrast on white, and
the legend names each colour, so nothing depends on telling colours apart. The SVG scales to
its container's width (viewBox). Each chart is also drawn `NARROW` units wide for a phone: a
960-wide drawing shrunk to a phone's 360 pixels would make its 14-unit text 5 pixels high;
at 360 units it stays about 13, with fewer day labels and the legend one line a colour. The
page shows the one that fits (a media query in console.css).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from babel.dates import format_skeleton
from babel.numbers import format_decimal, format_percent

from bot.console.reports import Overview, Shares
from bot.console.text import language_name, local_time, plain
from bot.messages import BABEL_LOCALES
from bot.types import Lang

WIDTH, HEIGHT = 960, 320
# A phone's width in CSS pixels: the narrow drawing's text is shown at about its own size.
NARROW = 360
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 64
BAR = "#1f5fa8"
TEXT = "#1a1a1a"
GRID = "#c8c8c8"
# Answered, asked to clarify, not answered: dark enough for white text and 4.5:1 on white.
SHARE_COLOURS = ("#1b6e3a", "#8a5300", "#a8201a")
SHARE_KEYS = ("console.outcome_answered", "console.outcome_clarified", "console.outcome_unanswered")


def _x(text: str) -> str:
    """Text for SVG (XML): escaped, quotes too."""
    return html.escape(text, quote=True)


@lru_cache(maxsize=4096)
def _number(value: float, lang: Lang) -> str:
    return str(format_decimal(value, locale=BABEL_LOCALES[lang]))


@lru_cache(maxsize=4096)
def _percent(value: float, lang: Lang) -> str:
    return str(format_percent(value, locale=BABEL_LOCALES[lang]))


@lru_cache(maxsize=256)
def _day(day: date, lang: Lang) -> str:
    """ "Wed 2 Dec", "ons. 2. des.": Babel is slow, and a chart names each day 24 times."""
    return str(format_skeleton("MMMEd", day, locale=BABEL_LOCALES[lang]))


@lru_cache(maxsize=256)
def _short_day(day: date, lang: Lang) -> str:
    """ "Wed 2", "ons. 2.": the narrow chart's day label."""
    return str(format_skeleton("Ed", day, locale=BABEL_LOCALES[lang]))


def count_axis(peak: int, most_steps: int = 5) -> tuple[int, int]:
    """The count axis for a highest bar of `peak`: a step of 1, 2 or 5 times a power of ten,
    and how many steps reach `peak` (at most `most_steps`): 440 gives 5 steps of 100."""
    power = 1
    while True:
        for unit in (1, 2, 5):
            step = unit * power
            steps = max(1, math.ceil(peak / step))
            if steps <= most_steps:
                return step, steps
        power *= 10


@dataclass(frozen=True, slots=True)
class _Frame:
    """The title, description and size of one chart, with ids unique on the page."""

    ident: str
    title: str
    desc: str
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def narrow(self) -> bool:
        return self.width < WIDTH

    def open(self) -> str:
        kind = "narrow" if self.narrow else "wide"
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {self.width} '
            f'{self.height}" width="100%" aria-labelledby="{self.ident}-title {self.ident}-desc" '
            f'font-family="sans-serif" font-size="14" class="chart {kind}" id="{self.ident}">'
            f'<title id="{self.ident}-title">{_x(self.title)}</title>'
            f'<desc id="{self.ident}-desc">{_x(self.desc)}</desc>'
        )


def hours_chart(found: Overview, lang: Lang, ident: str = "chart-hours", width: int = WIDTH) -> str:
    """Questions per hour as a bar chart: one bar an hour, days marked along the time axis
    (every other day, by weekday and date only, when drawn narrow)."""
    zone = found.zone
    days = max(1, round(len(found.hours) / 24))
    values = {
        "start": local_time(found.start, lang),
        "end": local_time(found.end, lang),
        "zone": zone,
    }
    busiest = found.busiest
    if busiest is None or busiest.count == 0:
        desc = plain("console.chart_hours_empty", lang, **values)
    else:
        desc = plain(
            "console.chart_hours_desc",
            lang,
            total=_number(found.questions, lang),
            peak_time=local_time(busiest.start, lang),
            peak=_number(busiest.count, lang),
            **values,
        )
    frame = _Frame(
        ident, plain("console.chart_hours_title", lang, days=str(days)), desc, width=width
    )
    # Grid steps of a round whole number each: 0, 100, 200, 300, 400, 500.
    unit, steps = count_axis(busiest.count if busiest else 0)
    top = unit * steps
    plot_w, plot_h = width - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(found.hours))
    parts = [frame.open()]
    # The count axis: a grid line and its value at each step.
    for tick in range(steps + 1):
        value = unit * tick
        y = TOP + plot_h - plot_h * tick / steps
        parts.append(
            f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{LEFT - 8}" y="{y + 5:.1f}" text-anchor="end" fill="{TEXT}">'
            f"{_x(_number(value, lang))}</text>"
        )
    parts.append('<g class="bars">')
    for index, hour in enumerate(found.hours):
        height = plot_h * hour.count / top
        x = LEFT + index * step
        label = f"{_day(hour.start.date(), lang)} {hour.start:%H:%M}: {hour.count}"
        parts.append(
            f'<rect x="{x:.1f}" y="{TOP + plot_h - height:.1f}" width="{max(step - 1, 1):.1f}" '
            f'height="{height:.1f}" fill="{BAR}"><title>{_x(label)}</title></rect>'
        )
    parts.append("</g>")
    # The time axis: a tick at each local midnight, with the day (narrow: every other one).
    midnights = 0
    for index, hour in enumerate(found.hours):
        if hour.start.hour != 0:
            continue
        x = LEFT + index * step
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP + plot_h}" y2="{TOP + plot_h + 6}" '
            f'stroke="{TEXT}"/>'
        )
        midnights += 1
        if frame.narrow and midnights % 2 == 0:
            continue
        day = _short_day(hour.start.date(), lang) if frame.narrow else _day(hour.start.date(), lang)
        parts.append(
            f'<text x="{x:.1f}" y="{TOP + plot_h + 22}" text-anchor="middle" '
            f'fill="{TEXT}">{_x(day)}</text>'
        )
    parts.append(
        f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" '
        f'stroke="{TEXT}"/>'
        f'<text x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 12}" text-anchor="middle" '
        f'fill="{TEXT}">{_x(plain("console.chart_axis_time", lang, zone=zone))}</text>'
        f'<text transform="translate(16 {TOP + plot_h / 2:.0f}) rotate(-90)" '
        f'text-anchor="middle" fill="{TEXT}">{_x(plain("console.chart_axis_count", lang))}</text>'
        "</svg>"
    )
    return "".join(parts)


def _stack(shares: Shares) -> Sequence[int]:
    return (shares.answered, shares.clarified, shares.unanswered)


# A legend line's height, where a narrow chart puts each colour on a line of its own.
LEGEND_LINE = 22


def _legend_height(narrow: bool) -> int:
    """What a legend adds below its first line."""
    return LEGEND_LINE * (len(SHARE_KEYS) - 1) if narrow else 0


def _legend(y: int, lang: Lang, totals: Sequence[int], total: int, narrow: bool = False) -> str:
    """The colours named with their counts: side by side, or one a line when `narrow`."""
    parts = []
    for index, (key, colour, count) in enumerate(
        zip(SHARE_KEYS, SHARE_COLOURS, totals, strict=True)
    ):
        x = LEFT if narrow else LEFT + index * 300
        y_line = y + index * LEGEND_LINE if narrow else y
        share = _percent(count / total if total else 0.0, lang)
        text = f"{plain(key, lang)}: {_number(count, lang)} ({share})"
        parts.append(
            f'<rect x="{x}" y="{y_line - 12}" width="14" height="14" fill="{colour}"/>'
            f'<text x="{x + 20}" y="{y_line}" fill="{TEXT}">{_x(text)}</text>'
        )
    return "".join(parts)


def shares_chart(
    found: Overview, lang: Lang, ident: str = "chart-shares", width: int = WIDTH
) -> str:
    """The shares answered, asked to clarify and not answered, as one stacked bar."""
    counts = _stack(found.shares)
    total = found.shares.total
    desc = plain(
        "console.chart_shares_desc",
        lang,
        answered=_percent(found.shares.share(counts[0]), lang),
        clarified=_percent(found.shares.share(counts[1]), lang),
        unanswered=_percent(found.shares.share(counts[2]), lang),
        total=_number(total, lang),
    )
    narrow = width < WIDTH
    height = 110 + _legend_height(narrow)
    frame = _Frame(
        ident, plain("console.chart_shares_title", lang), desc, width=width, height=height
    )
    plot_w = width - LEFT - RIGHT
    return "".join(
        [
            frame.open(),
            f'<rect x="{LEFT}" y="16" width="{plot_w}" height="40" fill="none" stroke="{GRID}"/>',
            _bar_segments(LEFT, 16, plot_w, 40, counts, lang),
            _legend(90, lang, counts, total, narrow),
            "</svg>",
        ]
    )


def _bar_segments(
    x0: float, y: float, width: float, height: float, counts: Sequence[int], lang: Lang
) -> str:
    total = sum(counts)
    parts = []
    x = x0
    for key, colour, count in zip(SHARE_KEYS, SHARE_COLOURS, counts, strict=True):
        if not total or not count:
            continue
        part = width * count / total
        label = f"{plain(key, lang)}: {_number(count, lang)} ({_percent(count / total, lang)})"
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{part:.1f}" height="{height}" '
            f'fill="{colour}"><title>{_x(label)}</title></rect>'
        )
        x += part
    return "".join(parts)


def languages_chart(
    found: Overview, lang: Lang, ident: str = "chart-languages", width: int = WIDTH
) -> str:
    """Each language's questions as a bar split into the three outcomes, bars as long as the
    language's share of the busiest language's questions."""
    rows = [row for row in found.by_language if row.questions]
    names = {row.language: language_name(row.language, lang) for row in rows}
    described = "; ".join(
        plain(
            "console.chart_language_row",
            lang,
            language=names[row.language],
            answered=_number(row.shares.answered, lang),
            clarified=_number(row.shares.clarified, lang),
            unanswered=_number(row.shares.unanswered, lang),
        )
        for row in rows
    )
    row_h, gap = 28, 12
    narrow = width < WIDTH
    legend_y = 16 + len(rows) * (row_h + gap) + 26
    height = legend_y + 14 + _legend_height(narrow)
    frame = _Frame(
        ident,
        plain("console.chart_languages_title", lang),
        plain("console.chart_languages_desc", lang, rows=described)
        if rows
        else plain(
            "console.chart_hours_empty",
            lang,
            start=local_time(found.start, lang),
            end=local_time(found.end, lang),
            zone=found.zone,
        ),
        width=width,
        height=height,
    )
    longest = max((row.shares.total for row in rows), default=0) or 1
    label_w = 120
    plot_w = width - LEFT - RIGHT - label_w
    parts = [frame.open()]
    for index, row in enumerate(rows):
        y = 16 + index * (row_h + gap)
        parts.append(
            f'<text x="{LEFT + label_w - 8}" y="{y + row_h / 2 + 5:.0f}" text-anchor="end" '
            f'fill="{TEXT}">{_x(names[row.language])}</text>'
        )
        counts = _stack(row.shares)
        length = plot_w * sum(counts) / longest
        parts.append(_bar_segments(LEFT + label_w, y, length, row_h, counts, lang))
    totals = [sum(_stack(row.shares)[i] for row in rows) for i in range(3)]
    parts.append(_legend(legend_y, lang, totals, sum(totals), narrow))
    parts.append("</svg>")
    return "".join(parts)
