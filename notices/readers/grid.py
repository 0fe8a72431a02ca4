"""A table being assembled cell by cell, where a merged cell's text goes into every position it
covers (Document.Table's promise). HTML (rowspan/colspan), sheets (merged ranges) and PDF (cell
boxes) all place their cells here."""

from __future__ import annotations


class Grid:
    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], str] = {}

    def taken(self, row: int, col: int) -> bool:
        return (row, col) in self.cells

    def next_free(self, row: int, col: int) -> int:
        """The first column from `col` on that no cell spanning down from above occupies."""
        while self.taken(row, col):
            col += 1
        return col

    def put(self, row: int, col: int, text: str, rows: int = 1, cols: int = 1) -> None:
        for r in range(row, row + max(rows, 1)):
            for c in range(col, col + max(cols, 1)):
                self.cells.setdefault((r, c), text)

    def rows(self, count: int | None = None) -> list[tuple[str, ...]]:
        """Rows as equal-length tuples ("" where nothing was put); `count` cuts off rows a span
        claimed below the table's last real row."""
        if not self.cells:
            return []
        height = count if count is not None else 1 + max(r for r, _ in self.cells)
        width = 1 + max(c for _, c in self.cells)
        return [tuple(self.cells.get((r, c), "") for c in range(width)) for r in range(height)]
