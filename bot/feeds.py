"""/feed: a contact's personal iCal link, issued by the feed tokens of the core (feed_tokens)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from db.models import Contact
from scheduler.access.feed_tokens import contact_feed_url
from scheduler.access.links import signer_for
from scheduler.settings import Settings

FeedUrl = Callable[[Session, Contact, datetime], str | None]


def resolver(settings: Settings, clock: Callable[[], datetime]) -> FeedUrl | None:
    """The function that gives (issuing on first use) a contact's feed link."""
    signer = signer_for(settings, clock)
    return lambda session, contact, now: contact_feed_url(session, contact, now=now, signer=signer)
