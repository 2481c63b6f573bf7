"""The Excel export of the impact view: every indicator, breakdown and trend, one sheet each.

Numbers stay numbers (a spreadsheet can sum them), each with a number format:
percentages are written as shares shown as « 38,6 % », amounts in euros, counts
as whole numbers; headers are French; sheet names are readable and unique
within Excel's 31 characters. A masked figure is an empty cell with « secret »
or « < 11 » in its affichage column, never 0. Every text
cell goes through `mlimpact.exchange.writing.neutralise`, so a structure name
or a label starting with `=` cannot run as a formula. The export is recorded
in the audit trail like any other export.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine

from indicators.dimensions import DIMENSIONS
from indicators.registry import FAMILLES, FAMILLES_COURTES, REGISTRY
from indicators.types import Famille, Filtres, Perimetre, Periode
from mlimpact.access import Compte
from mlimpact.exchange.writing import neutralise
from presentation.figures import texte_valeur
from presentation.methodology import frame as methodologie
from presentation.textes import libelle_filtres, libelle_periode
from reports import contenu as ct

TITRE_MAX = 31  # Excel's limit on a sheet name
_INTERDITS = re.compile(r"[\[\]:*?/\\]")
ENTETE = Font(bold=True)
FOND_ENTETE = PatternFill("solid", fgColor="E8F1F8")

# Number formats (Excel's codes; a French Excel shows them with a decimal comma and a space before « % »).
POURCENT = "0.0%"  # a share: 0.386 shows as 38,6 %
POURCENT_ENTIER = "0%"
ENTIER = "#,##0"
DECIMAL = "#,##0.0"
DECIMAL_2 = "#,##0.00"
EUROS = '#,##0.00 "€"'
DATE = "DD/MM/YYYY"
# A column of a page's table whose header ends with this holds percentages in points (38.6): the workbook
# keeps the number as a share (0.386) shown with POURCENT; the CSV keeps the points.
SUFFIXE_POURCENT = "(%)"

# The workbook's column headers, in French (the tables' own column names are code names).
ENTETES = {
    "famille": "Famille", "famille_libelle": "Famille (libellé)", "code": "Code", "libelle": "Libellé",
    "indicateur": "Indicateur", "valeur": "Valeur", "affichage": "Affichage (secret statistique)",
    "numerateur": "Numérateur", "denominateur": "Dénominateur", "periode_precedente": "Valeur de la période précédente",
    "affichage_precedente": "Affichage de la période précédente", "unite": "Unité", "masque": "Masqué",
    "petit": "Petit effectif", "definition": "Définition", "sens": "Sens souhaité", "cible": "Cible",
    "resultat": "Résultat", "ecart": "Écart à la cible", "statut": "Statut (code)", "statut_libelle": "Statut",
    "mois": "Mois", "incomplet": "Mois incomplet", "dimension": "Ventilation", "modalite": "Modalité (code)",
    "issue": "Issue", "groupe": "Groupe", "episodes": "Épisodes de RSA", "jours": "Jours depuis l'entrée",
    "t": "Mois depuis l'entrée", "survie": "Part encore au RSA", "erreur_type": "Erreur type (Greenwood)",
    "ic_bas": "Intervalle de confiance à 95 % : borne basse", "ic_haut": "Intervalle de confiance à 95 % : borne haute",
    "a_risque": "Épisodes encore suivis", "evenements": "Sorties du RSA", "ordre": "Ordre", "etape": "Étape",
    "montant": "Montant", "cumul_debut": "Cumul avant l'étape", "cumul_fin": "Cumul après l'étape", "type": "Type d'étape",
    "taux": "Taux appliqué", "cas": "Hypothèse", "effet_aubaine": "Effet d'aubaine",
    "part_autres_acteurs": "Part des autres acteurs", "couts_evites_bruts_eur": "Coûts évités bruts",
    "couts_evites_nets_eur": "Coûts évités nets", "euros_par_euro_investi": "Euros évités par euro investi",
    "depuis": "En vigueur depuis", "bas": "Hypothèse basse", "haut": "Hypothèse haute", "source": "Source",
    "justification": "Justification", "facteur": "Facteur", "niveau": "Niveau de preuve", "decimales": "Décimales",
    "precision": "Précision", "traitement": "Traitement (exact, perturbé, masqué)",
}
# Columns whose numbers are shares (0 to 1), whatever the sheet.
PARTS = ("survie", "ic_bas", "ic_haut", "erreur_type", "taux", "effet_aubaine", "part_autres_acteurs")
# Short names of the breakdowns, for sheet names.
DIMENSIONS_COURTES = {
    "sexe": "sexe", "tranche_age": "âge", "dispositif": "dispositif", "niveau_formation": "formation", "qpv": "QPV",
    "frr": "FRR", "rqth": "RQTH", "structure": "structure", "departement": "département", "region": "région",
    "domaine": "domaine",
}


def sheet_name(name: str, taken: set[str]) -> str:
    """A readable, valid, unique Excel sheet name: at most 31 characters, none of []:*?/\\.

    A long name is cut at a word boundary and ends with « … »; a name already
    taken (Excel ignores case) gets « (2) », « (3) »…
    """
    base = " ".join(_INTERDITS.sub(" ", name).split()) or "Feuille"
    candidate, n = _court(base, TITRE_MAX), 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = _court(base, TITRE_MAX - len(suffix)) + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def _court(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut.strip():
        cut = cut[: cut.rstrip().rfind(" ")]
    return cut.rstrip(" -–,") + "…"


def _nom_ventilation(code: str, dim: str) -> str:
    """« Jeunes suivis par QPV », else « Sorties positives - dispositif », else the indicator cut at a word."""
    libelle, court = REGISTRY[code].libelle, DIMENSIONS_COURTES.get(dim, DIMENSIONS.get(dim, dim).lower())
    for fin in (f" par {court}", f" - {court}"):
        if len(libelle) + len(fin) <= TITRE_MAX:
            return libelle + fin
    return _court(libelle, TITRE_MAX - len(fin)) + fin


def format_unite(code: str) -> str:
    """The number format of an indicator's figure (its percentages written as shares, see `echelle`)."""
    ind = REGISTRY[code]
    if ind.unite == "%":
        return POURCENT
    if ind.unite == "€":
        return EUROS
    return {0: ENTIER, 1: DECIMAL}.get(ind.decimales, DECIMAL_2)


