"""One language at a time: the catalogues are complete and current, and each reader sees only theirs."""

from __future__ import annotations

import re
from datetime import date

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.texts import (
    BUTTONS,
    COMMANDS,
    COORDINATOR_COMMANDS,
    PHRASES,
    button,
    command_description,
    say,
)
from db.models import Duty, Plan, User
from scheduler.i18n import KEYWORDS, LANGUAGES, ROOT_DIR, catalogue_path, translator
from scheduler.reports.board import Filter, board_page
from tests.board_world import USER, load, log_in, logged_in
from tests.board_world import client as board_client
from tests.web_world import NOW, app_for, contact, load_demo, occurrence, path_of, signer

CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]")
# Words a Chinese text may hold: commands, markup, values' placeholders, product and language names.
LATIN_OK = {"code", "b", "https", "http", "www", "example", "gov", "cn", "html", "Telegram", "English", "ID", "Excel",
            "URL", "tasks", "help", "done", "snooze", "feed", "lang", "stop", "overdue", "event", "start",
            "zh", "en", "d", "h", "wd", "next", "week", "tomorrow",
            "annual", "policy", "interpretation"}  # a duty key in /event's usage
SAMPLE = {"name": "N", "department": "D", "n": 3, "title": "T", "due_label": "L", "due": "1", "status": "S",
          "id": 7, "who": "W", "when": "1", "url": "U", "until": "1", "value": "V", "fallback": "", "days": 2,
          "deadline": "1"}


def english_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]{2,}", text)) - LATIN_OK


def catalogue(language: str):
    with catalogue_path(language).open("rb") as po:
        return read_po(po, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_has_a_translation_in_both_catalogues(language):
    messages = [m for m in catalogue(language) if m.id]
    assert messages
    empty = [m.id for m in messages if not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    assert empty == [] and not any(m.fuzzy for m in messages)


def test_the_catalogues_hold_exactly_what_the_sources_say():
    """Re-extracting babel.cfg's sources gives the catalogues' msgids: `make i18n` was run."""
    with (ROOT_DIR / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {m if isinstance(m, str) else m[0] for _, _, m, _, _ in
             extract_from_dir(str(ROOT_DIR), method_map, options_map, keywords=KEYWORDS)}
    for language in LANGUAGES:
        held = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue(language) if m.id}
        assert held == found, (language, sorted(found - held)[:5], sorted(held - found)[:5])


def test_a_chinese_contact_gets_bot_replies_without_english_and_an_english_one_without_chinese():
    for key in PHRASES:
        zh, en = say(key, "zh", **SAMPLE), say(key, "en", **SAMPLE)
        assert english_words(zh) == set(), key
        typed = re.sub(r"<code>.*?</code>", "", en)  # what a person types may name a department
        assert key in ("help",) or not CJK.search(typed), key  # /help names the languages: 中文/English
    for code in BUTTONS:
        assert not english_words(button(code, "zh")) and not CJK.search(button(code, "en"))
    for msgid in {**COMMANDS, **COORDINATOR_COMMANDS}.values():
        assert not english_words(command_description(msgid, "zh"))


def test_an_unknown_language_reads_as_chinese():
    assert translator("fr").gettext("Done") == translator("zh").gettext("Done") == "已完成"
    assert translator("en-GB").gettext("Done") == "Done"


def visible(html: str, *data: str) -> str:
    """The words of a page a person reads: no markup, no style, none of the record's own data."""
    text = re.sub(r"<style.*?</style>|<[^>]+>", " ", html, flags=re.DOTALL)
    for value in data:
        text = text.replace(value, " ")
    return text


@pytest.fixture
def client(engine, tmp_path):
    load_demo(engine, tmp_path)
    with TestClient(app_for(engine), headers={"accept": "text/html"}) as c:
        yield c


def test_web_error_and_answer_link_pages_speak_one_language(engine, client):
    occ = occurrence(engine, due=date(2016, 9, 30))
    who = contact(engine)
    url = path_of(signer().answer_url(occ.id, "snooze", who.id, "1"))
    data = (who.name, "饮用水水质信息公开", "市环保局", "2016-09-30")
    zh = visible(client.get(url).text, *data)
    en = visible(client.get(url + "?lang=en").text, *data)  # the contact's language is zh: asked for
    assert "推迟提醒" in zh and english_words(zh) == set()
    assert "Snooze" in en and not CJK.search(en), CJK.findall(en)
    missing = url[:20]
    zh, en = client.get(missing + "?lang=zh").text, client.get(missing + "?lang=en").text
    assert "链接" in zh and english_words(visible(zh)) == set()
    assert "link" in en and not CJK.search(visible(en))


def test_a_language_asked_for_sticks_for_the_next_pages(engine, client):
    first = client.get("/login?lang=en")
    assert "lang=en" in first.headers["set-cookie"] and "Coordinator login" in first.text
    assert "Coordinator login" in client.get("/login").text  # no ?lang=: the cookie says English
    assert "督办人员登录" in client.get("/login?lang=zh").text and "督办人员登录" in client.get("/login").text


def english(browser: TestClient) -> TestClient:
    browser.headers["accept-language"] = "en-US,en;q=0.9"
    return browser


def board_data(engine) -> tuple[str, ...]:
    """What the demo's records say themselves (names, titles, months): a reader's data, not the page's words."""
    with Session(engine) as session:
        pages = [board_page(session, NOW, Filter(status=status)) for status in ("overdue", "upcoming")]
        rows = [item for b in pages for g in b.groups for item in g.items]
        names = [g.name for b in pages for g in b.groups] + [r.department for r in rows] + [r.duty for r in rows]
        duties = session.exec(select(Duty)).all()
        names += [f"{d.title} ({', '.join(d.lead)})" for d in duties] + [d.requirement or "" for d in duties]
        names += [p.title for p in session.exec(select(Plan))] + [u.display_name or "" for u in session.exec(select(User))]
    return tuple(sorted({*names, USER} - {""}, key=len, reverse=True))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_board_and_the_login_page_speak_one_language(engine, tmp_path):
    load(engine, tmp_path)
    zh_reader, _ = logged_in(engine)
    en_reader = english(board_client(engine))
    assert log_in(en_reader).status_code == 303
    data = board_data(engine)
    late = occurrence(engine, "2-17")
    zh_login = visible(board_client(engine).get("/login").text)
    en_login = visible(english(board_client(engine)).get("/login").text)
    assert "督办人员登录" in zh_login and english_words(zh_login) == set(), english_words(zh_login)
    assert "Coordinator login" in en_login and not CJK.search(en_login), CJK.findall(en_login)
    for path in ("/board", f"/occurrences/{late.id}"):
        zh, en = visible(zh_reader.get(path).text, *data), visible(en_reader.get(path).text, *data)
        assert "逾期" in zh and english_words(zh) == set(), (path, english_words(zh))
        assert "overdue" in en.lower() and not CJK.search(en), (path, CJK.findall(en))
