"""`duban departments` and `duban contacts add|list|resubscribe`: who the reminders go to."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from bot.binding import CHAT
from db import addresses, queries
from db.models import Contact, ContactAddress, Department, utcnow
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
        checked = ContactIn(department=department, name=name, email=email, telegram=telegram, lang=lang.value,
                            role=role.value)
    except ValueError as exc:
        raise fail(f"无效的联系人 invalid contact: {exc.errors()[0]['msg']}") from None  # type: ignore[attr-defined]
    with database() as session:
        dept = queries.find_department(session, department)
        try:
            contact = queries.add_contact(session, dept, name=name.strip(), addresses=checked.addresses,
                                          language=lang.value, role=role.value)
        except ValueError as exc:
            raise fail(str(exc)) from None
        item = {"id": contact.id, "department": dept.name, "name": contact.name, "email": email,
                "telegram": telegram, "lang": contact.language, "role": contact.role}
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
        found = addresses.addresses_of(session, (c.id for c, _ in rows))
        items = [_listed(c, d, found.get(c.id, {})) for c, d in rows]
    if as_json:
        print_json(items)
        return
    print_table("联系人 Contacts", ["id", "department", "name", "email", "telegram", "lang", "role"],
                [[i["id"], i["department"], i["name"],
                  f"{i['email']} (已退订 unsubscribed)" if i["email_opt_out_at"] else i["email"],
                  i["telegram"], i["lang"], i["role"]] for i in items])


def _listed(c: Contact, d: Department, found: dict[str, ContactAddress]) -> dict:
    """A contact as `contacts list` shows it: the plan file's address fields, a usable chat id."""
    email, chat = found.get("email"), found.get(CHAT)
    opted_out = addresses.opted_out_at(email)
    return {"id": c.id, "department": d.name, "name": c.name, "email": email.address if email else None,
            "email_opt_out_at": opted_out.isoformat() if opted_out else None,
            "telegram": int(chat.address) if chat is not None and chat.usable else None,
            "lang": c.language, "role": c.role, "active": c.active}


@contacts_app.command("resubscribe")
def contacts_resubscribe(contact_id: Annotated[int, typer.Argument(
                             parser=parse_id, help="The contact's id (duban contacts list).")]) -> None:
    """恢复邮件提醒 Email a contact again after they used the unsubscribe link (on their request)."""
    with database() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise fail(f"找不到联系人 {contact_id} / no contact with id {contact_id}: see duban contacts list")
        email = addresses.address(session, contact.id, "email")
        if email is None:
            raise fail(f"{contact.name} 没有邮箱地址 / has no email address: add it in the plan file")
        was = addresses.resubscribe(session, contact.id, "email", utcnow())
    out.print(f"[green]✓[/green] {contact.name} <{email.address}>: "
              + ("恢复邮件提醒 email reminders resumed" if was else "本来就在接收邮件 was already receiving email"),
              highlight=False)


