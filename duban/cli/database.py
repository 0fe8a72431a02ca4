"""`duban db upgrade`: create or upgrade the database schema."""

from __future__ import annotations

import typer
from sqlalchemy.exc import DBAPIError, OperationalError

from db import migrate
from db.engine import make_engine
from duban.cli.common import fail, out, settings
from scheduler.settings import hide_password

app = typer.Typer(no_args_is_help=True, help="数据库 Database schema.")


@app.command("upgrade")
def db_upgrade() -> None:
    """升级 Create or upgrade the database schema to the newest migration."""
    url = settings().database_url
    try:
        make_engine(url).dispose()  # creates the SQLite folder
        migrate.upgrade(url)
    except (OperationalError, DBAPIError) as exc:
        raise fail(f"无法访问数据库 cannot use the database at {hide_password(url)}: {exc.orig}", 2) from None
    out.print(f"[green]✓[/green] database at {hide_password(url)} is at the newest schema", highlight=False)
