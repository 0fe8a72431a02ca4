"""The ranges that dates, times, ids and chat ids from people and files must fall in, in one place.

Outside them things break far from where the value came in: Python's dates end at year 9999
(9999-12-31 plus a day overflows), zoneinfo and PostgreSQL refuse some years, SQLite refuses
integers over 64 bits and PostgreSQL's ids are 32-bit. So every door (CLI, web, API, plan files)
checks here and refuses with OutOfRange, a ValueError whose message says what and which range.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator

FIRST_YEAR, LAST_YEAR = 2000, 2200
MAX_ID = 2**31 - 1  # database ids are PostgreSQL INTEGER (serial)
MAX_CHAT_ID = 2**52 - 1  # Telegram: "at most 52 significant bits"


class OutOfRange(ValueError):
    """A value outside its range; the message names the value and the range, zh + en."""


def check_year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise OutOfRange(f"年份超出范围 year {year} is out of range: expected {FIRST_YEAR}-{LAST_YEAR}")
    return year


def _in_years(value: date, what: str) -> None:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise OutOfRange(f"{what} {value.isoformat()} is out of range: expected the years {FIRST_YEAR}-{LAST_YEAR}")


def check_day(value: date) -> date:
    """A calendar date in the years FIRST_YEAR-LAST_YEAR."""
    _in_years(value, "日期超出范围 date")
    return value


def check_moment(value: datetime) -> datetime:
    """A time (naive or with an offset) whose own year is in range: converting it to another zone
    then stays inside what datetime can hold."""
    _in_years(value, "时间超出范围 time")
    return value


def check_id(value: int) -> int:
    """A database id: 1 to MAX_ID."""
    if not 1 <= value <= MAX_ID:
        raise OutOfRange(f"编号超出范围 id {value} is out of range: expected 1-{MAX_ID}")
    return value


def as_id(text: str) -> int | None:
    """`text` as a database id when it is one (ASCII digits, in range), else None (it is a name)."""
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ID))):
        return None
    return int(text) if 1 <= int(text) <= MAX_ID else None


def check_chat_id(value: int) -> int:
    """A Telegram chat id: non-zero, at most 52 bits (groups are negative)."""
    if value == 0 or abs(value) > MAX_CHAT_ID:
        raise OutOfRange(f"Telegram 会话编号超出范围 chat id {value} is out of range: expected a non-zero "
                         f"number of at most 52 bits (±{MAX_CHAT_ID})")
    return value


# The same checks as pydantic types, for plan files, schedules and the API's models,
Day = Annotated[date, AfterValidator(check_day)]
Moment = Annotated[datetime, AfterValidator(check_moment)]
ChatId = Annotated[int, AfterValidator(check_chat_id)]


# and as parsers for the CLI's options and arguments (typer.Option(parser=...)).
def parse_day(text: str) -> date:
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"日期格式错误 not a date {text!r}: expected YYYY-MM-DD, e.g. 2016-09-30") from None
    return check_day(value)


def parse_moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"时间格式错误 not a time {text!r}: expected ISO 8601, e.g. 2016-09-30 09:00 (the "
                         "deployment's time zone, DUBAN_TIMEZONE) or 2016-09-30T01:00+00:00") from None
    return check_moment(value)


def parse_id(text: str) -> int:
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 100):
        raise ValueError(f"编号格式错误 not an id {text[:40]!r}: expected a number such as 12")
    return check_id(int(digits))


def whole_number(low: int, high: int, zh: str, en: str) -> Callable[[str], int]:
    """A parser for an option that takes a whole number from `low` to `high`, which `zh` and `en`
    name ("有效小时数", "the hours valid"): anything else is refused, saying the range."""

    def parse(text: str | int) -> int:
        digits = str(text).strip()  # Typer passes an option's default through the parser too
        value = int(digits) if re.fullmatch(r"[+-]?\d{1,100}", digits) and digits.isascii() else None
        if value is None or not low <= value <= high:
            raise OutOfRange(f"{zh}应为 {low}-{high} 的整数 {en} must be a whole number from {low} to {high}, "
                             f"not {digits[:40]!r}")
        return value

    return parse


def one_of(choices: Sequence[str], zh: str, en: str) -> Callable[[str], str]:
    """A parser for an option that takes one of `choices` (any case), which `zh` and `en` name."""

    def parse(text: str) -> str:
        value = str(text).strip().lower()
        if value not in choices:
            raise ValueError(f"未知的{zh} unknown {en} {text[:40]!r}: expected {', '.join(choices)}")
        return value

    return parse
