"""Imports point one way: models and the engine at the bottom, services, then the blueprints."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINTS = {
    "account",
    "api",
    "basket",
    "checkout",
    "clinic",
    "concerns",
    "consultation",
    "kitfinder",
    "media",
    "ops",
    "patient",
    "staff",
    "storefront",
    "treatments",
    "webhooks",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _statements(path: Path, top_level_only: bool = False) -> list[tuple[str, list[str]]]:
    """Return each import of a file as (module, names imported from it), relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            found.append((module, [alias.name for alias in node.names]))
    return found


def _imports(path: Path) -> list[str]:
    """Return every module name a file imports, including "from x import submodule"."""
    names = []
    for module, members in _statements(path):
        names += [module, *(f"{module}.{member}" for member in members)]
    return names


def _files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def _known(name: str, modules: set[str]) -> str | None:
    """Return the project module an import name refers to, or None for a library."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


@pytest.mark.parametrize("path", _files("models"), ids=lambda p: p.name)
def test_models_import_nothing_from_the_shop_but_the_engine_s_vocabulary(path):
    """The clinical vocabulary is defined once, in the engine's module that imports nothing."""
    shared = {"shop.aftercare.vocabulary"}
    for name in _imports(path):
        if name.split(".")[0] in {"shop", "app"}:
            assert name in shared or name.rsplit(".", 1)[0] in shared, name


# Pure packages (no Flask, no database) and the project modules each may import.
PURE = {"shop/aftercare": ("shop.aftercare",), "shop/seed": ("shop.aftercare", "shop.seed")}


@pytest.mark.parametrize(
    ("path", "allowed"),
    [(path, allowed) for folder, allowed in PURE.items() for path in _files(folder)],
    ids=lambda value: value.name if isinstance(value, Path) else "",
)
def test_the_engine_and_the_demo_data_import_only_the_standard_library_and_themselves(
    path, allowed
):
    for name in _imports(path):
        top = name.split(".")[0]
        assert top not in {"flask", "sqlalchemy", "flask_sqlalchemy", "models", "app"}, name
        if top == "shop":
            assert name.startswith(allowed), name


@pytest.mark.parametrize("path", _files("shop/services"), ids=lambda p: p.name)
def test_services_know_no_blueprint_and_no_request(path):
    for name in _imports(path):
        parts = name.split(".")
        assert not (parts[0] == "shop" and len(parts) > 1 and parts[1] in BLUEPRINTS), name
        assert name not in {"flask.request", "flask.session", "flask.g"}, name


def test_no_module_imports_itself_back_at_load_time():
    modules = {_module_name(path): path for path in _files("shop", "models")}

    def targets(name: str, path: Path) -> set[str]:
        found = set()
        for module, members in _statements(path, top_level_only=True):
            # "from package import submodule" needs the submodule, not the whole package.
            submodules = {f"{module}.{m}" for m in members} & set(modules)
            for target in submodules or {_known(module, set(modules))}:
                if target and target != name and not target.startswith(name + "."):
                    found.add(target)
        return found

    graph = {name: targets(name, path) for name, path in modules.items()}
    cycles: list[str] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "\n".join(cycles)
