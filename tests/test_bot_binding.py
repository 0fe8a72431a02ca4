"""Binding chats with invites, and what an unbound chat hears: the real bot against the local Bot
API server, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from sqlmodel import Session, select

from bot.binding import new_invite
from db.models import Answer, InviteCode
from tests.bot_world import DUE_EVE, LI, STRANGER, WANG, ZHANG


def invite(world, name: str, *, at=DUE_EVE, hours: int = 72) -> str:
    with Session(world.engine) as s:
        code = new_invite(s, world.contact(name), at, hours).code
        s.commit()
    return code


def test_the_cli_prints_a_one_time_code_and_deep_links_and_stores_only_its_hash(world, cli, monkeypatch):
    monkeypatch.setenv("DUBAN_TELEGRAM_TOKEN", world.tg.token)  # the bot's name comes from getMe
    monkeypatch.setenv("DUBAN_TELEGRAM_API_URL", world.tg.url)
    printed = cli.json("contacts", "invite", "赵六")
    code = printed["code"]
    assert printed["name"] == "赵六" and printed["department"] == "市教育局"
    assert printed["links"] == {"private": f"https://t.me/duban_test_bot?start={code}",
                                "group": f"https://t.me/duban_test_bot?startgroup={code}"}
    with Session(world.engine) as s:
        stored = s.exec(select(InviteCode)).one()
    assert stored.code_hash == hashlib.sha256(code.encode()).hexdigest() and code not in stored.code_hash


def test_the_cli_explains_an_unknown_contact(world, cli):
    result = cli("contacts", "invite", "无名氏")
    assert result.exit_code == 1 and "no contact '无名氏'" in result.stderr


def test_start_with_an_invite_binds_the_chat_and_greets_the_contact(world, bot):
    code = invite(world, "赵六")
    reply = world.say(5005, f"/start {code}")
    assert "绑定成功：赵六（市教育局）" in reply.text
    assert world.chat_of("赵六") == 5005
    with Session(world.engine) as s:
        used = s.exec(select(InviteCode)).one()
    assert used.used_by_chat == 5005 and used.used_at is not None
    assert "/tasks" in world.say(5005, "/start").text  # now a bound chat: welcome back


def test_a_used_invite_is_refused_and_the_first_binding_stays(world, bot):
    code = invite(world, "赵六")
    world.say(5005, f"/start {code}")
    reply = world.say(6006, f"/start {code}")
    assert "邀请码已被使用过" in reply.text and "already" not in reply.text
    assert "already been used" in world.say(6006, f"/start {code}", language="en").text
    assert world.chat_of("赵六") == 5005


def test_an_expired_invite_is_refused(world, bot):
    code = invite(world, "赵六", at=DUE_EVE - timedelta(hours=80), hours=72)
    reply = world.say(5005, f"/start {code}")
    assert "邀请码已过期" in reply.text and "expired" not in reply.text
    assert "has expired" in world.say(5005, f"/start {code}", language="en-GB").text
    assert world.chat_of("赵六") is None


def test_guessing_codes_is_paused_after_five_failures_for_an_hour(world, bot):
    code = invite(world, "赵六")
    for n in range(5):
        assert "邀请码无效" in world.say(5005, f"/start guess{n}").text
    assert "次数过多" in world.say(5005, f"/start {code}").text  # even the right code waits
    assert world.chat_of("赵六") is None
    world.clock.now += timedelta(minutes=61)
    assert "绑定成功" in world.say(5005, f"/start {code}").text


def test_an_unbound_chat_gets_the_explanation_in_its_language_and_nothing_else(world, bot):
    for text in ("/tasks", "/done 1", "/overdue", "你好", "/whatever"):
        reply = world.say(STRANGER, text)
        assert "尚未绑定" in reply.text and "not linked" not in reply.text, text
        assert "/start" in reply.text and not reply.buttons()
        reply = world.say(STRANGER, text, language="en")
        assert "not linked to a contact yet" in reply.text and "尚未绑定" not in reply.text, text
        assert "/start" in reply.text and not reply.buttons()
    assert "饮用水" not in " ".join(m.text for m in world.tg.sent_to(STRANGER))


def test_stop_unbinds_the_chat(world, bot):
    reply = world.say(ZHANG, "/stop")
    assert "已解除绑定" in reply.text and "邮箱" in reply.text
    assert world.chat_of("张三") is None
    assert "尚未绑定" in world.say(ZHANG, "/tasks").text


def test_lang_switches_the_contacts_language(world, bot):
    assert "Language set to English" in world.say(ZHANG, "/lang en").text
    assert world.contact("张三").language == "en"
    assert "Duban bot commands" in world.say(ZHANG, "/help").text
    assert "语言已设为中文" in world.say(ZHANG, "/lang").text  # no argument: switch back
    assert "语言已设为中文" in world.say(LI, "/lang zh").text  # Li Si's was English
    assert world.contact("Li Si").language == "zh"


def test_lang_takes_the_names_people_use_and_refuses_any_other_language(world, bot):
    assert "Language set to English" in world.say(ZHANG, "/lang English").text
    assert "语言已设为中文" in world.say(ZHANG, "/lang zh-CN").text
    for other in ("fr", "français", "zh en"):
        reply = world.say(ZHANG, f"/lang {other}")
        assert f"没有“{other}”这种语言" in reply.text and "/lang zh" in reply.text and "/lang en" in reply.text
        assert world.contact("张三").language == "zh"  # unchanged: no silent switch
    assert "There is no language “fr” here" in world.say(LI, "/lang fr").text  # said in Li Si's English
    assert world.contact("Li Si").language == "en"


def test_command_menus_are_registered_in_chinese_and_english_with_more_for_coordinators(world, bot):
    menus = world.tg.state.commands
    default = json.dumps({"type": "default"}, sort_keys=True)
    names = {key: [c["command"] for c in cmds] for key, cmds in menus.items()}
    assert names[(default, "zh")] == names[(default, "en")] == names[(default, "")] == [
        "tasks", "done", "snooze", "feed", "lang", "stop", "help"]
    assert menus[(default, "en")][0]["description"] == "My open duties"
    assert menus[(default, "zh")][0]["description"] == "我的待办事项"
    coordinator = json.dumps({"type": "chat", "chat_id": WANG}, sort_keys=True)
    assert names[(coordinator, "")][-2:] == ["overdue", "event"]


def test_no_answer_is_logged_for_unbound_chats_that_only_talk(world, bot):
    world.say(STRANGER, "/tasks")
    with Session(world.engine) as s:
        assert s.exec(select(Answer)).all() == []


def test_a_department_group_chat_binds_and_answers_name_who_pressed(world, bot):
    code = invite(world, "赵六")
    reply = world.say(-6006, f"/start@duban_test_bot {code}")  # a command in a group names the bot
    assert "绑定成功：赵六（市教育局）" in reply.text
    briefing = world.occurrence("briefing")
    assert "已标记完成" in world.say(-6006, f"/done@duban_test_bot {briefing.id}").text
    assert world.refresh(briefing).done_by == "赵六（用户424242）"  # the group's contact, and the member
