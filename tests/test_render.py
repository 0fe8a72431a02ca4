"""Reminder templates: every purpose x channel x language renders real content, escapes what it
shows, fits Telegram's limit, and a coordinator's override is used or, when broken, replaced by the
built-in template with a logged error."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from scheduler.messages.render import (
    CHAT_LIMIT,
    PURPOSES,
    Context,
    DepartmentTally,
    Item,
    Links,
    Renderer,
    Summary,
    long_date,
    period_label,
    short_date,
)

SITE = "https://duban.yingkou.example.gov.cn"
PLAN = "落实《2016年政务公开工作要点》主要任务明细表"
# Telegram's HTML parse mode accepts these tags only; everything else must arrive escaped.
TELEGRAM_TAG = re.compile(r'</?(?:b|i|code)>|<a href="[^"<>]*">|</a>')
BUILTIN = Renderer()


def links(occurrence_id: int) -> Links:
    return Links(*(f"{SITE}/a/{action}.{occurrence_id}" for action in ("done", "snooze", "help")))


WATER = Item(
    occurrence_id=217, duty_key="2-17", title="推动集中式生活饮用水水源水质监测信息公开",
    requirement="每季度向社会公开饮用水水源、供水厂出水、用户水龙头水质等饮水安全状况。",
    outlet="市环保局、市卫计委、市公用局网站", department="市环保局", plan_title=PLAN, kind="due",
    period="2016-09-30", due=date(2016, 9, 30), working_days_left=3, days_overdue=0, purpose="upcoming",
    informational=False, late=False, links=links(217), quota=None, note=None)
HEARINGS = Item(
    occurrence_id=12, duty_key="1-2", title="建立利益相关方、公众、专家、媒体等列席相关会议制度",
    requirement="市政府、各县(市)区政府年内至少5次邀请社会人员列席相关会议。", outlet="市政府门户网站、新闻媒体等",
    department="市民政局", plan_title=PLAN, kind="start", period="2016-07-31", due=date(2016, 7, 31),
    working_days_left=0, days_overdue=4, purpose="overdue", informational=False, late=False,
    links=links(12), quota=5, note=None)
PROGRESS = Item(
    occurrence_id=13, duty_key="1-3", title="围绕省、市《政府工作报告》重点工作公开执行情况",
    requirement="公开相关工作任务的执行措施、实施步骤、责任分工、监督方式；每季度公开工作进展和完成情况。",
    outlet=None, department="市环保局", plan_title=PLAN, kind="recurring", period="2016-Q3",
    due=date(2016, 9, 30), working_days_left=0, days_overdue=0, purpose="due", informational=True,
    late=True, links=Links("", "", ""), quota=None, note=None)


def context(items: list[Item], language: str = "zh", **extra) -> Context:
    return Context(contact_name="王敏", language=language, items=items, coordinator="市政府办公室",
                   public_url=SITE, unsubscribe_url=f"{SITE}/u/tok", feed_url=f"{SITE}/feed/tok.ics",
                   **extra)


def weekly_summary() -> Summary:
    return Summary(date(2016, 9, 26), date(2016, 9, 30), [
        DepartmentTally("市环保局", done=3, open=2, overdue=1),
        DepartmentTally("市民政局", done=1, open=0, overdue=2)])


def context_for(purpose: str, language: str) -> Context:
    """A realistic context for each purpose, as the dispatcher and the report job build them."""
    one = replace(WATER, purpose=purpose)
    if purpose in ("overdue", "escalation"):
        one = replace(WATER, purpose=purpose, working_days_left=-3, days_overdue=5)
    if purpose == "help":
        one = replace(WATER, purpose="help", note="李强: 水质数据由市公用局提供，需要协调")
    if purpose == "notice":
        return context([], language, note="李强: telegram 发送失败（机器人被屏蔽），已改用邮件")
    if purpose == "digest":
        return context([WATER, HEARINGS, PROGRESS], language)
    if purpose == "weekly":
        return context([HEARINGS], language, summary=weekly_summary())
    return context([one], language)


def visible(markup: str) -> str:
    """What a reader sees of HTML or Telegram text: tags dropped, entities decoded."""
    import html

    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def assert_telegram_safe(text: str) -> None:
    """Telegram's 4096 are counted after the markup is parsed (issue 17): what the reader sees."""
    assert len(visible(text).encode("utf-16-le")) // 2 <= CHAT_LIMIT
    assert "<" not in TELEGRAM_TAG.sub("", text) and ">" not in TELEGRAM_TAG.sub("", text)


ALL = [(p, k, lang) for p in PURPOSES for k in ("email", "chat") for lang in ("zh", "en")]


