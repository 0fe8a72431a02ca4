"""The dispatcher: claims due deliveries with a lease, renders, sends, and records what happened.

A contact's deliveries that fall due together go out as one digest. A delivery is marked sent
right after its message is accepted, so a crash costs at most one repeat of the message in
flight. Temporary failures are retried in-process (tenacity, backoff with jitter, honouring the
channel's retry-after), then later from the outbox; once the budget is spent or an error is
permanent, the delivery falls back to the contact's other channel and the coordinator is told.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlmodel import Session, select
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from db import outbox
from db.models import Attempt, Contact, Delivery, Department, Duty, Occurrence, Plan, utcnow
from db.queries import today_in
from scheduler.channels.base import Channel, Message, TransportError
from scheduler.feed_tokens import contact_feed_urls
from scheduler.items import NO_LINKS, item_of
from scheduler.links import Signer
from scheduler.render import Context, Item, Links, Renderer
from scheduler.summary import WEEKLY, weekly_summary
from scheduler.workdays import WorkdayCalendar

log = logging.getLogger(__name__)
PLANNED = ("upcoming", "due", "overdue", "escalation")
_INSERT_ATTEMPT = insert(Attempt.__table__)  # built once: constructing it costs more than running it
Calendars = Callable[[str], WorkdayCalendar]


@dataclass(frozen=True)
class DispatchPolicy:
    """How hard to try: batch and lease sizes, in-process tries, the outbox retry budget."""

    batch: int = 200
    lease: timedelta = timedelta(seconds=120)
    tries: int = 3  # in-process, per message
    wait_initial: float = 0.5
    wait_max: float = 10.0
    max_attempts: int = 12  # across ticks, per delivery, before falling back
    backoff_base: timedelta = timedelta(seconds=60)
    backoff_max: timedelta = timedelta(hours=2)
    late_after: timedelta = timedelta(minutes=15)


@dataclass
class DispatchReport:
    sent: int = 0
    messages: int = 0
    failed: int = 0
    retried: int = 0
    cancelled: int = 0
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"deliveries_sent": self.sent, "messages": self.messages, "failed": self.failed,
                "retried": self.retried, "cancelled": self.cancelled}


@dataclass
class _Row:
    """A claimed delivery with everything needed to render it."""

    d: Delivery
    contact: Contact
    occ: Occurrence | None
    duty: Duty | None
    plan: Plan | None
    dept: Department | None
    feed_url: str | None = None  # the contact's personal iCal feed, when one was issued


def _retry_wait(policy: DispatchPolicy) -> Callable:
    backoff = wait_exponential_jitter(multiplier=policy.wait_initial, max=policy.wait_max)

    def wait(state) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hint = getattr(exc, "retry_after", None)
        return min(float(hint), policy.wait_max * 6) if hint else backoff(state)

    return wait


class Dispatcher:
    def __init__(self, session_factory: Callable[[], Session], channels: dict[str, Channel],
                 renderer: Renderer, signer: Signer, calendars: Calendars, *, worker: str,
                 policy: DispatchPolicy = DispatchPolicy(), sleep: Callable | None = None):
        self.session_factory = session_factory
        self.channels, self.renderer, self.signer = channels, renderer, signer
        self.calendars, self.worker, self.policy = calendars, worker, policy
        self.sleep = sleep

    async def close(self) -> None:
        """Close every channel (one SMTP connection, the bot's HTTP pool) at shutdown."""
        for channel in self.channels.values():
            await channel.close()

    async def run_once(self, now: datetime) -> DispatchReport:
        """Send everything due at `now`, batch after batch, until nothing is due."""
        report = DispatchReport()
        while True:
            with self.session_factory() as session:
                ids = outbox.claim(session, now, self.worker, self.policy.lease, self.policy.batch)
                if not ids:
                    return report
                await self._batch(session, ids, now, report)

    def _load(self, session: Session, ids: list[int]) -> list[_Row]:
        pairs = session.exec(select(Delivery, Contact).join(Contact, Delivery.contact_id == Contact.id)
                             .where(Delivery.id.in_(ids)).order_by(Delivery.send_at, Delivery.id)).all()
        # Occurrences (with their duty, plan, department) apart: a batch has far fewer of them than
        # deliveries, and joined in, their JSON columns were decoded again for every delivery.
        wanted = list({d.occurrence_id for d, _ in pairs if d.occurrence_id is not None})
        context = {occ.id: (occ, *rest) for occ, *rest in session.exec(
            select(Occurrence, Duty, Plan, Department).join(Duty, Occurrence.duty_id == Duty.id)
            .join(Plan, Duty.plan_id == Plan.id).join(Department, Occurrence.department_id == Department.id)
            .where(Occurrence.id.in_(wanted)))} if wanted else {}
        feeds = contact_feed_urls(session, list({c.id for _, c in pairs}), self.signer)
        return [_Row(d, c, *context.get(d.occurrence_id, (None,) * 4), feed_url=feeds.get(c.id)) for d, c in pairs]

    def _still_wanted(self, rows: list[_Row], now: datetime) -> tuple[list[_Row], list[_Row]]:
        """Split into rows to send and rows to cancel: closed or snoozed occurrences, superseded ones."""
        keep, drop, newest = [], [], {}
        for r in rows:
            if r.d.purpose in PLANNED:
                occ = r.occ
                if occ is None or occ.status != "open" or (occ.snoozed_until and occ.snoozed_until > now):
                    drop.append(r)
                    continue
                newest[(occ.id, r.contact.id)] = r  # rows are ordered by send_at: the last wins
            keep.append(r)
        winners = {id(r) for r in newest.values()}
        send = [r for r in keep if r.d.purpose not in PLANNED or id(r) in winners]
        chosen = {id(r) for r in send}
        return send, drop + [r for r in keep if id(r) not in chosen]

    def channel_for(self, r: _Row) -> str | None:
        """The delivery's forced channel (fallbacks), else the contact's preferred one we have."""
        if r.d.channel:
            return r.d.channel if r.d.channel in self.channels else None
        c = r.contact
        if c.telegram_chat_id is not None and "telegram" in self.channels:
            return "telegram"
        if c.mailable and "email" in self.channels:
            return "email"
        return "console" if "console" in self.channels else None

    async def _batch(self, session: Session, ids: list[int], now: datetime, report: DispatchReport) -> None:
        rows = self._load(session, ids)
        send, drop = self._still_wanted(rows, now)
        outbox.set_status(session, [r.d.id for r in drop], "cancelled", lease_until=None,
                          last_error="closed, snoozed or superseded before sending")
        report.cancelled += len(drop)
        session.commit()
        groups: dict[tuple[int, str | None], list[_Row]] = defaultdict(list)
        for r in send:
            single = r.d.purpose not in PLANNED  # help and notices are never merged
            groups[(r.contact.id, self.channel_for(r), r.d.id if single else 0)].append(r)
        for (_, channel, _), group in groups.items():
            await self._send_group(session, channel, group, now, report)

    def _item(self, r: _Row, now: datetime) -> Item:
        occ, plan = r.occ, r.plan
        links = NO_LINKS if r.d.informational else Links(
            *(self.signer.answer_url(occ.id, a, r.contact.id, str(r.d.id)) for a in ("done", "snooze", "help")))
        late = now - r.d.send_at > self.policy.late_after and r.d.created_at < r.d.send_at
        return item_of(occ, r.duty, plan, r.dept, today=today_in(plan.timezone, now),
                       calendar=self.calendars(plan.workdays), purpose=r.d.purpose, links=links,
                       informational=r.d.informational, late=late, note=r.d.body)

    def _context(self, session: Session, group: list[_Row], now: datetime) -> Context:
        contact, first = group[0].contact, group[0]
        items = [self._item(r, now) for r in group if r.occ is not None]
        plan, summary, note = first.plan, None, None
        if first.d.purpose == WEEKLY:  # the body names the plan; numbers are counted now
            plan = session.exec(select(Plan).where(Plan.key == first.d.body)).first()
            if plan is not None:
                summary, items = weekly_summary(session, plan, now, self.calendars(plan.workdays))
        elif not items:  # a notice with no occurrence (e.g. a fallback report) carries its text
            note = first.d.body
        coordinator = plan.coordinator_id if plan else None
        return Context(contact_name=contact.name, language=contact.language, items=items,
                       coordinator=session.get(Department, coordinator).name if coordinator else None,
                       public_url=self.signer.public_url, unsubscribe_url=self.signer.unsubscribe_url(contact.id),
                       summary=summary, note=note,
                       feed_url=first.feed_url)

    def _message(self, session: Session, channel: str, group: list[_Row], now: datetime) -> Message:
        contact = group[0].contact
        purpose = "digest" if len(group) > 1 else group[0].d.purpose
        ctx = self._context(session, group, now)
        kind = "telegram" if channel == "telegram" else "email"
        rendered = self.renderer.render(purpose, kind, ctx)
        ids = ",".join(str(r.d.id) for r in group)
        headers = {"X-Duban-Delivery": ids}
        if channel == "email":
            headers |= {"List-Unsubscribe": f"<{ctx.unsubscribe_url}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        buttons = tuple((r.occ.id, r.d.informational or r.d.purpose not in PLANNED) for r in group if r.occ)
        return Message(recipient=_address(contact, channel), subject=rendered.subject, text=rendered.text,
                       html=rendered.html, headers=headers, buttons=buttons, language=ctx.language)

    async def _send_group(self, session: Session, channel: str | None, group: list[_Row], now: datetime,
                          report: DispatchReport) -> None:
        if channel is None:
            self._give_up(session, group, "no channel reaches this contact", now, report)
            session.commit()  # or the failure, and the coordinator's notice, roll back with the session
            return
        message = self._message(session, channel, group, now)
        tries: list[dict] = []
        try:
            receipt = await self._send_with_retries(channel, message, group, tries)
        except TransportError as exc:
            self._record(session, tries)
            self._failed(session, group, exc, now, report)
        else:
            self._record(session, tries)
            outbox.set_status(session, [r.d.id for r in group], "sent", sent_at=now, lease_until=None,
                              provider_message_id=receipt.provider_id, channel=channel,
                              attempts=group[0].d.attempts + len(tries), last_error=None)
            report.sent += len(group)
            report.messages += 1
        session.commit()

    async def _send_with_retries(self, channel: str, message: Message, group: list[_Row],
                                 tries: list[dict]):
        transport = self.channels[channel]
        kwargs = {"sleep": self.sleep} if self.sleep else {}

        def note(**result: object) -> None:
            tries.extend({"delivery_id": r.d.id, "channel": channel, "at": utcnow(), "ok": False,
                          "permanent": False, "error": None, "provider_message_id": None} | result for r in group)

        async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.policy.tries), wait=_retry_wait(self.policy),
                retry=retry_if_exception(lambda e: isinstance(e, TransportError) and not e.permanent),
                reraise=True, **kwargs):
            with attempt:
                try:
                    receipt = await transport.send(message)
                except TransportError as exc:
                    note(error=str(exc)[:500], permanent=exc.permanent)
                    raise
                except Exception as exc:  # a channel bug must not lose the delivery: retry it later
                    log.exception("channel %s raised", channel)
                    note(error=f"{type(exc).__name__}: {exc}"[:500])
                    raise TransportError(f"{type(exc).__name__}: {exc}") from exc
                note(ok=True, provider_message_id=receipt.provider_id)
                return receipt
        raise AssertionError("unreachable: tenacity reraises")

    @staticmethod
    def _record(session: Session, tries: list[dict]) -> None:
        """Every attempt, in one executemany (ORM objects per attempt cost more than the send)."""
        if tries:
            session.connection().execute(_INSERT_ATTEMPT, tries if len(tries) > 1 else tries[0])

    def _failed(self, session: Session, group: list[_Row], exc: TransportError, now: datetime,
                report: DispatchReport) -> None:
        attempts = group[0].d.attempts + self.policy.tries
        if exc.permanent or attempts >= self.policy.max_attempts:
            self._give_up(session, group, str(exc), now, report)
            return
        delay = min(self.policy.backoff_base * 2 ** (attempts // self.policy.tries - 1 if attempts >= self.policy.tries else 0),
                    self.policy.backoff_max)
        if exc.retry_after:
            delay = max(delay, timedelta(seconds=exc.retry_after))
        outbox.set_status(session, [r.d.id for r in group], "pending", send_at=now + delay, lease_until=None,
                          attempts=attempts, last_error=str(exc)[:500])
        report.retried += len(group)

    def _give_up(self, session: Session, group: list[_Row], why: str, now: datetime,
                 report: DispatchReport) -> None:
        """Mark failed; fall back to the contact's other channel and tell the coordinator."""
        outbox.set_status(session, [r.d.id for r in group], "failed", lease_until=None, last_error=why[:500])
        report.failed += len(group)
        report.errors.append(why)
        rows = []
        for r in group:
            used = self.channel_for(r)
            other = _other_channel(r.contact, used, self.channels)
            if other and r.d.fallback_of is None:
                rows.append(_copy(r.d, f"fb:{r.d.id}", channel=other, fallback_of=r.d.id, send_at=now))
            if r.d.purpose != "notice" and r.plan is not None:
                for c in _coordinator_contacts(session, r.plan):
                    rows.append(_copy(r.d, f"fbn:{r.d.id}:{c}", contact_id=c, purpose="notice", channel="",
                                      informational=False, send_at=now, fallback_of=r.d.id,
                                      body=f"{r.contact.name}: {why}"))
        outbox.insert_new(session, rows)


def _copy(d: Delivery, key: str, **values: object) -> dict:
    row = {"idempotency_key": key, "occurrence_id": d.occurrence_id, "contact_id": d.contact_id,
           "channel": d.channel, "purpose": d.purpose, "informational": d.informational, "send_at": d.send_at,
           "status": "pending", "attempts": 0, "body": d.body, "fallback_of": None}
    return row | values


def _other_channel(contact: Contact, used: str | None, channels: dict[str, Channel]) -> str | None:
    options = [c for c, ok in (("telegram", contact.telegram_chat_id is not None), ("email", contact.mailable))
               if ok and c in channels and c != used]
    return options[0] if options else None


def _coordinator_contacts(session: Session, plan: Plan) -> list[int]:
    if plan.coordinator_id is None:
        return []
    return list(session.exec(select(Contact.id).where(Contact.department_id == plan.coordinator_id,
                                                      Contact.active == True)))


def _address(contact: Contact, channel: str) -> str:
    if channel == "email":
        return f"{contact.name} <{contact.email}>"
    if channel == "telegram":
        return str(contact.telegram_chat_id)
    return contact.name

