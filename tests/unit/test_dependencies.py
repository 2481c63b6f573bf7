"""pyproject.toml declares exactly what the code imports: no missing distribution, no unused one.

Every `.py` file of the repository is parsed (not imported); the top-level names of its
absolute imports, minus the standard library and the project's own packages, must each
belong to a declared distribution (runtime dependencies or the `test` extra), and each
declared distribution must be imported somewhere, except the few that are used without
an import (a pytest plugin, a linter).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", ".git", "node_modules", "build", "dist"}

# The project's own top-level packages and modules.
OWN = {
    "mlimpact",
    "indicators",
    "presentation",
    "reports",
    "ui",
    "sample_data",
    "tests",
    "app",
    "pages",
    "bench",
    "dashboard",
}

# Import name -> distribution name, where they differ.
DISTRIBUTION_OF = {
    "vl_convert": "vl-convert-python",
    "fpdf": "fpdf2",
    "oidc_provider_mock": "oidc-provider-mock",
    # Imported only by tests/support/oidc_provider.py to tame the mock provider it starts:
    # both come with oidc-provider-mock (Authlib directly, Werkzeug through Flask).
    "authlib": "oidc-provider-mock",
    "werkzeug": "oidc-provider-mock",
}

# Declared and rightly never imported.
USED_WITHOUT_IMPORT = {
    "pytest-playwright",  # a pytest plugin: its fixtures (`page`, `browser`) are found by pytest
    "pytest-xdist",  # a pytest plugin: `make test` runs the files in parallel with its `-n`
    "ruff",  # the linter, a command
}


def _normalise(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def _name_of(requirement: str) -> str:
    """`streamlit[auth]>=1.67` -> `streamlit`."""
    return _normalise(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement).group(1))


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    names = {_name_of(r) for r in requirements}
    names.discard(_normalise(project["name"]))  # `mlimpact[test]` in the dev extra
    return names


def python_files(root: Path = ROOT):
    for path in root.rglob("*.py"):
        if not SKIPPED_DIRS & set(path.relative_to(root).parts):
            yield path


def imported_modules(root: Path = ROOT) -> dict[str, set[str]]:
    """Top-level third-party module names imported under `root` -> the files that import them."""
    found: dict[str, set[str]] = {}
    for path in python_files(root):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in OWN or top == "__future__":
                    continue
                found.setdefault(top, set()).add(str(path.relative_to(root)))
    return found


def test_every_import_is_declared_and_every_declaration_imported():
    imports = imported_modules()
    needed = {_normalise(DISTRIBUTION_OF.get(module, module)): files for module, files in imports.items()}
    declarations = declared()

    missing = {name: sorted(files) for name, files in needed.items() if name not in declarations}
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"

    unused = declarations - set(needed) - {_normalise(d) for d in USED_WITHOUT_IMPORT}
    assert not unused, f"declared in pyproject.toml but never imported: {sorted(unused)}"


def test_the_scan_finds_an_undeclared_import(tmp_path):
    """The check can fail: a third-party import is found; stdlib, own and relative ones are not."""
    (tmp_path / "sample.py").write_text(
        "import os\nimport requests.adapters\nfrom mlimpact import vocab\nfrom . import sibling\n",
        encoding="utf-8",
    )
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "skipped.py").write_text("import yaml\n", encoding="utf-8")
    assert imported_modules(tmp_path) == {"requests": {"sample.py"}}
    assert "requests" not in declared()
