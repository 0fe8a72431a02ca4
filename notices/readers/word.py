"""Word notices (.docx; .doc/.wps come here after LibreOffice): the body's paragraphs and tables in
document order. Page headers and footers (红头 repeats, page numbers) are not part of the body and
are left out; so are text boxes, which Word also keeps a fallback copy of."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from docx import Document as open_docx
from docx.oxml.ns import qn
from docx.table import Table as DocxTable
from lxml.etree import XMLSyntaxError

from notices.document import Block, Document, NoticeError, Paragraph, Table
from notices.readers.numbering import Numbering

P, TBL, SDT, SDT_CONTENT = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:sdtContent")
TEXT_TAGS = {qn("w:t"): None, qn("w:tab"): "\t", qn("w:br"): "\n", qn("w:cr"): "\n"}
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
SKIPPED = {qn("w:del"), qn("w:txbxContent"), MC_FALLBACK}


def read_docx(name: str, data: bytes) -> Document:
    try:
        document = open_docx(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError) as error:  # a part that is not XML
        raise NoticeError(f"无法读取 {name}:Word 文件已损坏或不完整({error});请用 WPS 或 Word 打开后"
                          f"另存为 .docx 再导入 / cannot read {name}: the Word file is damaged or "
                          f"incomplete ({error}); open it in WPS or Word, save as .docx and import again") from error
    return Document(name, list(body_blocks(document)))


def body_blocks(document) -> Iterator[Block]:
    numbering = Numbering(document)
    paragraphs = tables = 0
    for element in body_elements(document.element.body):
        if element.tag == P:
            lines = [line for line in paragraph_text(element, numbering).split("\n") if line.strip()]
            paragraphs += bool(lines)  # a line break (Shift+Enter) makes lines of one paragraph
            yield from (Paragraph(line, f"第{paragraphs}段") for line in lines)
        else:
            tables += 1
            yield read_table(DocxTable(element, document), tables, numbering)


def body_elements(parent) -> Iterator:
    """w:p and w:tbl children in order, looking inside content controls (w:sdt)."""
    for child in parent.iterchildren():
        if child.tag in (P, TBL):
            yield child
        elif child.tag == SDT:
            for content in child.iterchildren(SDT_CONTENT):
                yield from body_elements(content)


def paragraph_text(p, numbering: Numbering) -> str:
    """The paragraph as shown: its automatic number, runs, hyperlinks and tracked insertions; not
    deleted text."""
    out: list[str] = [numbering.label(p)]
    for node in p.iter(*TEXT_TAGS):
        if any(ancestor.tag in SKIPPED for ancestor in node.iterancestors()):
            continue
        fixed = TEXT_TAGS[node.tag]
        out.append((node.text or "") if fixed is None else fixed)
    return "".join(out)


def read_table(table: DocxTable, number: int, numbering: Numbering) -> Table:
    """Rows of cell texts; python-docx gives a merged cell once per grid column it spans and again
    in each row it is merged down into (w:vMerge), so its text is in every position it covers."""
    texts: dict = {}  # cell element -> text: each cell read once, in order, so numbering counts it once
    rows = []
    for row in table.rows:
        cells = []
        for cell in row.cells:
            if cell._tc not in texts:
                texts[cell._tc] = cell_text(cell._tc, numbering)
            cells.append(texts[cell._tc])
        rows.append(tuple([""] * row.grid_cols_before + cells + [""] * row.grid_cols_after))
    where = tuple(f"表{number} 第{r}行" for r in range(1, len(rows) + 1))
    return Table(tuple(rows), where)


def cell_text(tc, numbering: Numbering) -> str:
    """A cell's paragraphs one per line; a table inside it as lines of its cells' text."""
    lines: list[str] = []
    for element in body_elements(tc):
        if element.tag == P:
            lines.append(paragraph_text(element, numbering))
        else:
            for tr in element.iterchildren(qn("w:tr")):
                cells = [cell_text(inner, numbering) for inner in tr.iterchildren(qn("w:tc"))]
                lines.append(" ".join(c.replace("\n", " ") for c in cells if c.strip()))
    return "\n".join(line for line in lines if line.strip())
