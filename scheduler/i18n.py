"""The words people read, one language at a time: gettext catalogues for every part (core, bot, web, email).

Source text is English, marked with `_()` where it is said and `N_()` where it is only named (a
table of phrases, an error raised in the core and said later); `locales/{zh,en}/LC_MESSAGES/duban.po`
translate it, Chinese being the default language. `translator(language)` gives a person's
gettext/ngettext; Jinja2 templates get the same through Jinja2's i18n extension (web/pages.py).
The .po files are compiled in memory the first time a language is asked for, so a fresh clone needs
no build step and no binary .mo is kept. `make i18n` re-extracts the sources (babel.cfg) into both
catalogues; tests/test_i18n.py checks that they are complete and up to date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("zh", "en")  # the first is the default
DOMAIN = "duban"
ROOT_DIR = Path(__file__).resolve().parents[1]
LOCALES = ROOT_DIR / "locales"
# The calls that mark msgids in the sources (pybabel extract -k, as `make i18n` passes them).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "Text": None}


def language_of(value: str | None) -> str:
    """"en" for English ("en", "en-GB", "English"), else "zh": the language a person reads."""
    return "en" if (value or "").lower().startswith("en") else "zh"


def catalogue_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=len(LANGUAGES))
def _compiled(language: str) -> Translations:
    with catalogue_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    mo = BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return Translations(mo, domain=DOMAIN)


def translator(language: str | None) -> Translations:
    """The catalogue of `language` (zh unless it is English): `.gettext(msgid)`, `.ngettext(s, p, n)`."""
    return _compiled(language_of(language))


def N_(message: str) -> str:
    """Marks `message` for the catalogues without translating it: it is said later, in the reader's language."""
    return message


@dataclass(frozen=True)
class Text:
    """A message said later: its English msgid and the values it is formatted with (`str.format`).

    The core raises and stores these, so each door (bot, web page, email) says them in its reader's
    language; `str()` is the default language's, for logs and callers that know no reader.
    """

    msgid: str
    values: dict[str, object] = field(default_factory=dict)

    def say(self, language: str | None) -> str:
        """In `language`; values that are Texts themselves (a stored word, a part) are said in it too."""
        values = {k: v.say(language) if isinstance(v, Text) else v for k, v in self.values.items()}
        return translator(language).gettext(self.msgid).format(**values)

    def __str__(self) -> str:
        return self.say(LANGUAGES[0])


def in_every_language(text: Text) -> str:
    """zh / en: what operators, logs and stored errors read, whoever the person is."""
    return " / ".join(text.say(language) for language in LANGUAGES)


class Told(Exception):
    """An error a person is told about: `text` is said in their language by the door they came by;
    str() holds every language (zh / en), for operators' logs and the CLI."""

    def __init__(self, msgid: str, **values: object):
        self.text = Text(msgid, values)
        super().__init__(in_every_language(self.text))


class Problem(Told, ValueError):
    """Bad input, said in the person's language (a ValueError to callers that know no person)."""


def told(exc: BaseException, language: str | None) -> str:
    """What `exc` tells a person in `language`: its Text when it has one, else its message."""
    text = getattr(exc, "text", None)
    return text.say(language) if isinstance(text, Text) else str(exc)
