"""Glyph fixes every reader applies: characters that look right on screen but are not the characters
a person typed, so a search for 首页 or 市政府 would miss them.

- Kangxi radicals (U+2F00..U+2FD5) and CJK Radicals Supplement (U+2E80..U+2EFF): PDFs made by
  browsers and some office suites map shared glyphs back to the radical (⾸ for 首, ⻚ for 页).
  NFKC knows the Kangxi ones; the Supplement comes from Unicode's EquivalentUnifiedIdeograph.txt
  (notices/data/radicals.txt), then the look-alikes Simplified Chinese fonts draw with one glyph
  (U+2F3E for 户, U+3B35 for 胶 ...), found by printing every GB2312 character and reading it back.
- CJK Compatibility Ideographs (U+F900..U+FAFF) that some fonts' tables give: NFC maps them back.
- Non-breaking and full-width spaces become plain spaces; zero-width characters go.

Only single characters are changed: NFKC on the whole text would also turn full-width punctuation
（，） into ASCII, and Traditional characters stay as written (the importer folds them for matching).
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

RADICALS_FILE = Path(__file__).resolve().parent / "data" / "radicals.txt"

SPACES = "\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


def radicals_file() -> dict[int, str]:
    """Radical -> unified ideograph: the Supplement's from Unicode, then the SC fonts' own."""
    table: dict[int, str] = {}
    for line in RADICALS_FILE.read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) == 2:
            table[int(fields[0], 16)] = chr(int(fields[1], 16))
    return table


@cache
def translation() -> dict[int, str]:
    table = {code: unicodedata.normalize("NFKC", chr(code)) for code in range(0x2F00, 0x2FD6)}
    table.update(radicals_file())
    for code in range(0xF900, 0xFB00):
        canonical = unicodedata.normalize("NFC", chr(code))
        if canonical != chr(code):
            table[code] = canonical
    table.update({ord(c): " " for c in SPACES})
    table.update({ord(c): "" for c in ZERO_WIDTH})
    return table


def fix(text: str) -> str:
    """The text with radicals read as ideographs and odd spaces made plain."""
    return text.translate(translation())