def echelle(code: str) -> float:
    """What an indicator's figure is multiplied by in the workbook: 1/100 for a percentage (38.6 → 0.386)."""
    return 0.01 if REGISTRY[code].unite == "%" else 1.0


def feuilles(c: ct.Contenu) -> dict[str, tuple[pd.DataFrame, dict]]:
    """The sheets of the workbook, in order: name → (table with French headers, number formats by column).

    Names are readable and unique within Excel's 31 characters; numbers stay
    numbers, percentages are shares shown with a percent format.
    """
    out: dict[str, tuple[pd.DataFrame, dict]] = {}
    taken: set[str] = set()

    def add(name: str, frame: pd.DataFrame, formats: dict | None = None) -> None:
        formats = {**{col: POURCENT for col in PARTS if col in frame}, **(formats or {})}
        out[sheet_name(name, taken)] = (frame.rename(columns=ENTETES), {ENTETES.get(k, k): v for k, v in formats.items()})

    add("Lisez-moi", _lisez_moi(c))
    add(*_indicateurs(c))
    if c.objectifs is not None:
        add(f"Objectifs {c.annee_objectifs}", *_par_indicateur(c.objectifs, "indicateur", ("cible", "resultat", "ecart")))
    for famille in Famille:
        trend = ct.tendance(c.tendances, famille)
        trend = trend[["mois", "code", "libelle", "valeur", "numerateur", "denominateur", "incomplet", "masque"]]
        frame, formats = _par_indicateur(trend.assign(mois=lambda t: t["mois"].dt.date), "code", ("valeur",))
        add(f"Tendance {FAMILLES_COURTES[famille].lower()}", frame, {**formats, "mois": "MM/YYYY"})
    for tables in c.ventilations.values():
        for table in tables:
            code, dim = str(table["code"].iloc[0]), str(table["dimension"].iloc[0])
            frame = table.copy()
            frame["dimension"] = DIMENSIONS.get(dim, dim)
            frame["valeur"] = frame["valeur"] * echelle(code)
            add(_nom_ventilation(code, dim), frame, {"valeur": format_unite(code)})
    add("Risques par domaine", c.risques.copy())
    add("Courbe RSA", c.courbe.copy(), {"jours": DECIMAL, "t": DECIMAL, "erreur_type": "0.000"})
    if not c.impact.masque:
        add("Coûts évités - cascade", c.impact.cascade.copy(),
            {"montant": EUROS, "cumul_debut": EUROS, "cumul_fin": EUROS, "taux": POURCENT_ENTIER})
        add("Coûts évités - hypothèses", c.impact.cas.copy(),
            {"couts_evites_bruts_eur": EUROS, "couts_evites_nets_eur": EUROS, "euros_par_euro_investi": DECIMAL_2,
             "effet_aubaine": POURCENT_ENTIER, "part_autres_acteurs": POURCENT_ENTIER})
    hypotheses = c.impact.hypotheses.copy()
    parts = [str(u).startswith("part") for u in hypotheses["unite"]]
    add("Paramètres et sources", hypotheses,
        {col: [POURCENT_ENTIER if p else DECIMAL_2 for p in parts] for col in ("valeur", "bas", "haut")} | {"depuis": DATE})
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
        ("Pourcentages", "écrits comme des nombres au format pourcentage (38,6 % vaut 0,386 dans une formule)"),
        ("Feuilles", "une par tableau de la vue : indicateurs, objectifs, tendances, ventilations, risques, courbe RSA, coûts évités"),
    ]
    return pd.DataFrame(rows, columns=["Élément", "Valeur"])


