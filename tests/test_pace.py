"""A channel's pace for the whole deployment (scheduler/outbox/pace.py): overall, per chat and per
group chat, in shared send windows, on a clock the test moves (no sleeping)."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session

from bot.channel import TelegramChannel
from scheduler.outbox.pace import LONGEST_WAIT, MARGIN, keep_pace, windows
from scheduler.settings import Settings

TELEGRAM = TelegramChannel(Settings(telegram_token="1:x", telegram_rate_per_second=30, telegram_chat_seconds=1,
                                    telegram_group_per_minute=20)).limits


class Wall:
    """The wall clock in unix seconds; `sleep` moves it on instead of waiting."""

    def __init__(self):
        self.now, self.slept = 1_800_000_000.0, []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def pace(engine, wall: Wall, chat: str) -> float:
    return asyncio.run(keep_pace(lambda: Session(engine), "telegram", TELEGRAM, chat, wall, wall.sleep))


def test_a_person_a_group_and_the_bot_each_have_their_windows():
    assert windows("telegram", TELEGRAM, "42") == [("telegram:42", [(1, 1.0)]), ("telegram:*", [(30, 1.0)])]
    assert windows("telegram", TELEGRAM, "-100123")[0] == ("telegram:-100123", [(1, 1.0), (20, 60.0)])


def test_a_second_message_to_a_chat_waits_its_second(engine):
    wall = Wall()
    assert pace(engine, wall, "42") == 0 and wall.slept == []
    assert pace(engine, wall, "42") == 0 and wall.slept == [pytest.approx(1.0 + MARGIN)]  # waited, then went
    assert pace(engine, wall, "43") == 0 and len(wall.slept) == 1  # another chat: no wait


def test_a_group_past_twenty_a_minute_is_held_back_not_waited_for(engine):
    wall = Wall()
    for _ in range(20):
        assert pace(engine, wall, "-100123") == 0
    held = pace(engine, wall, "-100123")
    assert held > LONGEST_WAIT and 20 <= wall.now - 1_800_000_000.0 + held <= 60 + 2 * MARGIN


def test_the_bot_as_a_whole_keeps_thirty_a_second(engine):
    wall = Wall()
    for chat in range(30):
        assert pace(engine, wall, str(chat)) == 0
    assert wall.slept == []
    assert pace(engine, wall, "30") == 0 and 0 < wall.slept[0] <= 1.0 + MARGIN  # the 31st waited its turn
