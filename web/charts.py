"""Server-side charts for the board, drawn as inline SVG by templates/web/charts.html: only the
geometry is computed here (no JS, no CDN — the board works offline on an office intranet)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from scheduler.i18n import N_
from scheduler.reports.board import DepartmentScore

BAR_ROW, BAR_LABEL, BAR_WIDTH = 26, 130, 200  # px in the SVG's own units; it scales to the screen
CELL = 12
LEVELS = ("#ebedf0", "#f4c7a1", "#ef8a4b", "#c8501d", "#8b1a1a")
MONTHS = (N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"), N_("Jul"), N_("Aug"), N_("Sep"),
          N_("Oct"), N_("Nov"), N_("Dec"))  # msgids: the template says them in the reader's language


@dataclass(frozen=True)
class Bar:
    y: int
    label: str
    completion: float  # 0..1
    on_time: float
    text: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    bar_width: int
    bars: list[Bar]


def completion_bars(scores: list[DepartmentScore]) -> BarChart:
    """One row per department: completion (light bar) with on-time (dark bar) inside it."""
    bars = []
    for i, s in enumerate(s for s in scores if s.counted):
        done, on_time = s.completion_rate or 0.0, s.on_time_rate or 0.0
        bars.append(Bar(i * BAR_ROW, s.name, done, on_time, f"{done:.0%} / {on_time:.0%}"))
    return BarChart(BAR_LABEL + BAR_WIDTH + 80, max(1, len(bars)) * BAR_ROW, BAR_LABEL, BAR_WIDTH, bars)


@dataclass(frozen=True)
class Cell:
    x: int
    y: int
    color: str
    day: date
    count: int  # due that day


@dataclass(frozen=True)
class HeatMap:
    year: int
    width: int
    height: int
    cells: list[Cell]
    months: list[tuple[int, str]]  # (x, label msgid)
    legend: tuple[str, ...] = LEVELS


def _level(count: int, most: int) -> int:
    if count == 0:
        return 0
    return min(len(LEVELS) - 1, 1 + (count - 1) * (len(LEVELS) - 1) // max(1, most))


def due_heatmap(year: int, per_day: dict[date, int]) -> HeatMap:
    """A calendar of `year`: one column per week (Monday on top), darker where more is due."""
    first = date(year, 1, 1)
    start = first - timedelta(days=first.weekday())
    most = max(per_day.values(), default=0)
    cells, months = [], []
    day = first
    while day.year == year:
        week = (day - start).days // 7
        x, y = week * CELL, day.weekday() * CELL
        if day.day == 1:
            months.append((x, MONTHS[day.month - 1]))
        n = per_day.get(day, 0)
        cells.append(Cell(x, y + 14, LEVELS[_level(n, most)], day, n))
        day += timedelta(days=1)
    weeks = (date(year, 12, 31) - start).days // 7 + 1
    return HeatMap(year, weeks * CELL, 7 * CELL + 14, cells, months)
