"""What every reader gives the importer: the notice's paragraphs and tables, in order, with where
each came from (so a reviewer sees the source line beside the duty it became)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Paragraph:
    """One line of text as the notice has it (original characters; glyph fixes already applied)."""

    text: str
    where: str  # for people: "第12行", "第2页", "表1 第3行"


@dataclass(frozen=True)
class Table:
    """A real table. A merged cell's text is repeated in every cell it covers, so a lead written
    once for a group of rows is in each of those rows; an empty cell is ""."""

    rows: tuple[tuple[str, ...], ...]
    where: tuple[str, ...]  # one per row

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


Block = Paragraph | Table


@dataclass
class Document:
    name: str  # the file's name, for messages
    blocks: list[Block] = field(default_factory=list)

    def text(self) -> str:
        """The whole notice as lines (tables as `a | b | c` rows): for the year, title and noise."""
        out: list[str] = []
        for block in self.blocks:
            if isinstance(block, Paragraph):
                out.append(block.text)
            else:
                out.extend(" | ".join(row) for row in block.rows)
        return "\n".join(out)


class NoticeError(Exception):
    """A notice that cannot be read at all (format unknown, file damaged, converter missing).
    The message says what to do; it names the file."""
