"""`duban contacts invite CONTACT`: a one-time invite code and the Telegram deep link that binds a chat."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from sqlmodel import Session, select

from bot.binding import new_invite
from db.models import Contact
from db.queries import NotFound
from duban.cli.common import JsonOpt, database, now, out, print_json, settings, shown
from scheduler.bounds import as_id, whole_number
from scheduler.settings import Settings

MAX_INVITE_HOURS = 24 * 30
HoursOpt = Annotated[int | None, typer.Option(
    parser=whole_number(1, MAX_INVITE_HOURS, "邀请有效小时数", "--hours (how long the invite is valid)"),
    help=f"Valid for this many hours, 1-{MAX_INVITE_HOURS} (default: DUBAN_TELEGRAM_INVITE_HOURS).")]


def find_contact(session: Session, ref: str) -> Contact:
    """A contact by id or by name; a name shared by several contacts asks for the id."""
    ref = ref.strip()
    if (contact_id := as_id(ref)) is not None and (contact := session.get(Contact, contact_id)) is not None:
        return contact
    found = session.exec(select(Contact).where(Contact.name == ref)).all()
    if len(found) == 1:
        return found[0]
    if found:
        raise NotFound(f"联系人重名 several contacts are called {ref!r} (ids "
                       f"{', '.join(str(c.id) for c in found)}): pass the id")
    raise NotFound(f"没有这个联系人 no contact {ref!r}: see `duban contacts list`")


def bot_username(settings: Settings) -> str | None:
    """The bot's @name for deep links: from the settings, else asked from the Bot API (getMe)."""
    if settings.telegram_bot_username:
        return settings.telegram_bot_username.lstrip("@")
    if settings.telegram_token is None:
        return None
    from telegram.error import TelegramError

    from bot.client import make_bot

    async def ask() -> str:
        async with make_bot(settings, None) as bot:
            return bot.username

    try:
        return asyncio.run(ask())
    except TelegramError:
        return None


def contacts_invite(contact: Annotated[str, typer.Argument(help="Contact id or name.")],
                    hours: HoursOpt = None,
                    as_json: JsonOpt = False) -> None:
    """邀请码 A one-time code (and link) that binds a Telegram chat to the contact."""
    s = settings()
    with database() as session:
        invite = new_invite(session, find_contact(session, contact), now(),
                            s.telegram_invite_hours if hours is None else hours)
        name, department = invite.contact.name, invite.department.name
    username = bot_username(s)
    links = ({"private": f"https://t.me/{username}?start={invite.code}",
              "group": f"https://t.me/{username}?startgroup={invite.code}"} if username else {})
    if as_json:
        print_json({"contact": invite.contact.id, "name": name, "department": department,
                    "code": invite.code, "expires_at": invite.expires_at, "links": links})
        return
    out.print(f"[green]✓[/green] 邀请码 invite for {name} ({department}), valid until "
              f"{shown(invite.expires_at)}, usable once:\n  {invite.code}", highlight=False)
    if links:
        out.print(f"  个人 private chat: {links['private']}\n  群组 group chat:  {links['group']}",
                  highlight=False)
    else:
        out.print("  (set DUBAN_TELEGRAM_BOT_USERNAME or DUBAN_TELEGRAM_TOKEN for the t.me link)",
                  highlight=False)
    out.print(f"  或在机器人对话中发送 or send the bot: /start {invite.code}", highlight=False)
