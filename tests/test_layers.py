"""The import picture: core at the bottom, ingest and retrieval beside each other over it,
evaluation over both, ui on top; no arrow back up and no circle between modules.

The contract lives in pyproject.toml ([tool.importlinter]); `./run lint` checks it too."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from itertools import pairwise

import grimp
import pytest

from tests.conftest import REPO

PACKAGES = ("core", "ingest", "retrieval", "evaluation", "ui")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES)


def _layers() -> list[set[str]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contract = config["tool"]["importlinter"]["contracts"][0]
    return [{name.strip() for name in layer.split("|")} for layer in contract["layers"]]


def test_the_layering_contract_is_kept() -> None:
    lint = REPO / ".venv" / "bin" / "lint-imports"
    command = [str(lint)] if lint.exists() else [sys.executable, "-m", "importlinter.cli"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


def test_the_contract_would_catch_an_arrow_back_into_ingest(graph: grimp.ImportGraph) -> None:
    layers = [grimp.Layer(*sorted(layer), independent=True) for layer in _layers()]
    assert not graph.find_illegal_dependencies_for_layers(layers=layers, containers=set())
    graph.add_import(importer="retrieval.search", imported="ingest.chunking")
    found = graph.find_illegal_dependencies_for_layers(layers=layers, containers=set())
    assert {(d.importer, d.imported) for d in found} == {("retrieval", "ingest")}
    graph.remove_import(importer="retrieval.search", imported="ingest.chunking")


def test_no_module_imports_one_that_imports_it_back(graph: grimp.ImportGraph) -> None:
    circles = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back:
                circles.append(" -> ".join((module, *back)))
    assert not circles, circles


def test_the_layers_are_ordered_top_down() -> None:
    layers = _layers()
    assert layers[0] == {"ui"} and layers[-1] == {"core"}
    assert all(a.isdisjoint(b) for a, b in pairwise(layers))
