"""The imported plan as a YAML file a person reads and edits: keys in the plan-format.md order,
departments one per line, long texts unwrapped, a comment on top saying what to review."""

from __future__ import annotations

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """Block style, but a department (and a structured schedule) on one line, as people write them."""


class _Flow(dict):
    """A mapping written on one line: a department, a structured schedule."""


class _FlowList(list):
    """A list written on one line: a duty's lead and support."""


_Dumper.add_representer(_Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(),
                                                                 flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v,
                                                                     flow_style=True))
_Dumper.add_representer(dict, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(),
                                                                flow_style=False))

HEADER = """\
# 由 `duban plan import` 从通知生成，请核对后再导入 / Imported from a notice: review before loading.
# 每条任务的 source 是它在通知中的位置；review 列出需要人工核对的地方，核对后删除该项。
# `duban plan check FILE` lists what still needs review; `duban plan load` refuses it until then
# (or with --accept-review).
"""


def dump_plan(plan: dict[str, Any], warnings: list[str] = ()) -> str:
    shaped = dict(plan)
    shaped["departments"] = [_Flow(d) for d in plan["departments"]]
    shaped["duties"] = [{k: _shaped(k, v) for k, v in d.items()} for d in plan["duties"]]
    body = yaml.dump(shaped, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100000,
                     default_flow_style=False)
    notes = "".join(f"# 注意 warning: {w}\n" for w in warnings)
    return HEADER + notes + body


def _shaped(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        return _Flow(value)
    if key in ("lead", "support"):
        return _FlowList(value)
    return value
