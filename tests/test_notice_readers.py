"""The notice readers on real files made here (Word by python-docx, Excel by openpyxl, a web page as
a government site serves it, PDF printed by Chromium, .doc/.xls/.rtf/.odt by LibreOffice): what a
person sees in the file is what the Document holds, in order, a merged cell's text in every cell
it covers; a file that cannot be read is refused saying why and what to do, in both languages."""

from __future__ import annotations

import email.mime.multipart
import email.mime.text
import io
import re
import shutil
import zipfile
from pathlib import Path

import pdfplumber
import pytest
from docx.oxml.ns import qn

from notices import glyphs
from notices.document import Document, NoticeError, Paragraph, Table
from notices.readers import read_notice
from tests.notice_files import (
    Merge,
    TableSpec,
    office_convert,
    seed000_table,
    write_docx,
    write_docx_blocks,
    write_html,
    write_html_blocks,
    write_pdf,
    write_pdf_blocks,
    write_scanned_pdf,
    write_xlsx,
    write_xlsx_blocks,
)

BEFORE = ["关于做好2016年政务公开工作的通知", "各县(市)区人民政府,市政府各部门:", "现将有关事项通知如下,联系人:王堃。"]
TASKS = [
    ["序号", "任务", "牵头单位", "完成时限"],
    ["1", "公开预决算信息", "市财政局", "9月底前完成\n长期推进"],
    ["2", "公开政府性基金目录清单", "", "7月底前启动"],
    ["3", "推进减税降负信息公开", "市国税局\n市地税局", "9月底前完成"],
    ["合计", "", "", "3项"],
]
# 市财政局 leads rows 1 and 2 (written once, merged down); 合计 spans three columns.
MERGES = [Merge(1, 2, 2, 2), Merge(4, 0, 4, 2)]
EXPECTED = (
    ("序号", "任务", "牵头单位", "完成时限"),
    ("1", "公开预决算信息", "市财政局", "9月底前完成\n长期推进"),
    ("2", "公开政府性基金目录清单", "市财政局", "7月底前启动"),
    ("3", "推进减税降负信息公开", "市国税局\n市地税局", "9月底前完成"),
    ("合计", "合计", "合计", "3项"),
)
AFTER = ["营口市人民政府办公室", "2016年7月28日"]
RADICALS = re.compile(r"[\u2e80-\u2fdf]")


def texts(document: Document) -> list[str]:
    return [b.text for b in document.blocks if isinstance(b, Paragraph)]


def tables(document: Document) -> list[Table]:
    return [b for b in document.blocks if isinstance(b, Table)]


def kinds(document: Document) -> str:
    return "".join("P" if isinstance(b, Paragraph) else "T" for b in document.blocks)


def refusal(path: Path, data: bytes | None = None) -> str:
    with pytest.raises(NoticeError) as caught:
        read_notice(path, data)
    return str(caught.value)


# ---- glyphs -------------------------------------------------------------------------------------

def test_glyph_fixes_read_radicals_as_ideographs_and_leave_the_rest_as_written():
    given = "⾸⻚\u3000营⼝市\u200b⼈⺠政府⻔⼾\u00a0關於(一),2016年\uf900"
    assert glyphs.fix(given) == "首页 营口市人民政府门户 關於(一),2016年豈"


def test_every_supplement_radical_with_a_unicode_equivalent_is_mapped():
    mapped = [code for code in range(0x2E80, 0x2EF4) if glyphs.fix(chr(code)) != chr(code)]
    assert len(mapped) == 114  # all but U+2E80 (no equivalent) and U+2E9A (unassigned)
    assert glyphs.fix("\u2eda\u2ed4\u2ec5") == "页门见"


# ---- plain text ---------------------------------------------------------------------------------

NOTICE_TEXT = "关于做好2016年政务公开工作的通知\n\n\u3000\u3000各县(市)区人民政府:\n" \
              "序号 | 任务 | 牵头单位\n|---|---|---|\n1 | 公开预决算信息 | 市财政局\n  \n2016年7月28日\n"


def test_text_lines_are_paragraphs_by_file_line_and_pipe_rows_a_table(tmp_path):
    document = read_notice(tmp_path / "通知.txt", NOTICE_TEXT.encode("utf-8"))
    assert document.blocks == [
        Paragraph("关于做好2016年政务公开工作的通知", "第1行"),
        Paragraph("各县(市)区人民政府:", "第3行"),
        Table((("序号", "任务", "牵头单位"), ("1", "公开预决算信息", "市财政局")), ("第4行", "第6行")),
        Paragraph("2016年7月28日", "第8行"),
    ]


