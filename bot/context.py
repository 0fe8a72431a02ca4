"""What every handler needs: its dependencies, the database (off the event loop), who is talking
in which language, and a way to reply."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram import ForceReply, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import ContextTypes

from bot import actions
from db.engine import session_scope
from db.models import Contact, Department
from scheduler.calendar.workdays import WorkdayCalendar
from scheduler.messages.render import language_of
from scheduler.settings import Settings

KEY = "duban"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
T = TypeVar("T")
Context = ContextTypes.DEFAULT_TYPE


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    """Injected into the application (bot_data) once: handlers never build their own."""

    engine: Engine
    settings: Settings
    calendars: Callable[[str], WorkdayCalendar]
    clock: Callable[[], datetime] = utc_now
    feed_url: Callable[[Session, Contact, datetime], str | None] | None = None


@dataclass
class Me:
    """The chat's binding as a handler sees it."""

    contacts: list[Contact]
    departments: dict[int, Department]
    lang: str
    plans: set[int] = field(default_factory=set)  # plans this chat coordinates

    @property
    def bound(self) -> bool:
        return bool(self.contacts)

    @property
    def coordinator(self) -> bool:
        return bool(self.plans)


def deps(context: Context) -> Deps:
    return context.application.bot_data[KEY]


async def run_db(context: Context, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`work(session, *args)` in a worker thread, committed when it returns: database calls must
    not stall the event loop that serves every chat."""
    engine = deps(context).engine

    def job() -> T:
        with session_scope(engine) as session:
            return work(session, *args, **kwargs)

    return await asyncio.to_thread(job)


def chat_of(update: Update) -> actions.Chat:
    chat, user = update.effective_chat, update.effective_user
    name = (user.full_name + (f" @{user.username}" if user.username else "")) if user else ""
    return actions.Chat(chat.id if chat else user.id, name,
                        bool(chat) and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP))


def whoami(session: Session, chat: int, user_language: str | None) -> Me:
    contacts = actions.contacts_of(session, chat)
    departments = {c.department_id: session.get(Department, c.department_id) for c in contacts}
    lang = contacts[0].language if contacts else language_of(user_language)
    return Me(contacts, departments, language_of(lang), actions.coordinated_plans(session, chat))


def telegram_language(update: Update) -> str:
    """The language of the person's Telegram app: what a chat not bound to a contact is told in."""
    user = update.effective_user
    return language_of(user.language_code if user else None)


async def me(update: Update, context: Context) -> Me:
    return await run_db(context, whoami, chat_of(update).id, telegram_language(update))


async def reply(update: Update, context: Context, text: str, *, markup: InlineKeyboardMarkup | None = None,
                prompt: bool = False) -> None:
    """Send `text` (Telegram HTML) to the chat of the update; `prompt` asks for a reply."""
    reply_markup = ForceReply() if prompt else markup
    await context.bot.send_message(chat_of(update).id, text, parse_mode=ParseMode.HTML,
                                   reply_markup=reply_markup, link_preview_options=NO_PREVIEW)
