"""The dispatcher: claims due deliveries with a lease, renders, sends, and records what happened.

A contact's deliveries that fall due together go out as one digest. A delivery is marked sent
right after its message is accepted, so a crash costs at most one repeat of the message in
flight. The lease is renewed while a batch is worked through, and every status change is made
only by the lease's holder: a dispatcher that lost rows to another sends none of them.
Temporary failures are retried in-process (tenacity, backoff with jitter, honouring the
channel's retry-after), then later from the outbox; once the budget is spent or an error is
permanent, the delivery falls back to the contact's other channel and the coordinator is told.
A failure of the channel itself (scheduler/outbox/breaker.py) pauses the channel instead: nothing is
spent, everything waits, and the coordinators hear once when it stops and once when it is back.
A channel with a size limit in bytes (group robots) gets a digest that does not fit as several
messages, each of whole items; one with rates per recipient takes a slot in the recipient's shared
send window before each message (db/send_windows.py, for every instance at once), and what finds
no slot waits for the next free one, to go out merged with whatever fell due meanwhile. A channel's
Limits (messages a second overall and per recipient) are kept the same way for the deployment
(scheduler/outbox/pace.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, update
from sqlmodel import Session, select
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from db import addresses, outbox, outcomes, robots, send_windows
from db.models import (
    Attempt,
    Contact,
    ContactAddress,
    Delivery,
    Department,
    Duty,
    Occurrence,
    Plan,
    Robot,
)
from db.queries import today_in
from db.vocabulary import PLANNED, DeliveryStatus, OccurrenceStatus, Purpose
from scheduler.access.feed_tokens import contact_feed_urls
from scheduler.access.links import ACTIONS, Signer
from scheduler.calendar.workdays import WorkdayCalendar
from scheduler.channels import registry
from scheduler.channels.base import Channel, Endpoint, Message, Recipient, TransportError
from scheduler.i18n import N_, Text
from scheduler.messages import digest
from scheduler.messages.items import NO_LINKS, item_of, open_days
from scheduler.messages.render import Context, Counts, Item, Links, Renderer
from scheduler.outbox import breaker, pace, rows, told
from scheduler.reports.weekly import weekly_summary

log = logging.getLogger(__name__)
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
    # Notices about failures wait for the end of the run that found them, so each coordinator gets
    # one summary a run; a run that dies first leaves them to go out this much later.
    notice_hold: timedelta = timedelta(minutes=15)
    pause: breaker.Backoff = field(default_factory=breaker.Backoff)  # how long a channel that is down waits between probes
    alike_refusals: int = 3  # distinct recipients refused alike, in a row: the relay refuses everyone


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
class _Lease:
    """This dispatcher's hold on the batch it claimed: renewed while it works, checked before a send."""

    ids: set[int]
    expires: float  # monotonic seconds
    moment: Callable[[], datetime]  # the run's `now`, moved on by the time spent since it started
    slowest: float = 0.0  # the longest a message took so far: renew with at least twice that left


@dataclass
class _Refusals:
    """Permanent refusals in a row on one channel, with the same reply: when they reach distinct
    recipients, the relay is refusing everyone, and those refusals were not the recipients' fault."""

    reply: str | None = None
    recipients: set[str] = field(default_factory=set)
    ids: list[int] = field(default_factory=list)


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
    addresses: dict[str, ContactAddress] = field(default_factory=dict)  # the contact's, by channel
    robot: Robot | None = None  # when the contact is a group robot
    told: bool = False  # the coordinators were told this contact could not be reached


