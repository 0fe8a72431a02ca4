"""Installing: `make run` installs what running needs and nothing more (the test tools come with
`make test`), on Python 3.11, 3.12 or 3.13.

What running needs is pyproject's [project.dependencies] and what they require: no module of the
packages imports anything else (read from every import statement, those inside functions too), and
`duban --help`, the web app, the bot and the service start in an interpreter that refuses every
package outside that list. The Makefile is read by make itself (`make -n`, a dry run).
"""

from __future__ import annotations

import ast
import os
import shlex
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("duban", "notices", "scheduler", "bot", "web", "db")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
SUPPORTED = ["3.11", "3.12", "3.13"]


def required(requirements: list[str]) -> set[str]:
    """The distributions these requirements install: themselves, the extras they ask for, and
    everything those require in turn (markers evaluated for this interpreter)."""
    found: set[tuple[str, frozenset[str]]] = set()
    todo = [(Requirement(r), "") for r in requirements]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        key = (canonicalize_name(requirement.name), frozenset(requirement.extras))
        if key in found:
            continue
        found.add(key)
        for line in metadata.requires(requirement.name) or []:
            todo += [(Requirement(line), e) for e in ("", *requirement.extras)]
    return {name for name, _ in found}


RUNTIME = required(PROJECT["dependencies"])
TEST_ONLY = required(PROJECT["optional-dependencies"]["test"]) - RUNTIME


