"""`duban users add|list|passwd|disable`: the coordinators who log in to the board (/board)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from duban.cli.common import JsonOpt, database, fail, out, print_json, print_table
from scheduler.access import users

app = typer.Typer(no_args_is_help=True, help="督办人员 Coordinators who log in to the board.")

Username = Annotated[str, typer.Argument(help="Login name (letters, digits, _ . @ -).")]
PasswordStdin = Annotated[bool, typer.Option("--password-stdin",
                                             help="Read the password from the first line of stdin (scripts).")]


def _password(from_stdin: bool) -> str:
    """From stdin for scripts, else asked twice with a hidden prompt."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("密码 Password", hide_input=True)
        if typer.prompt("再输一次 Repeat", hide_input=True) != password:
            raise fail("两次输入的密码不一致 the passwords differ")
    try:
        return users.check_password(password)
    except ValueError as exc:
        raise fail(str(exc)) from None


@app.command("add")
def add(username: Username, name: Annotated[str | None, typer.Option(help="Display name.")] = None,
        password_stdin: PasswordStdin = False) -> None:
    """Add a coordinator (the password is asked twice, or read with --password-stdin)."""
    password = _password(password_stdin)
    with database() as session:
        try:
            users.add_user(session, username, password, name)
        except ValueError as exc:
            raise fail(str(exc)) from None
    out.print(f"[green]✓[/green] user {username} added", highlight=False)


@app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """Every user, active or disabled."""
    with database() as session:
        rows = [{"username": u.username, "name": u.display_name, "active": u.active,
                 "created_at": u.created_at} for u in users.list_users(session)]
    if as_json:
        print_json(rows)
    else:
        print_table("用户 Users", ["username", "name", "active", "created"],
                    [[r["username"], r["name"], "yes" if r["active"] else "no", r["created_at"]]
                     for r in rows])


@app.command("passwd")
def passwd(username: Username, password_stdin: PasswordStdin = False) -> None:
    """Set a new password (and enable the user again)."""
    password = _password(password_stdin)
    with database() as session:
        user = users.set_password(session, username, password)
        user.active = True
    out.print(f"[green]✓[/green] password of {username} changed", highlight=False)


@app.command("disable")
def disable(username: Username) -> None:
    """Disable a user: their board sessions end at once."""
    with database() as session:
        users.disable(session, username)
    out.print(f"[green]✓[/green] user {username} disabled", highlight=False)
