"""One duty as found in a notice, before its schedule and departments are read."""

from __future__ import annotations

from dataclasses import dataclass, field

from notices.text import key


@dataclass
class Record:
    """What a table row or a prose item says, in the notice's own words.

    `lead` and `support` are department names as written (split, not yet matched). `notes` are
    reasons a person should look at the record (a lead that could not be found, a cell that only
    looks like a department ...), shown for review with `source`.
    """

    number: str  # the notice's own numbering: "1-5", "2-17", "三.(二).2"
    title: str
    requirement: str = ""
    outlet: str = ""
    deadline: str = ""  # the deadline column's words; "" in prose
    lead: list[str] = field(default_factory=list)
    support: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)  # where in the notice: "第65行", "表1 第3行"
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class KnownDepartment:
    """A department already in the database (from an earlier plan): matched by name or alias."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # kept: loading the imported plan must not strip them
    supervisor: str | None = None  # kept likewise


def once(records: list[Record]) -> list[Record]:
    """A notice saved twice into one file (web pages and shared documents often are) gives its
    duties once: a record with the same words as an earlier one is the same duty."""
    seen: set[tuple[str, ...]] = set()
    out = []
    for record in records:
        words = (key(record.title), key(record.requirement), key(record.deadline), *map(key, record.lead))
        if words not in seen:
            seen.add(words)
            out.append(record)
    return out