@dataclass
class _Entry:
    """One item of a message and the claimed rows it answers for (a notice: its row, no item)."""

    item: Item | None
    rows: list[_Row]


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
                 policy: DispatchPolicy = DispatchPolicy(), sleep: Callable | None = None,
                 monotonic: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time):
        # `wall`: the real clock in unix seconds, for the platforms' rates (`now` may be a schedule
        # moved by `duban tick --now`; a robot's rate is counted in real seconds).
        self.session_factory, self.wall = session_factory, wall
        self.channels, self.renderer, self.signer = channels, renderer, signer
        self.calendars, self.worker, self.policy = calendars, worker, policy
        self.sleep, self.monotonic = sleep, monotonic
        self._refusals: dict[str, _Refusals] = defaultdict(_Refusals)
        self._held: set[str] = set()  # keys of the notices this run holds back until its end
        self._outcomes: outcomes.Outcomes | outcomes.SessionOutcomes | None = None  # the batch's: see _mark_sent

    async def close(self) -> None:
        """Close every channel (its connections, its HTTP pool) at shutdown."""
        for channel in self.channels.values():
            await channel.close()

    async def run_once(self, now: datetime) -> DispatchReport:
        """Send everything due at `now`, batch after batch, until nothing is due."""
        report, started = DispatchReport(), self.monotonic()

        def moment() -> datetime:  # leases are stamped on the time that has really passed since
            return now + timedelta(seconds=self.monotonic() - started)

        while True:
            with self.session_factory() as session:
                claimed_at = self.monotonic()
                ids = outbox.claim(session, moment(), self.worker, self.policy.lease, self.policy.batch)
                if not ids:
                    if self._release(session, now):
                        continue
                    return report
                lease = _Lease(set(ids), claimed_at + self.policy.lease.total_seconds(), moment)
                self._outcomes = outcomes.writer(session)
                try:
                    await self._batch(session, ids, now, report, lease)
                finally:
                    self._marked(close=True)

    def _release(self, session: Session, now: datetime) -> bool:
        """At the end of a run, let the notices it held back go out, as of the run's `now` (merged
        per coordinator by `_batch`); True when there were any."""
        keys, self._held = sorted(self._held), set()
        released = 0
        for i in range(0, len(keys), outbox.CHUNK):
            released += session.execute(update(Delivery).where(
                Delivery.idempotency_key.in_(keys[i:i + outbox.CHUNK]), Delivery.status == DeliveryStatus.pending,
                Delivery.send_at > now).values(send_at=now)).rowcount
        session.commit()
        return released > 0

    def _hold_notices(self, session: Session, notices: list[rows.NewDelivery]) -> None:
        """Queue notices to coordinators to go out at the end of this run, with its others."""
        outbox.insert_new(session, rows.to_rows(notices))
        self._held.update(n.key for n in notices)

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
        found = addresses.addresses_of(session, (c.id for _, c in pairs))
        bots = robots.by_contact(session, (c.id for _, c in pairs if c.role == robots.ROLE))
        remembered = told.remembered(session, (c.id for _, c in pairs))
        return [_Row(d, c, *context.get(d.occurrence_id, (None,) * 4), feed_url=feeds.get(c.id),
                     addresses=found.get(c.id, {}), robot=bots.get(c.id), told=c.id in remembered)
                for d, c in pairs]

    def _still_wanted(self, rows: list[_Row], now: datetime) -> tuple[list[_Row], list[_Row]]:
        """Split into rows to send and rows to cancel: closed or snoozed occurrences, superseded ones."""
        keep, drop, newest = [], [], {}
        for r in rows:
            if r.d.purpose in PLANNED:
                occ = r.occ
                if occ is None or occ.status != OccurrenceStatus.open or (occ.snoozed_until and occ.snoozed_until > now):
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
        return next(iter(_reaching(r.addresses, self.channels)), None)

    async def _batch(self, session: Session, ids: list[int], now: datetime, report: DispatchReport,
                     lease: _Lease) -> None:
        rows = self._load(session, ids)
        send, drop = self._still_wanted(rows, now)
        outbox.set_status(session, [r.d.id for r in drop], DeliveryStatus.cancelled, holder=self.worker, lease_until=None,
                          last_error="closed, snoozed or superseded before sending")
        lease.ids.difference_update(r.d.id for r in drop)
        report.cancelled += len(drop)
        session.commit()
        groups: dict[tuple[int, str | None, int], list[_Row]] = defaultdict(list)
        for r in send:
            groups[(r.contact.id, self.channel_for(r), _merged_with(r))].append(r)
        pauses = breaker.paused(session)
        for (_, channel, _), group in groups.items():
            pause = pauses.get(channel)
            if pause is not None and pause.until > now:
                self._wait_out(session, group, pause)
            elif group := self._still_held(session, lease, group):
                started = self.monotonic()
                keeper = asyncio.create_task(self._keep_renewing(session, lease))
                try:
                    await self._send_parts(session, channel, group, now, report, pauses, lease.moment)
                finally:
                    keeper.cancel()
                lease.slowest = max(lease.slowest, self.monotonic() - started)
            lease.ids.difference_update(r.d.id for r in group)
            session.commit()

    def _still_held(self, session: Session, lease: _Lease, group: list[_Row]) -> list[_Row]:
        """The group's rows this dispatcher still holds, renewing the lease when it runs short."""
        seconds = self.policy.lease.total_seconds()
        if lease.expires - self.monotonic() < min(max(seconds / 2, 2 * lease.slowest), seconds * 0.9):
            self._renew(session, lease)
        return [r for r in group if r.d.id in lease.ids]

    async def _keep_renewing(self, session: Session, lease: _Lease) -> None:
        """While one message is on its way (a slow relay, retries), renew every third of the lease:
        however long the channel takes, no other dispatcher takes the message over meanwhile. It
        runs only while the send awaits the network, so it has the session to itself."""
        while True:
            await asyncio.sleep(self.policy.lease.total_seconds() / 3)
            self._renew(session, lease)

    def _renew(self, session: Session, lease: _Lease) -> None:
        renewed_at = self.monotonic()
        kept = outbox.renew(session, sorted(lease.ids), self.worker, lease.moment() + self.policy.lease)
        if lost := lease.ids - kept:
            log.warning("lease ran out on %d deliveries, now another dispatcher's: not sending them", len(lost))
        lease.ids, lease.expires = kept, renewed_at + self.policy.lease.total_seconds()

    def _wait_out(self, session: Session, group: list[_Row], pause: breaker.Pause) -> None:
        """Back to pending until the paused channel's next probe, attempts untouched."""
        outbox.set_status(session, [r.d.id for r in group], DeliveryStatus.pending, holder=self.worker,
                          send_at=pause.until, lease_until=None, last_error=pause.error)

    def _item(self, r: _Row, now: datetime) -> Item:
        occ, plan = r.occ, r.plan
        links = NO_LINKS if r.d.informational else Links(
            *(self.signer.answer_url(occ.id, a, r.contact.id, str(r.d.id)) for a in ACTIONS))
        late = now - r.d.send_at > self.policy.late_after and r.d.created_at < r.d.send_at
        return item_of(occ, r.duty, plan, r.dept, today=today_in(plan.timezone, now),
                       calendar=self.calendars(plan.workdays), purpose=r.d.purpose, links=links,
                       informational=r.d.informational, late=late, note=r.d.body)

    def _digest(self, session: Session, group: list[_Row], now: datetime) -> tuple[Context, list[_Entry]]:
        """The group's message context, and its entries: one per duty, department and date, a daily
        duty as one line, most urgent first (scheduler/messages/digest.py)."""
        contact, first = group[0].contact, group[0]
        plan, summary, note, notes = first.plan, None, None, []
        items = [self._item(r, now) for r in group if r.occ is not None]
        if first.d.purpose == Purpose.weekly:  # the body names the plan; numbers are counted now
            plan = session.exec(select(Plan).where(Plan.key == first.d.body)).first()
            if plan is not None:
                summary, items = weekly_summary(session, plan, now, self.calendars(plan.workdays))
            entries = [_Entry(None, group)]
        elif first.d.purpose in PLANNED:
            today = today_in(plan.timezone, now)
            items = digest.combine(items, today, open_days(session, items, today))
            entries = [_Entry(i, [r for r in group if r.occ.id in i.covered]) for i in items]
        else:  # help, and notices: several notices of a run are told as one
            notes = [r.d.body for r in group if r.d.body] if len(group) > 1 else []
            note = first.d.body if not items or len(group) > 1 else None
            entries = [_Entry(None, group)]
        coordinator = plan.coordinator_id if plan else None
        ctx = Context(contact_name=contact.name, language=contact.language, items=items,
                      coordinator=session.get(Department, coordinator).name if coordinator else None,
                      public_url=self.signer.public_url, unsubscribe_url=self.signer.unsubscribe_url(contact.id),
                      summary=summary, note=note, notes=notes, feed_url=first.feed_url)
        return ctx, entries

    def _message(self, channel: str, ctx: Context, entries: list[_Entry], *, first: int = 1,
                 part: int = 1, parts: int = 1, cut: bool = True) -> Message:
        """The message of `entries` (a part of the context's items, numbered from `first`); `cut`:
        as sent (the renderer's last resort may drop items), else whole, to measure."""
        rows_ = [r for e in entries for r in e.rows]
        purpose = _purpose(rows_[0].d.purpose, ctx.items)
        if any(e.item is not None for e in entries) and (len(entries) < len(ctx.items) or parts > 1):
            ctx = replace(ctx, items=[e.item for e in entries], counts=Counts.of(ctx.items), first=first,
                          part=part, parts=parts)
        spec = registry.spec(channel)
        rendered = self.renderer.render(purpose, spec.message_layout, ctx, cut=cut)
        headers = {"X-Duban-Delivery": ",".join(str(r.d.id) for r in rows_)} | (
            dict(spec.headers(ctx)) if spec.headers else {})
        buttons, labels = _buttons(entries, first, numbered=(ctx.counts.total if ctx.counts else len(ctx.items)) > 1)
        return Message(recipient=_recipient(rows_[0], channel), subject=rendered.subject, text=rendered.text,
                       html=rendered.html, headers=headers, buttons=buttons, button_labels=labels,
                       language=ctx.language, purpose=str(purpose))

    async def _send_parts(self, session: Session, channel: str | None, group: list[_Row], now: datetime,
                          report: DispatchReport, pauses: dict[str, breaker.Pause],
                          clock: Callable[[], datetime]) -> None:
        """Send the group as the messages it fits in, each in its recipient's rate; what finds no
        slot, or follows a failed message, waits with it."""
        if channel is None:
            self._give_up(session, group, TransportError(Text(N_("no channel reaches this contact"))), now, report)
            return
        ctx, entries = self._digest(session, group, now)
        parts = self._split(channel, ctx, entries)
        for i, (part, message) in enumerate(parts):
            rest = [r for rows_, _ in parts[i:] for r in rows_]
            session.commit()  # the window is taken in its own transaction: SQLite has one writer
            if (wait := self._take_slot(channel, part[0]) or await self._keep_pace(channel, part[0])) > 0:
                self._hold(session, rest, now + timedelta(seconds=wait), "waiting for the recipient's rate")
                return
            if (failure := await self._send_group(session, channel, part, message, now, report, pauses, clock)):
                if rest := rest[len(part):]:
                    self._failed(session, channel, rest, failure, now, report, pauses)
                return

    def _split(self, channel: str, ctx: Context, entries: list[_Entry]) -> list[tuple[list[_Row], Message]]:
        """The entries as messages that fit the channel's layout (its bytes, the visible length, its
        buttons): the most items each, in order, every part with its own count line and buttons."""
        layout = registry.spec(channel).message_layout
        if len(entries) == 1 or not layout.limited:
            return [([r for e in entries for r in e.rows], self._message(channel, ctx, entries))]

        def fits(start: int, size: int) -> bool:  # counted as part 99 of 99: the longest it can say
            message = self._message(channel, ctx, entries[start:start + size], first=start + 1, part=99, parts=99,
                                    cut=False)
            return layout.fits(message.text, sum(not passive for _, passive in message.buttons))

        spans, start = [], 0
        while start < len(entries):
            size = len(entries) - start
            if not fits(start, size):
                size = _largest(lambda n, first=start: fits(first, n), size)
            spans.append((start, size))
            start += size
        return [([r for e in entries[s:s + n] for r in e.rows],
                 self._message(channel, ctx, entries[s:s + n], first=s + 1, part=k, parts=len(spans)))
                for k, (s, n) in enumerate(spans, 1)]

    def _take_slot(self, channel: str, r: _Row) -> float:
        """0 when the recipient's shared send window has room for one more message (the slots it
        takes: a WeCom robot's @-mentions are a second post), else the seconds to wait."""
        spec = registry.spec(channel)
        if not spec.rates:
            return 0.0
        count = spec.slots(_recipient(r, channel)) if spec.slots else 1
        return send_windows.take(self.session_factory, _window(channel, r),
                                 [(rate.count, rate.seconds) for rate in spec.rates], self.wall, slots=count)

    async def _keep_pace(self, channel: str, r: _Row) -> float:
        """0 when the channel's pace for the deployment lets the message go (after a short wait
        for its turn), else the seconds to hold it back (scheduler/outbox/pace.py)."""
        recipient = _recipient(r, channel).address or str(r.contact.id)
        return await pace.keep_pace(self.session_factory, channel, self.channels[channel].limits, recipient,
                                    self.wall)

    def _hold(self, session: Session, group: list[_Row], until: datetime, why: str) -> None:
        """Back to pending until `until`, attempts untouched (a rate, a throttle: nobody's fault)."""
        outbox.set_status(session, [r.d.id for r in group], DeliveryStatus.pending, holder=self.worker,
                          send_at=until, lease_until=None, last_error=why)

    async def _send_group(self, session: Session, channel: str, group: list[_Row], message: Message,
                          now: datetime, report: DispatchReport, pauses: dict[str, breaker.Pause],
                          clock: Callable[[], datetime]) -> TransportError | None:
        """Send one message; None when it went, else the error (already applied to the group)."""
        tries: list[dict] = []
        self._marked()  # the previous message's outcome is durable before this one goes
        try:
            receipt = await self._send_with_retries(channel, message, group, tries, clock)
        except TransportError as exc:
            self._record(session, tries)
            self._failed(session, channel, group, exc, now, report, pauses)
            if exc.disable:  # after the fallback was queued to the contact's other channel
                self._readdress(session, channel, group[0], None, str(exc), now)
            return exc
        self._mark_sent(group, tries, receipt, channel, now)
        if receipt.moved_to is not None:
            self._readdress(session, channel, group[0], receipt.moved_to, "moved", now)
        report.sent += len(group)
        report.messages += 1
        self._refusals.pop(channel, None)
        if group[0].told:  # reached again: a new failure on this channel is news again
            told.reached(session, group[0].contact.id, channel, now)
        if channel in pauses:
            self._resumed(session, channel, now, pauses)
        return None

    async def _send_with_retries(self, channel: str, message: Message, group: list[_Row],
                                 tries: list[dict], clock: Callable[[], datetime]):
        transport = self.channels[channel]
        kwargs = {"sleep": self.sleep} if self.sleep else {}

        def note(**result: object) -> None:
            tries.extend({"delivery_id": r.d.id, "channel": channel, "at": clock(), "ok": False,
                          "permanent": False, "error": None, "provider_message_id": None} | result for r in group)

        async for attempt in AsyncRetrying(
                # A rated channel is not retried in-process: each try is a post the platform counts,
                # and only the shared send window may decide when the next one goes.
                stop=stop_after_attempt(1 if registry.spec(channel).rates else self.policy.tries),
                wait=_retry_wait(self.policy),
                retry=retry_if_exception(lambda e: isinstance(e, TransportError) and not e.permanent
                                         and not e.throttled),
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
                    raise TransportError(Text(N_("the channel failed unexpectedly: {error}"),
                                              {"error": f"{type(exc).__name__}: {exc}"})) from exc
                note(ok=True, provider_message_id=receipt.provider_id)
                return receipt
        raise AssertionError("unreachable: tenacity reraises")

    def _mark_sent(self, group: list[_Row], tries: list[dict], receipt, channel: str, now: datetime) -> None:
        """Record the attempts and mark the group sent (db/outcomes.py: on PostgreSQL on the wire
        while the next message is prepared), durable before the next message goes."""
        self._outcomes.send([r.d.id for r in group], self.worker, tries, sent_at=now, lease_until=None,
                            provider_message_id=receipt.provider_id, channel=channel,
                            attempts=group[0].d.attempts + len(tries) // len(group), last_error=None)

    def _marked(self, *, close: bool = False) -> None:
        """Wait until the last message's outcome is durable (at the batch's end: and let go)."""
        if self._outcomes is None:
            return
        writer = self._outcomes
        if close:
            self._outcomes = None
        if lost := (writer.close() if close else writer.wait()):
            _sent_after_lease(lost)

    @staticmethod
    def _record(session: Session, tries: list[dict]) -> None:
        """Every attempt, in one executemany (ORM objects per attempt cost more than the send)."""
        if tries:
            session.connection().execute(_INSERT_ATTEMPT, tries if len(tries) > 1 else tries[0])

    def _failed(self, session: Session, channel: str, group: list[_Row], exc: TransportError, now: datetime,
                report: DispatchReport, pauses: dict[str, breaker.Pause]) -> None:
        ids = [r.d.id for r in group]
        if exc.throttled:  # the platform refuses this recipient a while: every instance holds off
            seconds = exc.retry_after or 60.0
            self._hold(session, group, now + timedelta(seconds=seconds), str(exc)[:500])
            session.commit()  # the window is blocked in its own transaction: SQLite has one writer
            send_windows.block(self.session_factory, _window(channel, group[0]),
                               datetime.fromtimestamp(self.wall() + seconds, UTC))
            report.retried += len(group)
            return
        earlier = self._refused_alike(channel, exc, group) if exc.permanent else None
        if earlier is not None:
            exc = TransportError(exc.text or str(exc), channel_down=True)
        if exc.channel_down:
            pause = self._paused(session, channel, exc, now, pauses)
            outbox.reopen(session, earlier or [], pause.until)
            outbox.set_status(session, ids, DeliveryStatus.pending, holder=self.worker, send_at=pause.until, lease_until=None,
                              last_error=str(exc)[:500])
            report.retried += len(group)
            return
        attempts = group[0].d.attempts + self.policy.tries
        if exc.permanent or attempts >= self.policy.max_attempts:
            self._give_up(session, group, exc, now, report)
            return
        delay = min(self.policy.backoff_base * 2 ** (attempts // self.policy.tries - 1 if attempts >= self.policy.tries else 0),
                    self.policy.backoff_max)
        if exc.retry_after:
            delay = max(delay, timedelta(seconds=exc.retry_after))
        outbox.set_status(session, ids, DeliveryStatus.pending, holder=self.worker, send_at=now + delay, lease_until=None,
                          attempts=attempts, last_error=str(exc)[:500])
        report.retried += len(group)

    def _refused_alike(self, channel: str, exc: TransportError, group: list[_Row]) -> list[int] | None:
        """When this refusal completes a run of alike refusals of distinct recipients, the relay is
        refusing everyone: the deliveries refused earlier in the run, to reopen. Else None."""
        run = self._refusals[channel]
        if exc.reply is None or exc.reply != run.reply:
            self._refusals[channel] = run = _Refusals(exc.reply)
        if exc.reply is None:
            return None
        run.recipients.add(str(_recipient(group[0], channel)))
        if len(run.recipients) < self.policy.alike_refusals:
            run.ids += [r.d.id for r in group]
            return None
        del self._refusals[channel]
        return run.ids

    def _paused(self, session: Session, channel: str, exc: TransportError, now: datetime,
                pauses: dict[str, breaker.Pause]) -> breaker.Pause:
        """Pause `channel` (longer); the first dispatcher to pause it tells the operator and coordinators
        (each in their language, the error too)."""
        error = str(exc)
        pause, opened = breaker.trip(session, channel, error, now, self.policy.pause)
        pauses[channel] = pause
        if opened:
            log.error("channel %s is down, paused until %s; its reminders wait: %s", channel, pause.until, error)
            self._tell_coordinators(session, rows.channel_paused, channel, pause.since, now,
                                    Text(N_("The {channel} channel cannot send: paused, retrying on its own; every "
                                            "reminder is kept and goes out when it is back. ({error})"),
                                         {"channel": channel, "error": exc.text or error[:300]}))
        else:
            log.warning("channel %s still down (probe %d failed), paused until %s: %s", channel,
                        pause.failures, pause.until, error)
        return pause

    def _resumed(self, session: Session, channel: str, now: datetime, pauses: dict[str, breaker.Pause]) -> None:
        pause = pauses.pop(channel)
        if breaker.resume(session, channel) is None:
            return  # another dispatcher ended the pause and told everyone
        log.warning("channel %s is back after %s: sending what waited", channel, now - pause.since)
        self._tell_coordinators(session, rows.channel_back, channel, pause.since, now,
                                Text(N_("The {channel} channel is back: what waited is being sent."),
                                     {"channel": channel}))

    def _tell_coordinators(self, session: Session, notice: Callable[..., rows.NewDelivery], channel: str,
                           since: datetime, now: datetime, text: Text) -> None:
        """One notice to every coordinator contact, in their language, by another channel when they
        have one; held to the end of the run, to go with the run's other notices."""
        coordinators = session.exec(select(Contact).where(
            Contact.active == True, Contact.department_id.in_(select(Plan.coordinator_id).distinct()))).all()
        found = addresses.addresses_of(session, (c.id for c in coordinators))
        self._hold_notices(session, [
            notice(channel, since, c.id, _other_channel(found.get(c.id, {}), channel, self.channels),
                   now + self.policy.notice_hold, text.say(c.language))
            for c in coordinators])

    def _give_up(self, session: Session, group: list[_Row], exc: TransportError, now: datetime,
                 report: DispatchReport) -> None:
        """Mark failed; fall back to the contact's other channel and tell the coordinators, in their
        language, once per problem (told.py: not again until the contact is reached or its
        addresses change), with the run's other notices."""
        why = str(exc)
        outbox.set_status(session, [r.d.id for r in group], DeliveryStatus.failed, holder=self.worker, lease_until=None,
                          last_error=why[:500])
        report.failed += len(group)
        report.errors.append(why)
        queued, r = [], group[0]
        used = self.channel_for(r)
        other = _other_channel(r.addresses, used, self.channels)
        # A group is one contact's: the people a robot replaced are the same for every row.
        replaced = _people_of(session, r.contact.department_id) if r.robot is not None and r.robot.instead else []
        for row in group:
            if other and row.d.fallback_of is None:
                queued.append(rows.fallback(row.d, other, now))
            if row.d.fallback_of is None:
                queued += [rows.instead_of_robot(row.d, c, now) for c in replaced]
        outbox.insert_new(session, rows.to_rows(queued))
        plans = {row.plan.id: row.plan for row in group if row.d.purpose != Purpose.notice and row.plan is not None}
        reason = told.problem(used, r.addresses, gone=exc.disable, permanent=exc.permanent)
        if plans and told.first_time(session, r.contact.id, reason, r.addresses, now):
            said = _unreachable_text(r, exc, why, other if any(row.d.fallback_of is None for row in group) else None)
            coordinators = dict(c for plan in plans.values() for c in _coordinator_contacts(session, plan))
            self._hold_notices(session, [rows.unreachable(r.d, c, reason, now, now + self.policy.notice_hold,
                                                          said.say(language))
                                         for c, language in coordinators.items()])

    def _readdress(self, session: Session, channel: str, r: _Row, new: str | None, why: str,
                   now: datetime) -> None:
        """Apply what the channel reported about the recipient's address, in this session: it
        moved to `new`, or (None) it is gone and is disabled for every contact that had it."""
        kind, old = registry.spec(channel).address, _recipient(r, channel).address
        if kind is None or old is None:
            return
        if new is None:
            n = addresses.disable(session, kind, old, why, now)
            log.warning("%s address %s is gone (%s): disabled for %d contact(s)", channel, old, why, n)
        else:
            n = addresses.move(session, kind, old, new, now)
            log.info("%s address %s moved to %s: updated %d contact(s)", channel, old, new, n)


def _reaching(found: dict[str, ContactAddress], channels: dict[str, Channel]) -> list[str]:
    """The running channels that reach a contact with these addresses, preferred first (those that
    reach everyone by name come by their declared priority)."""
    return [s.name for s in registry.specs() if s.name in channels
            and (s.address is None or (s.address in found and found[s.address].usable))]


def _other_channel(found: dict[str, ContactAddress], used: str | None, channels: dict[str, Channel]) -> str | None:
    """The contact's preferred addressed channel other than `used` (a name-only one is no fallback)."""
    return next((name for name in _reaching(found, channels)
                 if name != used and registry.spec(name).address is not None), None)


def _merged_with(r: _Row) -> int:
    """Which of a contact's due deliveries share a message: reminders (0) and notices (-1) each
    together, a help request or a weekly summary alone (its id)."""
    if r.d.purpose in PLANNED:
        return 0
    return -1 if r.d.purpose == Purpose.notice else r.d.id


def _purpose(stored: str, items: list[Item]) -> str:
    """The message's purpose: a reminder of one item keeps its own, several (or a daily duty's
    standing line) are a digest."""
    if stored not in PLANNED:
        return stored
    if len(items) == 1 and items[0].open_days is None:
        return items[0].purpose
    return Purpose.digest


def _buttons(entries: list[_Entry], first: int, numbered: bool) -> tuple[tuple, tuple]:
    """(occurrence, not answerable here) per item and per deadline under a daily line, in the
    order shown, with the label of each one's buttons: the item's number, and the date for a
    deadline under a daily line ("3 7/31")."""
    buttons, labels = [], []
    for n, e in enumerate(entries, first):
        if e.item is None:  # help, notices: the occurrences they concern are not answered here
            shown = [(r.occ.id, True) for r in e.rows if r.occ is not None]
            buttons += shown
            labels += [""] * len(shown)
            continue
        tag = str(n) if numbered else ""
        buttons.append((e.item.occurrence_id, e.item.informational))
        labels.append(tag)
        for a in e.item.also:
            buttons.append((a.occurrence_id, e.item.informational))
            labels.append(f"{tag} {a.due.month}/{a.due.day}".strip())
    return tuple(buttons), tuple(labels)


def _largest(fits: Callable[[int], bool], total: int) -> int:
    """The largest n in 1..total with fits(n) (fits is monotone); 1 when even one does not fit."""
    low, high = 1, total
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if fits(mid) else (low, mid - 1)
    return low


def _sent_after_lease(ids: list[int]) -> None:
    log.error("deliveries %s were sent after their lease ran out: another dispatcher may send them again", ids)


def _window(channel: str, r: _Row) -> str:
    """The shared send window of this row's recipient on `channel`."""
    return f"{channel}:{_recipient(r, channel).address or r.contact.id}"


def _unreachable_text(r: _Row, exc: TransportError, why: str, other: str | None) -> Text:
    """What the coordinator reads: who, why, and where the reminders go now."""
    if r.robot is not None and exc.disable:
        return Text(N_("The robot {name} was refused by its platform and is disabled: {error}. Its reminders "
                       "{where}. Fix its webhook address, secret or keyword, then run: duban robots enable {id}"),
                    {"name": r.contact.name, "error": exc.text or why, "id": r.robot.id,
                     "where": Text(N_("go to the department's contacts instead") if r.robot.instead
                                   else N_("still reach the department's contacts"))})
    values = {"name": r.contact.name, "error": exc.text or why, "other": other}
    if other:
        return Text(N_("{name} cannot be reached: {error}. The reminders go by {other} instead."), values)
    return Text(N_("{name} cannot be reached: {error}"), values)


def _people_of(session: Session, department_id: int) -> list[int]:
    """A department's primary and backup contacts (those a robot that replaced them hands back to)."""
    return list(session.exec(select(Contact.id).where(
        Contact.department_id == department_id, Contact.active == True,
        Contact.role.in_(("primary", "backup"))).order_by(Contact.id)))


def _coordinator_contacts(session: Session, plan: Plan) -> list[tuple[int, str]]:
    """The plan's coordinator contacts: (id, language)."""
    if plan.coordinator_id is None:
        return []
    return [(id_, language) for id_, language in session.exec(select(Contact.id, Contact.language).where(
        Contact.department_id == plan.coordinator_id, Contact.active == True))]


def _recipient(r: _Row, channel: str) -> Recipient:
    """The contact's name and its address on `channel` (its state aside: a forced channel uses it),
    with a robot's endpoint."""
    kind = registry.spec(channel).address
    found = r.addresses.get(kind) if kind is not None else None
    endpoint = None
    if r.robot is not None and kind == r.robot.kind:
        endpoint = Endpoint(r.robot.url_sealed, r.robot.secret_sealed, tuple(r.robot.mentions), r.robot.keyword)
    return Recipient(r.contact.name, found.address if found is not None else None, endpoint)

