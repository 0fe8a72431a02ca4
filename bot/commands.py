"""The command menu Telegram shows (setMyCommands): Chinese by default and for zh users, English
for en users; coordinators' chats also list /overdue and /event."""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.binding import CHAT
from bot.texts import COMMANDS, COORDINATOR_COMMANDS, command_description
from db.models import AddressState, Contact, ContactAddress, Plan

log = logging.getLogger(__name__)


def menu(lang: str, coordinator: bool = False) -> list[BotCommand]:
    entries = {**COMMANDS, **(COORDINATOR_COMMANDS if coordinator else {})}
    return [BotCommand(name, command_description(pair, lang)) for name, pair in entries.items()]


async def set_default_commands(bot: Bot) -> None:
    """The menu for everyone: zh as the default, then per language. Without a menu the commands
    still work, so a server that refuses it costs a warning, not the bot."""
    try:
        await bot.set_my_commands(menu("zh"))
        for lang in ("zh", "en"):
            await bot.set_my_commands(menu(lang), language_code=lang)
    except TelegramError as exc:
        log.warning("could not set the command menu: %s", exc)


async def set_chat_commands(bot: Bot, chat: int, lang: str, coordinator: bool) -> None:
    """One chat's menu in its contact's language (with the coordinators' commands when they apply).
    A failure here only costs the menu, so it is logged and not raised."""
    try:
        await bot.set_my_commands(menu(lang, coordinator), scope=BotCommandScopeChat(chat))
    except TelegramError as exc:
        log.warning("could not set the command menu of chat %s: %s", chat, exc)


async def set_coordinator_commands(bot: Bot, engine: Engine) -> None:
    """At start-up: the coordinators' chats get their longer menu (they are few)."""
    with Session(engine) as session:
        offices = set(session.exec(select(Plan.coordinator_id).where(col(Plan.coordinator_id).is_not(None))))
        chats = session.exec(select(ContactAddress.address, Contact.language)
                             .join(Contact, ContactAddress.contact_id == Contact.id)
                             .where(col(Contact.department_id).in_(offices), Contact.active == True,
                                    ContactAddress.channel == CHAT,
                                    ContactAddress.state == AddressState.verified)).all()
    for chat, lang in dict(chats).items():
        await set_chat_commands(bot, int(chat), lang, True)
