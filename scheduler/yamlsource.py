"""Reading a YAML file while remembering the line of every key, so errors can point at it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass
class Problem:
    """One thing wrong with an input file: where, which key, and what was expected."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class SourceError(Exception):
    """The file could not be read as YAML at all (one problem), or its content is invalid."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def dotted(path: Path_) -> str:
    """('duties', 3, 'schedule') -> 'duties[3].schedule'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class YamlSource:
    """A parsed YAML document plus the 1-based line of every key and list item in it."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    raw: bytes = b""

    def line_of(self, path: Path_) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)

    def problem(self, path: Path_, message: str) -> Problem:
        return Problem(self.file, self.line_of(path), dotted(path), message)


def _text_of(path: Path, raw: bytes) -> str:
    if not raw.strip():
        raise SourceError([Problem(str(path), None, "", "文件为空 the file is empty: expected a plan "
                                   "(version, plan, departments, duties)")])
    if b"\x00" in raw:
        raise SourceError([Problem(str(path), None, "", "不是文本文件 this is a binary file, "
                                   "not a YAML plan")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError([Problem(str(path), None, "", f"不是 UTF-8 文本 not UTF-8 text "
                                   f"(byte {exc.start}): save the file as UTF-8")]) from exc


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], file: str) -> None:
    """Record the line of each key and list item; refuse duplicate keys (PyYAML keeps the last)."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise SourceError([Problem(file, line, dotted(path + (key,)),
                                           "重复的键 duplicate key: each key may appear once")])
            seen.add(key)
            lines[path + (key,)] = line
            _walk(value_node, path + (key,), lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[path + (i,)] = item.start_mark.line + 1
            _walk(item, path + (i,), lines, file)


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text: pydantic then reports a bad date (2016-13-01) at
    its key and line, instead of YAML failing the whole file with no location."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def read_yaml(path: Path) -> YamlSource:
    """Parse `path`; a file that is missing, empty, binary or not YAML raises one clear problem."""
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError([Problem(file, None, "", f"无法读取 cannot read the file: {exc.strerror}")]) from exc
    text = _text_of(path, raw)
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise SourceError([Problem(file, line, "", f"YAML 语法错误 syntax error: {exc.problem}"
                                   f"{' ' + exc.context if exc.context else ''}")]) from exc
    except yaml.YAMLError as exc:
        raise SourceError([Problem(file, None, "", f"YAML 语法错误 syntax error: {exc}")]) from exc
    lines: dict[Path_, int] = {(): 1}
    if node is not None:
        _walk(node, (), lines, file)
    return YamlSource(file, data, lines, raw)
