"""What the bot says, in Chinese and English: every reply the handlers send, kept out of their bodies.

Each phrase is a Telegram-HTML template; `say` fills it with escaped values, so a title or a name
can never inject markup. Unbound chats do not know their language yet and get both (`both`).
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from markupsafe import Markup

from scheduler.messages.render import language_of, short_date

PHRASES: dict[str, tuple[str, str]] = {
    "unbound": (
        ("您好！这里是督办提醒机器人。本聊天尚未绑定联系人，暂时无法查看或办理督办事项。\n"
        "请向本单位的督办管理员（政府办公室）索取邀请链接：点击链接，或在这里发送 "
        "<code>/start 邀请码</code>，即可完成绑定。"),
        ("Hello! This is the Duban reminder bot. This chat is not linked to a contact yet, so it "
        "cannot show or answer duties.\nAsk your coordinator (the general office) for an invite "
        "link: open it, or send <code>/start CODE</code> here, to link this chat.")),
    "bound": (("绑定成功：{name}（{department}）。今后的督办提醒会发送到这里。\n"
              "发送 /tasks 查看待办事项，/help 查看全部命令。"),
              ("Linked: {name} ({department}). Duty reminders will come here from now on.\n"
              "Send /tasks for your open duties, /help for all commands.")),
    "welcome_back": ("您好，{name}！本聊天已绑定 {department}。发送 /tasks 查看待办事项，/help 查看全部命令。",
                     ("Hello, {name}! This chat is linked to {department}. Send /tasks for your open "
                     "duties, /help for all commands.")),
    "invite_unknown": ("邀请码无效，请核对后重试，或请督办管理员重新生成。",
                       "This invite code is not valid: check it, or ask your coordinator for a new one."),
    "invite_expired": ("邀请码已过期，请督办管理员重新生成。",
                       "This invite code has expired: ask your coordinator for a new one."),
    "invite_used": ("邀请码已被使用过（每个邀请码只能用一次），请督办管理员重新生成。",
                    ("This invite code has already been used (each works once): ask your coordinator "
                    "for a new one.")),
    "invite_limited": ("本聊天输错邀请码的次数过多，请一小时后再试。",
                       "Too many wrong invite codes from this chat: please try again in an hour."),
    "help": (("<b>督办机器人命令</b>\n"
             "/tasks 我的待办事项（最近到期在前，带按钮）\n"
             "/done 编号 [链接] 标记完成，可附已发布内容的链接\n"
             "/snooze 编号 时长 推迟提醒（明天、3d＝3个工作日、下周、4h、2026-03-31）\n"
             "/feed 我的督办日历订阅链接\n/lang 切换语言 中文/English\n/stop 解除绑定\n/help 本说明"),
             ("<b>Duban bot commands</b>\n"
             "/tasks my open duties, soonest first, with buttons\n"
             "/done ID [URL] mark done, with a link to what was published\n"
             "/snooze ID DURATION snooze reminders (tomorrow, 3d = 3 working days, next-week, 4h, "
             "2026-03-31)\n/feed my calendar feed link\n/lang switch language 中文/English\n"
             "/stop unlink this chat\n/help this help")),
    "help_coordinator": ("\n<b>督办单位</b>\n/overdue 全部逾期事项\n/event 任务编号 [部门] 记录触发期限的事件（如文件公开）",
                         ("\n<b>Coordinators</b>\n/overdue all overdue duties\n"
                         "/event DUTY [DEPARTMENT] record an event that starts a deadline")),
    "tasks_none": ("目前没有待办事项。👍", "Nothing open right now. 👍"),
    "tasks_head": ("<b>您的待办事项</b>（共 {n} 项，最近到期在前）：", "<b>Your open duties</b> ({n}, soonest first):"),
    "task_line": ("{n}. <b>{title}</b>（{department}）\n    {due_label}：{due}，{status} · 编号 <code>{id}</code>",
                  "{n}. <b>{title}</b> ({department})\n    {due_label}: {due}, {status} · ID <code>{id}</code>"),
    "due_label": ("截止", "due"),
    "start_label": ("启动期限", "start by"),
    "overdue_days": ("已逾期 {n} 天", "{n} days overdue"),
    "last_day": ("今天是最后一个工作日", "today is the last working day"),
    "days_left": ("还剩 {n} 个工作日", "{n} working days left"),
    "more": ("…还有 {n} 项，请在督办平台查看。", "…and {n} more: see the Duban site."),
    "legend": ("按钮：✅ 完成 ⏰ 推迟 🔗 提交链接 ❓ 协助；数字是上面的序号。",
               "Buttons: ✅ done ⏰ snooze 🔗 submit link ❓ help; the number is the item above."),
    "status_done": ("✅ <b>#{id}</b> {title}：{who} 于 {when} 标记已完成",
                    "✅ <b>#{id}</b> {title}: marked done by {who} at {when}"),
    "status_evidence": ("，链接：{url}", ", link: {url}"),
    "status_snooze": ("⏰ <b>#{id}</b> {title}：{who} 推迟到 {until}",
                      "⏰ <b>#{id}</b> {title}: snoozed by {who} until {until}"),
    "status_help": ("❓ <b>#{id}</b> {title}：{who} 于 {when} 请求协助",
                    "❓ <b>#{id}</b> {title}: {who} asked for help at {when}"),
    "status_closed": ("ℹ️ <b>#{id}</b> {title}：已{status}", "ℹ️ <b>#{id}</b> {title}: {status}"),
    "toast_done": ("已标记完成 ✅", "Marked done ✅"),
    "toast_repeat": ("此前已记录，无需重复操作。", "Already recorded; nothing changed."),
    "toast_snooze": ("已推迟到 {until}", "Snoozed until {until}"),
    "toast_choose": ("请选择推迟到何时", "Choose how long to snooze"),
    "toast_refused": ("无权操作，此次尝试已记录。", "Not allowed; the attempt has been logged."),
    "toast_invalid": ("无效的按钮，已忽略。", "This button is not valid; ignored."),
    "toast_closed": ("该事项已{status}，无需再办理。", "This duty is already {status}."),
    "ask_link": ("请发送《{title}》已发布内容的链接（以 http:// 或 https:// 开头）。",
                 ("Please send the link to what was published for “{title}” (starting with http:// or "
                 "https://).")),
    "ask_help": ("请用一句话说明《{title}》需要什么协助，督办人员会收到您的说明。",
                 "In one message, say what help you need with “{title}”; the coordinator will get it."),
    "link_ok": ("已记录链接并标记完成：{title}\n{url}", "Link recorded and marked done: {title}\n{url}"),
    "help_sent": ("已转告督办人员：{title}", "The coordinator has been told: {title}"),
    "refused": ("无权操作：您不是该事项责任单位或督办单位的联系人。此次尝试已记录。",
                ("Not allowed: you are not a contact of this duty's department or of the coordinating "
                "office. The attempt has been logged.")),
    "not_found": ("没有编号为 {id} 的事项，请用 /tasks 查看编号。", "There is no duty with ID {id}: see /tasks."),
    "done_ok": ("已标记完成：{title}", "Marked done: {title}"),
    "done_repeat": ("此前已标记完成：{title}（已记录本次操作）", "Already done: {title} (logged again)"),
    "usage_done": ("用法：<code>/done 编号 [链接]</code>，例如 <code>/done 123 https://www.example.gov.cn/a.html</code>",
                   "Usage: <code>/done ID [URL]</code>, e.g. <code>/done 123 https://www.example.gov.cn/a.html</code>"),
    "usage_snooze": (("用法：<code>/snooze 编号 时长</code>；时长可以是 明天、3d（3个工作日）、下周、4h（小时）或日期 "
                      "2026-03-31，最多推迟100天"),
                     ("Usage: <code>/snooze ID DURATION</code>; DURATION is tomorrow, 3d (3 working days), "
                     "next-week, 4h (hours) or a date such as 2026-03-31, at most 100 days ahead")),
    "bad_duration": ("看不懂推迟时长“{value}”。", "I do not understand the duration “{value}”."),
    "snoozed": ("已推迟到 {until}：{title}", "Snoozed until {until}: {title}"),
    "feed_off": ("日历订阅功能尚未开通，请联系督办管理员。", "Calendar feeds are not available yet: ask your coordinator."),
    "feed_link": ("您的督办日历订阅链接（请勿转发，它只属于您）：\n{url}\n在手机或电脑的日历中选择“添加订阅日历”并粘贴此链接。",
                  ("Your calendar feed link (keep it to yourself):\n{url}\nIn your phone or computer "
                  "calendar, choose “add subscribed calendar” and paste this link.")),
    "lang_set": ("语言已设为中文。发送 /lang en 可切换为英文。", "Language set to English. Send /lang zh for Chinese."),
    "stopped": ("已解除绑定：本聊天不再接收督办提醒。{fallback}如需恢复，请向督办管理员索取新的邀请码。",
                ("Unlinked: this chat gets no more duty reminders. {fallback}To link it again, ask your "
                "coordinator for a new invite.")),
    "stopped_email": ("今后提醒将发送到您的邮箱。", "Reminders will go to your email from now on. "),
    "coordinators_only": ("此命令仅供督办单位（政府办公室）的联系人使用。",
                          "This command is for contacts of the coordinating office only."),
    "overdue_none": ("没有逾期事项。👍", "Nothing is overdue. 👍"),
    "overdue_head": ("<b>逾期事项</b>（共 {n} 项）：", "<b>Overdue duties</b> ({n}):"),
    "overdue_line": ("{n}. <b>{title}</b> — {department}，截止 {due}，逾期 {days} 天 · <code>{id}</code>",
                     "{n}. <b>{title}</b> — {department}, due {due}, {days} days overdue · <code>{id}</code>"),
    "usage_event": ("用法：<code>/event 任务编号 [部门]</code>，例如 <code>/event example-annual/policy-interpretation 市财政局</code>",
                    ("Usage: <code>/event DUTY [DEPARTMENT]</code>, e.g. <code>/event "
                    "example-annual/policy-interpretation 市财政局</code>")),
    "event_ok": ("已记录事件：{title}（{department}），截止 {deadline}，事项编号 <code>{id}</code>。",
                 "Event recorded: {title} ({department}), due {deadline}, ID <code>{id}</code>."),
    "error": ("{message}", "{message}"),
    "oops": ("出了点问题，请稍后再试。", "Something went wrong; please try again later."),
    "hint": ("发送 /tasks 查看待办事项，/help 查看全部命令。", "Send /tasks for your open duties, /help for all commands."),
    "done_word": ("已完成", "done"),
    "waived_word": ("免于办理", "waived"),
    "cancelled_word": ("取消", "cancelled"),
}

BUTTONS: dict[str, tuple[str, str]] = {
    "d": ("✅ 已完成", "✅ Done"),
    "s": ("⏰ 推迟", "⏰ Snooze"),
    "l": ("🔗 提交链接", "🔗 Submit link"),
    "h": ("❓ 需要协助", "❓ Need help"),
    "s1": ("明天", "Tomorrow"),
    "s3": ("3个工作日后", "In 3 working days"),
    "sw": ("下周", "Next week"),
    "b": ("↩ 返回", "↩ Back"),
}

COMMANDS: dict[str, tuple[str, str]] = {
    "tasks": ("我的待办事项", "My open duties"),
    "done": ("标记完成：/done 编号 [链接]", "Mark done: /done ID [URL]"),
    "snooze": ("推迟提醒：/snooze 编号 时长", "Snooze: /snooze ID DURATION"),
    "feed": ("我的日历订阅链接", "My calendar feed link"),
    "lang": ("切换语言 中文/English", "Switch language 中文/English"),
    "stop": ("解除绑定", "Unlink this chat"),
    "help": ("帮助", "Help"),
}
COORDINATOR_COMMANDS: dict[str, tuple[str, str]] = {
    "overdue": ("全部逾期事项", "All overdue duties"),
    "event": ("记录事件：/event 任务编号 [部门]", "Record an event: /event DUTY [DEPARTMENT]"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if language_of(lang) == "en" else pair[0]


def say(key: str, lang: str, **values: object) -> Markup:
    """The phrase `key` in `lang` (zh unless it is en), values HTML-escaped (phrases nest as
    Markup, so they are not escaped twice)."""
    return Markup(_pick(PHRASES[key], lang)).format(**values)


def both(key: str, **values: object) -> Markup:
    """Chinese, a blank line, then English: for chats whose language is not known."""
    return Markup("{}\n\n{}").format(say(key, "zh", **values), say(key, "en", **values))


def button(code: str, lang: str) -> str:
    return _pick(BUTTONS[code], lang)


def command_description(pair: tuple[str, str], lang: str) -> str:
    return _pick(pair, lang)


def when(moment: datetime, tz: tzinfo, lang: str) -> str:
    """9月14日 10:03 / 14 Sep 10:03, in the plan's time zone."""
    local = moment.astimezone(tz)
    return f"{short_date(local.date(), lang)} {local:%H:%M}"


def status_word(status: str, lang: str) -> str:
    return say(f"{status}_word", lang) if f"{status}_word" in PHRASES else status
