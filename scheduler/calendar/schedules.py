"""The structured schedule of a duty: what every phrase is parsed into (plan-format.md)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from scheduler.bounds import Day

Every = Literal["day", "week", "month", "quarter", "half-year", "year"]

# `due_on` inside a period: the period's end, a day of its last month or of its Mth month
# (每年1月31日前: every year, month 1 day 31), or an offset after the end.
DUE_ON_RE = re.compile(r"^(period-end|(?:month (?P<month>[1-9]|1[0-2]) )?day (?P<day>[1-9]|[12]\d|3[01])|"
                       r"\+(?P<n>\d{1,3}) (?P<unit>days|workdays))$")
MONTHS_PER = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}
# `within` after an event: N workdays, N days or N hours.
WITHIN_RE = re.compile(r"^(?P<n>\d{1,4}) (?P<unit>workdays|days|hours)$")


SHAPES = {"due_on": (DUE_ON_RE, ("'period-end', 'day D' (1-31), 'month M day D', "
                                "'+N days' or '+N workdays'")),
          "within": (WITHIN_RE, "'N workdays', 'N days' or 'N hours'")}


class Schedule(BaseModel):
    """When a duty falls due. Every key is optional; `text` keeps the notice's own words."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start_by: Day | None = None
    due: Day | None = None
    dates: list[Day] = Field(default_factory=list)
    every: Every | None = None
    interval: int = Field(default=1, ge=1, le=120)
    due_on: str | None = None
    months: list[int] | None = None
    from_: Day | None = Field(default=None, alias="from")
    until: Day | Literal["ongoing"] | None = None
    ongoing: bool = False
    after_event: str | None = None
    within: str | None = None
    quota: int | None = Field(default=None, ge=1, le=10000)
    text: str | None = None

    @field_validator("due_on", "within")
    @classmethod
    def _shape(cls, v: str | None, info: ValidationInfo) -> str | None:
        pattern, expected = SHAPES[info.field_name]
        if v is not None and not pattern.match(v):
            raise ValueError(f"expected {expected}")
        return v

    @field_validator("months")
    @classmethod
    def _months_range(cls, v: list[int] | None) -> list[int] | None:
        if v is None:
            return v
        if not v or any(not 1 <= m <= 12 for m in v):
            raise ValueError("expected a non-empty list of months 1-12")
        return sorted(set(v))

    @model_validator(mode="after")
    def _consistent(self) -> Schedule:
        if self.until == "ongoing":
            self.ongoing, self.until = True, None
        if self.within and not self.after_event:
            raise ValueError("`within` needs `after_event`")
        if self.due_on and not self.every:
            raise ValueError("`due_on` needs `every`")
        self._month_in_period()
        self.dates = sorted(set(self.dates))
        return self

    def _month_in_period(self) -> None:
        month = DUE_ON_RE.match(self.due_on or "period-end")["month"]
        size = MONTHS_PER.get(self.every or "", 0)
        if month and not (size > 1 and int(month) <= size):  # a month's own month is `day D`
            raise ValueError(f"`due_on: {self.due_on}` needs a period of at least {month} months: "
                             "every quarter (month 1-3), half-year (1-6) or year (1-12)")

    def is_empty(self) -> bool:
        """True when nothing says when the duty is due (an unread phrase)."""
        return not (self.start_by or self.due or self.dates or self.every or self.ongoing
                    or self.after_event or self.quota)

    def as_json(self) -> dict:
        """The JSON form of plan-format.md (`from` spelled as in the file, dates as ISO)."""
        return self.model_dump(mode="json", by_alias=True)
