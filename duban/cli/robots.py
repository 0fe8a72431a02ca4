"""`duban robots add|list|test|remove|enable`: bind departments' group robots (WeCom, DingTalk,
Feishu) and signed webhooks; URLs and secrets are sealed when stored and masked when shown."""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import Annotated

import typer

from db import queries, robots
from duban.cli.common import JsonOpt, database, fail, now, out, print_json, print_table, settings
from scheduler.access.links import signing_secret
from scheduler.access.sealing import Sealer
from scheduler.bounds import parse_id
from scheduler.channels.base import TransportError
from scheduler.channels.robot import binding
from scheduler.i18n import Problem, in_every_language

app = typer.Typer(no_args_is_help=True, help="群机器人 Group robots (WeCom, DingTalk, Feishu) and signed webhooks.")


class Kind(str, Enum):
    wecom = "wecom"
    dingtalk = "dingtalk"
    feishu = "feishu"
    webhook = "webhook"


class Lang(str, Enum):
    zh = "zh"
    en = "en"


def _sealer() -> Sealer:
    return Sealer(signing_secret(settings()))


@app.command("add")
def add(department: Annotated[str, typer.Option(help="Department id, name or alias.")],
        kind: Annotated[Kind, typer.Option(help="wecom | dingtalk | feishu | webhook")],
        url: Annotated[str, typer.Option(help="The webhook address the platform shows.")],
        secret: Annotated[str | None, typer.Option(help="DingTalk 加签 / Feishu 签名校验 secret; "
                                                      "the webhook's HMAC key.")] = None,
        mention: Annotated[list[str] | None, typer.Option(help="A mobile to @-mention (repeat).")] = None,
        keyword: Annotated[str | None, typer.Option(help="The keyword the robot's security setting requires.")] = None,
        instead: Annotated[bool, typer.Option("--instead-of-contacts", help="The department's contacts get "
                                              "nothing while the robot works.")] = False,
        name: Annotated[str | None, typer.Option(help="How messages greet the group.")] = None,
        lang: Annotated[Lang, typer.Option()] = Lang.zh,
        as_json: JsonOpt = False) -> None:
    """添加群机器人 Bind a group robot or webhook to a department."""
    given = binding.RobotIn(kind.value, url, secret, tuple(mention or ()), keyword, instead, name, lang.value)
    try:
        given = given.checked()
    except Problem as exc:
        raise fail(in_every_language(exc.text)) from None
    sealer = _sealer()
    with database() as session:
        dept = queries.find_department(session, department)
        robot = binding.bind(session, sealer, dept, given, now())
        session.flush()
        item = binding.shown(sealer, binding.find(session, robot.id))
    if as_json:
        print_json(item.as_json())
        return
    out.print(f"[green]✓[/green] robot {item.id}: {item.name} ({item.kind}, {item.url})", highlight=False)
    out.print(f"  测试 test it: duban robots test {item.id}", highlight=False)


@app.command("list")
def list_robots(as_json: JsonOpt = False) -> None:
    """群机器人列表 List robots (URLs and secrets masked)."""
    sealer = _sealer()
    with database() as session:
        items = [binding.shown(sealer, b) for b in robots.bound(session)]
    if as_json:
        print_json([i.as_json() for i in items])
        return
    print_table("群机器人 Robots", ["id", "department", "kind", "name", "url", "secret", "mention", "keyword",
                                   "instead", "state"],
                [[i.id, i.department, i.kind, i.name, i.url, i.secret, " ".join(i.mentions), i.keyword,
                  "✓" if i.instead else "", "ok" if i.working else f"停用 disabled: {i.reason}"] for i in items])


def _find(session, robot_id: int) -> robots.Bound:
    try:
        return binding.find(session, robot_id)
    except Problem as exc:
        raise fail(in_every_language(exc.text)) from None


@app.command("test")
def test(robot_id: Annotated[int, typer.Argument(parser=parse_id, help="The robot's id (duban robots list).")]) -> None:
    """发送测试消息 Post a test message and show the platform's answer."""
    with database() as session:  # open while posting: the message is made of the rows
        item = _find(session, robot_id)
        try:
            receipt = asyncio.run(binding.post_test(settings(), item))
        except TransportError as exc:
            kind = "永久 permanent" if exc.permanent else "暂时 temporary"
            raise fail(f"平台拒绝 the platform refused it ({kind}): {exc}") from None
    out.print(f"[green]✓[/green] 已送达 accepted: {binding.describe(receipt)}", highlight=False)


@app.command("remove")
def remove(robot_id: Annotated[int, typer.Argument(parser=parse_id, help="The robot's id.")]) -> None:
    """移除群机器人 Unbind a robot: it posts nothing more (what it was sent stays in the history)."""
    with database() as session:
        item = _find(session, robot_id)
        robots.remove(session, item)
    out.print(f"[green]✓[/green] removed robot {robot_id}: {item.contact.name}", highlight=False)


@app.command("enable")
def enable(robot_id: Annotated[int, typer.Argument(parser=parse_id, help="The robot's id.")]) -> None:
    """重新启用 Post again after the platform refused the robot (once it is fixed)."""
    with database() as session:
        item = _find(session, robot_id)
        robots.enable(session, item, now())
    out.print(f"[green]✓[/green] robot {robot_id} posts again: {item.contact.name}", highlight=False)
