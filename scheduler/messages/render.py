"""Rendering reminders: Jinja2 templates per purpose, channel and language, with coordinators' overrides.

`templates/reminders/{zh,en}/{purpose}.j2` holds a purpose's wording (blocks `subject` and
`lead`); it extends the channel's layout (a `Layout`: `_subject.j2` and `_text.j2` + `_html.j2`
for the "email" layout, `_tg.j2` for the "chat" layout, or a channel's own layout file),
which lays out the items with the labels of `{lang}/_words.j2`. So each sentence is written once
per language and each channel's markup once. A file with the same relative name in the override
folder wins; when it fails to load or render, the error is logged and the built-in templates
render the message instead, so a broken customisation never loses a reminder.
"""

from __future__ import annotations

import html
import logging
import re
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from jinja2 import BaseLoader, Environment, StrictUndefined, TemplateNotFound, pass_context
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from db.vocabulary import PLANNED, Purpose
from scheduler.i18n import language_of

log = logging.getLogger(__name__)

PURPOSES = tuple(Purpose)
BUILTIN_DIR = Path(__file__).resolve().parents[2] / "templates" / "reminders"
CHAT_LIMIT = 4096
SUBJECT_LIMIT = 120
_NEED_ITEMS = (*PLANNED, Purpose.help)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Links:
    """Signed answer links; all empty for informational copies, which then show none."""

    done: str
    snooze: str
    help: str


@dataclass(frozen=True)
class Item:
    """One occurrence as a message shows it."""

    occurrence_id: int
    duty_key: str
    title: str
    requirement: str | None
    outlet: str | None
    department: str
    plan_title: str
    kind: str  # start | due | recurring | event
    period: str
    due: date
    working_days_left: int
    days_overdue: int
    purpose: str
    informational: bool
    late: bool
    links: Links
    quota: int | None = None
    note: str | None = None
    # What a digest needs to show each duty, department and date once (scheduler/messages/digest.py):
    duty_id: int = 0
    department_id: int = 0
    every_workday: bool = False  # the duty repeats every working day (a daily duty)
    twins: tuple[tuple[str, str], ...] = ()  # (kind, period) of each occurrence it stands for, when several
    members: tuple[int, ...] = ()  # every occurrence it stands for (this one first), when several
    open_days: int | None = None  # a daily duty's standing line: days still open up to today
    also: tuple[Item, ...] = ()  # under a daily duty's standing line: the duty's other deadlines

    @property
    def covered(self) -> tuple[int, ...]:
        """Every occurrence this item answers for, its own first."""
        return self.members or (self.occurrence_id,)

    @property
    def urgency(self) -> str:
        """"overdue", "today" (due today, or the last working day before it) or "upcoming"."""
        if self.days_overdue > 0:
            return "overdue"
        return "today" if self.working_days_left <= 0 else "upcoming"


@dataclass(frozen=True)
class Counts:
    """A digest's count line: how many items, how many overdue, due today and coming up."""

    total: int
    overdue: int
    today: int
    upcoming: int

    @classmethod
    def of(cls, items: Sequence[Item]) -> Counts:
        kinds = [i.urgency for i in items]
        return cls(len(kinds), kinds.count("overdue"), kinds.count("today"), kinds.count("upcoming"))


@dataclass(frozen=True)
class DepartmentTally:
    """A department's line in the weekly summary."""

    department: str
    done: int
    open: int
    overdue: int


@dataclass(frozen=True)
class Summary:
    """The weekly summary for the coordinator; its overdue list is the context's items."""

    start: date
    end: date
    departments: list[DepartmentTally] = field(default_factory=list)


@dataclass
class Context:
    """Everything a template may show; `language` is "zh" or "en" (anything else reads as zh)."""

    contact_name: str
    language: str
    items: list[Item]
    coordinator: str | None
    public_url: str
    unsubscribe_url: str
    feed_url: str | None = None
    summary: Summary | None = None
    note: str | None = None  # a notice's free text when it has no items
    notes: list[str] = field(default_factory=list)  # several notices told at once (a run's failures)
    # A digest sent in parts: the whole digest's count line, the number of this part's first item,
    # and which part of how many this is.
    counts: Counts | None = None
    first: int = 1
    part: int = 1
    parts: int = 1


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str  # plain text for the email layout, the chat layout's HTML for chats
    html: str | None


