"""The bot's commands: /tasks, /done, /snooze, /help, /feed, /overdue and /event, with the clear
message each gives for wrong input. The real bot against the local Bot API server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from db.models import Answer, Event, Occurrence
from tests.bot_world import LI, WANG, ZHANG, RunningBot


def test_tasks_lists_open_duties_soonest_first_with_buttons(world, bot):
    air, water = world.occurrence("air"), world.occurrence("water")
    reply = world.say(ZHANG, "/tasks")
    lines = reply.text.splitlines()
    assert lines[0] == "您的待办事项（共 3 项，最近到期在前）："
    titles = [line for line in lines if line[:2] in ("1.", "2.", "3.")]
    assert [t.split(" ", 1)[1].split("（")[0] for t in titles] == [
        "饮用水水质信息公开", "空气质量信息公开", "饮用水水质信息公开 · 2016年第3季度"]  # 每季度: recurring too
    assert "还剩 1 个工作日" in reply.text and f"编号 {water.id}" in reply.text
    assert {data for _, data in reply.buttons()} >= {f"d:{water.id}", f"d:{air.id}", f"s:{air.id}"}


def test_tasks_speak_the_contacts_language_and_name_the_period(world, bot):
    reply = world.say(LI, "/tasks")
    assert reply.text.startswith("Your open duties (2, soonest first):")
    assert "媒体吹风会 · Sep 2016 (市教育局)" in reply.text and "10 working days left" in reply.text
    assert reply.buttons()[0][0] == "✅ 1"


def test_done_with_a_link_records_the_evidence(world, bot):
    water = world.occurrence("water")
    reply = world.say(ZHANG, f"/done {water.id} https://www.example.gov.cn/water.html")
    assert reply.text == "已标记完成：饮用水水质信息公开"
    done = world.refresh(water)
    assert (done.status, done.evidence_url) == ("done", "https://www.example.gov.cn/water.html")
    assert "此前已标记完成" in world.say(ZHANG, f"/done {water.id}").text


def test_done_explains_wrong_input(world, bot):
    water = world.occurrence("water")
    assert "用法：/done 编号 [链接]" in world.say(ZHANG, "/done").text
    assert "用法" in world.say(ZHANG, "/done 饮用水").text
    assert "没有编号为 99999 的事项" in world.say(ZHANG, "/done 99999").text
    assert "链接无效" in world.say(ZHANG, f"/done {water.id} ftp://example.org/x").text
    assert world.refresh(water).status == "open"


def test_done_on_another_departments_duty_is_refused_and_logged(world, bot):
    briefing = world.occurrence("briefing")
    assert "无权操作" in world.say(ZHANG, f"/done {briefing.id}").text
    with Session(world.engine) as s:
        [refused] = s.exec(select(Answer)).all()
    assert (refused.action, refused.actor, refused.occurrence_id) == ("refused", "张三", briefing.id)


def test_snooze_takes_working_days_dates_and_hours(world, bot):
    air = world.occurrence("air")  # now: Tue 13 Sep 2016, 09:30 in Shanghai
    reply = world.say(ZHANG, f"/snooze {air.id} 3d")
    assert reply.text == "已推迟到 9月19日 09:30：空气质量信息公开"  # Wed 14, Fri 18 (Sun 18 is a 调休 workday)...
    assert world.refresh(air).snoozed_until.replace(tzinfo=UTC) == datetime(2016, 9, 19, 1, 30, tzinfo=UTC)
    assert "9月14日 09:30" in world.say(ZHANG, f"/snooze {air.id} 明天").text
    assert "9月13日 13:30" in world.say(ZHANG, f"/snooze {air.id} 4h").text
    assert "9月20日 09:30" in world.say(ZHANG, f"/snooze {air.id} 2016-09-20").text


def test_snooze_explains_a_duration_it_does_not_understand(world, bot):
    air = world.occurrence("air")
    reply = world.say(ZHANG, f"/snooze {air.id} 过几天")
    assert "看不懂推迟时长“过几天”" in reply.text and "用法" in reply.text
    assert "用法" in world.say(ZHANG, f"/snooze {air.id}").text
    assert world.refresh(air).snoozed_until is None


def test_snooze_says_which_rule_a_duration_breaks(world, bot):
    air = world.occurrence("air")  # now: Tue 13 Sep 2016 in Shanghai
    past = world.say(ZHANG, f"/snooze {air.id} 2016-09-01").text
    assert "2016-09-01 是已经过去的日期（今天是 2016-09-13）" in past and "看不懂" not in past and "用法" in past
    assert "2016-09-13 就是今天" in world.say(ZHANG, f"/snooze {air.id} 2016-09-13").text
    assert "超过 100 天之后（最晚 2016-12-22）" in world.say(ZHANG, f"/snooze {air.id} 2017-01-05").text
    assert "应为 1 到 60 个工作日" in world.say(ZHANG, f"/snooze {air.id} 0d").text
    assert "应为 1 到 240 小时" in world.say(ZHANG, f"/snooze {air.id} 999h").text
    briefing = world.occurrence("briefing")  # Li Si's, in English
    assert "2016-09-01 is in the past (today is 2016-09-13)" in world.say(LI, f"/snooze {briefing.id} 2016-09-01").text
    assert world.refresh(air).snoozed_until is None and world.refresh(briefing).snoozed_until is None


def test_help_lists_the_commands_and_coordinators_see_theirs(world, bot):
    mine = world.say(ZHANG, "/help").text
    assert "/tasks" in mine and "/snooze" in mine and "/overdue" not in mine
    theirs = world.say(WANG, "/help").text
    assert "/overdue" in theirs and "/event" in theirs


def test_feed_gives_the_contacts_own_link(world, monkeypatch):
    asked = []

    def feed_url(session, contact, now):
        asked.append((contact.name, now))
        return f"https://duban.example.org/feeds/c{contact.id}-secret.ics"

    monkeypatch.setattr("bot.feeds.resolver", lambda settings, clock: feed_url)
    running = RunningBot(world).start()
    try:
        reply = world.say(ZHANG, "/feed")
    finally:
        running.stop()
    assert f"https://duban.example.org/feeds/c{world.contact('张三').id}-secret.ics" in reply.text
    assert "请勿转发" in reply.text and asked == [("张三", world.clock.now)]


def test_feed_says_clearly_when_feeds_are_not_available(world, monkeypatch):
    monkeypatch.setattr("bot.feeds.resolver", lambda settings, clock: None)
    running = RunningBot(world).start()
    try:
        assert "日历订阅功能尚未开通" in world.say(ZHANG, "/feed").text
    finally:
        running.stop()


def test_overdue_lists_the_coordinated_plans_overdue_duties(world, bot):
    world.clock.now = datetime(2016, 9, 20, 2, tzinfo=UTC)
    reply = world.say(WANG, "/overdue")
    assert reply.text.startswith("逾期事项（共 2 项）：")
    assert "饮用水水质信息公开 — 市环保局，截止 9月14日，逾期 6 天" in reply.text
    assert "此命令仅供督办单位" in world.say(ZHANG, "/overdue").text


def test_event_records_a_deadline_for_the_coordinator_only(world, bot):
    reply = world.say(WANG, "/event interpret")
    assert "已记录事件：重要政策文件解读（市教育局）" in reply.text
    with Session(world.engine) as s:
        event = s.exec(select(Event)).one()
        occ = s.exec(select(Occurrence).where(Occurrence.event_id == event.id)).one()
    assert occ.due.isoformat() == "2016-09-19"  # 3 working days after Tue 13 Sep (15-17 Sep: 中秋)
    assert event.recorded_by.startswith("telegram (")
    assert "for contacts of the coordinating office only" in world.say(LI, "/event interpret").text
    assert "没有这项任务" in world.say(WANG, "/event nonsense").text
    assert "不是事件触发的" in world.say(WANG, "/event water").text


def test_the_bot_keeps_time_with_its_clock(world, bot):
    world.clock.now += timedelta(days=1)  # Wed 14 Sep: the due day
    assert "今天是最后一个工作日" in world.say(ZHANG, "/tasks").text
