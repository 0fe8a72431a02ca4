"""`duban export` and `duban import`: the deployment's state as one JSON document (db/transfer.py),
for backups and for moving between SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from db.transfer import TransferError, export, import_into
from duban.cli.common import database, fail, out


def export_command(output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write here (default: standard output).")] = None) -> None:
    """导出 Export plans, contacts, bindings, occurrences, answers and feed tokens as JSON."""
    with database() as session:
        document = export(session.get_bind())
    text = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"无法写入文件 cannot write {output}: {exc.strerror}") from None
    rows = sum(len(v) for v in document["tables"].values())
    out.print(f"[green]✓[/green] exported {rows} rows to {output}", highlight=False)


def import_command(file: Annotated[Path, typer.Argument(help="A file written by `duban export`.")]) -> None:
    """导入 Import an export into a new, upgraded database (refused when it holds data)."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(f"无法读取导出文件 cannot read {file}: {exc}") from None
    with database() as session:
        try:
            counts = import_into(session.get_bind(), document)
        except TransferError as exc:
            raise fail(str(exc)) from None
    summary = ", ".join(f"{name} {n}" for name, n in counts.items() if n)
    out.print(f"[green]✓[/green] imported {summary or 'nothing'}; `duban tick` plans the reminders again",
              highlight=False)