@dataclass(frozen=True)
class Layout:
    """How a channel lays a message out: the body's layout template (escaped as HTML when
    `markup`), an optional HTML alternative, and the longest body it takes. The dispatcher splits
    a digest that does not fit into several messages, never cutting an item: `max_bytes` of UTF-8
    (group robots), `max_visible` characters of what the reader sees (Telegram counts its 4096
    after the markup is parsed), at most `max_items` answerable items (a chat's button rows).
    `max_text` is the renderer's last resort for one message that still does not fit (a single
    huge item, a long summary): the items that do not fit become "and N more". A channel's own
    layout files live in `folders` (its folder in scheduler/channels/, and what it extends)."""

    name: str
    text: str
    markup: bool = False
    html: str | None = None
    max_text: int | None = None
    max_bytes: int | None = None
    max_visible: int | None = None
    max_items: int | None = None
    folders: tuple[Path, ...] = ()

    @property
    def limited(self) -> bool:
        """Whether one message may be too small for a digest (else it is never split)."""
        return any(v is not None for v in (self.max_bytes, self.max_visible, self.max_items))

    def fits(self, text: str, answerable: int = 0) -> bool:
        """Whether one message may carry this text with `answerable` items."""
        return ((self.max_bytes is None or len(text.encode("utf-8")) <= self.max_bytes)
                and (self.max_visible is None or self.visible_length(text) <= self.max_visible)
                and (self.max_items is None or answerable <= self.max_items))

    def visible_length(self, text: str) -> int:
        """What a reader sees of `text`, in UTF-16 code units (as Telegram counts its limit)."""
        return visible_length(text) if self.markup else len(text.encode("utf-16-le")) // 2


def visible_length(markup: str) -> int:
    """The length of what a reader sees of Telegram-HTML: tags dropped, entities decoded, counted
    in UTF-16 code units (an emoji counts two)."""
    return len(html.unescape(re.sub(r"<[^>]*>", "", markup)).encode("utf-16-le")) // 2


LAYOUTS = {"email": Layout("email", "_text.j2", html="_html.j2"),
           "chat": Layout("chat", "_tg.j2", markup=True, max_text=CHAT_LIMIT, max_visible=CHAT_LIMIT,
                          max_items=20)}


def long_date(day: date, lang: str) -> str:
    """2026年3月31日 / 31 Mar 2026."""
    if lang == "en":
        return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def short_date(day: date, lang: str) -> str:
    """3月31日 / 31 Mar."""
    return f"{day.day} {_MONTHS[day.month - 1]}" if lang == "en" else f"{day.month}月{day.day}日"


def period_label(label: str, lang: str) -> str:
    """An occurrence's period key (2016-Q3, 2016-H2, 2016-07, 2016-W31, 2016, 2016-07-29) for people."""
    en = lang == "en"
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", label):
        return f"Q{m[2]} {m[1]}" if en else f"{m[1]}年第{m[2]}季度"
    if m := re.fullmatch(r"(\d{4})-H([12])", label):
        return f"H{m[2]} {m[1]}" if en else f"{m[1]}年{'上' if m[2] == '1' else '下'}半年"
    if m := re.fullmatch(r"(\d{4})-W(\d{1,2})", label):
        return f"week {int(m[2])} of {m[1]}" if en else f"{m[1]}年第{int(m[2])}周"
    if m := re.fullmatch(r"(\d{4})-(\d{2})", label):
        return f"{_MONTHS[int(m[2]) - 1]} {m[1]}" if en else f"{m[1]}年{int(m[2])}月"
    if re.fullmatch(r"\d{4}", label):
        return label if en else f"{label}年度"
    try:
        return long_date(date.fromisoformat(label), lang)
    except ValueError:
        return label


