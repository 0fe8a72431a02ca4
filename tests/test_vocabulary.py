"""One vocabulary: stored words are enum members equal to the strings already in databases, and new
deliveries keep the idempotency keys existing outboxes hold."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import literal_column, select

from db.models import Delivery, Words
from db.vocabulary import (
    ANSWERS,
    PLANNED,
    Action,
    DeliveryStatus,
    OccurrenceKind,
    OccurrenceStatus,
    Purpose,
)
from scheduler.outbox import rows
from scheduler.outbox.policy import Slot

NOW = datetime(2016, 9, 26, 1, 0, tzinfo=UTC)
SLOT = Slot(date(2016, 9, 28), Purpose.upcoming, datetime(2016, 9, 28, 1, 0, tzinfo=UTC))


def test_members_are_the_stored_strings():
    assert [*OccurrenceStatus] == ["open", "done", "waived", "cancelled"]
    assert [*OccurrenceKind] == ["start", "due", "recurring", "event"]
    assert [*DeliveryStatus] == ["pending", "claimed", "sent", "failed", "cancelled"]
    assert PLANNED == ("upcoming", "due", "overdue", "escalation")
    assert ANSWERS == ("done", "snooze", "help", "reopen", "waive") and Action.refused not in ANSWERS
    assert json.dumps({"purpose": Purpose.weekly}) == '{"purpose": "weekly"}'
    assert f"{Purpose.due}" == str(Purpose.due) == "due"


def test_a_stored_word_reads_back_as_a_member_and_an_unknown_one_as_it_is(engine):
    with engine.connect() as conn:
        known, unknown, none = conn.execute(select(
            literal_column("'help'", Words(Purpose)), literal_column("'summary'", Words(Purpose)),
            literal_column("NULL", Words(Purpose)))).one()
    assert known is Purpose.help
    assert unknown == "summary" and type(unknown) is str
    assert none is None


def test_every_kind_of_new_delivery_keeps_its_key_format():
    """The formats existing databases hold: a re-plan must make the very same keys."""
    failed = Delivery(id=77, occurrence_id=5, contact_id=9, channel="email", purpose=Purpose.due,
                      informational=False, send_at=SLOT.send_at, idempotency_key="r:5:9:due:2016-09-28")
    since = datetime(2016, 9, 26, 0, 30, tzinfo=UTC)
    keys = {
        rows.reminder(5, 9, SLOT).key: "r:5:9:upcoming:2016-09-28",
        rows.reminder(5, 9, Slot(date(2016, 10, 3), Purpose.overdue, NOW)).key: "r:5:9:overdue:2016-10-03",
        rows.informational(5, 9, SLOT).key: "i:5:9:upcoming:2016-09-28",
        rows.escalation(5, 9, Slot(date(2016, 10, 5), Purpose.escalation, NOW)).key: "e:5:9",
        rows.wake(5, 9, Slot(date(2016, 9, 27), Purpose.due, since)).key: "s:5:9:2016-09-26T00:30:00+00:00",
        rows.weekly(2, "yingkou-2016", 9, date(2016, 9, 26), NOW).key: "w:2:9:2016-09-26",
        rows.help_request(31, 5, 9, NOW, "王: 需要协助").key: "h:31:9",
        rows.channel_paused("email", since, 9, "telegram", NOW, "…").key: "pause:email:2016-09-26T00:30:00+00:00:9",
        rows.channel_back("email", since, 9, None, NOW, "…").key: "resume:email:2016-09-26T00:30:00+00:00:9",
        rows.fallback(failed, "telegram", NOW).key: "fb:77",
        # issue 17: told once per problem (scheduler/outbox/told.py), no longer once a day
        rows.unreachable(failed, 4, "email:refused", NOW, NOW, "王: refused").key:
            f"fbn:9:4:email:refused:{NOW:%Y%m%dT%H%M%S}",
    }
    assert list(keys) == list(keys.values())


def test_fallbacks_and_reports_copy_what_they_must():
    failed = Delivery(id=77, occurrence_id=5, contact_id=9, channel="email", purpose=Purpose.due,
                      informational=True, send_at=SLOT.send_at, body="note", idempotency_key="i:5:9:due:2016-09-28")
    again = rows.fallback(failed, "telegram", NOW).to_row()
    assert again == {"idempotency_key": "fb:77", "occurrence_id": 5, "contact_id": 9, "channel": "telegram",
                     "purpose": "due", "informational": True, "send_at": NOW, "status": "pending", "attempts": 0,
                     "body": "note", "fallback_of": 77}
    later = NOW + timedelta(minutes=15)  # held to the end of the dispatcher's run
    told = rows.unreachable(failed, 4, "email:refused", NOW, later, "王: refused").to_row()
    assert told == {"idempotency_key": f"fbn:9:4:email:refused:{NOW:%Y%m%dT%H%M%S}", "occurrence_id": None,
                    "contact_id": 4, "channel": "", "purpose": "notice", "informational": False, "send_at": later,
                    "status": "pending", "attempts": 0, "body": "王: refused", "fallback_of": 77}
    summary = rows.weekly(2, "yingkou-2016", 9, date(2016, 9, 26), NOW).to_row()
    assert (summary["occurrence_id"], summary["purpose"], summary["body"]) == (None, "weekly", "yingkou-2016")
    copy = rows.informational(5, 9, SLOT).to_row()
    assert copy["informational"] is True and copy["channel"] == "" and copy["purpose"] == "upcoming"
