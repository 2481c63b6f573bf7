"""The benchmark scripts are not run by the suite (they take minutes), but what they import must exist:
a module moved elsewhere would otherwise break `make bench` silently."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("script", sorted(BENCH.glob("*.py")), ids=lambda p: p.name)
def test_every_module_a_benchmark_imports_exists(script):
    missing = sorted(name for name in imported_modules(script) if importlib.util.find_spec(name) is None)
    assert missing == [], f"{script.name} imports modules that do not exist: {missing}"
