"""A Telegram digest too long for one message (issue 17): split by what the reader sees (Telegram's
4096 characters after the markup is parsed, not the HTML's length) and by the buttons one message
holds, into parts of whole items numbered on from part to part, each with its own count line and
its own buttons, which answer from the part they are under. Real PTB, the local Bot API server."""

from __future__ import annotations

import re

import pytest

from tests.bot_world import DUE_EVE, PLAN, ZHANG, Clock, RunningBot, World, load_world, settings_for

DUTIES = 45
LONG = "依法公开本部门年度重点工作的执行措施、实施步骤、责任分工和监督方式，每季度公开工作进展和完成情况，" * 3  # clipped at 200 on Telegram


def plan_of_many() -> str:
    """The bot world's plan with DUTIES more duties for 市环保局, all due 14 Sep, each with a long requirement."""
    rows = "\n".join(f"  - {{id: t{n:02d}, title: 督办任务{n:02d}号, requirement: {LONG}, lead: [epb], "
                     f"schedule: 9月14日前完成}}" for n in range(1, DUTIES + 1))
    return PLAN.replace("duties:\n", f"duties:\n{rows}\n")


@pytest.fixture
def many(engine, tmp_path, telegram_server) -> World:
    load_world(engine, tmp_path, plan_of_many())
    return World(engine, telegram_server, settings_for(engine, telegram_server), Clock(DUE_EVE))


def visible_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"^(\d+)\. ", text, re.MULTILINE)]


def test_a_long_digest_comes_in_parts_of_whole_items_each_with_its_own_buttons(many):
    many.dispatch(DUE_EVE)
    parts = many.tg.sent_to(ZHANG)
    total = DUTIES + 2  # and the bot world's water and air, due the same day
    assert len(parts) >= 3
    assert all(visible_length(p.text) <= 4096 for p in parts)  # what Telegram counts
    assert any(len(p.html) > 4096 for p in parts)  # the HTML may be longer: it is not what counts
    shown = [n for p in parts for n in numbers(p.text)]
    assert shown == list(range(1, total + 1))  # every item once, numbered on across the parts
    for k, part in enumerate(parts, 1):
        assert f"共 {total} 项：逾期 0 项，今天到期 0 项，即将到期 {total} 项（第 {k}/{len(parts)} 条）" in part.text
        ids = re.findall(r"<code>(\d+)</code>", part.html)
        own = numbers(part.text)
        assert 0 < len(ids) == len(own) <= 20
        assert part.buttons()[::4] == [(f"✅ {n}", f"d:{occ}") for n, occ in zip(own, ids, strict=True)]
    titles = re.findall(r"督办任务\d{2}号", "".join(p.text for p in parts))
    assert sorted(titles) == [f"督办任务{n:02d}号" for n in range(1, DUTIES + 1)]


def test_a_button_under_a_later_part_answers_its_item_there(many):
    many.dispatch(DUE_EVE)
    second = many.tg.sent_to(ZHANG)[1]
    number, occ = numbers(second.text)[0], re.findall(r"<code>(\d+)</code>", second.html)[0]
    bot = RunningBot(many).start()
    try:
        answer = many.press(ZHANG, second, f"d:{occ}")
        assert answer["text"] == "已标记完成 ✅"
        edited = many.tg.wait_for(lambda: many.tg.message(ZHANG, second.message_id).edits
                                  and many.tg.message(ZHANG, second.message_id), "the edit")
    finally:
        bot.stop()
    assert f"d:{occ}" not in [data for _, data in edited.buttons()]
    assert edited.buttons()[0][0] == f"✅ {number + 1}"  # the others keep their numbers
