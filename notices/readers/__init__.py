"""Reading a notice file into a Document, whatever it was saved as: the reader is chosen by what
the bytes are (a .doc that is really .docx or a web page, an .html saved as .htm), the file's
extension deciding only where the bytes do not; then every text gets the glyph fixes (glyphs.py).

    read_notice(Path("通知.docx")) -> Document(paragraphs and tables, in order)
"""

from __future__ import annotations

import email
import io
import re
import zipfile
import zlib
from collections.abc import Callable
from email import policy
from pathlib import Path

from notices import glyphs
from notices.document import Block, Document, NoticeError, Paragraph, Table
from notices.readers import office
from notices.readers.pdf import read_pdf
from notices.readers.sheet import read_xlsx
from notices.readers.text import read_text
from notices.readers.webpage import read_html
from notices.readers.word import read_docx

Reader = Callable[[str, bytes], Document]

WORD_LIKE = {".doc", ".dot", ".wps", ".wpt", ".rtf", ".odt", ".ott", ".docm", ".dotx"}
SHEET_LIKE = {".xls", ".et", ".ett", ".ods", ".xlsm"}
TEXT_LIKE = {".txt", ".text", ".csv", ".md", ""}
HTML_START = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|table|div|p)[\s>/]",
                        re.IGNORECASE | re.DOTALL)
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003, Excel 97-2003, WPS: a compound file
UNKNOWN = ("无法读取 {name}:不认识的文件格式({why});支持 .txt .docx .doc .wps .xlsx .xls .et .html .pdf,"
           "请另存为其中一种后再导入 / cannot read {name}: unknown file format ({why}); .txt .docx .doc .wps "
           ".xlsx .xls .et .html .pdf can be read: save it as one of them and import again")


def read_notice(path: Path, data: bytes | None = None) -> Document:
    """The notice at `path` (or `data`, the file's bytes, with `path` only naming it)."""
    name = path.name
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise NoticeError(f"无法读取 {name}:找不到或打不开这个文件({error.strerror});请检查文件路径 / "
                              f"cannot read {name}: no such file or no access ({error.strerror}); check the "
                              f"path") from error
    if not data.strip():
        raise NoticeError(f"无法读取 {name}:文件是空的 / cannot read {name}: the file is empty")
    document = choose_reader(name, data)(name, data)
    return tidy(document)


def choose_reader(name: str, data: bytes) -> Reader:
    suffix = Path(name).suffix.lower()
    if data.startswith(b"PK\x03\x04"):
        return zip_reader(name, data, suffix)
    if b"%PDF-" in data[:1024]:  # the header may follow some bytes of junk
        return read_pdf
    if data.startswith(OLE2):
        target = "xlsx" if is_ole_workbook(data) or suffix in SHEET_LIKE else "docx"
        return converted(suffix if suffix in WORD_LIKE | SHEET_LIKE else ".doc", target)
    if data.lstrip().startswith(b"{\\rtf"):
        return converted(".rtf", "docx")
    if b"mime-version:" in data[:2048].lower() and b"multipart/related" in data[:4096].lower():
        return read_mht
    if looks_like_html(data):
        return read_html
    if suffix in TEXT_LIKE or is_text(data):  # also a .doc or .htm that is really plain text
        return read_text
    raise NoticeError(UNKNOWN.format(name=name, why=f"扩展名 {suffix or '无'} / extension {suffix or 'none'}"))


def zip_reader(name: str, data: bytes, suffix: str) -> Reader:
    """.docx, .xlsx, .odt/.ods (and .wps/.et saved in the new formats) are all zip files. Every part
    is unpacked once here: a damaged one is refused before any reader trips over it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = set(archive.namelist())
            bad_part = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, ValueError) as error:
        raise damaged(name, str(error)) from error
    if bad_part is not None:
        raise damaged(name, bad_part)
    if "word/document.xml" in parts:
        return read_docx
    if "xl/workbook.xml" in parts:
        return read_xlsx
    if "content.xml" in parts:
        spreadsheet = b"opendocument.spreadsheet" in data[:200] or suffix in SHEET_LIKE
        return converted(".ods" if spreadsheet else ".odt", "xlsx" if spreadsheet else "docx")
    raise NoticeError(UNKNOWN.format(name=name, why="压缩包里没有 Word 或 Excel 文档 / a zip with no Word or "
                                                    "Excel document inside"))


def damaged(name: str, why: str) -> NoticeError:
    return NoticeError(f"无法读取 {name}:文件已损坏或不完整({why});请重新下载或另存后再导入 / cannot read "
                       f"{name}: the file is damaged or incomplete ({why}); download or save it again")


def converted(suffix: str, target: str) -> Reader:
    read_target = read_docx if target == "docx" else read_xlsx

    def read(name: str, data: bytes) -> Document:
        return read_target(name, office.convert(name, data, suffix, target))

    return read


def is_ole_workbook(data: bytes) -> bool:
    """An Excel/WPS spreadsheet's compound file has a "Workbook" (Excel 5: "Book") stream and no
    "WordDocument" one (the stream names are UTF-16 in the file's directory)."""
    def has(stream: str) -> bool:
        return stream.encode("utf-16-le") in data

    return (has("Workbook") or has("Book\0")) and not has("WordDocument")


def looks_like_html(data: bytes) -> bool:
    head = data[:2048]
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            head = head[2:].decode(codec, errors="ignore").encode("utf-8")
    return bool(HTML_START.match(head.removeprefix(b"\xef\xbb\xbf")))


def is_text(data: bytes) -> bool:
    """No control characters but tabs and line ends in the first part: a text file by its content."""
    sample = data[:4096]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    return not re.search(rb"[\x00-\x08\x0b\x0e-\x1f]", sample)


def read_mht(name: str, data: bytes) -> Document:
    """A web page saved as one file (.mht, also Word's "single file web page" renamed .doc)."""
    message = email.message_from_bytes(data, policy=policy.default)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            return read_html(name, part.get_payload(decode=True) or b"")
    raise NoticeError(UNKNOWN.format(name=name, why="MHT 文件里没有网页 / an MHT file with no page inside"))


# ---- the same tidy text from every reader -------------------------------------------------------

def tidy(document: Document) -> Document:
    """Glyph fixes on every text; outer spaces stripped; empty paragraphs, empty table rows and
    empty tables dropped; table rows padded to one width."""
    blocks: list[Block] = []
    for block in document.blocks:
        if isinstance(block, Paragraph):
            text = glyphs.fix(block.text).strip()
            if text:
                blocks.append(Paragraph(text, block.where))
        elif table := tidy_table(block):
            blocks.append(table)
    return Document(document.name, blocks)


def tidy_table(table: Table) -> Table | None:
    width = table.width
    kept = [(tuple(cell_text(c) for c in row) + ("",) * (width - len(row)), where)
            for row, where in zip(table.rows, table.where)]
    kept = [(row, where) for row, where in kept if any(row)]
    if not kept:
        return None
    return Table(tuple(row for row, _ in kept), tuple(where for _, where in kept))


def cell_text(text: str) -> str:
    lines = (line.strip() for line in glyphs.fix(text).split("\n"))
    return "\n".join(line for line in lines if line)