def _par_indicateur(frame: pd.DataFrame, colonne_code: str, valeurs: tuple[str, ...]) -> tuple[pd.DataFrame, dict]:
    """A table of several indicators, one per row: its figures scaled (percentages as shares), formats per row."""
    out = frame.reset_index(drop=True).copy()
    codes = [str(c) for c in out[colonne_code]]
    scale = pd.Series([echelle(c) for c in codes], dtype=float)
    for col in valeurs:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float) * scale
    formats = {col: [format_unite(c) for c in codes] for col in valeurs}
    return out, formats


def _indicateurs(c: ct.Contenu) -> tuple[str, pd.DataFrame, dict]:
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
    frame, formats = _par_indicateur(pd.DataFrame(rows), "code", ("valeur", "periode_precedente"))
    return "Indicateurs", frame, {**formats, "numerateur": ENTIER, "denominateur": ENTIER}


def write_sheet(wb: Workbook, name: str, frame: pd.DataFrame, formats: Mapping[str, str | Sequence[str]] | None = None) -> None:
    """One table as a sheet: bold headers, numbers as numbers with their format (one for the column or one per
    row), text neutralised against formula injection, widths fitted, the header row frozen."""
    ws = wb.create_sheet(name)
    safe = _cellules(frame)
    ws.append([str(col) for col in safe.columns])
    for cell in ws[1]:
        cell.font, cell.fill = ENTETE, FOND_ENTETE
    for values in safe.itertuples(index=False):
        ws.append([_valeur(v) for v in values])
    for i, col in enumerate(safe.columns, start=1):
        fmt = (formats or {}).get(col)
        if fmt is not None:
            for row, cell in enumerate(ws.iter_rows(min_row=2, min_col=i, max_col=i), start=0):
                chosen = fmt if isinstance(fmt, str) else fmt[row]
                if chosen and isinstance(cell[0].value, (int, float, dt.date)) and not isinstance(cell[0].value, bool):
                    cell[0].number_format = chosen
        width = max([len(str(col))] + [len(str(v)) for v in safe[col].head(200) if v is not None])
        ws.column_dimensions[get_column_letter(i)].width = min(max(10, width + 2), 60)
    ws.freeze_panes = "A2"


def workbook(tables: Mapping[str, pd.DataFrame], notes: Mapping[str, str] | None = None) -> bytes:
    """Tables as shown on a page, one sheet each (names made valid and unique), after an optional sheet of notes.

    Columns whose header ends with « (%) » hold percentages in points: they are
    written as shares with a percent format; other numbers stay as they are.
    """
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    if notes:
        write_sheet(wb, sheet_name("Notes", taken), pd.DataFrame({"Rubrique": list(notes), "Valeur": list(notes.values())}))
    for name, table in tables.items():
        frame, formats = table.copy(), {}
        for col in frame.columns:
            if str(col).rstrip().endswith(SUFFIXE_POURCENT) and pd.api.types.is_numeric_dtype(frame[col]):
                frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float) / 100
                formats[col] = POURCENT
        write_sheet(wb, sheet_name(name, taken), frame, formats)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def classeur(c: ct.Contenu) -> bytes:
    """The workbook of a computed content (no database access)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, (frame, formats) in feuilles(c).items():
        write_sheet(wb, name, frame, formats)
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


__all__ = ["classeur", "export", "feuilles", "sheet_name", "workbook", "write_sheet"]
