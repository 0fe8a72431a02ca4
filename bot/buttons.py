"""Button presses under reminders, the replies to the bot's prompts, and editing the reminder to
show who answered what and when.

A press is parsed strictly (bot.keyboards.parse), mapped to the chat's contact and passed to the
core's `answer`, which checks permission and logs refusals. The reminder is then edited from the
occurrence's state, so pressing twice produces the same text and Telegram's "message is not
modified" is expected and ignored.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, tzinfo

from markupsafe import Markup
from sqlmodel import Session
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot import actions
from bot.actions import Prompt
from bot.context import NO_PREVIEW, Context, Me, chat_of, deps, me, reply, run_db
from bot.keyboards import SNOOZES, Press, main_rows, number_in, parse, replace_rows, snooze_rows
from bot.texts import say, status_word, when
from db.queries import NotFound
from db.vocabulary import Action, OccurrenceStatus
from scheduler.answers.record import Refused
from scheduler.i18n import told

log = logging.getLogger(__name__)
RULE = "\n\n──────────\n"  # separates the reminder from the answers recorded under it
TELEGRAM_LIMIT = 4096


class _Quiet(str):
    """A toast that flashes (success); any other toast is an alert the person dismisses."""


def status_line(v: actions.View, action: str, who: str, lang: str, now: datetime, zone: tzinfo) -> Markup:
    """One line saying what happened to the occurrence, from its stored state (`action`: an Action
    or the prompt answered, actions.Prompt); times on the deployment's clock (`zone`)."""
    occ, title = v.occ, v.duty.title[:60]
    if occ.status == OccurrenceStatus.done and action in (Action.done, Prompt.link):
        line = say("status_done", lang, id=occ.id, title=title, who=occ.done_by, when=when(occ.done_at, zone, lang))
        return line + say("status_evidence", lang, url=occ.evidence_url) if occ.evidence_url else line
    if action == Action.snooze and occ.snoozed_until:
        return say("status_snooze", lang, id=occ.id, title=title, who=who, until=when(occ.snoozed_until, zone, lang))
    if action == Action.help:
        return say("status_help", lang, id=occ.id, title=title, who=who, when=when(now, zone, lang))
    return say("status_closed", lang, id=occ.id, title=title, status=status_word(occ.status, lang))


def with_status(html: str, occ: int, line: str) -> str:
    """The reminder with `line` as the status of `occ` under the rule (replacing an older one)."""
    body, _, tail = html.partition(RULE)
    mark = re.compile(rf"#{occ}(?!\d)")
    lines = [s for s in tail.split("\n") if s.strip() and not mark.search(s)]
    return body + RULE + "\n".join([*lines, line])


async def edit(context: Context, chat: int, message_id: int, html: str | None,
               markup: InlineKeyboardMarkup | None) -> None:
    """Edit a reminder; "not modified" (pressed twice) is the expected no-op."""
    try:
        if html is None or len(html) >= TELEGRAM_LIMIT:
            await context.bot.edit_message_reply_markup(chat, message_id, reply_markup=markup)
        else:
            await context.bot.edit_message_text(html, chat, message_id, parse_mode=ParseMode.HTML,
                                                reply_markup=markup, link_preview_options=NO_PREVIEW)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            log.warning("could not edit message %s in chat %s: %s", message_id, chat, exc)


def _message(update: Update) -> Message | None:
    msg = update.callback_query.message
    return msg if isinstance(msg, Message) and msg.text is not None else None


async def press(update: Update, context: Context) -> None:
    """Every button press: parse, check, act, edit, and always answer the query."""
    query = update.callback_query
    found = parse(query.data)
    who = await me(update, context)
    if found is None:
        log.warning("refused a forged or unknown button %r from chat %s (%s)", query.data,
                    chat_of(update).id, chat_of(update).user)
        await query.answer(say("toast_invalid", who.lang), show_alert=True)
        return
    try:
        toast = await _act(update, context, who, found)
    except NotFound:
        toast = say("not_found", who.lang, id=found.occurrence_id)
    except Refused:
        toast = say("toast_refused", who.lang)
    except ValueError as exc:
        toast = told(exc, who.lang)
    await query.answer(str(toast)[:200], show_alert=not isinstance(toast, _Quiet))


