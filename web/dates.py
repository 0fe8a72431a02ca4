"""Dates and times on the pages, in the reader's language: 2016年9月30日, 9月30日, 星期五, 2016年第3季度
on a Chinese page; 30 Sep 2016, 30 Sep, Fri, Q3 2016 on an English one. The same words as the
reminders (scheduler/messages/render.py), so a date reads alike in a message and on the board.

`install(env, language)` gives a page environment the filters `day`, `md`, `weekday`, `period`
and `when` (a moment, to the minute, in the deployment's time zone).
"""

from __future__ import annotations

from datetime import date, datetime

from jinja2 import Environment, pass_context

from scheduler import moments
from scheduler.messages.render import long_date, period_label, short_date

WEEKDAYS = {"zh": ("一", "二", "三", "四", "五", "六", "日"),
            "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def weekday(day: date, language: str) -> str:
    """周五 / Fri."""
    name = WEEKDAYS["en" if language == "en" else "zh"][day.weekday()]
    return name if language == "en" else f"周{name}"


def weekday_letter(index: int, language: str) -> str:
    """A heat-map column's head: 一 … 日 / Mon … Sun (index 0 is Monday)."""
    return WEEKDAYS["en" if language == "en" else "zh"][index]


def when(moment: datetime, zone, language: str) -> str:
    """9月26日 10:00 / 26 Sep 10:00 on the wall clock of `zone`."""
    local = moments.local(moment, zone)
    return f"{short_date(local.date(), language)} {local:%H:%M}"


def install(env: Environment, language: str) -> None:
    env.filters["day"] = lambda value: long_date(value, language)
    env.filters["md"] = lambda value: short_date(value, language)
    env.filters["weekday"] = lambda value: weekday(value, language)
    env.filters["period"] = lambda value: period_label(value, language)
    env.globals["weekday_name"] = lambda index: weekday_letter(index, language)
    env.filters["when"] = pass_context(
        lambda ctx, moment: when(moment, ctx["request"].app.state.settings.zone, language))