@pytest.mark.parametrize(("purpose", "kind", "language"), ALL)
def test_every_purpose_renders_on_every_channel_in_both_languages(purpose, kind, language):
    ctx = context_for(purpose, language)
    out = BUILTIN.render(purpose, kind, ctx)
    assert out.subject and "\n" not in out.subject and len(out.subject) <= 120
    shown = out.text if kind == "email" else visible(out.text)
    assert ("王敏，您好" if language == "zh" else "Hello 王敏") in shown
    for item in ctx.items:
        assert item.department in shown
        assert long_date(item.due, language) in shown
    if kind == "email":
        assert out.html is not None and visible(out.html).count("王敏") == 1
        assert f"{SITE}/u/tok" in out.text and f'href="{SITE}/u/tok"' in out.html
        assert f"{SITE}/feed/tok.ics" in out.text
    else:
        assert out.html is None
        assert_telegram_safe(out.text)
        assert "/a/" not in out.text and f'<a href="{SITE}">' in out.text


def test_an_upcoming_email_shows_the_duty_its_deadline_and_its_three_answer_links():
    out = BUILTIN.render("upcoming", "email", context([WATER]))
    assert out.subject == "【督办提醒】3个工作日后到期：推动集中式生活饮用水水源水质监测信息公开（市环保局）"
    for line in ("责任单位：市环保局", "截止日期：2016年9月30日（还剩 3 个工作日）",
                 "工作要求：每季度向社会公开饮用水水源", "公开渠道：市环保局、市卫计委、市公用局网站",
                 f"✅ 已完成：{SITE}/a/done.217", f"⏰ 推迟：{SITE}/a/snooze.217",
                 f"❓ 需要协助：{SITE}/a/help.217"):
        assert line in out.text
    assert f'href="{SITE}/a/done.217"' in out.html and "❓ 需要协助" in out.html
    assert '<html lang="zh-CN">' in out.html and 'name="viewport"' in out.html


def test_the_english_email_uses_english_dates_and_labels():
    out = BUILTIN.render("upcoming", "email", context([WATER], "en-GB"))
    assert out.subject.startswith("[Duban] Due in 3 working days: ")
    assert "Due: 30 Sep 2016 (3 working days left)" in out.text and "✅ Done: " in out.text


def test_an_unknown_language_reads_as_chinese():
    assert "截止日期" in BUILTIN.render("due", "email", context([WATER], "fr")).text


def test_informational_copies_carry_no_answer_links_and_say_who_answers():
    out = BUILTIN.render("due", "email", context([PROGRESS]))
    assert "（仅供知悉，由牵头部门办理）" in out.text and "（迟发提醒：系统曾中断）" in out.text
    assert "✅" not in out.text and "/a/" not in out.html and "需要协助" not in out.html
    tg = BUILTIN.render("due", "chat", context([PROGRESS], "en"))
    assert "(for your information; the lead department answers)" in tg.text
    assert "(sent late: the service was down)" in tg.text


def test_a_recurring_item_names_its_period_and_a_start_deadline_says_so():
    digest = BUILTIN.render("digest", "email", context([HEARINGS, PROGRESS])).text
    assert "周期：2016年第3季度" in digest
    assert "启动期限：2016年7月31日（已逾期 4 天）" in digest
    assert "次数：需至少完成 5 次" in digest


def test_a_digest_numbers_its_items_and_gives_each_its_own_links():
    out = BUILTIN.render("digest", "email", context([WATER, HEARINGS, PROGRESS]))
    assert out.subject == "【督办汇总】您有3项任务待办（1项已逾期）"
    assert re.findall(r"^(\d)\. ", out.text, re.MULTILINE) == ["1", "2", "3"]
    assert f"{SITE}/a/done.217" in out.text and f"{SITE}/a/done.12" in out.text
    assert out.text.index("1. 推动") < out.text.index("2. 建立") < out.text.index("3. 围绕")


def test_overdue_and_escalation_say_how_many_days_and_which_department():
    ctx = context_for("escalation", "zh")
    overdue = BUILTIN.render("overdue", "email", context_for("overdue", "zh"))
    assert overdue.subject.startswith("【已逾期5天】推动集中式生活饮用水")
    escalation = BUILTIN.render("escalation", "chat", ctx)
    assert escalation.subject.startswith("【督办升级】市环保局逾期5天：")
    assert "<b>市环保局</b> 负责的以下督办事项已逾期 <b>5</b> 天" in escalation.text
    en = BUILTIN.render("escalation", "email", context_for("escalation", "en"))
    assert "市环保局 is 5 days overdue with the duty below" in en.text


