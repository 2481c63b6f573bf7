"""The table of the app's pages: file, title, icon and the roles that may open it.

One table feeds both the menu (`app/main.py` builds `st.navigation` from it) and
each page's own guard (`ui.auth.page_account(__file__)`), so the two can never
disagree. The URL of a page is its file name (`pages/impact.py` → `/impact`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"

TOUS = frozenset({"conseiller", "directeur", "departement", "bureau", "admin"})
STRUCTURE = frozenset({"conseiller", "directeur"})


@dataclass(frozen=True)
class PageDef:
    fichier: str  # file name in pages/
    titre: str
    icone: str
    roles: frozenset[str]
    default: bool = False
    titres: Mapping[str, str] = field(default_factory=dict)  # a role's own title, when the page shows it another scope

    def titre_pour(self, role: str) -> str:
        """The title of the page for a role: the menu and the page's heading both use it."""
        return self.titres.get(role, self.titre)

    @property
    def path(self) -> Path:
        return PAGES_DIR / self.fichier

    @property
    def url(self) -> str:
        return Path(self.fichier).stem


PAGES: tuple[PageDef, ...] = (
    PageDef("accueil.py", "Accueil", ":material/home:", TOUS, default=True),
    PageDef("impact.py", "Impact", ":material/insights:", TOUS),
    PageDef("convention.py", "Objectifs et financements", ":material/flag:", frozenset({"directeur"})),
    PageDef("parcours.py", "Parcours", ":material/timeline:", STRUCTURE),
    PageDef("a_traiter.py", "À traiter", ":material/checklist:", STRUCTURE),
    PageDef("import_donnees.py", "Import", ":material/upload_file:", STRUCTURE | {"admin"}),
    PageDef("ce_qui_marche.py", "Ce qui marche", ":material/science:", frozenset({"directeur", "departement", "bureau", "admin"})),
    PageDef("national.py", "Vue nationale", ":material/map:", frozenset({"bureau", "departement", "admin"}),
            titres={"departement": "Vue départementale"}),
    PageDef("methodologie.py", "Méthodologie", ":material/menu_book:", TOUS),
    PageDef("admin.py", "Administration", ":material/admin_panel_settings:", frozenset({"admin"})),
)


def pages_for(role: str) -> list[PageDef]:
    """The pages a role may open, in menu order."""
    return [page for page in PAGES if role in page.roles]


def page_of(script: str | Path) -> PageDef:
    """The table's entry of a page script (its `__file__`); KeyError for a file the table does not list."""
    name = Path(script).name
    for page in PAGES:
        if page.fichier == name:
            return page
    raise KeyError(f"page absente de la table des pages : {name}")
