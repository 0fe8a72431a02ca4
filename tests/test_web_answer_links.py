"""Answer and unsubscribe links from emails: GET shows, POST records once; bad links get clear pages."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from db import addresses
from db.models import Answer, Contact, Delivery, Department, Occurrence
from db.queries import add_contact
from duban import wiring
from duban.service import Planning, tick
from scheduler.settings import Settings
from tests.web_world import (
    NOW,
    PUBLIC,
    SECRET,
    app_for,
    contact,
    email_of,
    load_demo,
    occurrence,
    path_of,
    signer,
)

HTML = {"accept": "text/html"}


@pytest.fixture
def world(engine, tmp_path):
    load_demo(engine, tmp_path)
    return engine


@pytest.fixture
def client(world):
    with TestClient(app_for(world), headers=HTML) as c:
        yield c


def link(engine, action: str, nonce: str = "501", *, contact_id: int | None = None, at: datetime = NOW) -> str:
    occ = occurrence(engine, due=datetime(2016, 9, 30).date())
    return path_of(signer(at).answer_url(occ.id, action, contact_id or contact(engine).id, nonce))


def answers(engine) -> list[Answer]:
    with Session(engine) as session:
        return list(session.exec(select(Answer).order_by(Answer.id)))


def test_opening_a_done_link_shows_the_duty_and_changes_nothing(world, client):
    page = client.get(link(world, "done"))
    assert page.status_code == 200
    assert "饮用水水质信息公开" in page.text and "市环保局" in page.text and "2016-09-30" in page.text
    assert "<form method=\"post\"" in page.text
    assert answers(world) == [] and occurrence(world, due=datetime(2016, 9, 30).date()).status == "open"


def test_pressing_done_records_it_for_the_contact_with_the_evidence_link(world, client):
    url = link(world, "done")
    page = client.post(url, data={"evidence_url": "https://epb.example.gov.cn/water.html"})
    assert page.status_code == 200 and "已记录" in page.text
    occ = occurrence(world, due=datetime(2016, 9, 30).date())
    assert occ.status == "done" and occ.done_by == "张三" and occ.evidence_url.endswith("water.html")
    [entry, twin] = answers(world)  # the Q3 period ends the same day: one obligation (issue 17)
    assert (entry.channel, entry.actor, entry.contact_id, entry.link_nonce) == (
        "email", "张三", contact(world).id, f"done:{occ.id}:501")
    assert twin.origin.startswith(f"follows answer {entry.id}") and twin.link_nonce is None


def test_a_used_link_cannot_answer_again_but_the_same_emails_other_links_can(world, client):
    assert client.post(link(world, "snooze"), data={"snooze": "3d"}).status_code == 200
    again = client.post(link(world, "snooze"), data={"snooze": "1d"})
    # It says who used it and when (a link seen by a whole group is answered once, then explained).
    assert again.status_code == 410 and "张三 已于 2016-09-26 10:00" in again.text and "already" not in again.text
    english = client.post(link(world, "snooze") + "?lang=en", data={"snooze": "1d"})
    assert english.status_code == 410 and "张三 already answered with this link on 2016-09-26 10:00" in english.text
    assert "已于" not in english.text
    assert client.get(link(world, "snooze")).status_code == 410
    assert client.post(link(world, "done")).status_code == 200  # the done link of the same email
    assert [a.action for a in answers(world)] == ["snooze", "snooze", "done", "done"]  # each with its twin


def test_snooze_offers_tomorrow_three_working_days_and_next_week_at_the_reminder_time(world, client):
    page = client.get(link(world, "snooze"))
    # Monday 2016-09-26; reminders at 09:30 Beijing time; the National Day week is off.
    assert "2016-09-27 09:30" in page.text and "2016-09-29 09:30" in page.text
    assert "2016-10-08 09:30" in page.text  # next week's first working day (a make-up Saturday)
    done = client.post(link(world, "snooze"), data={"snooze": "3d"})
    assert "提醒已推迟至 2016-09-29 09:30" in done.text
    occ = occurrence(world, due=datetime(2016, 9, 30).date())
    assert occ.snoozed_until.replace(tzinfo=UTC) == datetime(2016, 9, 29, 1, 30, tzinfo=UTC)


def test_an_unknown_snooze_choice_shows_the_form_again(world, client):
    page = client.post(link(world, "snooze"), data={"snooze": "forever"})
    assert page.status_code == 400 and "请选择推迟时间" in page.text and answers(world) == []


def test_help_with_a_note_queues_a_notice_to_the_coordinating_office(world, client):
    with Session(world) as session:
        office = session.exec(select(Department).where(Department.key == "office")).one()
        add_contact(session, office, name="李四", addresses={"email": "li@example.org"}, language="zh",
                    role="primary")
        session.commit()
    page = client.post(link(world, "help"), data={"note": "不清楚公开范围"})
    assert page.status_code == 200 and "督办部门" in page.text
    [entry] = answers(world)
    assert entry.action == "help" and entry.note == "不清楚公开范围"
    with Session(world) as session:
        [notice] = session.exec(select(Delivery).where(Delivery.purpose == "help")).all()
        assert "不清楚公开范围" in notice.body and session.get(Contact, notice.contact_id).name == "李四"


def test_a_bad_evidence_link_keeps_the_form_with_the_reason(world, client):
    page = client.post(link(world, "done"), data={"evidence_url": "ftp://x"})
    assert page.status_code == 400 and "链接无效" in page.text and "<form" in page.text
    assert occurrence(world, due=datetime(2016, 9, 30).date()).status == "open"


@pytest.mark.parametrize("kind", ["expired", "tampered", "malformed"])
def test_expired_tampered_and_cut_links_get_a_clear_page(world, client, kind):
    url = link(world, "done", at=NOW - timedelta(days=61)) if kind == "expired" else link(world, "done")
    if kind == "tampered":
        url = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    if kind == "malformed":
        url = url[:20]
    for page in (client.get(url), client.post(url)):
        assert page.status_code in (400, 410) and "Traceback" not in page.text
        assert "链接" in page.text
    english = client.get(url, headers={"accept-language": "en"})
    assert english.status_code in (400, 410) and "link" in english.text.lower() and "链接" not in english.text
    assert answers(world) == []


def test_a_link_to_a_removed_occurrence_says_so(world, client):
    url = path_of(signer().answer_url(999999, "done", contact(world).id, "1"))
    page = client.post(url)
    assert page.status_code == 404 and "事项不存在" in page.text and "no longer exists" not in page.text
    page = client.post(url, headers={"accept-language": "en-GB,en;q=0.9"})
    assert page.status_code == 404 and "no longer exists" in page.text and "事项不存在" not in page.text


def test_a_contact_of_another_department_is_refused_and_the_refusal_logged(world, client):
    edu = occurrence(world, "1-1", "edu")
    url = path_of(signer().answer_url(edu.id, "done", contact(world).id, "9"))
    page = client.post(url)
    assert page.status_code == 403 and "无权操作" in page.text
    assert [a.action for a in answers(world)] == ["refused"]


def test_unsubscribe_asks_first_then_stops_email_and_keeps_the_address(world, client):
    who = contact(world)
    url = path_of(signer().unsubscribe_url(who.id))
    page = client.get(url)
    assert page.status_code == 200 and "确认退订" in page.text and email_of(world).address == "zhang@example.org"
    done = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "已退订" in done.text
    after = email_of(world)
    assert after.address == "zhang@example.org" and addresses.opted_out_at(after) == NOW and not after.usable
    assert "zhang@example.org" in client.post(url).text  # twice is fine and still names the address
    assert addresses.opted_out_at(email_of(world)) == NOW  # the first time counts


def test_an_unsubscribed_contact_gets_no_mail_even_after_the_plan_is_reloaded(world, client, tmp_path,
                                                                            smtp_server, cli):
    settings = Settings(database_url=str(world.url), smtp_url=smtp_server.url(), mail_from="duban@example.org",
                        public_url=PUBLIC, secret_key=SECRET)
    dispatcher = wiring.dispatcher(world, settings, wiring.channels(settings))
    planning = Planning(wiring.calendars(settings), horizon_days=60)

    def through(*days: int) -> list[str]:
        for day in days:  # 10:00 in Beijing: the 09:30 reminders are due
            asyncio.run(tick(world, planning, dispatcher, datetime(2016, 9, day, 2, tzinfo=UTC)))
        return [r.rcpt_tos[0] for r in smtp_server.messages]

    assert "zhang@example.org" in through(27)  # 3 working days before 30 Sep, 1 before 28 Sep
    sent = len(smtp_server.messages)
    client.post(path_of(signer().unsubscribe_url(contact(world).id)))
    (tmp_path / "again").mkdir()
    load_demo(world, tmp_path / "again")  # the plan file still lists zhang@example.org
    assert not email_of(world).usable
    assert len(through(28, 29, 30)) == sent
    asyncio.run(dispatcher.close())
    with Session(world) as session:
        failed = session.exec(select(Delivery).where(Delivery.contact_id == contact(world).id,
                                                     Delivery.status == "failed")).all()
    assert failed and all("no channel" in d.last_error for d in failed)

    resumed = cli("contacts", "resubscribe", str(contact(world).id))
    assert resumed.exit_code == 0 and "恢复邮件提醒" in resumed.stdout and email_of(world).usable
    unknown = cli("contacts", "resubscribe", "99999")
    assert unknown.exit_code == 1 and "no contact with id 99999" in unknown.stderr


def test_a_forged_unsubscribe_link_changes_nothing(world, client):
    url = path_of(signer().unsubscribe_url(contact(world).id))[:-2] + "xx"
    page = client.post(url)
    assert page.status_code == 400 and email_of(world).address == "zhang@example.org"


def test_the_dispatchers_links_open_here(world, client):
    """The URL shape the dispatcher puts into emails is the one this app serves."""
    occ = occurrence(world, due=datetime(2016, 9, 30).date())
    with Session(world) as session:
        session.add(Delivery(occurrence_id=occ.id, contact_id=contact(world).id, channel="email", purpose="due",
                             send_at=NOW, idempotency_key="k1"))
        session.commit()
        delivery = session.exec(select(Delivery)).one()
    url = signer().answer_url(occ.id, "done", contact(world).id, str(delivery.id))
    assert url.startswith("http://testserver/a/")
    assert client.post(path_of(url)).status_code == 200
    with Session(world) as session:
        assert session.get(Occurrence, occ.id).status == "done"
        assert session.get(Delivery, delivery.id).status == "cancelled"  # answered: no more reminders
