"""The README and docs/ stand on their own: every link points inside the repository, to a file that
exists (and a heading that exists, when it names one), and nothing outside it is linked. Web
addresses appear only as examples in code (a command, a setting's value), never as a link to read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(\s*(?:<([^>]+)>|([^)\s]+))(?:\s+\"[^\"]*\")?\s*\)")  # [text](target "title")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", flags=re.MULTILINE)  # [name]: target
AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>")
BARE = re.compile(r"\b(?:https?|ftp)://[^\s)<>\]]+|\bwww\.[a-z0-9-]+\.[a-z]{2,}\S*")


def prose(markdown: str) -> str:
    """The text a reader follows links from: fenced code blocks and `code spans` taken out."""
    without_blocks = re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", markdown, flags=re.DOTALL | re.MULTILINE)
    return re.sub(r"(`+)(?:(?!\1).)+?\1", "", without_blocks, flags=re.DOTALL)


def links(markdown: str) -> list[str]:
    text = prose(markdown)
    return [a or b for a, b in LINK.findall(text)] + REFERENCE.findall(text) + AUTOLINK.findall(text)


def web_addresses(markdown: str) -> list[str]:
    text = LINK.sub("", prose(markdown))
    return [*BARE.findall(text), *(t for t in links(markdown) if re.match(r"[a-z][a-z0-9+.-]*:", t))]


def slug(heading: str) -> str:
    """A heading's anchor as GitHub writes it: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(document: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", document.read_text(encoding="utf-8"), flags=re.DOTALL | re.MULTILINE)
    return {slug(h) for h in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, flags=re.MULTILINE)}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_points_to_a_file_and_heading_of_the_repository(document):
    for target in links(document.read_text(encoding="utf-8")):
        path, _, anchor = target.partition("#")
        assert not re.match(r"[a-z][a-z0-9+.-]*:", path) and not path.startswith("/"), (document.name, target)
        file = (document.parent / path).resolve() if path else document
        assert file.is_relative_to(ROOT), f"{document.name} links outside the repository: {target}"
        assert file.exists(), f"{document.name} links to a missing file: {target}"
        if anchor:
            assert anchor in anchors(file), f"{document.name}: no heading #{anchor} in {path or document.name}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_web_address_outside_code(document):
    assert web_addresses(document.read_text(encoding="utf-8")) == []


def test_the_readme_links_the_documents_it_names():
    readme = links((ROOT / "README.md").read_text(encoding="utf-8"))
    assert {"docs/DESIGN.md", "docs/plan-format.md", "docs/STYLE.md", "docs/plan-format.md#importing-a-notice"} <= set(readme)


@pytest.mark.parametrize(("markdown", "addresses"), [
    ("See [the design](docs/DESIGN.md).", set()),
    ("Read [FastAPI](https://fastapi.tiangolo.com/) first.", {"https://fastapi.tiangolo.com/"}),
    ("[ref]: https://example.org/page", {"https://example.org/page"}),
    ("Mail <mailto:office@example.org>.", {"mailto:office@example.org"}),
    ("Open http://127.0.0.1:8080/ to log in.", {"http://127.0.0.1:8080/"}),
    ("Open `http://127.0.0.1:8080/` to log in.", set()),
    ("```sh\ncurl https://example.org/api\n```\n", set()),
    ("Say `[x](https://example.org)` in code.", set()),
])
def test_the_checks_see_addresses_outside_code_only(markdown, addresses):
    assert set(web_addresses(markdown)) == addresses


def test_the_checks_see_every_kind_of_link():
    text = "[a](docs/A.md) ![b](img.png \"t\") [c](<docs/c d.md>)\n[d]: docs/D.md#x\n`[e](E.md)`"
    assert sorted(links(text)) == ["docs/A.md", "docs/D.md#x", "docs/c d.md", "img.png"]


def test_headings_are_found_by_their_anchors():
    assert slug("Importing a notice") == "importing-a-notice" and slug("Board (coordinators)") == "board-coordinators"
    assert "importing-a-notice" in anchors(ROOT / "docs" / "plan-format.md")
    assert not (ROOT / "docs" / "../../shared/seeds").resolve().is_relative_to(ROOT)