def clip(value: object, limit: int) -> str:
    """`value` cut to `limit` characters, ending in … when cut; markup is cut by its visible text,
    so a cut never lands inside a tag or an entity."""
    if isinstance(value, Markup):
        visible = value.striptags()
        return value if len(visible) <= limit else escape(clip(visible, limit))
    text = str(value)
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def _lang_filter(fn: Callable[[object, str], str]) -> Callable:
    @pass_context
    def apply(context, value, lang: str | None = None):
        return fn(value, lang or context.get("lang", "zh"))

    return apply


class _Layered(BaseLoader):
    """Templates from the first folder that has them; a cached one reloads when a folder before it
    gains the file, so a coordinator's new override applies without a restart."""

    def __init__(self, folders: list[Path]):
        self.folders = folders

    def add(self, folder: Path) -> None:
        """Search `folder` too, after the others (a channel's own layout)."""
        if folder not in self.folders:
            self.folders.append(folder)

    def get_source(self, environment, template):
        parts = split_template_path(template)  # refuses ".." and absolute names
        for i, folder in enumerate(self.folders):
            path = folder.joinpath(*parts)
            if path.is_file():
                mtime = path.stat().st_mtime
                shadows = [f.joinpath(*parts) for f in self.folders[:i]]

                def uptodate(path=path, mtime=mtime, shadows=shadows) -> bool:
                    try:
                        same = path.stat().st_mtime == mtime
                    except OSError:
                        return False
                    return same and not any(s.is_file() for s in shadows)

                return path.read_text(encoding="utf-8"), str(path), uptodate
        raise TemplateNotFound(template)


def _environment(loader: BaseLoader, markup: bool, trusted: bool) -> Environment:
    """`markup` environments escape everything (email HTML and Telegram HTML); plain ones do not.
    Telegram accepts markupsafe's escapes: &lt; &gt; &amp; and numeric ones such as &#34; and &#39;.
    A coordinator's templates run sandboxed; the built-in ones are our code and run without the
    sandbox's per-attribute checks, which cost more than the rest of sending a message."""
    kind = Environment if trusted else SandboxedEnvironment
    env = kind(loader=loader, undefined=StrictUndefined, autoescape=markup, trim_blocks=True,
               lstrip_blocks=True, auto_reload=not trusted)
    env.filters.update(day=_lang_filter(long_date), md=_lang_filter(short_date),
                       period=_lang_filter(period_label), clip=clip)
    env.globals["b"] = (lambda v: Markup("<b>{}</b>").format(v)) if markup else str
    return env


class _Templates:
    """One template folder stack rendered through a plain and an escaping environment."""

    def __init__(self, folders: list[Path], *, trusted: bool):
        self.loader = _Layered(list(folders))
        self.plain = _environment(self.loader, False, trusted)
        self.markup = _environment(self.loader, True, trusted)

    def render(self, purpose: str, layout: Layout, ctx: Context, cut: bool = True) -> Rendered:
        for folder in layout.folders:
            self.loader.add(folder)
        lang = language_of(ctx.language)
        name = f"{lang}/{purpose}.j2"
        counts = ctx.counts or Counts.of(ctx.items)
        values = {"ctx": ctx, "lang": lang, "purpose": purpose, "kind": layout.name, "summary": ctx.summary,
                  "item": ctx.items[0] if ctx.items else None, "counts": counts,
                  "numbered": counts.total > 1 or ctx.parts > 1, "first": ctx.first, "notes": ctx.notes,
                  "note": ctx.note or next((i.note for i in ctx.items if i.note), None)}

        def page(env: Environment, layout: str, shown: int | None = None) -> str:
            items = ctx.items if shown is None else ctx.items[:shown]
            more = len(ctx.items) - len(items)
            text = env.get_template(name).render(values, layout=layout, items=items, more=more)
            return re.sub(r"\n{3,}", "\n\n", text).strip()  # templates may leave extra blank lines

        subject = clip(_one_line(page(self.plain, "_subject.j2")), SUBJECT_LIMIT)
        body = self.markup if layout.markup else self.plain
        if layout.max_text and cut:
            text = _fit(lambda shown: page(body, layout.text, shown), len(ctx.items), layout.max_text,
                        layout.visible_length)
        else:
            text = page(body, layout.text)
        return Rendered(subject, text, page(self.markup, layout.html) if layout.html else None)


