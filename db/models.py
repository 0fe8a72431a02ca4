"""The tables of Duban (DESIGN.md "Data"), as SQLModel classes. Schema changes go through Alembic."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import AutoString, Field, SQLModel

from db.vocabulary import Action, DeliveryStatus, OccurrenceKind, OccurrenceStatus, Purpose


def utcnow() -> datetime:
    return datetime.now(UTC)


class Words(AutoString):
    """A column of one vocabulary (db/vocabulary.py): the same VARCHAR as a `str` field (no
    migration), read back as the enum's members; a word the enum lacks is read as it is."""

    cache_ok = True

    def __init__(self, words: type[StrEnum], length: int = 16):
        super().__init__(length=length)
        self.words = words

    def process_result_value(self, value: str | None, dialect: object) -> StrEnum | str | None:
        return value if value is None else self.words._value2member_map_.get(value, value)


class Department(SQLModel, table=True):
    """A department that duties are handed to; `key` is the plan files' id for it."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=64)
    name: str = Field(index=True, max_length=200)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    supervisor: str | None = Field(default=None, max_length=200)


class Contact(SQLModel, table=True):
    """A person (or a group chat) who answers for a department."""

    __table_args__ = (UniqueConstraint("department_id", "name", name="uq_contact_department_name"),)

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    name: str = Field(max_length=200)
    language: str = Field(default="zh", max_length=8)
    role: str = Field(default="primary", max_length=16)  # primary | backup | supervisor
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class AddressState(StrEnum):
    """Whether a contact's address on a channel is used: `verified` it is; `opted_out` the person
    asked to stop (an unsubscribe link); `disabled` the channel said it is gone (a blocked bot)."""

    verified = "verified"
    opted_out = "opted_out"
    disabled = "disabled"


class ContactAddress(SQLModel, table=True):
    """A contact's address on one channel (an email address, a chat id), and whether it is used.
    A plan reload rewrites the address but keeps the state, so it does not undo an opt-out."""

    __table_args__ = (UniqueConstraint("contact_id", "channel", name="uq_contactaddress_contact_channel"),
                      Index("ix_contactaddress_channel_address", "channel", "address"))

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=320)
    state: str = Field(default=AddressState.verified, max_length=16)
    reason: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def usable(self) -> bool:
        return self.state == AddressState.verified


class Robot(SQLModel, table=True):
    """A department's group robot (WeCom, DingTalk, Feishu) or signed webhook. Its deliveries go
    through the outbox as those of its own contact (role "robot"), addressed on the channel `kind`
    by the robot's id: that address's state says whether the robot posts (verified) or its
    platform refused it for good (disabled, with the reason). The webhook URL and secret are stored
    sealed (scheduler/access/sealing.py). `instead`: the department's contacts get nothing while
    the robot works (the department said so)."""

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    contact_id: int = Field(foreign_key="contact.id", unique=True)
    kind: str = Field(max_length=16)
    url_sealed: str
    secret_sealed: str | None = None
    mentions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    keyword: str | None = Field(default=None, max_length=100)
    instead: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class SendWindow(SQLModel, table=True):
    """Recent posts to one rate-limited recipient (a robot, a Telegram chat: key `channel:address`)
    or by a whole channel (`channel:*`), shared by every instance of the deployment: `sent` holds
    their wall-clock times (unix seconds, oldest first, only those still inside the window);
    `blocked_until` when the platform throttles it; `version` makes each update a compare-and-swap.
    One row per recipient ever paced: as many rows as recipients, each a few dozen bytes."""

    key: str = Field(primary_key=True, max_length=100)
    sent: list[float] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    blocked_until: datetime | None = None
    version: int = 0


class Plan(SQLModel, table=True):
    """A loaded plan file; `year_current` plans re-base on the current year at each load."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=100)
    title: str
    issuer: str | None = None
    issued: date
    year: int
    year_current: bool = False
    until: date
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    workdays: str = Field(default="CN", max_length=16)
    coordinator_id: int | None = Field(default=None, foreign_key="department.id")
    remind: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    source_path: str | None = None
    source_hash: str = Field(max_length=64)
    loaded_at: datetime = Field(default_factory=utcnow)