def test_a_help_request_quotes_the_contacts_note_for_the_coordinator():
    out = BUILTIN.render("help", "email", context_for("help", "zh"))
    assert out.subject == "【请求协助】市环保局：推动集中式生活饮用水水源水质监测信息公开"
    assert "留言：“李强: 水质数据由市公用局提供，需要协调”" in out.text


def test_a_notice_without_items_renders_its_text():
    out = BUILTIN.render("notice", "chat", context_for("notice", "zh"))
    assert "系统通知：李强: telegram 发送失败（机器人被屏蔽），已改用邮件" in out.text
    assert out.subject.startswith("【系统通知】李强: telegram 发送失败")


def test_the_weekly_summary_counts_each_department_and_lists_what_is_overdue():
    out = BUILTIN.render("weekly", "email", context_for("weekly", "zh"))
    assert out.subject == "【督办周报】9月26日—9月30日：已完成4项，逾期3项"
    assert " - 市环保局：已完成 3 项，未完成 2 项，已逾期 1 项" in out.text
    assert "逾期事项（1 项）" in out.text and "1. " not in out.text and HEARINGS.title in out.text
    assert re.search(r"<td[^>]*>市民政局</td>.*?<td[^>]*>2</td></tr>", out.html)
    en = BUILTIN.render("weekly", "chat", context([], "en", summary=weekly_summary()))
    assert en.subject == "[Duban weekly] 26 Sep–30 Sep: 4 done, 3 overdue"
    assert "Nothing is overdue this week." in en.text


def test_a_script_in_a_title_is_escaped_in_html_and_telegram():
    evil = replace(WATER, title='<script>alert("x")</script> & 公开', department="<b>环保</b>")
    out = BUILTIN.render("upcoming", "email", context([evil]))
    assert "<script>" not in out.html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; 公开" in out.html
    assert "&lt;b&gt;环保&lt;/b&gt;" in out.html
    assert '<script>alert("x")</script> & 公开' in out.text  # plain text shows it as typed
    tg = BUILTIN.render("upcoming", "chat", context([evil]))
    assert "<script>" not in tg.text and "&lt;script&gt;" in tg.text
    assert_telegram_safe(tg.text)


def test_a_subject_stays_on_one_short_line():
    title = "推动集中式生活饮用水\n水源水质监测信息公开\r\n" * 10
    out = BUILTIN.render("upcoming", "email", context([replace(WATER, title=title)]))
    assert "\n" not in out.subject and "\r" not in out.subject and len(out.subject) <= 120


@pytest.mark.parametrize(("language", "more"), [("zh", "…还有 {} 项"), ("en", "… and {} more")])
def test_a_200_item_telegram_digest_fits_and_says_how_many_more(language, more):
    items = [replace(WATER, occurrence_id=n, title=f"{WATER.title}（第{n}项）") for n in range(1, 201)]
    text = BUILTIN.render("digest", "chat", context(items, language)).text
    assert_telegram_safe(text)
    shown = text.count("<code>")
    assert 3 < shown < 200
    assert more.format(200 - shown) in text
    assert f"{shown}. <b>" in text and f"{shown + 1}. <b>" not in text
    assert text.count("<b>") == text.count("</b>")


def test_a_huge_note_on_telegram_is_cut_without_breaking_markup():
    ctx = context_for("help", "zh")
    ctx.items[0] = replace(ctx.items[0], note="需要协调<&>" * 2000)
    assert_telegram_safe(BUILTIN.render("help", "chat", ctx).text)


def test_dates_and_periods_read_naturally_in_both_languages():
    assert long_date(date(2026, 3, 31), "zh") == "2026年3月31日"
    assert long_date(date(2026, 3, 31), "en") == "31 Mar 2026"
    assert short_date(date(2016, 9, 5), "zh") == "9月5日"
    cases = {"2016-Q3": ("2016年第3季度", "Q3 2016"), "2016-H1": ("2016年上半年", "H1 2016"),
             "2016-07": ("2016年7月", "Jul 2016"), "2016-W31": ("2016年第31周", "week 31 of 2016"),
             "2016": ("2016年度", "2016"), "2016-07-29": ("2016年7月29日", "29 Jul 2016")}
    for label, (zh, en) in cases.items():
        assert (period_label(label, "zh"), period_label(label, "en")) == (zh, en)


def test_bad_requests_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="未知的提醒类型.*unknown purpose 'nag'"):
        BUILTIN.render("nag", "email", context([WATER]))
    with pytest.raises(ValueError, match="unknown kind 'sms'"):
        BUILTIN.render("due", "sms", context([WATER]))
    with pytest.raises(ValueError, match="needs at least one item"):
        BUILTIN.render("overdue", "email", context([]))


