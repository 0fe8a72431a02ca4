"""Notice import: a 500-row task table, as text and as .docx, imported next to the time to just
open and read the file (the reader alone: the floor any importer pays). Target: under 2 s each.

The rows are seed 000's table rows (营口, 40 duties) repeated with new numbers and lead departments,
so every row goes through the same cell placement, phrase reading and department matching.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from docx import Document as WordDocument

from bench.common import best
from notices.importer import import_notice
from notices.readers import read_notice
from notices.text import looks_like_deadline, simplified

ROWS = 500
HEADER = ["序号", "任务事项", "工作要求", "公开载体", "完成时限", "牵头单位"]
TASKS = [
    ("推进重大建设项目信息公开", "及时发布项目审批、核准、备案、实施等信息。", "市发展改革委网站", "7月底前启动\n9月底前完成\n长期推进"),
    ("推动集中式生活饮用水水源水质监测信息公开", "每季度向社会公开饮用水水源、供水厂出水、用户水龙头水质等饮水安全状况。",
     "市环保局网站", "7月底前启动\n长期推进"),
    ("做好政策解读工作", "牵头起草部门应在文件公开后3个工作日内,将文件和解读材料在政府网站发布。", "市政府门户网站", "长期推进"),
    ("建立列席相关会议制度", "年内至少5次邀请社会人员列席相关会议。", "新闻媒体", "7月底前启动\n长期推进"),
    ("推进审计信息公开", "及时发布可公开的审计公告、报告等。", "市审计局网站", "12月20日前"),
]
LEADS = ["市发展改革委", "市教育局", "市公安局", "市民政局", "市财政局", "市环保局", "市审计局", "市卫计委", "市农委"]


def rows() -> list[list[str]]:
    out = []
    for i in range(1, ROWS + 1):
        title, requirement, outlet, deadline = TASKS[i % len(TASKS)]
        out.append([str(i), f"{title}（{i}）", requirement, outlet, deadline, LEADS[i % len(LEADS)]])
    return out


def write_text(path: Path) -> None:
    lines = ["关于印发2016年政务公开工作任务分解表的通知", "测试市人民政府办公室", "2016年7月28日", *HEADER]
    for row in rows():
        lines += [cell for cell in row for cell in cell.split("\n")]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_docx(path: Path) -> None:
    doc = WordDocument()
    doc.add_paragraph("关于印发2016年政务公开工作任务分解表的通知")
    doc.add_paragraph("测试市人民政府办公室")
    doc.add_paragraph("2016年7月28日")
    table = doc.add_table(rows=1, cols=len(HEADER))
    for cell, text in zip(table.rows[0].cells, HEADER, strict=True):
        cell.text = text
    for row in rows():
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    doc.save(str(path))


def cold_import(path: Path) -> int:
    """One import with the text caches emptied, as a fresh process would run it."""
    simplified.cache_clear()
    looks_like_deadline.cache_clear()
    return len(import_notice(path).plan["duties"])


def main() -> None:
    print(f"notice import: a {ROWS}-row task table (best of 3)")
    with tempfile.TemporaryDirectory() as tmp:
        for name, write in (("notice.txt", write_text), ("notice.docx", write_docx)):
            path = Path(tmp) / name
            write(path)
            read_t = best(lambda p=path: read_notice(p), times=3)
            duties = cold_import(path)
            import_t = best(lambda p=path: cold_import(p), times=3)
            verdict = "ok" if import_t < 2 else "OVER the 2 s target"
            print(f"  {name:12} read only {read_t:6.3f} s   import {import_t:6.3f} s ({duties} duties)   "
                  f"{import_t / read_t:5.1f}x reading   {verdict}")


if __name__ == "__main__":
    main()
