"""Inline buttons under reminders, and the compact callback data they carry ("d:123").

Callback data is an action code and an occurrence id, far under Telegram's 64 bytes; `parse`
accepts nothing else, so a forged or stale payload is recognised before anything is looked up.
A single reminder gets labelled buttons; a digest gets one numbered row per item (a deadline
listed under a daily duty's line: its own row, the number with the date, "✅ 3 7/31"). A digest
sent in parts numbers on from part to part, so the message says which numbers it carries.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.texts import button

CODES = ("d", "s", "s1", "s3", "sw", "l", "h", "b")  # done, snooze menu, snooze 1/3 days/week, link, help, back
SNOOZES = {"s1": "1d", "s3": "3d", "sw": "next-week"}
_DATA = re.compile(r"(d|s|s1|s3|sw|l|h|b):([1-9][0-9]{0,17})")
_TAG = r"\d+(?: \d{1,2}/\d{1,2})?|\d{1,2}/\d{1,2}"  # "3", "3 7/31", "7/31"
_NUMBER = re.compile(rf"(?:^\S+ ({_TAG})$)|(?:^({_TAG})\. )")
MAX_ITEMS = 20  # 4 buttons each; Telegram allows about 100 buttons a message (the chat layout's max_items)


@dataclass(frozen=True)
class Press:
    """A button press: what to do, to which occurrence."""

    code: str
    occurrence_id: int


def encode(code: str, occurrence_id: int) -> str:
    return f"{code}:{occurrence_id}"


def parse(data: str | None) -> Press | None:
    """The press a callback payload stands for, or None when it is not one of ours."""
    match = _DATA.fullmatch(data or "")
    return Press(match[1], int(match[2])) if match else None


Number = int | str | None  # an item's number in a digest, or its tag ("3 7/31"); None: a single reminder


def _button(code: str, occ: int, lang: str, number: Number) -> InlineKeyboardButton:
    label = button(code, lang)
    if number is not None:
        label = f"{label.split()[0]} {number}" if code in ("d", "s", "l", "h") else f"{number}. {label}"
    return InlineKeyboardButton(label, callback_data=encode(code, occ))


def main_rows(occ: int, lang: str, number: Number = None) -> list[list[InlineKeyboardButton]]:
    """Done, snooze, link, help: two labelled rows, or one numbered row in a digest."""
    buttons = [_button(c, occ, lang, number) for c in ("d", "s", "l", "h")]
    return [buttons] if number is not None else [buttons[:2], buttons[2:]]


def snooze_rows(occ: int, lang: str, number: Number = None) -> list[list[InlineKeyboardButton]]:
    buttons = [_button(c, occ, lang, number) for c in ("s1", "s3", "sw", "b")]
    return [buttons[:2], buttons[2:]]


def reminder_markup(items: Sequence[tuple[int, bool]], lang: str, text: str,
                    labels: Sequence[str] = ()) -> InlineKeyboardMarkup | None:
    """Buttons for the answerable items of a reminder, labelled as `labels` says (the dispatcher's
    numbers) or numbered by position. Items the renderer left out of a long digest (their id is
    not in the text) get none; if the text shows no ids at all (a custom template), every
    answerable item gets its row."""
    tags: list[Number] = list(labels) if len(labels) == len(items) else (
        list(range(1, len(items) + 1)) if len(items) > 1 else [None] * len(items))
    answerable = [(tag or None, occ) for tag, (occ, informational) in zip(tags, items, strict=True)
                  if not informational]
    shown = [(tag, occ) for tag, occ in answerable if f"<code>{occ}</code>" in text] or answerable
    rows = []
    for tag, occ in shown[:MAX_ITEMS]:
        rows += main_rows(occ, lang, tag)
    return InlineKeyboardMarkup(rows) if rows else None


def _occurrence_of(row: Sequence[InlineKeyboardButton]) -> int | None:
    press = parse(row[0].callback_data if row and isinstance(row[0].callback_data, str) else None)
    return press.occurrence_id if press else None


def number_in(markup: InlineKeyboardMarkup | None, occ: int) -> Number:
    """The digest number (or tag) the buttons of `occ` carry, None for a single reminder's buttons."""
    for row in markup.inline_keyboard if markup else ():
        if _occurrence_of(row) == occ:
            match = _NUMBER.match(row[0].text)
            if match is None:
                return None
            tag = match[1] or match[2]
            return int(tag) if tag.isdigit() else tag
    return None


def replace_rows(markup: InlineKeyboardMarkup | None, occ: int,
                 rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup | None:
    """`markup` with the rows of `occ` replaced by `rows` (none: removed), others untouched."""
    kept: list[list[InlineKeyboardButton]] = []
    placed = False
    for row in markup.inline_keyboard if markup else ():
        if _occurrence_of(row) != occ:
            kept.append(list(row))
        elif not placed:
            kept += rows
            placed = True
    return InlineKeyboardMarkup(kept) if kept else None
