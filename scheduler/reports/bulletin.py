"""The monthly report as an office hands it on (通报): its title, its columns and every value in
words, in one language (Chinese by default). The workbook (xlsx.py) and the board's printable
page (web/reports.py) both lay out what this module says, so the two never differ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from db.vocabulary import OccurrenceKind
from scheduler.i18n import N_, Text, translator
from scheduler.messages.render import long_date, period_label
from scheduler.moments import local
from scheduler.reports.monthly import OUTCOMES, Line, Month, MonthReport

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")
# msgids: a status is said with the same words as its column
OUTCOME_WORDS = {"on_time": N_("Done on time"), "late": N_("Done late"), "waived": N_("Waived"),
                 "open": N_("Not yet due"), "overdue": N_("Overdue, not done")}
KIND_WORDS = {OccurrenceKind.start: N_("Start deadline"), OccurrenceKind.due: N_("Completion deadline"),
              OccurrenceKind.recurring: N_("Periodic"), OccurrenceKind.event: N_("After an event")}
TITLE = N_("Completion of duties in {month}: {plan}")  # zh: {month}{subject}工作任务完成情况通报
GENERAL_TITLE = N_("Completion of duties in {month}")
DETAIL_TITLE = N_("{title}: every duty")
BASIS = N_("As of {time}. On-time completion rate = done on time ÷ (duties due − waived).")
RANKING = N_("Ranked by on-time completion rate; at equal rates more duties done on time rank higher, "
             "then fewer overdue; departments equal in all three share a rank. A department whose "
             "duties were all waived is not ranked.")

# A plan's title around its subject: 落实《2016年政务公开工作要点》主要任务明细表 -> 政务公开.
_QUOTED = re.compile(r"《([^》]+)》")
_LEADING = re.compile(r"^(关于|落实|做好|印发|开展|\d{4}\s*年度?)")
_TRAILING = re.compile(r"([（(][^）)]*[）)]|的?通知|主要任务明细表|任务明细表|明细表|要点|安排|实施方案|方案|"
                       r"计划|任务分工|分工|任务|工作|年度|的)$")


@dataclass(frozen=True)
class Column:
    """One column: its header (a msgid) and how its values read — text (a few words), prose (long
    text that wraps), count, percent, rank, date, datetime, link, links — which the writers turn
    into number formats, alignment and wrapping."""

    key: str
    header: str
    kind: str = "text"


SUMMARY_COLUMNS = (
    Column("department", N_("Department")), Column("due", N_("Duties due"), "count"),
    *(Column(o, OUTCOME_WORDS[o], "count") for o in OUTCOMES),
    Column("on_time_rate", N_("On-time completion rate"), "percent"), Column("rank", N_("Rank"), "rank"),
    Column("evidence", N_("Evidence links"), "links"))
DETAIL_COLUMNS = (
    Column("department", N_("Department")), Column("plan", N_("Plan"), "prose"),
    Column("duty_key", N_("Duty no.")), Column("duty", N_("Duty"), "prose"), Column("kind", N_("Kind")),
    Column("period", N_("Period")),
    Column("due", N_("Due"), "date"), Column("outcome", N_("Status")), Column("done_at", N_("Done at"), "datetime"),
    Column("done_by", N_("Done by")), Column("evidence", N_("Evidence link"), "link"),
    Column("note", N_("Note"), "prose"))


def headers(columns: tuple[Column, ...], language: str) -> list[str]:
    gettext = translator(language).gettext
    return [gettext(c.header) for c in columns]


def month_words(month: Month, language: str) -> str:
    """2016年9月 / September 2016."""
    return f"{MONTH_NAMES[month.month - 1]} {month.year}" if language == "en" else f"{month.year}年{month.month}月"


def plan_subject(title: str) -> str:
    """What a plan is about, as a 通报's title names it: the document quoted in 《》 when there is
    one, without its year, its kind (要点, 安排, 明细表, 通知 ...) or a note in brackets:
    落实《2016年政务公开工作要点》主要任务明细表 and 政务公开年度工作安排(示例) are both 政务公开."""
    subject = (m[1] if (m := _QUOTED.search(title)) else title).strip()
    while (shorter := _TRAILING.sub("", _LEADING.sub("", subject)).strip()) != subject:
        subject = shorter
    return subject


def title(report: MonthReport, language: str) -> str:
    """2016年9月政务公开工作任务完成情况通报: the month and what the plan is about; for several
    plans about different things, or a plan whose title names no subject, the month alone."""
    month = month_words(report.month, language)
    subjects = {plan_subject(p.title) for p in report.plans}
    if len(report.plans) == 1 and all(subjects):
        return Text(TITLE, {"month": month, "subject": subjects.pop(), "plan": report.plans[0].title}).say(language)
    if len(subjects) == 1 and all(subjects):  # several plans about the same thing (one per year)
        return Text(TITLE, {"month": month, "subject": subjects.pop(),
                            "plan": " / ".join(p.title for p in report.plans)}).say(language)
    return Text(GENERAL_TITLE, {"month": month}).say(language)


def detail_title(report: MonthReport, language: str) -> str:
    return Text(DETAIL_TITLE, {"title": title(report, language)}).say(language)


def as_of(report: MonthReport, language: str) -> str:
    """When the numbers were taken, in the report's zone: 2016年10月10日 10:00 / 10 Oct 2016 10:00."""
    return day_words(local(report.generated_at, report.zone), language)


def basis(report: MonthReport, language: str) -> str:
    """The line under the table: when the numbers were taken and how the rate is worked out."""
    return Text(BASIS, {"time": as_of(report, language)}).say(language)


def ranking_rule(language: str) -> str:
    return translator(language).gettext(RANKING)


def summary_rows(report: MonthReport) -> list[list]:
    """One row per department in rank order, values as numbers (the rate a fraction, None when
    nothing counted), in SUMMARY_COLUMNS' order."""
    return [[d.department, d.due, *(d.counts[o] for o in OUTCOMES), d.on_time_rate, d.rank, d.evidence]
            for d in report.departments]


def detail_row(line: Line, language: str) -> list:
    """One occurrence in DETAIL_COLUMNS' order: kind, period and status in words; times as naive
    datetimes in the plan's zone (a workbook has no zones)."""
    gettext = translator(language).gettext
    period = period_label(line.period, language) if line.kind == OccurrenceKind.recurring else ""
    done_at = line.done_at.replace(tzinfo=None) if line.done_at else None
    kind = gettext(KIND_WORDS[line.kind]) if line.kind in KIND_WORDS else line.kind
    return [line.department, line.plan_title, line.duty_key, line.duty, kind, period, line.due,
            gettext(OUTCOME_WORDS[line.outcome]), done_at, line.done_by, line.evidence_url, line.note]


def detail_rows(report: MonthReport, language: str) -> list[list]:
    return [detail_row(line, language) for line in report.lines]


def day_words(day: date | datetime, language: str) -> str:
    """A due date or a done time as the page shows it: 2016年9月30日 (10:05) / 30 Sep 2016 (10:05)."""
    if isinstance(day, datetime):
        return f"{long_date(day.date(), language)} {day:%H:%M}"
    return long_date(day, language)
