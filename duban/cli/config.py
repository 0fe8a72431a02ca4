"""`duban settings`: the effective settings, secrets masked."""

from __future__ import annotations

from duban.cli.common import JsonOpt, print_json, print_table, settings
from scheduler.settings import masked


def show_settings(as_json: JsonOpt = False) -> None:
    """设置 Print the effective settings, secrets masked."""
    values = masked(settings())
    if as_json:
        print_json(values)
        return
    print_table("设置 Settings", ["name", "value"], [[k, v] for k, v in values.items()])