def _one_line(text: str) -> str:
    """A header-safe line: any run of whitespace (line breaks too) becomes one space, controls go."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", "", " ".join(text.split()))


def _fit(render: Callable[[int], str], total: int, limit: int = CHAT_LIMIT,
         measure: Callable[[str], int] = len) -> str:
    """The rendering with the most items whose `measure` stays within `limit` (the rest become
    "and N more"). The dispatcher splits digests before they get here: this is for one message
    that still does not fit."""
    text = render(total)
    if measure(text) <= limit:
        return text
    low, high = 0, total - 1  # the answer lies in [low, high]; rendering `low` items may still be long
    while low < high:
        mid = (low + high + 1) // 2
        if measure(render(mid)) <= limit:
            low = mid
        else:
            high = mid - 1
    text = render(low)
    return text if measure(text) <= limit else _cut_plain(text, limit)


def _cut_plain(text: str, limit: int) -> str:
    """Last resort for a lead too long on its own: drop the tags, then cut outside any entity
    (an entity is one visible character, so the cut text is never longer to the reader)."""
    flat = re.sub(r"<[^>]*>", "", text)[: limit - 1]
    return re.sub(r"&[#\w]*$", "", flat)


def _blame(exc: BaseException, folder: Path) -> str:
    """"file:line: Error: message" for a failed override; syntax errors know their file, the others
    show it in the traceback (Jinja puts template lines there)."""
    where = str(exc.name if isinstance(exc, TemplateNotFound) else folder)
    if getattr(exc, "filename", None):
        where = f"{exc.filename}:{getattr(exc, 'lineno', '?')}"
    elif frames := [f for f in traceback.extract_tb(exc.__traceback__)
                    if Path(f.filename).is_relative_to(folder)]:
        where = f"{frames[-1].filename}:{frames[-1].lineno}"
    return f"{where}: {type(exc).__name__}: {exc}"


class Renderer:
    """Renders a message for a purpose, a layout (a channel's, or a built-in one's name) and a
    context; overrides come first."""

    def __init__(self, override_dir: Path | str | None = None):
        self.override_dir = Path(override_dir).resolve() if override_dir else None
        self._builtin = _Templates([BUILTIN_DIR], trusted=True)
        self._custom = _Templates([self.override_dir, BUILTIN_DIR], trusted=False) if self.override_dir else None
        if self.override_dir and not self.override_dir.is_dir():
            log.warning("自定义模板目录不存在 / the templates folder %s does not exist: using the built-in "
                        "templates until it does", self.override_dir)

    def render(self, purpose: str, kind: str | Layout, ctx: Context, *, cut: bool = True) -> Rendered:
        """The message; `cut=False` renders every item even past the layout's `max_text` (the
        dispatcher measures a part that way before it decides to send it)."""
        if purpose not in PURPOSES:
            raise ValueError(f"未知的提醒类型 unknown purpose {purpose!r}: expected one of {', '.join(PURPOSES)}")
        if isinstance(kind, str) and kind not in LAYOUTS:
            raise ValueError(f"未知的渠道类型 unknown kind {kind!r}: expected one of {', '.join(LAYOUTS)}")
        kind = LAYOUTS[kind] if isinstance(kind, str) else kind
        if purpose in _NEED_ITEMS and not ctx.items:
            raise ValueError(f"提醒类型 {purpose} 需要至少一个事项 / purpose {purpose} needs at least one item")
        if self._custom is not None:
            try:
                return self._custom.render(purpose, kind, ctx, cut)
            except Exception as exc:  # noqa: BLE001 - a custom template may raise anything; still deliver
                log.error("自定义模板出错，已改用内置模板 / custom template failed, using the built-in one: %s",
                          _blame(exc, self.override_dir))
        return self._builtin.render(purpose, kind, ctx, cut)
