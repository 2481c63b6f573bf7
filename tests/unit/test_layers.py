"""The layers' contract, read from the source: dependencies run one way (docs/ and the brief of issue 14).

0 store, exchange format, access rules (`mlimpact`, `sample_data`) → 1 computation
(`indicators` root modules, `indicators.facts`) → 2 disclosure and models → 3
presentation (no Streamlit) → 4 outputs (`reports`, `ui`, `pages`, `app`,
`dashboard`, `mlimpact.cli`). Every import counts, those inside functions too.
"""

from __future__ import annotations

import ast
from pathlib import Path

from ui import menu

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["mlimpact", "sample_data", "indicators", "presentation", "reports", "ui", "pages", "app", "dashboard.py"]

# Longest prefix wins: `mlimpact.cli` before `mlimpact`, `indicators.models` before `indicators`.
LAYERS = {
    "mlimpact": 0,
    "sample_data": 0,
    "indicators": 1,
    "indicators.facts": 1,
    "indicators.disclosure": 2,
    "indicators.models": 2,
    "presentation": 3,
    "reports": 4,
    "ui": 4,
    "pages": 4,
    "app": 4,
    "dashboard": 4,
    "mlimpact.cli": 4,
}

# (importing module prefix, imported module prefix): why it is allowed.
ALLOWED = {
    ("mlimpact.migrations", "indicators.facts"): "the migrations create the facts tables from their definitions",
}

# Wrong-way imports still in the code (importer, imported). Empty since issue 14: keep it so.
# The test fails on a new one and on an entry that is no longer a violation, so this set only shrinks.
KNOWN_VIOLATIONS: set[tuple[str, str]] = set()

STREAMLIT_LAYERS = ("ui", "pages", "app", "dashboard")
CACHE_MODULE = "ui.cache"
CACHES = {"cache_data", "cache_resource"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for source in SOURCES:
        path = ROOT / source
        for file in [path] if path.is_file() else sorted(path.rglob("*.py")):
            files[module_name(file)] = file
    return files


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def layer(module: str) -> int | None:
    """The layer of the longest prefix of `module` in LAYERS."""
    key = max((key for key in LAYERS if within(module, key)), key=len, default=None)
    return None if key is None else LAYERS[key]


def imports(module: str, path: Path) -> set[str]:
    """Every module `path` imports, anywhere in it (relative imports resolved)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from indicators.models import impact` imports indicators.models.impact, `from x import f` x.f
            # (project_module below takes x.f back to the module x)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def project_module(name: str, modules: set[str]) -> str | None:
    """The project module `name` designates (a name imported from a module counts as that module)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def allowed(importer: str, imported: str) -> bool:
    return any(within(importer, a) and within(imported, b) for a, b in ALLOWED)


def wrong_way_imports() -> set[tuple[str, str]]:
    files = project_files()
    modules = set(files)
    found = set()
    for importer, path in files.items():
        for name in imports(importer, path):
            imported = project_module(name, modules)
            if imported is None or imported == importer:
                continue
            if layer(imported) > layer(importer) and not allowed(importer, imported):
                found.add((importer, imported))
    return found


def test_every_module_has_a_layer():
    assert [m for m in project_files() if layer(m) is None] == []


def test_no_module_imports_a_higher_layer():
    found = wrong_way_imports()
    assert sorted(found - KNOWN_VIOLATIONS) == [], "imports against the layers"
    assert sorted(KNOWN_VIOLATIONS - found) == [], "fixed: remove these entries from KNOWN_VIOLATIONS"


def test_streamlit_is_imported_by_the_outputs_only():
    files = project_files()
    users = {m for m, path in files.items() if any(n.split(".")[0] == "streamlit" for n in imports(m, path))}
    assert sorted(m for m in users if not any(within(m, p) for p in STREAMLIT_LAYERS)) == []


def test_streamlit_caches_live_in_ui_cache_only():
    """`st.cache_data`, `st.cache_resource` (or those names imported) anywhere but ui/cache.py."""
    users = set()
    for module, path in project_files().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.attr] if isinstance(node, ast.Attribute) else []
            names += [a.name for a in node.names] if isinstance(node, ast.ImportFrom) else []
            if CACHES & set(names):
                users.add(module)
    assert users - {CACHE_MODULE} == set()


def test_every_page_guards_itself_and_the_table_lists_exactly_the_pages():
    files = sorted(p.name for p in menu.PAGES_DIR.glob("*.py"))
    assert files == sorted(page.fichier for page in menu.PAGES)
    for name in files:
        tree = ast.parse((menu.PAGES_DIR / name).read_text(encoding="utf-8"))
        guards = [
            node for node in tree.body
            if isinstance(node, ast.Assign) and ast.unparse(node.value) == "auth.page_account(__file__)"
        ]
        assert guards, f"pages/{name} n'appelle pas auth.page_account(__file__) au niveau du module"