def test_tab_separated_rows_copied_from_a_table_are_a_table_with_their_empty_cells(tmp_path):
    text = "任务分工表\n序号\t工作任务\t牵头单位\t配合单位\n1\t公开预决算信息\t市财政局\t\n\t\t正文缩进的一段话"
    document = read_notice(tmp_path / "分工表.txt", text.encode("utf-8"))
    assert document.blocks == [
        Paragraph("任务分工表", "第1行"),
        Table((("序号", "工作任务", "牵头单位", "配合单位"), ("1", "公开预决算信息", "市财政局", "")),
              ("第2行", "第3行")),
        Paragraph("正文缩进的一段话", "第4行"),  # tabs that only indent make no table
    ]


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "gb18030", "gbk"])
def test_text_reads_alike_in_every_encoding_offices_save(tmp_path, codec):
    path = tmp_path / "通知.txt"
    path.write_bytes(NOTICE_TEXT.encode(codec))
    assert read_notice(path).blocks == read_notice(path, NOTICE_TEXT.encode("utf-8")).blocks


def test_text_in_no_known_encoding_is_refused(tmp_path):
    message = refusal(tmp_path / "乱码.txt", b"\xff\x80\xff\x80 notice")
    assert "无法读取 乱码.txt" in message and "cannot read 乱码.txt" in message and "UTF-8" in message


# ---- Word ---------------------------------------------------------------------------------------

def test_word_paragraphs_and_tables_in_order_with_merged_cells_repeated(tmp_path):
    path = write_docx(tmp_path / "通知.docx", BEFORE, TASKS, AFTER, MERGES, header="营口市人民政府办公室文件")
    xml = zipfile.ZipFile(path).read("word/document.xml").decode()
    assert "w:vMerge" in xml and "w:gridSpan" in xml  # real Word merges, not repeated text

    document = read_notice(path)

    assert kinds(document) == "PPPTPP"
    assert texts(document) == BEFORE + AFTER
    assert [b.where for b in document.blocks if isinstance(b, Paragraph)] == ["第1段", "第2段", "第3段", "第4段", "第5段"]
    (table,) = tables(document)
    assert table.rows == EXPECTED
    assert table.where == ("表1 第1行", "表1 第2行", "表1 第3行", "表1 第4行", "表1 第5行")
    assert "营口市人民政府办公室文件" not in document.text()  # the page header is not the notice


def test_word_line_breaks_split_paragraphs_and_a_nested_table_reads_as_text(tmp_path):
    import docx

    word = docx.Document()
    paragraph = word.add_paragraph()
    paragraph.add_run("营口市人民政府办公室").add_break()
    paragraph.add_run("2016年7月28日")
    outer = word.add_table(rows=2, cols=2)
    outer.cell(0, 0).text, outer.cell(0, 1).text = "任务", "分工"
    outer.cell(1, 0).text = "公开预决算信息"
    cell = outer.cell(1, 1)
    cell.paragraphs[0].text = "分工如下:"
    inner = cell.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "牵头", (0, 1): "市财政局", (1, 0): "配合", (1, 1): "各部门"}.items():
        inner.cell(r, c).text = text
    path = tmp_path / "嵌套.docx"
    word.save(str(path))

    document = read_notice(path)

    assert document.blocks[:2] == [Paragraph("营口市人民政府办公室", "第1段"), Paragraph("2016年7月28日", "第1段")]
    assert tables(document)[0].rows == (("任务", "分工"), ("公开预决算信息", "分工如下:\n牵头 市财政局\n配合 各部门"))


CHINESE_LIST = """<w:abstractNum {ns} w:abstractNumId="90">
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:suff w:val="nothing"/>
    <w:lvlText w:val="%1、"/></w:lvl>
  <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:suff w:val="nothing"/>
    <w:lvlText w:val="(%2)"/></w:lvl>
</w:abstractNum>"""
SERIAL_LIST = """<w:abstractNum {ns} w:abstractNumId="91">
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:suff w:val="nothing"/>
    <w:lvlText w:val="%1"/></w:lvl>
</w:abstractNum>"""


