"""`duban departments` and `duban contacts add|list|resubscribe`: who the reminders go to."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from db import queries
from db.models import Contact
from duban.cli.common import JsonOpt, database, fail, out, print_json, print_table
from scheduler.bounds import parse_id

contacts_app = typer.Typer(no_args_is_help=True, help="联系人 Department contacts.")


class Lang(str, Enum):
    zh = "zh"
    en = "en"


class Role(str, Enum):
    primary = "primary"
    backup = "backup"
    supervisor = "supervisor"


def departments(as_json: JsonOpt = False) -> None:
    """部门 List departments."""
    from sqlmodel import select

    from db.models import Department

    with database() as session:
        rows = session.exec(select(Department).order_by(Department.key)).all()
    items = [{"id": d.id, "key": d.key, "name": d.name, "aliases": d.aliases, "tags": d.tags} for d in rows]
    if as_json:
        print_json(items)
        return
    print_table("部门 Departments", ["id", "key", "name", "aliases", "tags"],
                [[d["id"], d["key"], d["name"], "、".join(d["aliases"]), ", ".join(d["tags"])] for d in items])


@contacts_app.command("add")
def contacts_add(department: Annotated[str, typer.Option(help="Department id, name or alias.")],
                 name: Annotated[str, typer.Option(help="The contact's name.")],
                 email: Annotated[str | None, typer.Option()] = None,
                 telegram: Annotated[int | None, typer.Option(help="Telegram chat id.")] = None,
                 lang: Annotated[Lang, typer.Option()] = Lang.zh,
                 role: Annotated[Role, typer.Option()] = Role.primary,
                 as_json: JsonOpt = False) -> None:
    """添加联系人 Add a contact to a department."""
    from scheduler.plans.file import ContactIn

    try:
        ContactIn(department=department, name=name, email=email, telegram=telegram, lang=lang.value,
                  role=role.value)
    except ValueError as exc:
        raise fail(f"无效的联系人 invalid contact: {exc.errors()[0]['msg']}") from None  # type: ignore[attr-defined]
    with database() as session:
        dept = queries.find_department(session, department)
        try:
            contact = queries.add_contact(session, dept, name=name.strip(), email=email, telegram=telegram,
                                          language=lang.value, role=role.value)
        except ValueError as exc:
            raise fail(str(exc)) from None
        item = {"id": contact.id, "department": dept.name, "name": contact.name, "email": contact.email,
                "telegram": contact.telegram_chat_id, "lang": contact.language, "role": contact.role}
    if as_json:
        print_json(item)
    else:
        out.print(f"[green]✓[/green] contact {item['id']}: {item['name']} ({item['department']})",
                  highlight=False)


@contacts_app.command("list")
def contacts_list(department: Annotated[str | None, typer.Option()] = None, as_json: JsonOpt = False) -> None:
    """联系人列表 List contacts."""
    with database() as session:
        dept = queries.find_department(session, department) if department else None
        rows = queries.list_contacts(session, dept)
        items = [{"id": c.id, "department": d.name, "name": c.name, "email": c.email,
                  "email_opt_out_at": c.email_opt_out_at.isoformat() if c.email_opt_out_at else None,
                  "telegram": c.telegram_chat_id, "lang": c.language, "role": c.role, "active": c.active}
                 for c, d in rows]
    if as_json:
        print_json(items)
        return
    print_table("联系人 Contacts", ["id", "department", "name", "email", "telegram", "lang", "role"],
                [[i["id"], i["department"], i["name"],
                  f"{i['email']} (已退订 unsubscribed)" if i["email_opt_out_at"] else i["email"],
                  i["telegram"], i["lang"], i["role"]] for i in items])


@contacts_app.command("resubscribe")
def contacts_resubscribe(contact_id: Annotated[int, typer.Argument(
                             parser=parse_id, help="The contact's id (duban contacts list).")]) -> None:
    """恢复邮件提醒 Email a contact again after they used the unsubscribe link (on their request)."""
    with database() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise fail(f"找不到联系人 {contact_id} / no contact with id {contact_id}: see duban contacts list")
        if not contact.email:
            raise fail(f"{contact.name} 没有邮箱地址 / has no email address: add it in the plan file")
        was = contact.email_opt_out_at
        contact.email_opt_out_at = None
        session.add(contact)
    out.print(f"[green]✓[/green] {contact.name} <{contact.email}>: "
              + ("恢复邮件提醒 email reminders resumed" if was else "本来就在接收邮件 was already receiving email"),
              highlight=False)


