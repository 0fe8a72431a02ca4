"""The bot's commands, each a small async function, and `install`, the one place they are registered.

An unbound chat gets the polite bilingual explanation of how to get an invite and nothing else;
every other reply is in the language of the chat's contact. Errors reach people as short
messages (Chinese or English), never as tracebacks.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from markupsafe import Markup
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import actions, binding, buttons
from bot.commands import set_chat_commands
from bot.context import KEY, Context, Deps, Me, chat_of, deps, me, reply, run_db, telegram_language
from bot.keyboards import reminder_markup
from bot.texts import say, when
from db.queries import NotFound, OccurrenceRow, today_in
from db.vocabulary import Action, OccurrenceKind
from scheduler.answers.record import Refused
from scheduler.bounds import as_id
from scheduler.i18n import told
from scheduler.messages.render import period_label, short_date

log = logging.getLogger(__name__)
LIST_LIMIT = 10
OVERDUE_LIMIT = 30
Handler = Callable[[Update, Context, Me], Awaitable[None]]


def bound(handler: Handler) -> Callable[[Update, Context], Awaitable[None]]:
    """Run `handler` for bound chats; an unbound one gets the explanation instead."""

    @functools.wraps(handler)
    async def run(update: Update, context: Context) -> None:
        who = await me(update, context)
        if not who.bound:
            await reply(update, context, say("unbound", who.lang))
            return
        await handler(update, context, who)

    return run


def coordinators(handler: Handler) -> Handler:
    """Run `handler` for chats of a coordinating office only."""

    @functools.wraps(handler)
    async def run(update: Update, context: Context, who: Me) -> None:
        if not who.coordinator:
            await reply(update, context, say("coordinators_only", who.lang))
            return
        await handler(update, context, who)

    return run


async def start(update: Update, context: Context) -> None:
    """/start CODE binds the chat; /start alone greets a bound chat or explains binding."""
    d, chat = deps(context), chat_of(update)
    if not context.args:
        who = await me(update, context)
        if not who.bound:
            await reply(update, context, say("unbound", who.lang))
            return
        c = who.contacts[0]
        await reply(update, context, say("welcome_back", who.lang, name=c.name,
                                         department=who.departments[c.department_id].name))
        return
    try:
        contact = await run_db(context, binding.redeem, context.args[0], chat.id, d.clock(),
                               d.settings.telegram_start_failures)
    except binding.BindError as exc:
        log.warning("chat %s (%s): invite refused (%s)", chat.id, chat.user, exc.reason)
        await reply(update, context, say(f"invite_{exc.reason}", telegram_language(update)))
        return
    log.info("chat %s bound to contact %s (%s)", chat.id, contact.id, contact.name)
    who = await me(update, context)
    await reply(update, context, say("bound", who.lang, name=contact.name,
                                     department=who.departments[contact.department_id].name))
    await set_chat_commands(context.bot, chat.id, who.lang, who.coordinator)


def _days(row: OccurrenceRow, lang: str, now: datetime, calendars) -> str:
    """还剩 N 个工作日 / 已逾期 N 天 / today is the last working day."""
    today, occ = today_in(row.plan.timezone, now), row.occurrence
    if occ.due < today:
        return say("overdue_days", lang, n=(today - occ.due).days)
    left = calendars(row.plan.workdays).count_workdays(today, occ.due)
    return say("last_day", lang) if left <= 0 else say("days_left", lang, n=left)


def task_text(rows: list[OccurrenceRow], lang: str, now: datetime, calendars) -> str:
    shown = rows[:LIST_LIMIT]
    lines = [say("tasks_head", lang, n=len(rows))]
    for n, r in enumerate(shown, 1):
        occ = r.occurrence
        title = r.duty.title[:120] + (f" · {period_label(occ.period, lang)}" if occ.kind == OccurrenceKind.recurring else "")
        lines.append(say("task_line", lang, n=n, title=title, department=r.department.name,
                         due_label=say("start_label" if occ.kind == OccurrenceKind.start else "due_label", lang),
                         due=short_date(occ.due, lang), status=_days(r, lang, now, calendars), id=occ.id))
    if len(rows) > len(shown):
        lines.append(say("more", lang, n=len(rows) - len(shown)))
    if len(shown) > 1:
        lines.append(say("legend", lang))
    return "\n\n".join(lines)


@bound
async def tasks(update: Update, context: Context, who: Me) -> None:
    """/tasks: the chat's open occurrences, soonest first, with buttons."""
    d = deps(context)
    now = d.clock()
    rows = await run_db(context, actions.open_tasks, chat_of(update).id, now)
    if not rows:
        await reply(update, context, say("tasks_none", who.lang))
        return
    text = task_text(rows, who.lang, now, d.calendars)
    items = [(r.occurrence.id, False) for r in rows[:LIST_LIMIT]]
    await reply(update, context, text, markup=reminder_markup(items, who.lang, text))