async def _act(update: Update, context: Context, who: Me, found: Press) -> str:
    code, occ = found.code, found.occurrence_id
    msg, chat, d = _message(update), chat_of(update), deps(context)
    if code in ("s", "l", "h"):
        await run_db(context, actions.check_may, chat, occ, {"s": Action.snooze, "l": Action.done, "h": Action.help}[code],
                     d.clock())
    if code == "s":
        await _swap_rows(context, msg, occ, snooze_rows, who.lang)
        return _Quiet(say("toast_choose", who.lang))
    if code == "b":
        await _swap_rows(context, msg, occ, main_rows, who.lang)
        return _Quiet("↩")
    if code in ("l", "h"):
        return await _prompt(update, context, who, msg, occ, Prompt.link if code == "l" else Prompt.help)
    action = Action.done if code == "d" else Action.snooze
    outcome, v = await run_db(context, actions.act, chat, occ, action, d.clock(), d.calendars,
                              snooze=SNOOZES.get(code))
    line = status_line(v, action, outcome.answer.actor, who.lang, d.clock(), d.settings.zone)
    if msg is not None:
        rows = [] if action == Action.done else main_rows(occ, who.lang, number_in(msg.reply_markup, occ))
        await edit(context, msg.chat_id, msg.message_id, with_status(msg.text_html, occ, line),
                   replace_rows(msg.reply_markup, occ, rows))
    else:  # too old to edit: say it in a new message
        await reply(update, context, line)
    if not outcome.changed:
        return _Quiet(say("toast_repeat", who.lang))
    if action == Action.done:
        return _Quiet(say("toast_done", who.lang))
    return _Quiet(say("toast_snooze", who.lang, until=when(v.occ.snoozed_until, d.settings.zone, who.lang)))


async def _swap_rows(context: Context, msg: Message | None, occ: int, rows, lang: str) -> None:
    if msg is not None:
        number = number_in(msg.reply_markup, occ)
        await edit(context, msg.chat_id, msg.message_id, None, replace_rows(msg.reply_markup, occ,
                                                                           rows(occ, lang, number)))


async def _prompt(update: Update, context: Context, who: Me, msg: Message | None, occ: int, action: Prompt) -> str:
    """Ask for the link (or the note) and remember what the chat's next message is for."""
    d = deps(context)
    awaiting = actions.Awaiting(action, occ, msg.message_id if msg else None, msg.text_html if msg else None,
                                msg.reply_markup.to_dict() if msg and msg.reply_markup else None)
    v = await run_db(context, _expect, chat_of(update).id, awaiting, d.clock())
    await reply(update, context, say("ask_link" if action == Prompt.link else "ask_help", who.lang, title=v.duty.title),
                prompt=True)
    return _Quiet("🔗" if action == Prompt.link else "❓")


def _expect(session: Session, chat: int, awaiting: actions.Awaiting, now: datetime) -> actions.View:
    actions.expect(session, chat, awaiting, now)
    return actions.view(session, awaiting.occurrence_id)


async def answer_prompt(update: Update, context: Context, who: Me, awaiting: actions.Awaiting) -> None:
    """The chat's message after a prompt: the link (marks done with evidence) or the help note."""
    d, chat, text = deps(context), chat_of(update), update.effective_message.text.strip()
    link = awaiting.action == Prompt.link
    try:
        outcome, v = await run_db(context, actions.act, chat, awaiting.occurrence_id, Action.done if link else Action.help,
                                  d.clock(), d.calendars, evidence_url=text if link else None,
                                  note=None if link else text[:1000])
    except ValueError as exc:  # not a web link: say why and keep waiting for one
        await run_db(context, actions.expect, chat.id, awaiting, d.clock())
        await reply(update, context, str(Markup.escape(told(exc, who.lang))))
        return
    except Refused:
        await reply(update, context, say("refused", who.lang))
        return
    title = v.duty.title
    await reply(update, context, say("link_ok", who.lang, title=title, url=v.occ.evidence_url) if link
                else say("help_sent", who.lang, title=title))
    if awaiting.message_id and awaiting.html is not None:
        markup = InlineKeyboardMarkup.de_json(awaiting.markup, context.bot) if awaiting.markup else None
        line = status_line(v, Prompt.link if link else Prompt.help, outcome.answer.actor, who.lang, d.clock(),
                           d.settings.zone)
        rows = [] if link else main_rows(v.occ.id, who.lang, number_in(markup, v.occ.id))
        await edit(context, chat.id, awaiting.message_id, with_status(awaiting.html, v.occ.id, line),
                   replace_rows(markup, v.occ.id, rows))
