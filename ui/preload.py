"""The pages' code imported when the server starts, not during a visitor's first click.

Streamlit runs a page's script only when someone opens it, so the first visitor of
the national view waited for its modules to import (a quarter of a second on this
machine) on top of the figures. `dashboard.py` calls `preload()` once at start-up.
The list is read from the pages' own import statements, so it never drifts from them.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import logging
from pathlib import Path

PAGES = Path(__file__).resolve().parent.parent / "pages"
LOG = logging.getLogger(__name__)


def modules_of_the_pages(pages: Path = PAGES) -> list[str]:
    """Every module a page imports at its top level (`from ui import carte` counts as `ui.carte`)."""
    names: set[str] = set()
    for page in sorted(pages.glob("*.py")):
        for node in ast.parse(page.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                for alias in node.names:
                    child = f"{node.module}.{alias.name}"
                    if _is_module(child):
                        names.add(child)
    return sorted(names - {"__future__"})


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except Exception:  # not a package, or a package that fails to import: its page will say so
        return False


def preload(pages: Path = PAGES) -> list[str]:
    """Import the pages' modules; the names imported, in order.

    A module that fails to import is logged and left for its page to report, as
    it would without this step: the server starts anyway. Streamlit's caches log
    a warning per cached function imported before its runtime exists (harmless:
    storage is chosen at call time); that logger is quiet meanwhile.
    """
    imported = []
    importlib.import_module("streamlit.runtime.caching.cache_data_api")  # its logger exists from here on
    caching = logging.getLogger("streamlit.runtime.caching.cache_data_api")
    level = caching.level
    caching.setLevel(logging.ERROR)
    try:
        for name in modules_of_the_pages(pages):
            try:
                importlib.import_module(name)
            except Exception:
                LOG.warning("préchargement impossible du module %s", name, exc_info=True)
            else:
                imported.append(name)
    finally:
        caching.setLevel(level)
    return imported