async def _answer(update: Update, context: Context, who: Me, occ: int, action: str, **kwargs) -> None:
    """Answer through the core and reply with the outcome or the problem."""
    d = deps(context)
    try:
        outcome, v = await run_db(context, actions.act, chat_of(update), occ, action, d.clock(), d.calendars,
                                  **kwargs)
    except NotFound:
        text = say("not_found", who.lang, id=occ)
    except Refused:
        text = say("refused", who.lang)
    except actions.BadDuration as exc:  # unreadable, in the past, too far: it says which
        text = Markup.escape(told(exc, who.lang)) + "\n" + say("usage_snooze", who.lang)
    except ValueError as exc:  # the core's own message, in the contact's language
        text = Markup.escape(told(exc, who.lang))
    else:
        if action == Action.snooze:
            text = say("snoozed", who.lang, until=when(v.occ.snoozed_until, d.settings.zone, who.lang),
                       title=v.duty.title)
        else:
            text = say("done_ok" if outcome.changed else "done_repeat", who.lang, title=v.duty.title)
    await reply(update, context, text)


@bound
async def done(update: Update, context: Context, who: Me) -> None:
    """/done ID [URL]"""
    args = context.args or []
    occ = as_id(args[0]) if args else None
    if occ is None or len(args) > 2:
        await reply(update, context, say("usage_done", who.lang))
        return
    await _answer(update, context, who, occ, Action.done, evidence_url=args[1] if len(args) == 2 else None)


@bound
async def snooze(update: Update, context: Context, who: Me) -> None:
    """/snooze ID DURATION"""
    args = context.args or []
    occ = as_id(args[0]) if args else None
    if occ is None or len(args) < 2:
        await reply(update, context, say("usage_snooze", who.lang))
        return
    await _answer(update, context, who, occ, Action.snooze, snooze=" ".join(args[1:]))


@bound
async def help_command(update: Update, context: Context, who: Me) -> None:
    text = say("help", who.lang)
    await reply(update, context, text + say("help_coordinator", who.lang) if who.coordinator else text)


@bound
async def feed(update: Update, context: Context, who: Me) -> None:
    """/feed: the contact's personal iCal link, when the web side provides feeds."""
    d = deps(context)
    if d.feed_url is None:
        await reply(update, context, say("feed_off", who.lang))
        return
    url = await run_db(context, lambda s: d.feed_url(s, who.contacts[0], d.clock()))
    await reply(update, context, say("feed_link", who.lang, url=url) if url else say("feed_off", who.lang))


# What people call the two languages after /lang (zh-CN, en_GB and the like by their first part).
LANGUAGE_WORDS = {"zh": "zh", "cn": "zh", "chinese": "zh", "中文": "zh", "汉语": "zh", "简体中文": "zh",
                  "en": "en", "english": "en", "英文": "en", "英语": "en"}


def language_named(word: str) -> str | None:
    """zh or en for a word naming it; None for any other language or word."""
    word = word.strip().lower().replace("_", "-")
    return LANGUAGE_WORDS.get(word) or LANGUAGE_WORDS.get(word.split("-")[0])


@bound
async def lang(update: Update, context: Context, who: Me) -> None:
    """/lang [zh|en]: set the chat's language, or switch it when none is named; any other is refused."""
    asked = " ".join(context.args or [])
    wanted = language_named(asked) if asked else None
    if asked and wanted is None:
        await reply(update, context, say("lang_unknown", who.lang, value=asked[:40]))
        return
    chosen = await run_db(context, actions.set_language, chat_of(update).id, wanted)
    await reply(update, context, say("lang_set", chosen))
    await set_chat_commands(context.bot, chat_of(update).id, chosen, who.coordinator)


