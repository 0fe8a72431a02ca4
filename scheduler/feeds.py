"""iCal feeds: a department's, a contact's or everyone's deadlines as one VCALENDAR (RFC 5545).

Data in, bytes out: `load` reads the rows, `render` builds the calendar, `fingerprint` is the cheap
query the web side turns into an ETag. Deadlines are all-day VEVENTs on the plan's local date (an
event's deadline counted in days too: the day it ends there, never its UTC date); only deadlines
counted in hours are timed, in the plan's zone. Who answered and when is shown in the deployment's
time zone (DUBAN_TIMEZONE). A recurring duty is ONE
VEVENT per department: an RRULE guessed from its schedule, then checked against the planner's own
occurrences by expanding it, with RDATE for days the rule misses and EXDATE for days it adds (a
working-day shift, a clamped 31st), so every client expands exactly the planner's dates. Answered
occurrences get a RECURRENCE-ID override titled ✅. Every stamp comes from the data, so the same
data gives the same bytes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from icalendar import Alarm, Calendar, Event, vDuration, vRecur
from sqlalchemy import func, true
from sqlmodel import Session, select

from db.models import Contact, Department, Duty, Occurrence, Plan
from db.vocabulary import OccurrenceKind, OccurrenceStatus
from scheduler.access.feed_tokens import Scope
from scheduler.calendar.schedules import DUE_ON_RE, WITHIN_RE, Schedule
from scheduler.moments import DEFAULT_TZ, local_day, shown
from scheduler.outbox.policy import Policy

REFRESH = timedelta(hours=1)
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
CLOSED = {OccurrenceStatus.done: "✅", OccurrenceStatus.waived: "➖"}
_BYDAY = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
_MONTHS = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}


@dataclass(frozen=True)
class Row:
    occ: Occurrence
    duty: Duty
    plan: Plan
    dept: Department


@dataclass
class FeedData:
    name: str
    rows: list[Row] = field(default_factory=list)
    show_department: bool = False
    zone: tzinfo = DEFAULT_TZ  # the deployment's: answered times are shown in it


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _department_id(session: Session, scope: Scope) -> int | None:
    if scope.kind == "contact":
        contact = session.get(Contact, scope.contact_id)
        return contact.department_id if contact else -1
    return scope.department_id


def _in_scope(scope: Scope):
    """The scope's occurrences as a condition (a contact's department read inside the same query)."""
    if scope.kind == "contact":
        return Occurrence.department_id == (select(Contact.department_id)
                                            .where(Contact.id == scope.contact_id).scalar_subquery())
    if scope.kind == "department":
        return Occurrence.department_id == scope.department_id
    return true()


def _occurrences(scope: Scope):
    return (select(Occurrence).join(Duty, Occurrence.duty_id == Duty.id)
            .where(Occurrence.status != OccurrenceStatus.cancelled, Duty.active == True, _in_scope(scope)))


def fingerprint(session: Session, scope: Scope) -> tuple:
    """What changes whenever the feed's bytes would: one aggregate query, no rendering. A plan's
    new version (titles, requirements, a duty switched off) moves its loaded_at."""
    occ = Occurrence
    query = select(func.count(), func.max(occ.updated_at), func.max(occ.done_at),
                   select(func.max(Plan.loaded_at)).scalar_subquery(), select(func.count(Plan.id)).scalar_subquery(),
                   func.count(occ.done_at)).where(_in_scope(scope))  # all from ix_occurrence_feed
    count, changed, done_at, loaded, plans, closed = session.execute(query).one()
    return (scope.kind, scope.department_id, scope.contact_id, count, _iso(changed), _iso(loaded), _iso(done_at),
            plans, closed)


def _iso(moment: datetime | None) -> str | None:
    return _utc(moment).isoformat() if moment else None


def last_modified(print_: tuple) -> datetime:
    stamps = [datetime.fromisoformat(s) for s in print_[4:6] if s]
    return max(stamps, default=EPOCH)


def load(session: Session, scope: Scope, zone: tzinfo = DEFAULT_TZ) -> FeedData:
    dept_id = _department_id(session, scope)
    depts = {d.id: d for d in session.exec(select(Department))}
    duties = {d.id: d for d in session.exec(select(Duty))}
    plans = {p.id: p for p in session.exec(select(Plan))}
    rows = [Row(o, duties[o.duty_id], plans[duties[o.duty_id].plan_id], depts[o.department_id])
            for o in session.exec(_occurrences(scope).order_by(Occurrence.id))]
    if scope.kind == "all":
        name = "督办 · 全部事项 Duban: all duties"
    else:
        who = session.get(Contact, scope.contact_id).name if scope.kind == "contact" else None
        dept = depts.get(dept_id)
        name = f"督办 · {dept.name if dept else ''}{' · ' + who if who else ''}"
    return FeedData(name, rows, show_department=scope.kind == "all", zone=zone)


# --- the recurrence of one duty for one department ----------------------------------------------

def rule_for(s: Schedule, first: date, last: date) -> dict | None:
    """An RRULE close to the schedule (corrected against the real dates later); None if none fits."""
    m = DUE_ON_RE.match(s.due_on or "period-end")
    if s.every in _MONTHS and not m["n"]:
        rule = {"FREQ": "MONTHLY", "INTERVAL": _MONTHS[s.every] * s.interval,
                "BYMONTHDAY": int(m["day"]) if m["day"] else -1}
        if s.months and _MONTHS[s.every] * s.interval == 1:
            rule["BYMONTH"] = s.months
    elif s.every == "week":
        rule = {"FREQ": "WEEKLY", "INTERVAL": s.interval, "BYDAY": _BYDAY[first.weekday()]}
    elif s.every == "day" and s.interval == 1:
        rule = {"FREQ": "WEEKLY", "BYDAY": _BYDAY[:5]}
    else:
        return None
    if rule.get("INTERVAL") == 1:
        del rule["INTERVAL"]
    return rule | {"UNTIL": last}


def _expand(rule: dict, first: date) -> set[date]:
    text = vRecur(rule).to_ical().decode()
    start = datetime.combine(first, datetime.min.time())
    return {d.date() for d in rrulestr(text, dtstart=start)}


def recurrence(s: Schedule, dates: list[date]) -> tuple[dict | None, list[date], list[date]]:
    """(RRULE, RDATEs, EXDATEs) that expand from DTSTART=dates[0] to exactly `dates`."""
    wanted = set(dates)
    rule = rule_for(s, dates[0], dates[-1]) if len(dates) > 1 else None
    got = _expand(rule, dates[0]) if rule else {dates[0]}
    if dates[0] not in got:  # DTSTART must be the rule's first instance, or clients disagree
        rule, got = None, {dates[0]}
    if rule is None and len(dates) > 1:
        # DTSTART alone as the rule, the rest as RDATE: without an RRULE python `ical` drops
        # DTSTART, and repeating it in RDATE makes libical show it twice.
        rule, got = {"FREQ": "YEARLY", "COUNT": 1}, {dates[0]}
    return rule, sorted(wanted - got), sorted(got - wanted)


# --- components ---------------------------------------------------------------------------------

def _stamp(ev: Event, rows: list[Row]) -> None:
    changed = max(_utc(r.occ.updated_at) for r in rows)
    ev.add("dtstamp", changed)
    ev.add("last-modified", changed)
    ev.add("created", min(_utc(r.occ.created_at) for r in rows))
    # SEQUENCE only ever grows with the data: whole minutes from 2020 to the latest change.
    ev.add("sequence", max(0, int((changed - EPOCH).total_seconds() // 60)))


def _description(row: Row, public_url: str, *, instance: bool) -> str:
    d = row.duty
    lines = [f"要求 Requirement：{d.requirement}" if d.requirement else None,
             f"公开渠道 Outlet：{d.outlet}" if d.outlet else None,
             f"牵头 Lead：{row.dept.name}", f"依据 Plan：{row.plan.title}",
             f"成果 Evidence：{row.occ.evidence_url}" if instance and row.occ.evidence_url else None,
             f"回复 Answer：Telegram /done {row.occ.id} · 提醒邮件中的「已完成」链接" if instance
             else "回复 Answer：Telegram /tasks · 提醒邮件中的「已完成」链接",
             f"{public_url}/"]
    return "\n".join(x for x in lines if x)


def _summary(row: Row, data: FeedData) -> str:
    title = row.duty.title + ("（启动）" if row.occ.kind == OccurrenceKind.start else "")
    return f"[{row.dept.name}] {title}" if data.show_department else title


def _closed(summary: str, occ: Occurrence, zone: tzinfo) -> str:
    mark = CLOSED.get(occ.status)
    if not mark:
        return summary
    when = shown(occ.done_at, zone)
    return f"{mark} {summary}（{occ.done_by or ''} {when}）".replace(" ）", "）")


def _alarms(ev: Event, row: Row) -> None:
    policy = Policy.from_json(row.duty.remind or row.plan.remind)
    at = timedelta(hours=policy.at.hour, minutes=policy.at.minute)
    for n in sorted(set(policy.before), reverse=True)[:3]:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{row.duty.title}：{'今天到期' if n == 0 else f'{n} 天后到期'}")
        alarm.add("trigger", at - timedelta(days=n))
        ev.add_component(alarm)


def _timed(row: Row) -> bool:
    """A deadline counted in hours after an event: a moment, not a day."""
    if row.occ.due_at is None:
        return False
    m = WITHIN_RE.match(Schedule.model_validate(row.duty.schedule).within or "0 days")
    return m is not None and m["unit"] == "hours"


def all_day(row: Row) -> date:
    """The day a deadline is shown on: the plan's local date (an event's deadline time read there)."""
    occ = row.occ
    return local_day(occ.due_at, ZoneInfo(row.plan.timezone)) if occ.due_at is not None else occ.due


def _event(row: Row, uid: str, summary: str, public_url: str, rows: list[Row], *, instance: bool) -> Event:
    ev = Event()
    ev.add("uid", uid)
    if _timed(row):
        ev.add("dtstart", _utc(row.occ.due_at).astimezone(ZoneInfo(row.plan.timezone)))
    else:
        day = all_day(row)
        ev.add("dtstart", day)
        ev.add("dtend", day + timedelta(days=1))
    ev.add("summary", summary)
    ev.add("description", _description(row, public_url, instance=instance))
    ev.add("transp", "TRANSPARENT")
    ev.add("status", "CONFIRMED")
    _stamp(ev, rows)
    _alarms(ev, row)
    return ev


def _uid(row: Row) -> str:
    occ, at = row.occ, f"@{row.plan.key}+{row.dept.key}"
    if occ.kind == OccurrenceKind.recurring:
        return f"{row.duty.key}{at}"
    if occ.kind == OccurrenceKind.event:
        return f"{row.duty.key}.event-{occ.event_id}{at}"
    return f"{row.duty.key}.{occ.kind}-{occ.period}{at}"


def _series(rows: list[Row], data: FeedData, public_url: str) -> list[Event]:
    """One VEVENT for a recurring duty of one department, plus one override per answered date."""
    rows = sorted(rows, key=lambda r: r.occ.due)
    first, uid = rows[0], _uid(rows[0])
    rule, rdates, exdates = recurrence(Schedule.model_validate(first.duty.schedule), [r.occ.due for r in rows])
    master = _event(first, uid, _summary(first, data), public_url, rows, instance=False)
    if rule:
        master.add("rrule", rule)
    for day in rdates:  # one per line: libical reads only the first of a list of dates
        master.add("rdate", day)
    for day in exdates:
        master.add("exdate", day)
    found = [master]
    for r in rows:
        if r.occ.status in CLOSED:
            ev = _event(r, uid, _closed(_summary(r, data), r.occ, data.zone), public_url, [r], instance=True)
            ev.add("recurrence-id", r.occ.due)
            found.append(ev)
    return found


def render(data: FeedData, *, public_url: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Duban 督办//feeds//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", data.name)
    cal.add("x-wr-calname", data.name)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH))
    public_url = public_url.rstrip("/")
    series: dict[tuple[int, int], list[Row]] = defaultdict(list)
    events: list[Event] = []
    for row in data.rows:
        if row.occ.kind == OccurrenceKind.recurring:
            series[(row.duty.id, row.dept.id)].append(row)
        else:
            summary = _closed(_summary(row, data), row.occ, data.zone)
            events.append(_event(row, _uid(row), summary, public_url, [row], instance=True))
    for rows in series.values():
        events += _series(rows, data, public_url)
    events.sort(key=lambda e: (str(e["uid"]), e.get("recurrence-id") is not None,
                               e["recurrence-id"].to_ical() if "recurrence-id" in e else b""))
    for ev in events:
        cal.add_component(ev)
    cal.add_missing_timezones()
    for tz in cal.walk("VTIMEZONE"):
        tz.pop("COMMENT", None)  # icalendar's note on its range; libical's restriction check rejects it
    return cal.to_ical()


def feed_bytes(session: Session, scope: Scope, *, public_url: str, zone: tzinfo = DEFAULT_TZ) -> bytes:
    """The feed's bytes; `zone` is the deployment's (DUBAN_TIMEZONE), for who answered when."""
    return render(load(session, scope, zone), public_url=public_url)
