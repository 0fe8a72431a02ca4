"""The house rules hold: the import contracts of pyproject.toml ([tool.importlinter]: the root
duban over the adapters bot and web over the core scheduler over db) are kept, they catch an
import that breaks them, and no module of the five packages takes part in an import cycle,
counting imports inside functions; no module loads another by name (importlib), where no
graph could see a cycle."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from copy import deepcopy
from pathlib import Path

import grimp
import pytest
from importlinter import configuration
from importlinter.application.use_cases import lint_imports, read_user_options
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.layers import LayersContract

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("duban", "notices", "scheduler", "bot", "web", "db")
CONTRACT_TYPES = {"layers": LayersContract, "forbidden": ForbiddenContract}


@pytest.fixture(scope="module")
def options():
    configuration.configure()
    return read_user_options(str(ROOT / "pyproject.toml"))


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def broken_contracts(options, graph: grimp.ImportGraph) -> list[str]:
    """The names of the contracts `graph` breaks."""
    broken = []
    for contract_options in options.contracts_options:
        contract = CONTRACT_TYPES[contract_options["type"]](
            name=contract_options["name"], session_options=options.session_options,
            contract_options=contract_options)
        if not contract.check(deepcopy(graph), verbose=False).kept:
            broken.append(contract.name)
    return broken


def import_cycles(imports: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (or a module importing itself),
    each sorted: Tarjan's algorithm, iterative so a long chain does not exhaust the stack."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(imports):
        if root in index:
            continue
        work = [(root, iter(sorted(imports.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(imports.get(target, ())))))
                elif target in on_stack:
                    low[module] = min(low[module], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1 or module in imports.get(module, ()):
                    cycles.append(sorted(component))
    return cycles


def module_imports(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    return {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}


def test_every_import_contract_is_kept(options, capsys):
    kept = lint_imports(config_filename=str(ROOT / "pyproject.toml"), cache_dir=None, no_logo=True,
                        is_debug_mode=True)
    report = capsys.readouterr().out
    assert kept is True, report
    assert f"Contracts: {len(options.contracts_options)} kept, 0 broken." in report
    assert len(options.contracts_options) >= 4


@pytest.mark.parametrize(("importer", "imported"), [
    ("db.models", "scheduler.settings"),           # db imports nothing above it
    ("db.queries", "bot.webhook"),
    ("scheduler.outbox.dispatcher", "bot.channel"),  # the core imports no adapter ...
    ("scheduler.settings", "web.app"),
    ("scheduler.feeds", "duban.wiring"),            # ... and not the root
    ("bot.runner", "web.server"),                   # bot imports no web/ ...
    ("web.app", "bot.webhook"),                     # ... and web/ no bot/
    ("web.auth", "duban.wiring"),                   # the adapters do not import the root
])
def test_the_contracts_catch_an_import_against_the_rules(options, graph, importer, imported):
    planted = deepcopy(graph)
    planted.add_import(importer=importer, imported=imported)
    assert broken_contracts(options, graph) == []
    assert broken_contracts(options, planted), f"{importer} -> {imported} broke no contract"


def test_the_graph_sees_imports_inside_functions(graph):
    # `duban run` imports the web side only when it starts it: inside _run_parts (duban/cli/process.py)
    details = graph.get_import_details(importer="duban.cli.process", imported="web.server")
    tree = ast.parse((ROOT / "duban" / "cli" / "process.py").read_text(encoding="utf-8"))
    functions = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)]
    assert details and all(any(f.lineno < d["line_number"] <= f.end_lineno for f in functions) for d in details)


def test_no_module_takes_part_in_an_import_cycle(graph):
    assert import_cycles(module_imports(graph)) == []


def test_the_cycle_finder_finds_cycles_through_any_path():
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"a", "e"}, "f": {"g"}, "g": {"f"}}
    assert import_cycles(imports) == [["a", "b", "c"], ["e"], ["f", "g"]]
    assert import_cycles({"x": {"y"}, "y": set()}) == []
    long_chain = {f"m{i}": {f"m{i + 1}"} for i in range(5000)} | {"m5000": {"m0"}}
    assert [len(c) for c in import_cycles(long_chain)] == [5001]


def _loads_by_name(tree: ast.AST) -> list[int]:
    """Lines that import a module by name at run time (importlib.import_module, __import__)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in ("import_module", "__import__"):
                lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "importlib" and any(
                a.name == "import_module" for a in node.names):
            lines.append(node.lineno)
    return lines


def test_no_module_loads_another_by_name():
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if lines := _loads_by_name(ast.parse(path.read_text(encoding="utf-8"))):
                found[str(path.relative_to(ROOT))] = lines
    assert found == {}


def test_the_name_loader_check_sees_both_spellings():
    code = "import importlib\nimportlib.import_module('bot')\nfrom importlib import import_module\n__import__('web')\n"
    assert sorted(_loads_by_name(ast.parse(code))) == [2, 3, 4]
