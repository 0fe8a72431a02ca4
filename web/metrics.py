"""/metrics for Prometheus, counted from the database at scrape time (so every instance that shares
the database reports the same truth, and a restart loses nothing).

Each app has its own CollectorRegistry (tests build many apps; the global registry would mix them).
Send delay = an attempt's time minus the delivery's planned send_at: how late reminders go out.
It is a gauge histogram over the last day, since rows are read afresh at every scrape.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
)
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from db.models import Answer, Attempt, Delivery
from db.vocabulary import DeliveryStatus
from scheduler.outbox import breaker
from web.ops_access import REFUSED, is_operator

router = APIRouter()
DELAY_BUCKETS = (1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 86400)  # seconds
DELAY_WINDOW = timedelta(days=1)


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


class DatabaseCollector(Collector):
    """Deliveries, queue depth, send delay, attempts and answers, read from one database."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]):
        self.engine, self.clock = engine, clock

    def collect(self) -> Iterator:
        now = self.clock()
        with Session(self.engine) as session:
            yield self._deliveries(session)
            yield self._queue(session, now)
            yield self._attempts(session)
            yield self._delay(session, now)
            yield self._answers(session)
            yield self._paused(session, now)

    @staticmethod
    def _deliveries(session: Session) -> GaugeMetricFamily:
        family = GaugeMetricFamily("duban_deliveries", "Deliveries in the outbox by status and channel "
                                   "(channel 'auto' = not yet chosen)", labels=["status", "channel"])
        rows = session.exec(select(Delivery.status, Delivery.channel, func.count())
                            .group_by(Delivery.status, Delivery.channel)).all()
        for status, channel, n in rows:
            family.add_metric([status, channel or "auto"], n)
        return family

    @staticmethod
    def _queue(session: Session, now: datetime) -> GaugeMetricFamily:
        due = session.exec(select(func.count()).select_from(Delivery)
                           .where(Delivery.status == DeliveryStatus.pending, Delivery.send_at <= now)).one()
        return GaugeMetricFamily("duban_queue_depth", "Pending deliveries whose send time has come", value=due)

    @staticmethod
    def _attempts(session: Session) -> CounterMetricFamily:
        return _counted(session, "duban_send_attempts", "Send attempts by channel and result",
                        {"channel": Attempt.channel, "result": Attempt.ok},
                        lambda channel, ok: [channel, "ok" if ok else "error"])

    @staticmethod
    def _delay(session: Session, now: datetime) -> GaugeHistogramMetricFamily:
        family = GaugeHistogramMetricFamily(
            "duban_send_delay_seconds", "Successful sends in the last day: seconds after the planned "
            "send time", labels=["channel"])
        rows = session.exec(select(Attempt.channel, Attempt.at, Delivery.send_at).join(Delivery)
                            .where(Attempt.ok == True, Attempt.at >= now - DELAY_WINDOW)).all()
        delays: dict[str, list[float]] = defaultdict(list)
        for channel, at, send_at in rows:
            delays[channel].append(max(0.0, (_aware(at) - _aware(send_at)).total_seconds()))
        for channel, values in sorted(delays.items()):
            buckets = [(f"{float(b)}", sum(v <= b for v in values)) for b in DELAY_BUCKETS]
            family.add_metric([channel], buckets + [("+Inf", len(values))], sum(values))
        return family

    @staticmethod
    def _answers(session: Session) -> CounterMetricFamily:
        return _counted(session, "duban_answers", "Answers logged by action and channel",
                        {"action": Answer.action, "channel": Answer.channel}, lambda *values: list(values))

    @staticmethod
    def _paused(session: Session, now: datetime) -> GaugeMetricFamily:
        family = GaugeMetricFamily("duban_channel_paused_seconds", "Channels paused because they cannot "
                                   "send to anyone: seconds since the outage began", labels=["channel"])
        for name, pause in sorted(breaker.paused(session).items()):
            family.add_metric([name], max(0.0, (now - _aware(pause.since)).total_seconds()))
        return family


def _counted(session: Session, name: str, documentation: str, columns: dict[str, object],
             label_values: Callable[..., list[str]]) -> CounterMetricFamily:
    """A counter of rows grouped by `columns` (label name -> column)."""
    family = CounterMetricFamily(name, documentation, labels=list(columns))
    for *values, n in session.exec(select(*columns.values(), func.count()).group_by(*columns.values())).all():
        family.add_metric(label_values(*values), n)
    return family


def registry_for(request: Request) -> CollectorRegistry:
    """The app's own registry, made at the first scrape."""
    state = request.app.state
    if getattr(state, "metrics", None) is None:
        state.metrics = CollectorRegistry(auto_describe=False)
        state.metrics.register(DatabaseCollector(state.engine, state.clock))
    return state.metrics


@router.get("/metrics", tags=["health"], include_in_schema=False)
def metrics(request: Request) -> Response:
    if not is_operator(request):
        return Response(REFUSED, status_code=401, media_type="text/plain; charset=utf-8",
                        headers={"WWW-Authenticate": "Bearer"})
    return Response(generate_latest(registry_for(request)), media_type=CONTENT_TYPE_LATEST)