def runtime_sources() -> list[Path]:
    """The packages' modules that run in production: not the tests some packages keep beside their code."""
    return [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py")) if "tests" not in p.parts]


def imported_top_levels(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_test_extras_are_the_big_tools_and_running_needs_none_of_them():
    assert {"playwright", "pytest", "hypothesis", "schemathesis", "ruff", "aiosmtpd"} <= TEST_ONLY
    assert "fastapi-offline" in RUNTIME  # /api/docs serves its files


def test_no_module_that_runs_imports_a_package_running_does_not_install():
    providers = metadata.packages_distributions()
    outside = {}
    for path in runtime_sources():
        for name in imported_top_levels(path) - set(sys.stdlib_module_names) - set(PACKAGES):
            if not {canonicalize_name(d) for d in providers.get(name, [])} & RUNTIME:
                outside.setdefault(name, []).append(str(path.relative_to(ROOT)))
    assert outside == {}
    assert len(runtime_sources()) > 150


def test_the_import_scan_sees_an_import_inside_a_function(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("def later():\n    from playwright.sync_api import sync_playwright\n", encoding="utf-8")
    assert imported_top_levels(planted) == {"playwright"}


# Run in a fresh interpreter: every top-level module of a test-only distribution is refused.
BLOCKED_START = """
import importlib.abc, pkgutil, sys
blocked = set(sys.argv[1].split())

class TestOnly(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"{name} is not installed by `make run`", name=name)
        return None

sys.meta_path.insert(0, TestOnly())
import bot.runner, duban.service, web.app
from web.app import create_app
for package in sys.argv[2].split():
    for module in pkgutil.walk_packages(__import__(package).__path__, package + "."):
        if ".tests" not in module.name and not module.name.endswith(".__main__"):  # __main__ runs duban
            __import__(module.name)
sys.argv = ["duban", "--help"]
from duban.cli import main
main()
"""


def test_duban_the_web_app_the_bot_and_the_service_start_without_the_test_packages():
    providers = metadata.packages_distributions()
    blocked = {top for top, dists in providers.items() if {canonicalize_name(d) for d in dists} <= TEST_ONLY}
    assert {"playwright", "pytest", "hypothesis", "schemathesis"} <= blocked
    done = subprocess.run([sys.executable, "-c", BLOCKED_START, " ".join(sorted(blocked)), " ".join(PACKAGES)],
                          cwd=ROOT, check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Usage: duban" in done.stdout and "contacts" in done.stdout


def test_the_blocker_refuses_a_test_package():
    done = subprocess.run([sys.executable, "-c", BLOCKED_START.split("import bot.runner")[0] + "import pytest",
                           "pytest _pytest", ""], cwd=ROOT, check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "pytest is not installed by `make run`" in done.stderr


# ---- the Makefile, as make reads it ----

def dry_run(target: str, tmp_path: Path, path: str | None = None, **variables: str) -> list[str]:
    """The commands `make TARGET` would run for a venv not made yet (with `path` as PATH), without
    running them."""
    args = ["make", "--no-print-directory", "-n", target, f"VENV={tmp_path / 'venv'}",
            *(f"{k}={v}" for k, v in variables.items())]
    # Run as from a shell, also under `make test`: an outer make's flags and level would add
    # "Entering directory" lines and pass its own variables (PY, VENV) down.
    outer = {"MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES", "PY", "VENV", "BIN"}
    env = {k: v for k, v in os.environ.items() if k not in outer} | {"PATH": path or os.environ["PATH"]}
    done = subprocess.run(args, cwd=ROOT, check=False, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def installs(commands: list[str]) -> list[str]:
    return [c for c in commands if " install " in c and "apt-get" not in c]


def test_make_run_installs_the_project_without_its_test_extras(tmp_path):
    commands = dry_run("run", tmp_path)
    pip = installs(commands)
    assert any(c.endswith("-c constraints.txt -e .") for c in pip), pip
    assert not [c for c in commands if "[test]" in c]
    assert commands[-1].endswith("bin/duban run")


def test_make_test_adds_the_test_extras_then_runs_every_test(tmp_path):
    commands = dry_run("test", tmp_path)
    pip = installs(commands)
    assert pip[-2].endswith("-e .") and pip[-1].endswith("-c constraints.txt -e '.[test]'"), pip
    assert commands[-1].endswith("bin/pytest")
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def fake_pythons(tmp_path: Path, working: list[str], broken: list[str] = ()) -> str:
    """A PATH whose first folder holds `working` (this interpreter under those names) and `broken`
    (commands that fail, as a pyenv shim of a version not selected does)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in working:
        (folder / name).symlink_to(sys.executable)
    for name in broken:
        (folder / name).write_text("#!/bin/sh\necho 'pyenv: not selected' >&2\nexit 127\n", encoding="utf-8")
        (folder / name).chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


@pytest.mark.parametrize(("working", "broken", "chosen"), [
    (["python3.11", "python3.12", "python3.13"], [], "python3.13"),
    (["python3.11", "python3.12"], ["python3.13"], "python3.12"),
    (["python3.11"], ["python3.13", "python3.12"], "python3.11"),
])
def test_make_prefers_the_newest_supported_python_that_runs(tmp_path, working, broken, chosen):
    commands = dry_run("install", tmp_path, fake_pythons(tmp_path, working, broken))
    assert commands[1] == f"{tmp_path / 'bin' / chosen} -m venv {tmp_path / 'venv'}", commands


def version_check(tmp_path: Path) -> str:
    """The Python code the Makefile runs before it makes the venv."""
    line = dry_run("install", tmp_path, PY=sys.executable)[0]
    argv = shlex.split(line)
    assert argv[:2] == [sys.executable, "-c"], line
    return argv[2]


@pytest.mark.parametrize(("version", "accepted"), [
    ((3, 10, 13), False), ((3, 11, 7), True), ((3, 12, 1), True), ((3, 13, 0), True), ((3, 14, 0), False)])
def test_make_accepts_python_3_11_to_3_13_and_says_so_otherwise(tmp_path, version, accepted):
    pretend = f"import sys\nsys.version_info = {version + ('final', 0)!r}\n" + version_check(tmp_path)
    done = subprocess.run([sys.executable, "-c", pretend], check=False, capture_output=True, text=True, timeout=60)
    assert (done.returncode == 0) == accepted, done.stderr
    if not accepted:
        assert done.stderr.strip() == (f"Duban needs Python 3.11, 3.12 or 3.13, found {version[0]}.{version[1]}: "
                                       "install one, or name it with make PY=/path/to/python3.13")


def test_pip_and_the_readme_accept_the_same_pythons_as_make():
    allowed = SpecifierSet(PROJECT["requires-python"])
    assert [v for v in ["3.10.13", "3.11.0", "3.12.1", "3.13.0", "3.13.9", "3.14.0"] if v in allowed] == \
        ["3.11.0", "3.12.1", "3.13.0", "3.13.9"]
    assert {f"Programming Language :: Python :: {v}" for v in SUPPORTED} <= set(PROJECT["classifiers"])
    assert "Python 3.11, 3.12 or 3.13" in (ROOT / "README.md").read_text(encoding="utf-8")
