"""The one time rule: people type and read moments in the deployment's time zone (DUBAN_TIMEZONE,
Asia/Shanghai by default); the database and the core keep UTC.

A moment typed without an offset ("2016-09-29", "2016-09-29 09:00") is a wall-clock time in the
deployment zone; one with an offset ("2016-09-29T01:00+00:00") is taken as written. A moment shown
to a person is the zone's wall clock to the minute ("2016-09-29 09:00"); scripts get ISO 8601 with
the zone's offset and whole seconds ("2016-09-29T09:00:00+08:00"). A plan's own `timezone` decides
its due dates and reminder times (its schedules), not how moments are typed or shown.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduler.bounds import check_moment, parse_moment

DEFAULT_ZONE = "Asia/Shanghai"
DEFAULT_TZ = ZoneInfo(DEFAULT_ZONE)  # for the core's defaults; doors pass the settings' zone
SHOWN = "%Y-%m-%d %H:%M"  # how a person reads a moment: 2016-09-29 09:00


def zone_named(name: str) -> ZoneInfo:
    """The IANA time zone `name` (Asia/Shanghai, UTC); a ValueError saying what to write otherwise."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):  # unknown, "../x", "/etc/x", a folder ("Asia")
        raise ValueError(f"未知的时区 unknown time zone {name!r}: use an IANA name such as Asia/Shanghai, "
                         "Asia/Hong_Kong or UTC") from None


def typed(moment: datetime, zone: tzinfo) -> datetime:
    """A moment as a person gave it: without an offset, the wall clock in `zone`; with one, as
    written. Aware either way (in `zone`, or in the offset typed), its year checked."""
    return check_moment(moment if moment.tzinfo is not None else moment.replace(tzinfo=zone))


def read_moment(text: str, zone: tzinfo) -> datetime:
    """`text` (ISO 8601: 2016-09-29, 2016-09-29 09:00, 2016-09-29T09:00+08:00) as `typed` reads it;
    an OutOfRange or ValueError that says the expected form."""
    return typed(parse_moment(text), zone)


def as_utc(moment: datetime) -> datetime:
    """A stored moment (aware, or naive UTC as older SQLite rows hand back) in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def local(moment: datetime, zone: tzinfo) -> datetime:
    """`moment` on the wall clock of `zone`."""
    return as_utc(moment).astimezone(zone)


def local_day(moment: datetime, zone: tzinfo) -> date:
    """The calendar date `moment` falls on in `zone` (not its UTC date)."""
    return local(moment, zone).date()


def shown(moment: datetime | None, zone: tzinfo, empty: str = "") -> str:
    """`moment` as a person reads it: 2016-09-29 09:00 in `zone`; `empty` when there is none."""
    return local(moment, zone).strftime(SHOWN) if moment is not None else empty


def zone_name(zone: ZoneInfo, language: str) -> str:
    """The zone as a page names it: 北京时间 on a Chinese page for a zone on China's clock (UTC+8
    all year), else its IANA name (Asia/Shanghai, UTC)."""
    eight = timedelta(hours=8)
    on_chinas_clock = all(zone.utcoffset(datetime(2016, month, 1)) == eight for month in (1, 7))
    return "北京时间" if language == "zh" and on_chinas_clock else zone.key


def stamp(moment: datetime, zone: tzinfo) -> str:
    """`moment` for scripts: ISO 8601 in `zone` with its offset and whole seconds."""
    return local(moment, zone).replace(microsecond=0).isoformat()
