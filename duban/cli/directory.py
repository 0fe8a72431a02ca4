"""`duban departments` and `duban contacts add|list|edit|remove|resubscribe`: who the reminders go to."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer
from pydantic import ValidationError

from bot.binding import CHAT
from db import addresses, queries
from db.models import Contact, ContactAddress, Department, utcnow
from duban.cli.common import JsonOpt, database, fail, now, out, print_json, print_table
from scheduler.bounds import parse_id

contacts_app = typer.Typer(no_args_is_help=True, help="联系人 Department contacts.")


ContactId = Annotated[int, typer.Argument(parser=parse_id, help="The contact's id (duban contacts list).")]


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
    except ValidationError as exc:
        raise _invalid(exc, name=name, email=email, telegram=telegram) from None
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
                [[i["id"], i["department"], i["name"] if i["active"] else f"{i['name']} (已停用 inactive)",
                  f"{i['email']} (已退订 unsubscribed)" if i["email_opt_out_at"] else i["email"],
                  i["telegram"], i["lang"], i["role"]] for i in items])


def _listed(c: Contact, d: Department, found: dict[str, ContactAddress]) -> dict:
    """A contact as `contacts list` shows it: the plan file's address fields, a usable chat id."""
    email, chat = found.get("email"), found.get(CHAT)
    opted_out = addresses.opted_out_at(email)
    return {"id": c.id, "department": d.name, "name": c.name, "email": email.address if email else None,
            "email_opt_out_at": opted_out,
            "telegram": int(chat.address) if chat is not None and chat.usable else None,
            "lang": c.language, "role": c.role, "active": c.active}


def _contact(session, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise fail(f"找不到联系人 {contact_id} / no contact with id {contact_id}: see duban contacts list")
    return contact


# What `contacts edit` changed, in words (edit_contact's names).
CHANGED = {"name": "姓名 name", "email": "邮箱 email", CHAT: "Telegram", "language": "语言 language",
           "role": "角色 role"}


def _invalid(exc: ValidationError, **given: object) -> typer.Exit:
    """What was wrong with a contact's values, naming the value."""
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    if field == "name":
        return fail(f"姓名应为 1-200 个字符 a name has 1-200 characters: {given['name']!r}")
    if field == "email":
        return fail(f"邮箱地址无效 not an email address: {given['email']!r}")
    if field == "telegram" and error["type"].startswith("int_"):
        return fail(f"Telegram 会话编号应为数字 a chat id is a number (e.g. 123456789, a group's -100...): "
                    f"{given['telegram']!r}")
    return fail(f"无效的联系人 invalid contact ({field}): {error['msg'].removeprefix('Value error, ')}")


def _given_addresses(contact: Contact, dept: Department, name: str | None, email: str | None,
                     telegram: str | None, lang: Lang | None, role: Role | None) -> dict[str, str | None]:
    """The values given to `contacts edit`, checked as a plan file's contact is; the addresses
    given, by channel ('' removes one)."""
    from scheduler.plans.file import ContactIn

    try:
        checked = ContactIn(department=dept.key, name=contact.name if name is None else name, email=email or None,
                            telegram=telegram or None, lang=(lang or Lang(contact.language)).value,
                            role=(role or Role.primary).value)
    except ValidationError as exc:
        raise _invalid(exc, name=name, email=email, telegram=telegram) from None
    return {channel: value for channel, value in checked.addresses.items()
            if {"email": email, CHAT: telegram}[channel] is not None}


@contacts_app.command("edit")
def contacts_edit(contact_id: ContactId,
                  name: Annotated[str | None, typer.Option(help="The contact's new name.")] = None,
                  email: Annotated[str | None, typer.Option(help="Email address ('' removes it).")] = None,
                  telegram: Annotated[str | None, typer.Option(help="Telegram chat id ('' removes it).")] = None,
                  lang: Annotated[Lang | None, typer.Option()] = None,
                  role: Annotated[Role | None, typer.Option()] = None,
                  active: Annotated[bool | None, typer.Option(
                      "--active/--inactive", help="Turn reminders to the contact on or off.")] = None,
                  as_json: JsonOpt = False) -> None:
    """修改联系人 Change a contact's name, addresses, language or role, or turn it off and on.
    A plan file that lists the contact sets language, role and addresses again when reloaded."""
    with database() as session:
        contact = _contact(session, contact_id)
        if all(v is None for v in (name, email, telegram, lang, role, active)):
            raise fail("没有要修改的内容 nothing to change: give --name, --email, --telegram, --lang, --role, "
                       "--active or --inactive")
        dept = session.get(Department, contact.department_id)
        given = _given_addresses(contact, dept, name, email, telegram, lang, role)
        try:
            changed = queries.edit_contact(session, contact, now(), name=name.strip() if name else None,
                                           addresses=given, language=lang.value if lang else None,
                                           role=role.value if role else None, active=active)
        except ValueError as exc:
            raise fail(str(exc)) from None
        item = _listed(contact, dept, addresses.addresses_of(session, [contact.id]).get(contact.id, {}))
    if as_json:
        print_json({**item, "changed": changed})
        return
    words = [CHANGED.get(c) or _turned(item["active"]) for c in changed]
    out.print(f"[green]✓[/green] 联系人 contact {item['id']}: {item['name']} ({item['department']}) — "
              + (f"已修改 changed: {', '.join(words)}" if words else "没有变化 nothing changed"), highlight=False)


def _turned(active: bool) -> str:
    return "启用 active" if active else "停用 inactive (待发提醒已取消 pending reminders cancelled)"


@contacts_app.command("remove")
def contacts_remove(contact_id: ContactId, as_json: JsonOpt = False) -> None:
    """删除联系人 Remove a contact. One with history (reminders, answers, links) is deactivated
    instead: it keeps its history, gets nothing more, and its pending reminders are cancelled."""
    with database() as session:
        contact = _contact(session, contact_id)
        dept = session.get(Department, contact.department_id)
        try:
            cancelled = queries.remove_contact(session, contact)
        except ValueError as exc:
            raise fail(str(exc)) from None
        item = {"id": contact_id, "name": contact.name, "department": dept.name,
                "removed": "deleted" if cancelled is None else "deactivated", "cancelled": cancelled or 0}
    if as_json:
        print_json(item)
    elif cancelled is None:
        out.print(f"[green]✓[/green] 已删除联系人 contact {contact_id} removed: {item['name']} ({item['department']})",
                  highlight=False)
    else:
        out.print(f"[green]✓[/green] 已停用联系人 contact {contact_id} deactivated: {item['name']} "
                  f"({item['department']}) keeps its history and gets nothing more; {cancelled} 条待发提醒已取消 "
                  f"pending reminder(s) cancelled. `duban contacts edit {contact_id} --active` turns it back on",
                  highlight=False)


@contacts_app.command("resubscribe")
def contacts_resubscribe(contact_id: ContactId) -> None:
    """恢复邮件提醒 Email a contact again after they used the unsubscribe link (on their request)."""
    with database() as session:
        contact = _contact(session, contact_id)
        email = addresses.address(session, contact.id, "email")
        if email is None:
            raise fail(f"{contact.name} 没有邮箱地址 / has no email address: add it in the plan file")
        was = addresses.resubscribe(session, contact.id, "email", utcnow())
    out.print(f"[green]✓[/green] {contact.name} <{email.address}>: "
              + ("恢复邮件提醒 email reminders resumed" if was else "本来就在接收邮件 was already receiving email"),
              highlight=False)


