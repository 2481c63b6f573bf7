"""The Excel export of the impact view: every indicator, breakdown and trend, one sheet each.

Numbers stay numbers (a spreadsheet can sum them); a masked figure is an empty
cell with « secret » or « < 11 » in its `affichage` column, never 0. Every text
cell goes through `mlimpact.exchange.writing.neutralise`, so a structure name
or a label starting with `=` cannot run as a formula. The export is recorded
in the audit trail like any other export.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine

from indicators.dimensions import DIMENSIONS
from presentation.methodology import frame as methodologie
from indicators.registry import FAMILLES, FAMILLES_COURTES, REGISTRY
from indicators.types import Famille, Filtres, Perimetre, Periode
from mlimpact.access import Compte
from mlimpact.exchange.writing import neutralise
from reports import contenu as ct
from presentation.figures import texte_valeur
from presentation.textes import libelle_filtres, libelle_periode

TITRE_MAX = 31  # Excel's limit on a sheet name
_INTERDITS = re.compile(r"[\[\]:*?/\\]")
ENTETE = Font(bold=True)
FOND_ENTETE = PatternFill("solid", fgColor="E8F1F8")


def feuilles(c: ct.Contenu) -> dict[str, pd.DataFrame]:
    """The sheets of the workbook, in order: name → table (names unique, at most 31 characters)."""
    out: dict[str, pd.DataFrame] = {}

    def add(name: str, frame: pd.DataFrame) -> None:
        base = _INTERDITS.sub("-", name)[:TITRE_MAX]
        unique, n = base, 2
        while unique in out:
            suffix = f" ({n})"
            unique, n = base[: TITRE_MAX - len(suffix)] + suffix, n + 1
        out[unique] = frame

    add("Lisez-moi", _lisez_moi(c))
    add("Indicateurs", _indicateurs(c))
    if c.objectifs is not None:
        add(f"Objectifs {c.annee_objectifs}", c.objectifs.copy())
    for famille in Famille:
        trend = ct.tendance(c.tendances, famille)
        add(f"Tendance {FAMILLES_COURTES[famille].lower()}", trend[["mois", "code", "libelle", "valeur", "numerateur", "denominateur", "incomplet", "masque"]].assign(mois=lambda t: t["mois"].dt.date))
    for tables in c.ventilations.values():
        for table in tables:
            code, dim = str(table["code"].iloc[0]), str(table["dimension"].iloc[0])
            add(f"{REGISTRY[code].libelle} - {DIMENSIONS[dim].lower()}", table.copy())
    add("Risques par domaine", c.risques.copy())
    add("Courbe RSA", c.courbe.copy())
    if not c.impact.masque:
        add("Coûts évités - cascade", c.impact.cascade.copy())
        add("Coûts évités - hypothèses", c.impact.cas.copy())
    add("Paramètres et sources", c.impact.hypotheses.copy())
    add("Méthodologie", methodologie())
    return out


def _lisez_moi(c: ct.Contenu) -> pd.DataFrame:
    d = c.demande
    rows = [
        ("Périmètre", c.libelle_perimetre),
        ("Période", libelle_periode(d.periode)),
        ("Public", libelle_filtres(d.filtres)),
        ("Données au", d.as_of.strftime("%d/%m/%Y") if d.as_of else ""),
        ("Édité le", c.genere_le.strftime("%d/%m/%Y %H:%M")),
        ("Version des définitions", c.version_registre),
        ("Version des paramètres d'impact", c.params.version),
        ("Secret statistique", f"chiffres perturbés (« ≈ » dans la colonne affichage, traitement « perturbe ») ; effectifs de 1 à {c.k - 1} masqués (cellule vide)" if c.k > 1 else "aucun (chiffres de la structure)"),
        ("Feuilles", "une par tableau de la vue : indicateurs, objectifs, tendances, ventilations, risques, courbe RSA, coûts évités"),
    ]
    return pd.DataFrame(rows, columns=["Élément", "Valeur"])


def _indicateurs(c: ct.Contenu) -> pd.DataFrame:
    rows = []
    for code, (actuel, precedent) in c.figures.items():
        ind = REGISTRY[code]
        rows.append(
            {
                "famille": FAMILLES[ind.famille],
                "code": code,
                "libelle": ind.libelle,
                "valeur": actuel.valeur,
                "affichage": texte_valeur(code, actuel, c.k or 11),
                "numerateur": actuel.numerateur,
                "denominateur": actuel.denominateur,
                "periode_precedente": precedent.valeur,
                "affichage_precedente": texte_valeur(code, precedent, c.k or 11),
                "unite": ind.unite,
                "masque": bool(actuel.masque),
                "traitement": actuel.traitement,
                "definition": ind.definition,
            }
        )
    return pd.DataFrame(rows)


def classeur(c: ct.Contenu) -> bytes:
    """The workbook of a computed content (no database access)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in feuilles(c).items():
        ws = wb.create_sheet(name)
        safe = _cellules(frame)
        ws.append([str(col) for col in safe.columns])
        for cell in ws[1]:
            cell.font, cell.fill = ENTETE, FOND_ENTETE
        for values in safe.itertuples(index=False):
            ws.append([_valeur(v) for v in values])
        for i, col in enumerate(safe.columns, start=1):
            width = max([len(str(col))] + [len(str(v)) for v in safe[col].head(200) if v is not None])
            ws.column_dimensions[get_column_letter(i)].width = min(max(10, width + 2), 60)
        ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _cellules(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns neutralised against formula injection; other columns untouched."""
    out = frame.reset_index(drop=True).copy()
    for col in out.columns:
        values = out[col]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            texts = values.map(lambda v: isinstance(v, str))
            if texts.any():
                out[col] = values.where(~texts, neutralise(values.where(texts, "")))
    return out


def _valeur(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and pd.isna(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime().date()
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        return v.item()
    if isinstance(v, (dt.date, str, int, float, bool)):
        return v
    return str(v)


def export(
    engine: Engine,
    compte: Compte,
    periode: Periode,
    perimetre: Perimetre,
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
) -> bytes:
    """The workbook for this account and scope, recorded in the audit trail as an export."""
    return ct.document(
        engine, compte, periode, perimetre, filtres, as_of, classeur,
        action="export", objet="indicateurs", nom="Export Excel",
        details=lambda contenu, data: {"format": "xlsx", "feuilles": len(feuilles(contenu)), "octets": len(data)},
    )


__all__ = ["classeur", "export", "feuilles"]
