"""Reminders with buttons, and answering them from the chat: done, snooze, a link, help; strangers
and forged buttons refused. The real bot and dispatcher against the local Bot API server."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlmodel import Session, select

from db.models import Answer, Delivery
from tests.bot_world import DUE_EVE, LI, STRANGER, WANG, ZHANG


def digest(world):
    """The dispatcher's reminder to 张三 on the eve of 14 Sep: water and air together."""
    report = world.dispatch(DUE_EVE)
    assert report[1].messages >= 1
    [message] = world.tg.sent_to(ZHANG)
    return message


def test_a_digest_lists_both_duties_with_a_numbered_row_of_buttons_each(world):
    water, air = world.occurrence("water"), world.occurrence("air")
    message = digest(world)
    assert "饮用水水质信息公开" in message.text and "空气质量信息公开" in message.text
    assert "市环保局" in message.text and "还剩" in message.text  # department and working days left
    assert message.buttons() == [("✅ 1", f"d:{water.id}"), ("⏰ 1", f"s:{water.id}"), ("🔗 1", f"l:{water.id}"),
                                 ("❓ 1", f"h:{water.id}"), ("✅ 2", f"d:{air.id}"), ("⏰ 2", f"s:{air.id}"),
                                 ("🔗 2", f"l:{air.id}"), ("❓ 2", f"h:{air.id}")]
    assert all(len(data.encode()) <= 64 for _, data in message.buttons())
    with Session(world.engine) as s:
        sent = s.exec(select(Delivery).where(Delivery.status == "sent")).all()
    assert {d.provider_message_id for d in sent} == {f"{ZHANG}:{message.message_id}"}


def test_a_single_reminder_gets_labelled_buttons_in_the_contacts_language(world):
    world.dispatch(datetime(2016, 9, 27, 1, 30, tzinfo=UTC))  # Li Si (en): the briefing due 28 Sep
    [message] = world.tg.sent_to(LI)
    briefing = world.occurrence("briefing", "2016-09")
    assert [label for label, _ in message.buttons()] == ["✅ Done", "⏰ Snooze", "🔗 Submit link", "❓ Need help"]
    assert message.buttons()[0][1] == f"d:{briefing.id}"


def test_pressing_done_marks_it_and_the_message_shows_who_and_when(world, bot):
    water, air = world.occurrence("water"), world.occurrence("air")
    message = digest(world)
    answer = world.press(ZHANG, message, f"d:{water.id}")
    assert answer["text"] == "已标记完成 ✅" and not answer.get("show_alert")
    done = world.refresh(water)
    assert (done.status, done.done_by) == ("done", "张三")
    edited = world.tg.wait_for(lambda: world.tg.message(ZHANG, message.message_id).edits
                               and world.tg.message(ZHANG, message.message_id), "the edit")
    assert f"✅ #{water.id} 饮用水水质信息公开：张三 于 9月13日 09:30 标记已完成" in edited.text
    assert [data for _, data in edited.buttons()] == [f"d:{air.id}", f"s:{air.id}", f"l:{air.id}", f"h:{air.id}"]
    assert message.text in edited.text  # the reminder itself is kept, with its formatting
    with Session(world.engine) as s:
        logged = s.exec(select(Answer)).one()
    assert (logged.action, logged.channel, logged.origin, logged.contact_id) == (
        "done", "telegram", f"telegram:{ZHANG}", world.contact("张三").id)


def test_pressing_done_twice_is_harmless(world, bot):
    water = world.occurrence("water")
    message = digest(world)
    world.press(ZHANG, message, f"d:{water.id}")
    world.tg.wait_for(lambda: world.tg.message(ZHANG, message.message_id).edits, "the first edit")
    again = world.press(ZHANG, message, f"d:{water.id}")  # e.g. an impatient double tap on the old message
    assert again["text"] == "此前已记录，无需重复操作。"
    world.tg.wait_for(lambda: [c for c in world.tg.calls("editMessageText") if c.status == 400],
                      "the edit Telegram refuses as not modified")
    assert world.tg.message(ZHANG, message.message_id).edits == 1
    with Session(world.engine) as s:
        assert [a.changed for a in s.exec(select(Answer).order_by(Answer.id))] == [True, False]
    assert "督办机器人命令" in world.say(ZHANG, "/help").text  # the bot carried on


def test_snooze_offers_three_choices_and_records_the_chosen_time(world, bot):
    air = world.occurrence("air")
    message = digest(world)
    world.press(ZHANG, message, f"s:{air.id}")
    menu = world.tg.wait_for(lambda: f"s1:{air.id}" in [d for _, d in world.tg.message(ZHANG, message.message_id)
                                                         .buttons()] and world.tg.message(ZHANG, message.message_id),
                             "the snooze choices")
    assert [label for label, data in menu.buttons() if data.endswith(f":{air.id}")] == [
        "2. 明天", "2. 3个工作日后", "2. 下周", "2. ↩ 返回"]
    answer = world.press(ZHANG, menu, f"sw:{air.id}")
    assert answer["text"] == "已推迟到 9月19日 09:30"  # next week's first working day, at the reminder time
    assert world.refresh(air).snoozed_until.replace(tzinfo=UTC) == datetime(2016, 9, 19, 1, 30, tzinfo=UTC)
    after = world.tg.wait_for(lambda: "⏰" in world.tg.message(ZHANG, message.message_id).text
                              and world.tg.message(ZHANG, message.message_id), "the snooze edit")
    assert f"⏰ #{air.id} 空气质量信息公开：张三 推迟到 9月19日 09:30" in after.text
    assert f"d:{air.id}" in [d for _, d in after.buttons()]  # the main buttons are back
    with Session(world.engine) as s:
        pending = s.exec(select(Delivery).where(Delivery.occurrence_id == air.id,
                                                Delivery.status == "pending")).all()
    assert pending == []  # the 14 Sep reminder falls before the snooze and is cancelled