class Duty(SQLModel, table=True):
    """One duty of a plan; `lead` and `support` hold department keys."""

    __table_args__ = (UniqueConstraint("plan_id", "key", name="uq_duty_plan_key"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    key: str = Field(max_length=64)
    title: str
    requirement: str | None = None
    outlet: str | None = None
    lead: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    support: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    schedule: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    remind: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    review: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    position: int = 0
    active: bool = True


class Occurrence(SQLModel, table=True):
    """One deadline of a duty for one lead department: the thing that is answered."""

    __table_args__ = (
        UniqueConstraint("duty_id", "department_id", "kind", "period", name="uq_occurrence"),
        Index("ix_occurrence_feed", "department_id", "updated_at", "done_at"),  # feed ETags (0002)
        # the board's counts and pages by status and due date, per department, duty or plan (0008)
        Index("ix_occurrence_status_due", "status", "due", "department_id", "duty_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    duty_id: int = Field(foreign_key="duty.id", index=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    kind: OccurrenceKind = Field(sa_type=Words(OccurrenceKind))
    period: str = Field(max_length=40)
    due: date = Field(index=True)
    due_at: datetime | None = None  # event deadlines counted in hours carry a time
    quota: int | None = None
    status: OccurrenceStatus = Field(default=OccurrenceStatus.open, sa_type=Words(OccurrenceStatus), index=True)
    done_at: datetime | None = None
    done_by: str | None = None
    evidence_url: str | None = None
    note: str | None = None
    snoozed_until: datetime | None = None
    event_id: int | None = Field(default=None, foreign_key="event.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Event(SQLModel, table=True):
    """Something that happened and starts an event-triggered duty's clock (文件公开, 突发事件)."""

    id: int | None = Field(default=None, primary_key=True)
    duty_id: int = Field(foreign_key="duty.id", index=True)
    department_id: int = Field(foreign_key="department.id")
    happened_at: datetime
    note: str | None = None
    recorded_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """The outbox: one reminder for one contact on one channel, sent at most once on purpose."""

    __table_args__ = (Index("ix_delivery_status_send_at", "status", "send_at"),)

    id: int | None = Field(default=None, primary_key=True)
    occurrence_id: int | None = Field(default=None, foreign_key="occurrence.id", index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    channel: str = Field(max_length=16)  # email | telegram | console
    purpose: Purpose = Field(sa_type=Words(Purpose))
    informational: bool = False  # support departments' copies: never overdue, never escalated
    send_at: datetime
    status: DeliveryStatus = Field(default=DeliveryStatus.pending, sa_type=Words(DeliveryStatus))
    attempts: int = 0
    lease_until: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=64)
    last_error: str | None = None
    provider_message_id: str | None = None
    idempotency_key: str = Field(unique=True, max_length=200)
    body: str | None = None  # free text for notices (help requests, fallbacks), rendered into the message
    fallback_of: int | None = Field(default=None, foreign_key="delivery.id")
    sent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Attempt(SQLModel, table=True):
    """Every try to send a delivery, successful or not: the history is the truth."""

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", index=True)
    at: datetime = Field(default_factory=utcnow, index=True)  # /metrics reads the last day (0004)
    channel: str = Field(max_length=16)
    ok: bool
    permanent: bool = False
    error: str | None = None
    provider_message_id: str | None = None


class Answer(SQLModel, table=True):
    """Append-only log of every answer and action on an occurrence: who, what, when, where."""

    __table_args__ = (Index("ix_answer_action", "action", "occurrence_id"),)  # the board's help requests (0008)

    id: int | None = Field(default=None, primary_key=True)
    occurrence_id: int = Field(foreign_key="occurrence.id", index=True)
    action: Action = Field(sa_type=Words(Action))
    actor: str = Field(max_length=200)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    channel: str = Field(max_length=16)  # cli | email | telegram | web
    origin: str | None = Field(default=None, max_length=200)  # chat id, IP address, host
    evidence_url: str | None = None
    note: str | None = None
    snooze_until: datetime | None = None
    changed: bool = True  # False when the answer repeated the current state (pressed twice)
    link_nonce: str | None = Field(default=None, unique=True, max_length=100)  # a one-time link used
    at: datetime = Field(default_factory=utcnow)


class FeedToken(SQLModel, table=True):
    """A revocable secret in a feed URL; only its hash is stored. Scope: department, contact or all."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    scope: str = Field(max_length=16)  # department | contact | all
    department_id: int | None = Field(default=None, foreign_key="department.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class InviteCode(SQLModel, table=True):
    """A one-time code that binds a Telegram chat to a contact; only its hash is stored."""

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(unique=True, max_length=64)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    expires_at: datetime
    used_at: datetime | None = None
    used_by_chat: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    """A coordinator who may log in to the board; the password is stored as an argon2 hash."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=100)
    password_hash: str = Field(max_length=200)
    display_name: str | None = Field(default=None, max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class BoardSession(SQLModel, table=True):
    """A coordinator logged in to the board (web/auth.py). The cookie carries a random session id;
    only its SHA-256 is kept, so a copy of the database opens no session. Logout deletes the row,
    `duban users passwd|disable` delete every row of the user (scheduler/access/logins.py)."""

    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)


class LoginFailure(SQLModel, table=True):
    """One failed board login, counted under each key it was tried with (hashes of username +
    address, of username alone, of the browser's device cookie): see scheduler/access/logins.py."""

    __table_args__ = (Index("ix_loginfailure_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)
    at: datetime = Field(index=True)


class KeyValue(SQLModel, table=True):
    """Small named state that must survive restarts (e.g. the Telegram update offset)."""

    key: str = Field(primary_key=True, max_length=100)
    value: str
    updated_at: datetime = Field(default_factory=utcnow)
