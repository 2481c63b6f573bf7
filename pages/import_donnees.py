"""Import: upload exchange-format files, preview what will change, import with a progress bar, get the report.

The import itself is `mlimpact import`'s code (`import_paths`) with the account's
rights (`DroitsImport.pour`), so a file is judged the same way in the browser and
on the command line. The preview is the same run with `dry_run=True`: every
check, and the counts of what would be added, updated or refused, rolled back.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from mlimpact import store
from mlimpact.access import DroitsImport
from mlimpact.exchange.importer import ImportResult, import_paths, record_report_download
from mlimpact.exchange.reading import FileError, RowProblem, discover
from mlimpact.exchange.schema import TABLES
from ui import auth
from ui import cache
from presentation.formats import entier
from ui.jalon_form import sans_markdown

compte = auth.page_account(__file__)
db = cache.current_db()
engine = cache.engine(db)
droits = DroitsImport.pour(compte)
MODES = {"tout": "Tout ou rien : n'importer que si toutes les lignes sont valides", "partiel": "Garder les lignes valides et écarter les autres"}
RESULTAT = "imp_resultat"


@dataclass
class Bilan:
    """What the page shows after a preview or an import."""

    nature: str  # "apercu" or "import"
    empreinte: str
    tableau: pd.DataFrame
    problemes: list[RowProblem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    erreurs: list[str] = field(default_factory=list)
    resultat: ImportResult | None = None
    partiel: bool = False


# --- files -------------------------------------------------------------------------------------------------------
def empreinte(fichiers) -> str:
    digest = hashlib.sha256()
    for f in fichiers:
        digest.update(f.name.encode())
        digest.update(f.getvalue())
    return digest.hexdigest()


def drop_files(fichiers, dossier: Path) -> list[Path]:
    """The uploads as files named as uploaded (the table is read from the name); never outside `dossier`."""
    paths = []
    for i, f in enumerate(fichiers):
        nom = Path(f.name).name or f"fichier_{i}"
        cible = dossier / str(i) / nom  # one folder per upload: two files may share a name
        cible.parent.mkdir(parents=True, exist_ok=True)
        cible.write_bytes(f.getvalue())
        paths.append(cible)
    return paths


def estimated_lines(paths: list[Path]) -> int:
    """Rows to read, for the progress bar: CSV lines and sheet sizes (0 when unknown)."""
    total = 0
    try:
        sources, _ = discover(paths)
    except FileError:
        return 0
    for source in sources:
        if source.kind == "csv" and source.open_bytes:
            lignes = 0
            with source.open_bytes() as fh:
                while block := fh.read(1 << 20):
                    lignes += block.count(b"\n")
            total += max(lignes - 1, 0)
        elif source.workbook_path:
            from openpyxl import load_workbook

            with source.workbook_path() as fh:
                wb = load_workbook(fh, read_only=True)
                total += max((wb[source.sheet].max_row or 1) - 1, 0)
                wb.close()
    return total


# --- preview and import: one run of `mlimpact import`, the preview rolled back -------------------------------------------
def run_import(paths: list[Path], partiel: bool, apercu: bool) -> Bilan:
    """`import_paths` with the account's rights, its progress in a bar; `apercu`: `dry_run`, nothing kept."""
    total = estimated_lines(paths)
    quoi = "Vérification" if apercu else "Import"
    barre = st.progress(0.0, text=f"{quoi} en cours…")
    lues = {"n": 0}

    def progression(table: str, n: int) -> None:
        lues["n"] += n
        part = min(lues["n"] / total, 1.0) if total else 0.0
        barre.progress(part, text=f"{quoi} en cours : {TABLES[table].label or table}, {entier(lues['n'])} ligne(s) lue(s)"
                       + (f" sur {entier(total)}" if total else ""))

    resultat = import_paths(
        engine, paths, partial=partiel, today=store.today(), author=compte.email, progress=progression, droits=droits, dry_run=apercu
    )
    barre.progress(1.0, text=f"Lecture terminée : {entier(lues['n'])} ligne(s) lue(s).")
    if resultat.written:
        cache.data_version.clear()  # the next page reads the new figures at once
    colonnes = ["À ajouter", "À mettre à jour", "Inchangées"] if apercu else ["Ajoutées", "Mises à jour", "Inchangées"]
    tableau = pd.DataFrame(
        [(TABLES[t].label or t, c.inserted, c.updated, c.unchanged, c.rejected) for t, c in resultat.counts.items()],
        columns=["Table", *colonnes, "Refusées"],
    )
    nature = "apercu" if apercu else "import"
    return Bilan(nature, "", tableau, list(resultat.problems), list(resultat.notices), list(resultat.errors), resultat, partiel)


# --- the report of refused rows -----------------------------------------------------------------------------------------
def rapports(problemes: list[RowProblem]) -> dict[str, bytes]:
    """The refused rows with `motif_rejet`, one CSV per table (the import's report), formulas neutralised."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in ImportResult(problems=list(problemes)).write_report(Path(tmp) / "lignes_refusees.csv"):
            out[path.name] = path.read_bytes()
    return out


def audit_download(problemes: list[RowProblem]) -> None:
    """The report holds the refused rows' values: its download is recorded like any export."""
    with engine.begin() as conn:
        record_report_download(conn, compte.email, problemes)


