"""The package's layers import only downward, and the rehearsal's one
never-committed transaction is only ever run in process."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cutter_assets.definitions import defs
from cutter_assets.graph.jobs import JOBS

PACKAGE = Path(__file__).resolve().parents[1] / "cutter_assets"
# Lowest first; a module may import its own layer and the layers below it.
LAYERS = [
    {"core"},
    {"platform", "signing"},
    {"db"},
    {"resources"},
    {"runs", "graph"},
    {"assets", "sensors"},
    {"definitions"},
    {"app"},
]
LAYER_OF = {package: index for index, layer in enumerate(LAYERS) for package in layer}


def _imports() -> list[tuple[str, str, str]]:
    """(file, its package, the package it imports) for every cutter import."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        package = parts[0] if len(parts) > 1 else parts[0]
        if package == "__init__":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.startswith("cutter_assets."):
                    found.append((str(path.relative_to(PACKAGE)), package, name.split(".")[1]))
    return found


def test_every_package_has_a_layer():
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert packages | {"definitions"} == set(LAYER_OF)


def test_imports_go_only_downward():
    imports = _imports()
    assert ("db", "core") in {(package, imported) for _, package, imported in imports}
    upward = [
        f"{file} imports cutter_assets.{imported}"
        for file, package, imported in imports
        if LAYER_OF[imported] > LAYER_OF[package]
    ]
    assert upward == []


def test_the_core_imports_no_shell():
    for file, package, imported in _imports():
        if package == "core":
            assert imported == "core", file


@pytest.mark.parametrize("job", [job.name for job in JOBS])
def test_every_job_runs_in_process(job):
    """A rehearsal keeps all eleven phases in one transaction that is rolled
    back at the end: only the in-process executor keeps them in one process."""
    assert defs.resolve_job_def(job).executor_def.name == "in_process"
