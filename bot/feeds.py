"""/feed: a contact's personal iCal link, from the web side's feed tokens when that part exists.

The web side owns feeds (tokens, URLs); the bot only asks it for a contact's link. Until it
provides one, /feed says clearly that feeds are not available.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from db.models import Contact
from scheduler.settings import Settings

FeedUrl = Callable[[Session, Contact, datetime], str | None]


def resolver(settings: Settings) -> FeedUrl | None:
    """The function that gives a contact's feed link, or None when no feed module is installed."""
    try:
        module = importlib.import_module("scheduler.feed_tokens")
    except ImportError:
        return None
    issue = getattr(module, "contact_feed_url", None)
    if issue is None:
        return None
    return lambda session, contact, now: issue(session, contact, now=now, public_url=settings.public_url)
