"""Expand an iCal file with libical (ICalGLib via GObject introspection, Debian's gir1.2-ical-3.0).

Run by tests/test_feeds.py with the system python3 (the binding is not on PyPI): prints JSON
{"errors": N, "uids": {uid: [YYYY-MM-DD, ...]}} after libical's RFC 5545 restriction check.
"""

import json
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as ICal


def main(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        cal = ICal.Component.new_from_string(f.read())
    ok = ICal.restriction_check(cal)
    errors = cal.count_errors()
    found: dict[str, list[str]] = {}
    start, end = ICal.Time.new_from_string("20150101T000000Z"), ICal.Time.new_from_string("20190101T000000Z")
    ev = cal.get_first_component(ICal.ComponentKind.VEVENT_COMPONENT)
    while ev is not None:
        if ev.get_first_property(ICal.PropertyKind.RECURRENCEID_PROPERTY) is None:
            uid = ev.get_uid()

            def seen(comp, span, _data, uid=uid):
                t = ICal.Time.new_from_timet_with_zone(span.get_start(), 0, None)
                found.setdefault(uid, []).append(f"{t.get_year():04d}-{t.get_month():02d}-{t.get_day():02d}")

            ev.foreach_recurrence(start, end, seen, None)
        ev = cal.get_next_component(ICal.ComponentKind.VEVENT_COMPONENT)
    print(json.dumps({"errors": errors, "restrictions_ok": bool(ok), "uids": found}))


if __name__ == "__main__":
    main(sys.argv[1])
