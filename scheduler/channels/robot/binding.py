"""Binding group robots to departments, for every door (the CLI's `duban robots`, the board):
check what was given, seal the URL and secret, list with both masked, remove, enable, and post a
test message. The kinds are the registered channels that carry their own endpoint per address."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlmodel import Session

from db import robots
from db.models import Department, Robot
from scheduler.access.sealing import Sealer, mask
from scheduler.channels import registry
from scheduler.channels.base import Endpoint, Message, Receipt, Recipient
from scheduler.channels.feishu import transport as feishu
from scheduler.channels.robot.base import KEYWORD_LENGTH, MAX_MENTIONS
from scheduler.i18n import N_, Problem, Text

_MOBILE = re.compile(r"\+?\d{5,15}")
KIND_NAMES = {"wecom": N_("WeCom group robot"), "dingtalk": N_("DingTalk group robot"),
              "feishu": N_("Feishu group robot"), "webhook": N_("signed webhook")}


def kinds() -> list[str]:
    """The robot kinds: registered channels whose every address carries its own endpoint."""
    return [s.name for s in registry.specs() if s.per_address]


@dataclass(frozen=True)
class RobotIn:
    """What a coordinator gives to bind a robot, before it is checked."""

    kind: str
    url: str
    secret: str | None = None
    mentions: tuple[str, ...] = ()
    keyword: str | None = None
    instead: bool = False
    name: str | None = None
    language: str = "zh"

    def checked(self) -> RobotIn:
        """The same, cleaned; a Problem saying what is wrong."""
        if self.kind not in kinds():
            raise Problem(N_("Unknown robot kind {kind}: use one of {kinds}."), kind=self.kind,
                          kinds=", ".join(kinds()))
        url = self.url.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise Problem(N_("The webhook address must be an https:// URL, as the platform shows it: {url}"),
                          url=mask(url))
        mentions = _mentions(self.kind, self.mentions)
        if len(mentions) > MAX_MENTIONS:
            raise Problem(N_("At most {n} people can be @-mentioned by one robot."), n=MAX_MENTIONS)
        if len((self.keyword or "").strip()) > KEYWORD_LENGTH:
            raise Problem(N_("The keyword is longer than {n} characters."), n=KEYWORD_LENGTH)
        return RobotIn(self.kind, url, (self.secret or "").strip() or None, mentions,
                       (self.keyword or "").strip() or None, self.instead, (self.name or "").strip() or None,
                       self.language)


def _mentions(kind: str, given: tuple[str, ...]) -> tuple[str, ...]:
    """Whom the robot @s, cleaned: by mobile number, except on Feishu, whose robots @ only by
    open_id or email; a Problem naming the ones that cannot be."""
    mentions = tuple(m.strip().replace(" ", "") for m in given if m.strip())
    if kind != feishu.NAME:
        if bad := [m for m in mentions if not _MOBILE.fullmatch(m)]:
            raise Problem(N_("Not a mobile number to @-mention: {bad}"), bad=", ".join(bad))
    elif mobiles := [m for m in mentions if _MOBILE.fullmatch(m)]:
        raise Problem(N_("A Feishu robot cannot @-mention by mobile number ({bad}): give each person's "
                         "open_id (ou_...) or email instead."), bad=", ".join(mobiles))
    elif bad := [m for m in mentions if feishu.at_tag(m) is None]:
        raise Problem(N_("Not an open_id (ou_...) or email to @-mention: {bad}"), bad=", ".join(bad))
    return mentions


@dataclass(frozen=True)
class Shown:
    """A robot as people may see it: URL and secret masked."""

    id: int
    department: str
    kind: str
    name: str
    url: str
    secret: str
    mentions: list[str]
    keyword: str | None
    instead: bool
    working: bool
    reason: str | None

    def as_json(self) -> dict:
        return dict(self.__dict__)


def bind(session: Session, sealer: Sealer, department: Department, given: RobotIn, now: datetime) -> Robot:
    """Bind a checked robot to `department`; its contact is named for it unless a name was given."""
    robot = Robot(department_id=department.id, contact_id=0, kind=given.kind, url_sealed=sealer.seal(given.url),
                  secret_sealed=sealer.seal(given.secret) if given.secret else None,
                  mentions=list(given.mentions), keyword=given.keyword, instead=given.instead)
    base = given.name or Text(N_("{department} {kind}"), {"department": department.name,
                                                         "kind": Text(KIND_NAMES[given.kind])}).say(given.language)
    name, n = base, 2
    while robots.name_taken(session, department.id, name):  # contact names are unique in a department
        name, n = f"{base} #{n}", n + 1
    return robots.add(session, department, robot, name, given.language, now)


def shown(sealer: Sealer, item: robots.Bound) -> Shown:
    r = item.robot
    return Shown(r.id, item.department.name, r.kind, item.contact.name, _masked(sealer, r.url_sealed),
                 _masked(sealer, r.secret_sealed) if r.secret_sealed else "", list(r.mentions), r.keyword,
                 r.instead, item.working, item.address.reason if item.address is not None else None)


def _masked(sealer: Sealer, sealed: str) -> str:
    try:
        return mask(sealer.open(sealed))
    except Problem:
        return "?"


def find(session: Session, robot_id: int) -> robots.Bound:
    found = robots.bound(session, robot_id)
    if not found:
        raise Problem(N_("No robot {id}: see duban robots list."), id=robot_id)
    return found[0]


def test_message(item: robots.Bound) -> Message:
    """A short message saying the robot is bound, which names the department (and so carries any
    keyword the robot requires: the channel adds it)."""
    r, lang = item.robot, item.contact.language
    text = Text(N_("Duban test message: this group will receive the reminders of {department}."),
                {"department": item.department.name}).say(lang)
    return Message(recipient=Recipient(item.contact.name, str(r.id),
                                       Endpoint(r.url_sealed, r.secret_sealed, tuple(r.mentions), r.keyword)),
                   subject=Text(N_("Duban test message")).say(lang), text=text,
                   headers={"X-Duban-Delivery": f"test-{r.id}"}, language=lang)


def describe(receipt: Receipt) -> str:
    return receipt.provider_id or "ok"


async def post_test(settings: registry.Settings, item: robots.Bound) -> Receipt:
    """Post the test message to the robot now, past the outbox (nothing is recorded), with its kind
    built as the dispatcher builds it: the platform's receipt, or the TransportError it caused."""
    channel = registry.spec(item.robot.kind).build(settings)
    try:
        return await channel.send(test_message(item))
    finally:
        await channel.close()