def numbered_docx(path: Path) -> Path:
    """Headings numbered by Word ("一、" "(一)") and a 序号 column Word numbers itself: the numbers
    are list definitions (numbering.xml), not text."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    word = docx.Document()
    root = word.part.numbering_part.element
    first_num = root.find(qn("w:num"))
    for abstract in (CHINESE_LIST, SERIAL_LIST):
        first_num.addprevious(parse_xml(abstract.format(ns=nsdecls("w"))))
    for num_id, abstract_id in (("90", "90"), ("91", "91")):
        root.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/></w:num>'))

    def numbered(paragraph, num_id: str, level: int) -> None:
        paragraph._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'))

    for text, level in [("推进权力运行全流程公开", 0), ("推进行政决策公开", 1), ("推进政策执行公开", 1),
                        ("推进服务全过程公开", 0), ("推进网上审批平台建设", 1)]:
        numbered(word.add_paragraph(text), "90", level)
    table = word.add_table(rows=4, cols=3)
    table.style = "Table Grid"
    for r, (task, lead) in enumerate([("任务", "牵头单位"), ("公开预决算信息", "市财政局"), ("公开基金目录", ""),
                                      ("公开审计结果", "市审计局")]):
        if r:
            numbered(table.cell(r, 0).paragraphs[0], "91", 0)
        else:
            table.cell(r, 0).text = "序号"
        table.cell(r, 1).text = task
        table.cell(r, 2).text = lead
    table.cell(1, 2).merge(table.cell(2, 2))
    word.add_paragraph()  # as Word ends every document
    word.save(str(path))
    return path


NUMBERED_TEXTS = ["一、推进权力运行全流程公开", "(一)推进行政决策公开", "(二)推进政策执行公开", "二、推进服务全过程公开",
                  "(一)推进网上审批平台建设"]
NUMBERED_TABLE = (("序号", "任务", "牵头单位"), ("1", "公开预决算信息", "市财政局"), ("2", "公开基金目录", "市财政局"),
                  ("3", "公开审计结果", "市审计局"))


@pytest.mark.parametrize("saved_as", ["docx", "doc"])
def test_word_automatic_numbers_are_read_as_shown(tmp_path, saved_as):
    path = numbered_docx(tmp_path / "编号.docx")
    if saved_as == "doc":
        path = office_convert(path, "doc", tmp_path / "out")  # LibreOffice keeps them lists

    document = read_notice(path)

    assert texts(document) == NUMBERED_TEXTS
    assert tables(document)[0].rows == NUMBERED_TABLE  # the merged lead did not count a number twice


# ---- Excel --------------------------------------------------------------------------------------

def test_sheet_title_rows_are_paragraphs_merged_ranges_repeated_and_values_as_shown(tmp_path):
    import datetime as dt

    import openpyxl

    rows = [["序号", "任务", "牵头单位", "完成时间", "进度"],
            [1, "公开预决算信息", "市财政局", dt.datetime(2016, 9, 30), 0.5],
            [2.0, "公开政府性基金目录清单", "", dt.date(2016, 7, 31), 2.5]]
    path = write_xlsx(tmp_path / "分解表.xlsx", ["2016年政务公开任务分解表"], rows, ["注:每季度报送进展"],
                      merges=[Merge(1, 2, 2, 2)], blank_rows=[2])
    book = openpyxl.load_workbook(path)
    book.active["E4"].number_format = "0%"  # the 0.5 shows as 50%
    book.save(path)

    document = read_notice(path)

    assert kinds(document) == "PTP"
    assert document.blocks[0] == Paragraph("2016年政务公开任务分解表", "Sheet1 第1行")
    assert texts(document)[1] == "注:每季度报送进展"
    (table,) = tables(document)
    assert table.rows == (("序号", "任务", "牵头单位", "完成时间", "进度"),
                          ("1", "公开预决算信息", "市财政局", "2016-09-30", "50%"),
                          ("2", "公开政府性基金目录清单", "市财政局", "2016-07-31", "2.5"))
    assert table.where == ("Sheet1 第3行", "Sheet1 第4行", "Sheet1 第5行")  # row 2 was empty


def test_sheet_tables_merged_across_columns_repeat_the_text(tmp_path):
    path = write_xlsx(tmp_path / "表.xlsx", [], TASKS, merges=MERGES)
    assert tables(read_notice(path))[0].rows == EXPECTED


# ---- web pages ----------------------------------------------------------------------------------

def test_gbk_web_page_keeps_the_article_and_drops_the_site_around_it(tmp_path):
    path = write_html(tmp_path / "通知.htm", BEFORE, TASKS, ["\n".join(AFTER)], MERGES, charset="gb2312")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really GBK, and 堃 is not in GB2312 itself

    document = read_notice(path)

    assert texts(document) == BEFORE + AFTER  # <br> splits lines; menus, breadcrumb, share, footer gone
    assert tables(document)[0].rows == EXPECTED  # rowspan and colspan repeated
    for furniture in ("首页", "分享", "版权", "统计", "相关链接", "无障碍"):
        assert furniture not in document.text()


def test_a_doc_that_is_a_web_page_and_a_web_page_saved_as_mht_are_read(tmp_path):
    page = write_html(tmp_path / "页.html", BEFORE, TASKS, AFTER, MERGES)
    as_doc = read_notice(tmp_path / "通知.doc", page.read_bytes())
    message = email.mime.multipart.MIMEMultipart("related")
    message.attach(email.mime.text.MIMEText(page.read_text(encoding="utf-8"), "html", "utf-8"))
    as_mht = read_notice(tmp_path / "通知.mht", message.as_bytes())
    for document in (as_doc, as_mht):
        assert texts(document) == BEFORE + AFTER
        assert tables(document)[0].rows == EXPECTED


# ---- PDF ----------------------------------------------------------------------------------------

LONG = ("为贯彻落实《辽宁省人民政府办公厅关于贯彻落实国务院办公厅2016年政务公开工作要点的实施方案》精神,"
        "经市政府同意,现提出如下要求,请结合工作实际,认真组织实施。各级政府及部门要高度重视政务公开工作,"
        "主要负责同志年内至少听取一次政务公开工作汇报,研究部署推进工作。")


def test_pdf_tables_and_paragraphs_without_running_header_and_page_numbers(tmp_path):
    filler = [f"({n})推进第{n}项工作的信息公开,市政府有关部门负责落实。" for n in range(1, 60)]
    path = write_pdf(tmp_path / "通知.pdf", BEFORE + [LONG], TASKS, AFTER + filler, MERGES,
                     header="营口市人民政府办公室文件")
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) >= 3
        raw = "".join(page.extract_text() for page in pdf.pages)
    assert raw.count("营⼝市⼈⺠政府办公室⽂件") == len(pdf.pages)  # the header, as Chromium's radicals
    assert "- 2 -" in raw

    document = read_notice(path)

    assert texts(document)[:6] == BEFORE + [LONG] + AFTER  # the wrapped paragraph is one again
    assert texts(document)[6:] == filler  # over page breaks, without headers or page numbers
    assert kinds(document) == "PPPPT" + "P" * (2 + len(filler))
    assert tables(document)[0].rows == EXPECTED
    assert document.blocks[0].where == "第1页" and document.blocks[-1].where == f"第{len(pdf.pages)}页"
    assert not RADICALS.search(document.text())


def test_pdf_radical_glyphs_read_as_the_ideographs_typed(tmp_path):
    path = write_pdf(tmp_path / "首页.pdf", ["首页 > 政务公开 > 通知公告", "市住房城乡建设委门户网站"],
                     [["牵头部门", "公开载体"], ["市人民政府", "门户网站"]], page_numbers=False)
    with pdfplumber.open(path) as pdf:
        raw = pdf.pages[0].extract_text()
    assert "⾸⻚" in raw and "⻔⼾" in raw  # U+2FB8 U+2EDA, U+2ED4 U+2F3E: what the PDF says

    document = read_notice(path)

    assert texts(document) == ["首页 > 政务公开 > 通知公告", "市住房城乡建设委门户网站"]
    assert tables(document)[0].rows == (("牵头部门", "公开载体"), ("市人民政府", "门户网站"))


def test_every_gb2312_character_printed_by_chromium_reads_back_as_itself(tmp_path):
    characters = []
    for high in [*range(0xA1, 0xAA), *range(0xB0, 0xF8)]:
        for low in range(0xA1, 0xFF):
            try:
                characters.append(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    characters = [c for c in characters if c.strip() and c not in "～｀・"]  # look-alike dashes and dots
    lines = ["".join(characters[i:i + 30]) for i in range(0, len(characters), 30)]
    path = write_pdf_blocks(tmp_path / "gb2312.pdf", lines, page_numbers=False)

    document = read_notice(path)

    read = "".join(texts(document)).replace(" ", "")
    assert len(read) == len(characters) > 7000
    assert [(a, b) for a, b in zip(characters, read) if a != b] == []


def test_pdf_merged_cell_cut_by_a_page_break_keeps_its_text_below(tmp_path):
    rows = [["牵头单位", "序号", "任务"]] + [["", str(n), f"第{n}项任务"] for n in range(1, 46)] \
        + [["市财政局", "46", "预算公开"]]
    rows[1][0] = "市教育局"
    path = write_pdf(tmp_path / "长表.pdf", ["任务分解表"], rows, merges=[Merge(1, 0, 45, 0)])

    document = read_notice(path)

    (table,) = tables(document)
    assert table.rows == TableSpec(rows, (Merge(1, 0, 45, 0),)).expected()
    assert {w.split(" ")[0] for w in table.where} == {"第1页", "第2页", "第3页"}


def test_a_scanned_pdf_is_refused_it_needs_ocr(tmp_path):
    message = refusal(write_scanned_pdf(tmp_path / "扫描件.pdf"))
    assert "无法读取 扫描件.pdf" in message and "扫描" in message and "OCR" in message
    assert "cannot read 扫描件.pdf" in message and "scanned" in message


def test_a_pdf_with_a_password_and_a_damaged_pdf_are_refused(tmp_path):
    source = write_docx(tmp_path / "密码.docx", BEFORE, TASKS)
    locked = office_convert(source, 'pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
                                    '"DocumentOpenPassword":{"type":"string","value":"2016"}}', tmp_path / "out")
    assert "密码" in refusal(locked) and "password" in refusal(locked)
    message = refusal(tmp_path / "坏.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50)
    assert "已损坏" in message and "damaged" in message


# ---- seed 000's task table in every format -----------------------------------------------------

def write_seed(kind: str, path: Path) -> Path:
    blocks = seed000_table().blocks()
    if kind == "docx":
        return write_docx_blocks(path.with_suffix(".docx"), blocks)
    if kind == "xlsx":
        return write_xlsx_blocks(path.with_suffix(".xlsx"), blocks)
    if kind == "html":
        return write_html_blocks(path.with_suffix(".html"), blocks, charset="gbk")
    if kind == "pdf-libreoffice":  # as Word exports: rows broken across pages, words kept whole
        docx = write_docx_blocks(path.with_suffix(".docx"), blocks, header="营口市人民政府办公室", landscape=True)
        return office_convert(docx, "pdf", path.parent / "out")
    return write_pdf_blocks(path.with_suffix(".pdf"), blocks, header="营口市人民政府办公室",
                            landscape=kind == "pdf-landscape")


@pytest.mark.parametrize("kind", ["docx", "xlsx", "html", "pdf", "pdf-landscape", "pdf-libreoffice"])
def test_seed_000_task_table_reads_back_cell_for_cell(tmp_path, kind):
    seed = seed000_table()
    path = write_seed(kind, tmp_path / "附件")

    document = read_notice(path)

    assert texts(document) == [*seed.before, seed.parts[0].heading, seed.parts[1].heading]
    assert kinds(document) == "PPPTPT"
    assert [t.rows for t in tables(document)] == [part.table.expected() for part in seed.parts]


def test_seed_000_lead_departments_are_merged_cells_in_the_model():
    first, second = seed000_table().parts
    assert first.table.rows[0] == ["序号", "任务事项", "工作要求", "公开载体", "完成时限"]
    assert second.table.rows[0][0] == "牵头部门" and len(second.table.rows) == 31
    leads = {second.table.rows[m.top][0]: m.bottom - m.top + 1 for m in second.table.merges}
    assert leads["市发展改革委\n(物价局)"] == 4 and leads["市人力资源社会保障局"] == 3
    assert second.table.expected()[14][0] == "市人力资源社会保障局"  # task 14, written once above it
    assert first.table.rows[10][4] == "7月底前启动9月底前完成\n长期推进"


# ---- formats LibreOffice converts ---------------------------------------------------------------

@pytest.mark.parametrize("target, name", [("doc", "通知.doc"), ("doc", "通知.wps"), ("rtf", "通知.rtf"),
                                          ("odt", "通知.odt")])
def test_older_word_formats_are_converted_by_libreoffice_and_read_as_docx(tmp_path, target, name):
    source = write_docx(tmp_path / "通知.docx", BEFORE, TASKS, AFTER, MERGES)
    converted = office_convert(source, target, tmp_path / "out")
    assert not converted.read_bytes().startswith(b"PK") or target == "odt"

    document = read_notice(tmp_path / name, converted.read_bytes())

    assert texts(document) == BEFORE + AFTER
    assert tables(document)[0].rows == EXPECTED


@pytest.mark.parametrize("name", ["分解表.xls", "分解表.et"])
def test_excel_97_and_wps_sheets_are_converted_and_read_as_xlsx(tmp_path, name):
    source = write_xlsx(tmp_path / "分解表.xlsx", ["任务分解表"], TASKS, merges=MERGES)
    converted = office_convert(source, "xls", tmp_path / "out")

    document = read_notice(tmp_path / name, converted.read_bytes())

    assert texts(document) == ["任务分解表"]
    assert tables(document)[0].rows == EXPECTED


def test_without_libreoffice_a_doc_is_refused_saying_how_to_install_it(tmp_path, monkeypatch):
    doc = office_convert(write_docx(tmp_path / "通知.docx", BEFORE, TASKS), "doc", tmp_path / "out")
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    assert shutil.which("soffice") is None

    message = refusal(doc)

    assert message.startswith("无法读取 通知.doc:需要安装 LibreOffice 才能读取 .doc")
    assert "apt-get install libreoffice-writer-nogui" in message and "install LibreOffice" in message


def test_a_docx_named_doc_is_read_by_its_content_without_libreoffice(tmp_path, monkeypatch):
    data = write_docx(tmp_path / "通知.docx", BEFORE, TASKS, AFTER, MERGES).read_bytes()
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    document = read_notice(tmp_path / "通知.doc", data)
    assert texts(document) == BEFORE + AFTER and tables(document)[0].rows == EXPECTED


# ---- files that are not notices -----------------------------------------------------------------

def test_unknown_empty_and_damaged_files_are_refused_saying_what_to_do(tmp_path):
    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(picture, "PNG")
    message = refusal(tmp_path / "红头.png", picture.getvalue())
    assert "无法读取 红头.png:不认识的文件格式" in message and "cannot read 红头.png: unknown file format" in message

    assert "文件是空的" in refusal(tmp_path / "空.docx", b"")
    assert "找不到" in refusal(tmp_path / "缺.docx")

    whole = write_docx(tmp_path / "通知.docx", BEFORE, TASKS).read_bytes()
    message = refusal(tmp_path / "半截.docx", whole[: len(whole) // 2])
    assert "已损坏" in message and "damaged" in message


def with_part_replaced(path: Path, part: str, data: bytes) -> bytes:
    """The zip at `path` with one part's bytes replaced (a Word or Excel file a tool broke)."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            target.writestr(name, data if name == part else source.read(name))
    return out.getvalue()


