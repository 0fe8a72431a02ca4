"""Lines that are not the notice: the closing block (抄送, 印发), site furniture, advertising.
One place for them, so that neither a table nor a prose item takes one in as a duty's text."""

from __future__ import annotations

import re

from notices.document import Block, Document, Paragraph
from notices.text import key

# The closing block of a 公文: after it nothing is a duty.
_CLOSING = re.compile(r"^(抄送|主送|主题词|关键词|\(此件|（此件|此件公开发布|联系人|联系电话)"
                      r"|^.{0,30}20\d{2}年\d{1,2}月\d{1,2}日印发$|^本文档由用户上传|^相关资料$|^相关文档$")
# Site furniture and advertising, as saved from web pages and document-sharing sites.
_FURNITURE = re.compile(r"^\{[^}]{1,20}\}|小编|推荐访问|相关推荐|阅读次数|点击数|返回顶部|[Cc]opyright|"
                        r"信息来源[:：]|发布时间[:：]|浏览次数|【打印|【关闭|打印本页|关闭窗口|【字体|分享到|"
                        r"当前位置[:：]|首页\s*[>»]|上一篇|下一篇|扫一扫|网站地图|版权所有|ICP备|"
                        r"由会员分享|可在线阅读|文件下载|小编为大家整理|供大家参考|请在.{0,8}上搜索|"
                        r"精品国产|无码|在线观看|影院|免费下载|由用户上传|版权归属|仅提供信息存储|文库|"
                        r"^相关搜索$|^猜你喜欢$|^推荐阅读$|^热门推荐$")


_PAGE_MARK = re.compile(r"\s*(?:[-—－]\s*\d{1,3}\s*[-—－]|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d{1,3}\s*页)?)\s*$")


def without_noise(doc: Document) -> Document:
    """The notice without site furniture, ads and page numbers ("- 3 -", 第3页 共9页), also where a
    page number was glued to the end of a line when the file was copied (每月 - 2 -)."""
    blocks: list[Block] = []
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            text = _PAGE_MARK.sub("", block.text)
            if not text.strip() or is_furniture(text):
                continue
            block = Paragraph(text, block.where) if text != block.text else block
        blocks.append(block)
    return Document(doc.name, blocks)


def is_closing(text: str) -> bool:
    return bool(_CLOSING.search(key(text)))


def is_furniture(text: str) -> bool:
    return bool(_FURNITURE.search(key(text)))


_DATE_ONLY = re.compile(r"^20\d{2}年\d{1,2}月\d{1,2}日$")
_OFFICE = re.compile(r"(人民政府办公室|人民政府办公厅|政府办公室|政府办公厅|人民政府|办公室|办公厅|委员会|领导小组)$")


def is_signature_date(text: str) -> bool:
    """2016年7月28日 alone on its line: the date under a signature (a deadline says 前 or 底)."""
    return bool(_DATE_ONLY.match(key(text)))


def is_signature(text: str) -> bool:
    """营口市人民政府办公室 alone on its line, right above the date: who signed, not a lead."""
    t = key(text)
    return len(t) <= 30 and bool(_OFFICE.search(t))
