"""What the bot says: every reply the handlers send, kept out of their bodies, in the chat's language.

Each phrase is a Telegram-HTML template whose English source is a msgid of the gettext catalogues
(scheduler/i18n.py); `say` picks the contact's language (a chat not bound yet: its Telegram user's
language) and fills the phrase with escaped values, so a title or a name can never inject markup.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from markupsafe import Markup

from scheduler.i18n import N_, translator
from scheduler.messages.render import short_date

PHRASES: dict[str, str] = {
    "unbound": N_("Hello! This is the Duban reminder bot. This chat is not linked to a "
                  "contact yet, so it cannot show or answer duties.\nAsk your coordinator "
                  "(the general office) for an invite link: open it, or send <code>/start "
                  "CODE</code> here, to link this chat."),
    "bound": N_("Linked: {name} ({department}). Duty reminders will come here from now "
                "on.\nSend /tasks for your open duties, /help for all commands."),
    "welcome_back": N_("Hello, {name}! This chat is linked to {department}. Send /tasks for "
                       "your open duties, /help for all commands."),
    "invite_unknown": N_("This invite code is not valid: check it, or ask your coordinator "
                         "for a new one."),
    "invite_expired": N_("This invite code has expired: ask your coordinator for a new one."),
    "invite_used": N_("This invite code has already been used (each works once): ask your "
                      "coordinator for a new one."),
    "invite_limited": N_("Too many wrong invite codes from this chat: please try again in "
                         "an hour."),
    "help": N_("<b>Duban bot commands</b>\n/tasks my open duties, soonest first, with "
               "buttons\n/done ID [URL] mark done, with a link to what was "
               "published\n/snooze ID DURATION snooze reminders (tomorrow, 3d = 3 working "
               "days, next-week, 4h, 2026-03-31)\n/feed my calendar feed link\n/lang switch "
               "language 中文/English\n/stop unlink this chat\n/help this help"),
    "help_coordinator": N_("\n<b>Coordinators</b>\n/overdue all overdue duties\n/event DUTY "
                           "[DEPARTMENT] record an event that starts a deadline"),
    "tasks_none": N_("Nothing open right now. 👍"),
    "tasks_head": N_("<b>Your open duties</b> ({n}, soonest first):"),
    "task_line": N_("{n}. <b>{title}</b> ({department})\n    {due_label}: {due}, {status} · "
                    "ID <code>{id}</code>"),
    "due_label": N_("due"),
    "start_label": N_("start by"),
    "overdue_days": N_("{n} days overdue"),
    "last_day": N_("today is the last working day"),
    "days_left": N_("{n} working days left"),
    "more": N_("…and {n} more: see the Duban site."),
    "legend": N_("Buttons: ✅ done ⏰ snooze 🔗 submit link ❓ help; the number is the item above."),
    "status_done": N_("✅ <b>#{id}</b> {title}: marked done by {who} at {when}"),
    "status_evidence": N_(", link: {url}"),
    "status_snooze": N_("⏰ <b>#{id}</b> {title}: snoozed by {who} until {until}"),
    "status_help": N_("❓ <b>#{id}</b> {title}: {who} asked for help at {when}"),
    "status_closed": N_("ℹ️ <b>#{id}</b> {title}: {status}"),
    "toast_done": N_("Marked done ✅"),
    "toast_repeat": N_("Already recorded; nothing changed."),
    "toast_snooze": N_("Snoozed until {until}"),
    "toast_choose": N_("Choose how long to snooze"),
    "toast_refused": N_("Not allowed; the attempt has been logged."),
    "toast_invalid": N_("This button is not valid; ignored."),
    "toast_closed": N_("This duty is already {status}."),
    "ask_link": N_("Please send the link to what was published for “{title}” (starting with "
                   "http:// or https://)."),
    "ask_help": N_("In one message, say what help you need with “{title}”; the coordinator "
                   "will get it."),
    "link_ok": N_("Link recorded and marked done: {title}\n{url}"),
    "help_sent": N_("The coordinator has been told: {title}"),
    "refused": N_("Not allowed: you are not a contact of this duty's department or of the "
                  "coordinating office. The attempt has been logged."),
    "not_found": N_("There is no duty with ID {id}: see /tasks."),
    "done_ok": N_("Marked done: {title}"),
    "done_repeat": N_("Already done: {title} (logged again)"),
    "usage_done": N_("Usage: <code>/done ID [URL]</code>, e.g. <code>/done 123 "
                     "https://www.example.gov.cn/a.html</code>"),
    "usage_snooze": N_("Usage: <code>/snooze ID DURATION</code>; DURATION is tomorrow, 3d "
                       "(3 working days), next-week, 4h (hours) or a date such as "
                       "2026-03-31, at most 100 days ahead"),
    "snoozed": N_("Snoozed until {until}: {title}"),
    "feed_off": N_("Calendar feeds are not available yet: ask your coordinator."),
    "feed_link": N_("Your calendar feed link (keep it to yourself):\n{url}\nIn your phone "
                    "or computer calendar, choose “add subscribed calendar” and paste this "
                    "link."),
    "lang_set": N_("Language set to English. Send /lang zh for Chinese."),
    "lang_unknown": N_("There is no language “{value}” here: send /lang zh for Chinese or /lang en "
                       "for English (/lang alone switches)."),
    "stopped": N_("Unlinked: this chat gets no more duty reminders. {fallback}To link it "
                  "again, ask your coordinator for a new invite."),
    "stopped_email": N_("Reminders will go to your email from now on. "),
    "coordinators_only": N_("This command is for contacts of the coordinating office only."),
    "overdue_none": N_("Nothing is overdue. 👍"),
    "overdue_head": N_("<b>Overdue duties</b> ({n}):"),
    "overdue_line": N_("{n}. <b>{title}</b> — {department}, due {due}, {days} days overdue "
                       "· <code>{id}</code>"),
    "usage_event": N_("Usage: <code>/event DUTY [DEPARTMENT]</code>, e.g. <code>/event "
                      "example-annual/policy-interpretation 市财政局</code>"),
    "event_ok": N_("Event recorded: {title} ({department}), due {deadline}, ID "
                   "<code>{id}</code>."),
    "oops": N_("Something went wrong; please try again later."),
    "hint": N_("Send /tasks for your open duties, /help for all commands."),
    "done_word": N_("done"),
    "waived_word": N_("waived"),
    "cancelled_word": N_("cancelled"),
}

BUTTONS: dict[str, str] = {
    "d": N_("✅ Done"),
    "s": N_("⏰ Snooze"),
    "l": N_("🔗 Submit link"),
    "h": N_("❓ Need help"),
    "s1": N_("Tomorrow"),
    "s3": N_("In 3 working days"),
    "sw": N_("Next week"),
    "b": N_("↩ Back"),
}

COMMANDS: dict[str, str] = {
    "tasks": N_("My open duties"),
    "done": N_("Mark done: /done ID [URL]"),
    "snooze": N_("Snooze: /snooze ID DURATION"),
    "feed": N_("My calendar feed link"),
    "lang": N_("Switch language 中文/English"),
    "stop": N_("Unlink this chat"),
    "help": N_("Help"),
}

COORDINATOR_COMMANDS: dict[str, str] = {
    "overdue": N_("All overdue duties"),
    "event": N_("Record an event: /event DUTY [DEPARTMENT]"),
}


def say(key: str, lang: str, **values: object) -> Markup:
    """The phrase `key` in `lang` (zh unless it is en), values HTML-escaped (phrases nest as
    Markup, so they are not escaped twice)."""
    return Markup(translator(lang).gettext(PHRASES[key])).format(**values)


def button(code: str, lang: str) -> str:
    return translator(lang).gettext(BUTTONS[code])


def command_description(msgid: str, lang: str) -> str:
    return translator(lang).gettext(msgid)


def when(moment: datetime, tz: tzinfo, lang: str) -> str:
    """9月14日 10:03 / 14 Sep 10:03, on the clock of `tz` (the deployment's: DUBAN_TIMEZONE)."""
    local = moment.astimezone(tz)
    return f"{short_date(local.date(), lang)} {local:%H:%M}"


def status_word(status: str, lang: str) -> str:
    return say(f"{status}_word", lang) if f"{status}_word" in PHRASES else status
