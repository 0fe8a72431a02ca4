"""Feed tokens: the revocable secrets in iCal feed URLs (/feeds/{token}.ics).

A token is never stored: it is derived from the secret key and its row's id (`Signer.feed_token`),
and only its SHA-256 is kept. So `duban feed url` shows the same URL again until the row is
revoked, a stolen database reveals no URL, and revoking makes the next `feed url` derive a new one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlmodel import Session, select

from db.models import Contact, Department, FeedToken
from db.queries import NotFound, find_department
from scheduler.access.links import Signer


@dataclass(frozen=True)
class Scope:
    """What a feed shows: one department, one contact, or everything (the coordinator's)."""

    kind: str  # department | contact | all
    department_id: int | None = None
    contact_id: int | None = None
    label: str = "all"


def hash_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def scope_of(session: Session, ref: str) -> Scope:
    """`all`, a department (key, name or alias) or a contact's name; NotFound with a zh/en message."""
    if ref == "all":
        return Scope("all")
    try:
        dept = find_department(session, ref)
        return Scope("department", department_id=dept.id, label=dept.name)
    except NotFound:
        pass
    people = list(session.exec(select(Contact).where(Contact.name == ref)))
    if len(people) > 1:
        raise NotFound(f"有多个联系人叫「{ref}」，请改用部门 / several contacts are named {ref!r}: use the department")
    if not people:
        raise NotFound(f"找不到部门或联系人「{ref}」/ no department or contact named {ref!r}")
    return Scope("contact", department_id=people[0].department_id, contact_id=people[0].id, label=ref)


def _matching(scope: Scope):
    return select(FeedToken).where(FeedToken.scope == scope.kind, FeedToken.revoked_at == None,
                                   FeedToken.department_id == (scope.department_id if scope.kind == "department"
                                                               else None),
                                   FeedToken.contact_id == scope.contact_id)


def ensure(session: Session, scope: Scope, signer: Signer, now: datetime) -> str:
    """The scope's active token (the oldest one, if a race made two), issued when there is none."""
    row = session.exec(_matching(scope).order_by(FeedToken.id)).first()
    if row is None:
        row = FeedToken(token_hash=secrets.token_hex(32), scope=scope.kind, created_at=now,
                        department_id=scope.department_id if scope.kind == "department" else None,
                        contact_id=scope.contact_id)
        session.add(row)
        session.flush()  # the id is the token's seed
        row.token_hash = hash_of(signer.feed_token(row.id))
        session.flush()
    return signer.feed_token(row.id)


def revoke(session: Session, scope: Scope, now: datetime) -> int:
    rows = list(session.exec(_matching(scope)))
    for row in rows:
        row.revoked_at = now
    session.flush()
    return len(rows)


def find(session: Session, token: str) -> FeedToken | None:
    """The active token row for a URL's token; None for unknown or revoked ones (no hint which)."""
    if not 20 <= len(token) <= 100:
        return None
    return session.exec(select(FeedToken).where(FeedToken.token_hash == hash_of(token),
                                                FeedToken.revoked_at == None)).first()


def touch(row: FeedToken, now: datetime, every: timedelta = timedelta(hours=1)) -> bool:
    """Note that the feed was fetched; at most once per `every`, so polling costs no write each time."""
    if row.last_used_at is not None and now - row.last_used_at < every:
        return False
    row.last_used_at = now
    return True


def listing(session: Session) -> list[dict]:
    """Every token row, newest first, named for people: whose feed, since when, last fetched, revoked."""
    depts = {d.id: d.name for d in session.exec(select(Department))}
    people = {c.id: c.name for c in session.exec(select(Contact))}
    rows = session.exec(select(FeedToken).order_by(FeedToken.id.desc()))
    return [{"id": r.id, "scope": r.scope,
             "of": {"all": "all", "department": depts.get(r.department_id), "contact": people.get(r.contact_id)}[r.scope],
             "created_at": r.created_at, "last_used_at": r.last_used_at, "revoked_at": r.revoked_at} for r in rows]


def scope_of_row(row: FeedToken) -> Scope:
    return Scope(row.scope, department_id=row.department_id, contact_id=row.contact_id)


@dataclass(frozen=True)
class FeedUrls:
    https: str
    webcal: str
    google: str


def urls(public_url: str, token: str) -> FeedUrls:
    https = f"{public_url.rstrip('/')}/feeds/{token}.ics"
    webcal = "webcal://" + https.split("://", 1)[1]
    return FeedUrls(https, webcal, "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe=":/"))


def contact_feed_url(session: Session, contact: Contact, *, now: datetime, signer: Signer) -> str:
    """A contact's personal feed URL, issuing the token on first use (the bot's /feed)."""
    scope = Scope("contact", department_id=contact.department_id, contact_id=contact.id, label=contact.name)
    return urls(signer.public_url, ensure(session, scope, signer, now)).https


def contact_feed_urls(session: Session, contact_ids: list[int], signer: Signer) -> dict[int, str]:
    """Personal feed URLs of those contacts who have one, in one query (reminder footers never issue)."""
    rows = session.exec(select(FeedToken.contact_id, FeedToken.id)
                        .where(FeedToken.scope == "contact", FeedToken.revoked_at == None,
                               FeedToken.contact_id.in_(contact_ids))
                        .order_by(FeedToken.id.desc()))  # the oldest last, so it wins, as in `ensure`
    return {contact_id: urls(signer.public_url, signer.feed_token(row_id)).https for contact_id, row_id in rows}


def department_of(session: Session, scope: Scope) -> Department | None:
    return session.get(Department, scope.department_id) if scope.department_id else None
