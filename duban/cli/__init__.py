"""The `duban` command: the Typer app, every command group registered here by name, and the last
resort for faults no command foresaw. The groups import duban.cli.common, never this module."""

from __future__ import annotations

import logging
import os
import sys
import traceback

import typer

from duban.cli import (
    api,
    config,
    database,
    directory,
    feeds,
    occurrences,
    plan_import,
    plans,
    process,
    report,
    robots,
    telegram,
    transfer,
    users,
)
from duban.cli.common import err
from scheduler.settings import hide_password

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="督办 Duban: duties, deadlines and reminders for government offices.")
app.command("occurrences")(occurrences.occurrences)
app.command("departments")(directory.departments)
app.command("settings")(config.show_settings)
app.command("tick")(process.tick_command)
app.command("run")(process.run)
app.command("answer")(occurrences.answer_command)
app.command("report")(report.report)
app.command("export")(transfer.export_command)
app.command("import")(transfer.import_command)
directory.contacts_app.command("invite")(telegram.contacts_invite)
plans.app.command("import")(plan_import.plan_import)
app.add_typer(plans.app, name="plan")
app.add_typer(database.app, name="db")
app.add_typer(directory.contacts_app, name="contacts")
app.add_typer(occurrences.event_app, name="event")
app.add_typer(api.app, name="api")
app.add_typer(feeds.app, name="feed")
app.add_typer(users.app, name="users")
app.add_typer(robots.app, name="robots")

INTERNAL_ERROR = 70  # sysexits' EX_SOFTWARE: a fault in duban itself, not in what was asked


def main() -> None:
    """The `duban` command. A fault that no command foresaw ends in one line on stderr and exit
    code 70, never a traceback: the traceback goes to the log at DEBUG, and to stderr with DUBAN_DEBUG=1."""
    try:
        app()
    except Exception as exc:  # the last resort: known faults are answered where they happen
        logging.getLogger("duban.cli").debug("unexpected fault", exc_info=exc)
        if os.environ.get("DUBAN_DEBUG"):
            traceback.print_exception(exc)
        detail = hide_password(" ".join(str(exc).split()))[:200]
        err.print(f"[red]错误 error:[/red] 意外故障 unexpected fault ({type(exc).__name__}: {detail}). "
                  "请报告给管理员 Please report it; DUBAN_DEBUG=1 shows the details.", highlight=False)
        sys.exit(INTERNAL_ERROR)