def test_submitting_a_link_asks_for_it_checks_it_and_stores_it_as_evidence(world, bot):
    water = world.occurrence("water")
    message = digest(world)
    world.press(ZHANG, message, f"l:{water.id}")
    prompt = world.tg.wait_for(lambda: len(world.tg.sent_to(ZHANG)) > 1 and world.tg.sent_to(ZHANG)[1], "the prompt")
    assert "请发送《饮用水水质信息公开》已发布内容的链接" in prompt.text
    assert "链接无效" in world.say(ZHANG, "已经发布了").text  # not a link: say so, keep waiting
    reply = world.say(ZHANG, "https://www.example.gov.cn/water/2016q3.html")
    assert "已记录链接并标记完成" in reply.text
    done = world.refresh(water)
    assert (done.status, done.evidence_url) == ("done", "https://www.example.gov.cn/water/2016q3.html")
    edited = world.tg.wait_for(lambda: world.tg.message(ZHANG, message.message_id).edits
                               and world.tg.message(ZHANG, message.message_id), "the edit")
    assert "链接：https://www.example.gov.cn/water/2016q3.html" in edited.text
    assert "好的" not in world.say(ZHANG, "好的").text  # the prompt is answered: plain text gets the hint


def test_asking_for_help_takes_a_note_and_tells_the_coordinator(world, bot):
    air = world.occurrence("air")
    message = digest(world)
    world.press(ZHANG, message, f"h:{air.id}")
    world.tg.wait_for(lambda: len(world.tg.sent_to(ZHANG)) > 1, "the prompt")
    reply = world.say(ZHANG, "需要开通网站栏目权限")
    assert "已转告督办人员：空气质量信息公开" in reply.text
    world.dispatch(DUE_EVE)
    [told] = world.tg.sent_to(WANG)
    assert "需要开通网站栏目权限" in told.text and "空气质量信息公开" in told.text
    assert world.refresh(air).status == "open"


def test_a_stranger_pressing_a_button_is_refused_and_the_attempt_logged(world, bot):
    water = world.occurrence("water")
    message = digest(world)
    for chat in (LI, STRANGER):  # another department's contact; a chat bound to no one
        answer = world.press(chat, message, f"d:{water.id}")
        assert answer["show_alert"] and ("无权操作" in answer["text"] or "Not allowed" in answer["text"])
    assert world.refresh(water).status == "open"
    with Session(world.engine) as s:
        refused = s.exec(select(Answer).order_by(Answer.id)).all()
    assert [(a.action, a.actor, a.origin) for a in refused] == [
        ("refused", "Li Si", f"telegram:{LI}"), ("refused", f"Telegram 用户{STRANGER}", f"telegram:{STRANGER}")]


def test_forged_callback_payloads_are_refused_politely_and_logged(world, bot, caplog):
    water = world.occurrence("water")
    message = digest(world)
    caplog.set_level(logging.WARNING, logger="bot.buttons")
    for data in ("d:water", "x:1", f"d:{water.id};drop", "d:" + "9" * 30, f"D:{water.id}", ""):
        answer = world.press(ZHANG, message, data)
        assert answer["show_alert"] and answer["text"] == "无效的按钮，已忽略。", data
    assert world.refresh(water).status == "open"
    assert sum("forged or unknown button" in r.getMessage() for r in caplog.records) == 6


def test_a_supervisor_and_the_coordinator_may_answer_too(world, bot):
    water, air = world.occurrence("water"), world.occurrence("air")
    assert "已标记完成" in world.say(1002, f"/done {water.id}").text  # the bureau's supervisor
    assert "已标记完成" in world.say(WANG, f"/done {air.id}").text  # the coordinating office
    assert world.refresh(water).done_by == "环保局局长" and world.refresh(air).done_by == "王五"


def test_pressing_on_a_message_too_old_to_edit_answers_in_a_new_message(world, bot):
    water = world.occurrence("water")
    digest(world)
    _, query = world.tg.press(ZHANG, 987654, f"d:{water.id}")  # Telegram sends no text for old messages
    world.tg.wait_for(lambda: world.tg.answer_to(query), "the answer")
    news = world.tg.wait_for(lambda: len(world.tg.sent_to(ZHANG)) > 1 and world.tg.sent_to(ZHANG)[1], "the note")
    assert f"✅ #{water.id} 饮用水水质信息公开：张三" in news.text