def show_message(bilan: Bilan) -> None:
    for erreur in bilan.erreurs:
        st.error(sans_markdown(erreur), icon=":material/block:")
    resultat = bilan.resultat
    if resultat is None or resultat.errors:
        pass
    elif bilan.nature == "apercu":
        ajoutees, maj, inchangees = (sum(getattr(c, a) for c in resultat.counts.values()) for a in ("inserted", "updated", "unchanged"))
        texte = (
            f"Aperçu, rien n'a été écrit : {entier(ajoutees)} ligne(s) à ajouter, {entier(maj)} à mettre à jour, "
            f"{entier(inchangees)} inchangée(s), {entier(resultat.rejected)} refusée(s)."
        )
        if resultat.problems and not bilan.partiel:
            texte += " En mode « tout ou rien », l'import serait refusé : corrigez d'abord les lignes refusées."
        st.info(texte, icon=":material/preview:")
    else:
        ajoutees = sum(c.inserted for c in resultat.counts.values())
        maj = sum(c.updated for c in resultat.counts.values())
        if resultat.written:
            refus = f", {entier(resultat.rejected)} ligne(s) refusée(s) écartée(s)" if resultat.rejected else ""
            st.success(f"Import terminé : {entier(ajoutees)} ligne(s) ajoutée(s), {entier(maj)} mise(s) à jour{refus}.", icon=":material/check_circle:")
        elif resultat.problems and not bilan.partiel:
            st.error(
                f"Import annulé : {entier(resultat.rejected)} ligne(s) refusée(s), rien n'a été écrit (mode « tout ou rien »). "
                "Corrigez les lignes du rapport ci-dessous, ou choisissez de garder les lignes valides.",
                icon=":material/block:",
            )
        else:
            st.info("Rien à écrire : les lignes valides sont déjà à jour dans la base.", icon=":material/info:")
    if not bilan.tableau.empty:
        st.dataframe(bilan.tableau, hide_index=True, width="stretch")
    for notice in bilan.notices:
        st.caption(sans_markdown(notice))
    if bilan.problemes:
        st.subheader("Lignes refusées")
        st.dataframe(
            pd.DataFrame(
                [(TABLES[p.table].label or p.table, p.line, p.column or "—", p.message) for p in bilan.problemes[:5_000]],
                columns=["Table", "Ligne", "Colonne", "Motif"],
            ),
            hide_index=True, width="stretch",
        )
        if len(bilan.problemes) > 5_000:
            st.caption(f"Les 5 000 premières sur {entier(len(bilan.problemes))} ; le rapport téléchargeable les contient toutes.")
        for nom, contenu in rapports(bilan.problemes).items():
            refusees = [p for p in bilan.problemes if nom.endswith(f"_{p.table}.csv")] or bilan.problemes
            st.download_button(
                f"Télécharger le rapport des lignes refusées ({nom})", contenu, file_name=nom, mime="text/csv",
                key=f"imp_rapport_{nom}", on_click=audit_download, args=(refusees,), icon=":material/download:",
            )


# --- the page ----------------------------------------------------------------------------------------------------------
st.title("Importer des données")
st.write(
    "Déposez les fichiers au format d'échange : un fichier CSV par table (`jeunes.csv`, `accompagnements.csv`, "
    "`jalons.csv`…), un classeur Excel dont les feuilles portent le nom des tables, ou une archive .zip de ces fichiers. "
    "Une ligne dont l'identifiant existe déjà remplace la ligne enregistrée ; importer deux fois le même fichier ne change rien."
)
perimetre = "toutes les structures" if droits.structures is None else f"votre structure ({', '.join(sorted(droits.structures))})"
st.caption(f"Votre rôle peut importer : {', '.join(t for t in TABLES if t in droits.tables)}, pour {perimetre}.")

fichiers = st.file_uploader("Fichiers à importer (.csv, .xlsx ou .zip)", type=["csv", "xlsx", "zip"], accept_multiple_files=True, key="imp_fichiers")
mode = st.radio("Si des lignes sont refusées", list(MODES), format_func=MODES.get, key="imp_mode")
cols = st.columns([1, 1, 3])
verifier = cols[0].button("Vérifier sans importer", disabled=not fichiers, key="imp_verifier", icon=":material/preview:",
                          help="Tout le contrôle de l'import, puis rien n'est écrit : ce qui serait ajouté, mis à jour, refusé.")
lancer = cols[1].button("Importer", type="primary", disabled=not fichiers, key="imp_lancer", icon=":material/upload:")

actuelle = empreinte(fichiers) if fichiers else ""
if verifier or lancer:
    with tempfile.TemporaryDirectory(prefix="mlimpact-import-") as dossier:
        bilan = run_import(drop_files(fichiers, Path(dossier)), partiel=mode == "partiel", apercu=bool(verifier))
    bilan.empreinte = actuelle
    st.session_state[RESULTAT] = bilan

bilan = st.session_state.get(RESULTAT)
if bilan is not None and bilan.empreinte == actuelle and fichiers:
    show_message(bilan)
