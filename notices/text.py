"""Text as the importer compares it: simplified characters, full-width forms folded, no spaces.
The plan keeps the notice's own text; only matching uses these forms."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from scheduler.plans.phrases import parse_schedule, to_simplified


@lru_cache(maxsize=65536)
def simplified(text: str) -> str:
    """Traditional characters as simplified (遼寧省 -> 辽宁省); the same length, character for character
    where OpenCC maps one to one, which is what span mapping back to the original relies on."""
    return to_simplified(text)


def key(text: str) -> str:
    """For comparing: NFKC (full-width digits and brackets), simplified, no whitespace."""
    return re.sub(r"\s+", "", simplified(unicodedata.normalize("NFKC", text)))


_DEADLINE_WORDS = re.compile(r"\d+月(底|末|份|\d+日|上旬|中旬|下旬)|年底|年末|年内|年中|上半年|下半年|每[日天周月季年]|"
                             r"按[月季年]|季度|长期|持续|常态化|全年|工作日|小时内|日内|天内|^\d{4}年$|前完成|前启动|^.{1,8}前$")


@lru_cache(maxsize=16384)
def looks_like_deadline(text: str) -> bool:
    """A short cell that is a deadline phrase (7月底前启动, 长期推进, 每季度, 2017年), not a sentence."""
    t = key(text)
    if not t or len(t) > 40 or t.endswith("。"):
        return False
    parsed = parse_schedule(t, year=2000)
    if parsed.whole and not parsed.schedule.is_empty():
        return True  # also 经市人大常委会通过以后: an event with its time limit still to be set
    return len(t) <= 24 and bool(_DEADLINE_WORDS.search(unicodedata.normalize("NFKC", t)))

