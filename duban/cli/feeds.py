"""`duban feed url|revoke|export DEPARTMENT|CONTACT|all` and `duban feed list`: the iCal feed links,
their bytes, and who has which (with when each was last fetched)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from db.queries import NotFound
from duban import wiring
from duban.cli.common import (
    JsonOpt,
    database,
    fail,
    now,
    out,
    print_json,
    print_table,
    settings,
    shown,
)
from scheduler import feeds
from scheduler.access import feed_tokens

app = typer.Typer(no_args_is_help=True, help="日历订阅 iCal feeds (/feeds/TOKEN.ics).")
Target = Annotated[str, typer.Argument(help="部门（编号/名称）、联系人姓名或 all / department, contact or all.")]


def _scope(session: Session, target: str) -> feed_tokens.Scope:
    try:
        return feed_tokens.scope_of(session, target)
    except NotFound as exc:
        raise fail(str(exc)) from None


@app.command("url")
def url(target: Target) -> None:
    """Show the feed's URL (the same one until revoked): https, webcal:// and Google Calendar."""
    with database() as session:
        token = feed_tokens.ensure(session, _scope(session, target), wiring.signer(settings()), now())
        session.commit()
    links = feed_tokens.urls(settings().public_url, token)
    out.print(f"{links.https}\n{links.webcal}\n{links.google}", highlight=False, soft_wrap=True)


@app.command("list")
def listing(as_json: JsonOpt = False) -> None:
    """Every feed URL issued: whose, since when, last fetched (to the hour), revoked."""
    with database() as session:
        items = feed_tokens.listing(session)

    def when(t) -> str:
        return shown(t, "—")

    if as_json:
        print_json(items)
        return
    print_table("日历链接 Feed URLs", ["id", "scope", "of", "created", "last fetched", "revoked"],
                [[i["id"], i["scope"], i["of"], when(i["created_at"]), when(i["last_used_at"]),
                  when(i["revoked_at"])] for i in items])


@app.command("revoke")
def revoke(target: Target) -> None:
    """Revoke the feed's URL: it answers 404 from now on; `feed url` then gives a new one."""
    with database() as session:
        n = feed_tokens.revoke(session, _scope(session, target), now())
        session.commit()
    out.print(f"已吊销 {n} 个日历链接 / revoked {n} feed URL(s) for {target}", highlight=False)


@app.command("export")
def export(target: Target,
           output: Annotated[Path | None, typer.Option("-o", "--output", help="File (default stdout).")] = None,
           ) -> None:
    """Write the feed: the same bytes its URL serves."""
    with database() as session:
        body = feeds.feed_bytes(session, _scope(session, target), public_url=settings().public_url,
                                zone=settings().zone)
    if output is None:
        typer.get_binary_stream("stdout").write(body)
        return
    try:
        output.write_bytes(body)
    except OSError as exc:
        raise fail(f"无法写入文件 cannot write {output}: {exc.strerror}") from None