@bound
async def stop(update: Update, context: Context, who: Me) -> None:
    """/stop: unbind the chat; reminders go to email from now on (when there is one)."""
    count, emailed = await run_db(context, binding.stop, chat_of(update).id)
    fallback = say("stopped_email", who.lang) if emailed else ""
    await reply(update, context, say("stopped", who.lang, fallback=fallback))
    log.info("chat %s unbound from %d contact(s) by /stop", chat_of(update).id, count)


@bound
@coordinators
async def overdue(update: Update, context: Context, who: Me) -> None:
    """/overdue: every overdue occurrence of the plans this chat coordinates."""
    now = deps(context).clock()
    rows = await run_db(context, actions.overdue, who.plans, now)
    if not rows:
        await reply(update, context, say("overdue_none", who.lang))
        return
    lines = [say("overdue_head", who.lang, n=len(rows))]
    for n, r in enumerate(rows[:OVERDUE_LIMIT], 1):
        lines.append(say("overdue_line", who.lang, n=n, title=r.duty.title[:80], department=r.department.name,
                         due=short_date(r.occurrence.due, who.lang), id=r.occurrence.id,
                         days=r.days_overdue(today_in(r.plan.timezone, now))))
    if len(rows) > OVERDUE_LIMIT:
        lines.append(say("more", who.lang, n=len(rows) - OVERDUE_LIMIT))
    await reply(update, context, "\n".join(lines))


@bound
@coordinators
async def event(update: Update, context: Context, who: Me) -> None:
    """/event DUTY [DEPARTMENT]: record that the duty's event happened now; its deadline starts."""
    args, d = context.args or [], deps(context)
    if not args:
        await reply(update, context, say("usage_event", who.lang))
        return
    department = " ".join(args[1:]) or None
    try:
        recorded, v = await run_db(context, actions.event, chat_of(update), who.plans, args[0], department,
                                   d.clock(), d.calendars)
    except PermissionError:
        text = say("coordinators_only", who.lang)
    except (NotFound, ValueError) as exc:
        text = Markup.escape(str(exc))
    else:
        text = say("event_ok", who.lang, title=v.duty.title, department=v.dept.name, id=v.occ.id,
                   deadline=when(recorded.deadline, d.settings.zone, who.lang))
    await reply(update, context, text)


async def text_message(update: Update, context: Context) -> None:
    """A plain message: the answer to a prompt (a link, a help note), else a hint."""
    who = await me(update, context)
    chat = chat_of(update)
    if not who.bound:
        if not chat.group:  # groups talk among themselves; only private chats get the explanation
            await reply(update, context, say("unbound", who.lang))
        return
    awaiting = await run_db(context, actions.expected, chat.id, deps(context).clock())
    if awaiting is not None:
        await buttons.answer_prompt(update, context, who, awaiting)
    elif not chat.group:
        await reply(update, context, say("hint", who.lang))


async def unknown_command(update: Update, context: Context) -> None:
    who = await me(update, context)
    await reply(update, context, say("help", who.lang) if who.bound else say("unbound", who.lang))


async def on_error(update: object, context: Context) -> None:
    """Log the failure with its traceback; the person gets a short apology, never the trace."""
    log.error("update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(say("oops", telegram_language(update)).striptags()[:200], show_alert=True)
            else:
                await reply(update, context, say("oops", telegram_language(update)))
        except Exception:  # noqa: BLE001 - the apology itself failing must not loop
            log.warning("could not tell chat %s about the failure", update.effective_chat.id)


COMMANDS = {"start": start, "tasks": tasks, "done": done, "snooze": snooze, "help": help_command,
            "feed": feed, "lang": lang, "stop": stop, "overdue": overdue, "event": event}


def install(application: Application, dependencies: Deps) -> None:
    """Register every handler; the dependencies go into bot_data for them to find."""
    application.bot_data[KEY] = dependencies
    for name, handler in COMMANDS.items():
        application.add_handler(CommandHandler(name, handler))
    application.add_handler(CallbackQueryHandler(buttons.press))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, text_message))
    application.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, unknown_command))
    application.add_error_handler(on_error)
