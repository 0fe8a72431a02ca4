"""Reading a YAML file while remembering the line of every key, so errors can point at it.

Plan files come from people and from other tools, so reading one is bounded: its size in bytes,
how deeply lists and mappings nest, how many aliases (*name) it uses and how many values it
holds once they are expanded (a 358-byte "billion laughs" file otherwise expands to a billion).
A file over a limit is refused at once with one problem naming the limit and the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]

MAX_BYTES = 1024 * 1024  # 1 MiB; the largest shipped plan is 19 kB
MAX_DEPTH = 20  # nested values; a plan needs 6 (duties > duty > schedule > months > month)
MAX_ALIASES = 100  # *name references to &name anchors
MAX_NODES = 100_000  # values, counted after aliases are expanded; the Yingkou plan (40 duties) has 820


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


class _Refused(Exception):
    """A file over one of the limits, or with a value YAML cannot build: what, and where."""

    def __init__(self, mark: yaml.Mark | None, message: str):
        super().__init__(message)
        self.mark, self.message = mark, message


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text: pydantic then reports a bad date (2016-13-01) at
    its key and line, instead of YAML failing the whole file with no location. It counts while
    composing, so a file over MAX_DEPTH, MAX_ALIASES or MAX_NODES stops as soon as it gets there."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.depth = self.aliases = self.nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        mark = self.peek_event().start_mark
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _Refused(mark, f"别名太多 more than {MAX_ALIASES} aliases (*name): write the values out")
            return super().compose_node(parent, index)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Refused(mark, f"内容太多 more than {MAX_NODES} values: split the plan into several files")
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _Refused(mark, f"嵌套太深 nested more than {MAX_DEPTH} levels deep (a plan needs about 6)")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> object:
        # A value YAML itself cannot build (an integer of 5000 digits, `!!timestamp 2016-13-01`).
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError, TypeError) as exc:
            reason = str(exc).split(";")[0]  # not Python's advice on set_int_max_str_digits
            raise _Refused(node.start_mark, f"无法读取的值 cannot read this value: {reason}") from None


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _expanded(node: yaml.Node, seen: dict[int, tuple[int, int]], open_: set[int]) -> tuple[int, int]:
    """(values, depth) of `node` with aliases expanded; each node is counted once (`seen`), so a
    file of aliases of aliases is measured without being expanded. Raises _Refused over a limit."""
    if id(node) in seen:
        return seen[id(node)]
    if id(node) in open_:
        raise _Refused(node.start_mark, "别名循环 an alias (*name) refers to a list or mapping that contains it")
    open_.add(id(node))
    size, depth = 1, 0
    for child in _children(node):
        child_size, child_depth = _expanded(child, seen, open_)
        size, depth = size + child_size, max(depth, child_depth)
        if size > MAX_NODES:
            raise _Refused(node.start_mark, f"内容太多 the aliases (*name) here expand to more than {MAX_NODES} "
                                           "values: write the values out")
    if depth + 1 > MAX_DEPTH:
        raise _Refused(node.start_mark, f"嵌套太深 the aliases (*name) here nest more than {MAX_DEPTH} levels "
                                       "deep (a plan needs about 6)")
    open_.discard(id(node))
    seen[id(node)] = (size, depth + 1)
    return seen[id(node)]


def _read_bytes(path: Path) -> bytes:
    """At most MAX_BYTES of the file; one more byte means it is too big (a device never ends)."""
    file = str(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SourceError([Problem(file, None, "", f"无法读取 cannot read the file: {exc.strerror}")]) from exc
    return raw  # parse_yaml refuses it when it is over the limit


def _compose(file: str, text: str) -> tuple[yaml.Node | None, object]:
    """The node tree (for lines) and the data, from one parse, within the limits."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None and loader.aliases:
            _expanded(node, {}, set())
        return node, (loader.construct_document(node) if node is not None else None)
    except _Refused as exc:
        raise SourceError([Problem(file, exc.mark.line + 1 if exc.mark else None, "", exc.message)]) from None
    finally:
        loader.dispose()


def read_yaml(path: Path) -> YamlSource:
    """Parse `path`; a file that is missing, empty, binary, not YAML or over a limit raises one
    clear problem."""
    return parse_yaml(str(path), _read_bytes(path))


def parse_yaml(file: str, raw: bytes) -> YamlSource:
    """Parse `raw` (named `file` in problems) within the same limits as a file read from disk:
    the board validates the YAML it will offer for download this way, as `plan check` would."""
    if len(raw) > MAX_BYTES:
        raise SourceError([Problem(file, None, "", f"文件太大 the file is over {MAX_BYTES} bytes (1 MiB), the "
                                   "most a plan file may have: split the plan into several files")])
    text = _text_of(Path(file), raw)
    try:
        node, data = _compose(file, text)
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