def test_a_word_or_excel_file_whose_xml_is_broken_is_refused_as_damaged(tmp_path):
    docx = write_docx(tmp_path / "通知.docx", BEFORE, TASKS)
    message = refusal(tmp_path / "坏.docx", with_part_replaced(docx, "word/document.xml", b"<w:document broken"))
    assert "无法读取 坏.docx:Word 文件已损坏" in message and "the Word file is damaged" in message
    xlsx = write_xlsx(tmp_path / "通知.xlsx", BEFORE, TASKS)
    message = refusal(tmp_path / "坏.xlsx", with_part_replaced(xlsx, "xl/worksheets/sheet1.xml", b"<worksheet"))
    assert "无法读取 坏.xlsx:Excel 文件已损坏" in message and "the Excel file is damaged" in message


def test_a_word_file_with_damaged_compressed_data_is_refused_as_damaged(tmp_path):
    docx = write_docx(tmp_path / "通知.docx", BEFORE, TASKS)
    data = bytearray(docx.read_bytes())
    with zipfile.ZipFile(docx) as archive:
        info = archive.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)  # the packed bytes
    data[start + 20:start + 60] = bytes(40)  # a download cut and padded, a disk error
    message = refusal(tmp_path / "坏.docx", bytes(data))
    assert "无法读取 坏.docx:文件已损坏或不完整" in message and "the file is damaged or incomplete" in message