# --- overrides -------------------------------------------------------------------------------

CUSTOM_UPCOMING = """{% extends layout %}
{% block subject %}【请注意】{{ item.title }}{% endblock %}
{% block lead %}{{ b(item.department) }}：距截止还有 {{ item.working_days_left }} 个工作日。{% endblock %}
"""


def test_a_coordinators_template_replaces_the_built_in_one(tmp_path):
    (tmp_path / "zh").mkdir()
    (tmp_path / "zh" / "upcoming.j2").write_text(CUSTOM_UPCOMING, encoding="utf-8")
    renderer = Renderer(tmp_path)
    email = renderer.render("upcoming", "email", context([WATER]))
    assert email.subject == f"【请注意】{WATER.title}"
    assert "市环保局：距截止还有 3 个工作日。" in email.text and "<b>市环保局</b>：距截止" in email.html
    assert "✅ 已完成" in email.text  # the built-in layout still lays out the item
    assert renderer.render("upcoming", "email", context([WATER], "en")).subject.startswith("[Duban]")


def test_an_override_dropped_in_later_applies_without_a_restart_and_leaves_when_removed(tmp_path):
    renderer = Renderer(tmp_path)
    assert renderer.render("upcoming", "chat", context([WATER])).subject.startswith("【督办提醒】")
    (tmp_path / "zh").mkdir()
    custom = tmp_path / "zh" / "upcoming.j2"
    custom.write_text(CUSTOM_UPCOMING, encoding="utf-8")
    assert renderer.render("upcoming", "chat", context([WATER])).subject.startswith("【请注意】")
    custom.unlink()
    assert renderer.render("upcoming", "chat", context([WATER])).subject.startswith("【督办提醒】")


LEAD = "{% block lead %}{{ b(item.department) }}{% endblock %}"
BROKEN = {  # what the coordinator wrote in zh/overdue.j2, and the error the log must name
    "syntax error": ("{% extends layout %}{% block subject %}{{ item.title {% endblock %}", "TemplateSyntaxError"),
    "undefined variable": ("{% extends layout %}{% block subject %}{{ item.deadline }}{% endblock %}" + LEAD,
                           "UndefinedError"),
    "sandbox violation": ("{% extends layout %}{% block subject %}{{ item.__class__.__mro__ }}{% endblock %}" + LEAD,
                          "SecurityError"),
    "python error": ("{% extends layout %}{% block subject %}{{ item.days_overdue / 0 }}{% endblock %}" + LEAD,
                     "ZeroDivisionError"),
}


@pytest.mark.parametrize("fault", list(BROKEN))
def test_a_broken_override_falls_back_to_the_built_in_template_and_logs_why(tmp_path, caplog, fault):
    source, error = BROKEN[fault]
    (tmp_path / "zh").mkdir()
    (tmp_path / "zh" / "overdue.j2").write_text(source, encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="scheduler.messages.render"):
        out = Renderer(tmp_path).render("overdue", "email", context_for("overdue", "zh"))
    assert out.subject.startswith("【已逾期5天】") and "已逾期 5 天" in out.text
    [record] = [r for r in caplog.records if r.name == "scheduler.messages.render"]
    assert record.levelno == logging.ERROR
    assert str(tmp_path / "zh" / "overdue.j2") in record.getMessage() and error in record.getMessage()


def test_a_broken_shared_layout_override_also_falls_back(tmp_path, caplog):
    (tmp_path / "_tg.j2").write_text("{% for %}", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="scheduler.messages.render"):
        out = Renderer(tmp_path).render("digest", "chat", context([WATER, HEARINGS]))
    assert "1. <b>推动集中式" in out.text
    assert str(tmp_path / "_tg.j2") in caplog.text


# --- arbitrary text --------------------------------------------------------------------------

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.text(), note=st.text(), department=st.text(min_size=1))
def test_any_title_or_note_renders_and_stays_escaped(title, note, department):
    item = replace(WATER, title=title, department=department, note=note, purpose="help")
    for purpose, items in (("help", [item]), ("digest", [item, HEARINGS])):
        ctx = context(items)
        email = BUILTIN.render(purpose, "email", ctx)
        assert not any(unicodedata.category(c) == "Cc" for c in email.subject)  # no \n, \r, \0...
        assert str(escape(title)) in email.html and str(escape(department)) in email.html
        assert_telegram_safe(BUILTIN.render(purpose, "chat", ctx).text)
