"""Masking small numbers figure by figure and table by table (primary and secondary suppression).

What an outside account sees is no longer decided here: it is the cell-key
perturbation of `indicators.disclosure.perturbation` (docs/disclosure.md),
because masking each figure or each table on its own let small counts be
recovered by subtracting figures obtained through other routes (issue 16).
This module remains for the administrator's `mlimpact indicateurs --min-cell K`
(figure by figure, on exact figures), for `mask` (the masked form of a figure
that every rule uses), and for its suppression engine and `recoverable`, the
linear-algebra check the tests use to show that no hidden cell is determined.

A figure built on fewer than k people or events (k = 11 by default, a
setting) is replaced by an explicit mark, never by 0.

Primary masking, by nature of the figure:
- count: masked when 1 ≤ value ≤ k − 1 (0 is shown: it discloses nobody);
- ratio: masked when n or d − n lies in [1, k − 1];
- number or euros: masked when the count it is built on is small: its
  denominator when that counts people or events (the number of delays of
  `delai_entree_jours`, the jeunes of a mean), the counts listed in `DERIVES`
  (e.g. the impact figures are built on the RSA exits `sorties_rsa`), or
  `details["effectif"]` when the engine gives it. A budget is never masked.

Secondary masking (tables): when a table shows a total, a masked cell must not
be recoverable by subtraction. Every equation "total = sum of parts" must
hide either nothing or at least two cells, the hidden parts together must not
form a small count either, and a final exact check (linear algebra over all
the equations of the table) hides more cells until no hidden cell can be
solved for. This also covers groups with subtotals (départements within
régions) and two-way tables with margins.

A masked value has `valeur`, `numerateur` and `denominateur` set to None and
its details replaced by the reason, so nothing leaks downstream.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from indicators.registry import DERIVES  # figures computed from other counts: masked when one is small
from indicators.types import Nature, Valeur

DEFAULT_K = 11

# Numbers whose denominator is money, not people: that denominator never triggers masking.
DENOMINATEUR_MONETAIRE: frozenset[str] = frozenset({"euros_evites_par_euro_investi"})
# Figures that describe money spent, not people: never masked.
JAMAIS_MASQUES: frozenset[str] = frozenset({"budget_eur"})

# --- one figure ----------------------------------------------------------------------------------------
def petit(x, k: int) -> bool:
    """True when x is a small non-zero count: 1 ≤ x ≤ k − 1."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return False
    return 1 <= x <= k - 1


def nature_de(code: str, valeur: Valeur | None = None) -> Nature:
    """The nature of `code` from the registry; without it, inferred from the figure itself.

    The fallback treats a figure with a denominator as a ratio, a code ending in
    `_eur` as euros, an integral figure as a count (the cautious reading) and
    anything else as a number.
    """
    try:
        from indicators.registry import REGISTRY

        return REGISTRY[code].nature
    except (ImportError, KeyError):
        pass
    if valeur is not None and valeur.denominateur is not None:
        return Nature.RATIO
    if code.endswith("_eur"):
        return Nature.EUROS
    if valeur is not None and isinstance(valeur.valeur, (int, float)) and float(valeur.valeur).is_integer():
        return Nature.COUNT
    return Nature.NUMBER


def effectifs(valeur: Valeur, nature: Nature) -> list[float]:
    """The counts a figure discloses, each of which must not be small."""
    if valeur.code in JAMAIS_MASQUES:
        return []
    n, d = valeur.numerateur, valeur.denominateur
    out: list[float] = []
    if nature is Nature.COUNT:
        out.append(valeur.valeur)
    elif nature is Nature.RATIO:
        if n is not None and d is not None:
            out += [n, d - n]
        elif d is not None:
            out.append(d)
    elif d is not None and valeur.code not in DENOMINATEUR_MONETAIRE:
        out.append(d)
    if isinstance(valeur.details, dict) and "effectif" in valeur.details:
        out.append(valeur.details["effectif"])
    return [x for x in out if x is not None]


def mask(valeur: Valeur, motif: str) -> Valeur:
    """The masked version of a figure: explicit, and with nothing left to leak."""
    return replace(
        valeur, valeur=None, numerateur=None, denominateur=None, masque=True, details={"motif": motif},
        cle=None, cle_denominateur=None, traitement="masque",
    )


def mask_values(
    values: dict[str, Valeur], k: int = DEFAULT_K, natures: dict[str, Nature] | None = None
) -> dict[str, Valeur]:
    """The figures of one scope with the small ones masked (k ≤ 1: unchanged).

    Derived figures (`DERIVES`) are masked when a count they are built on is
    small; pass those counts in `values` too (they may be dropped afterwards).
    """
    if k <= 1:
        return dict(values)
    natures = natures or {}

    def nat(code: str, v: Valeur) -> Nature:
        return natures.get(code) or nature_de(code, v)

    small = {code: any(petit(x, k) for x in effectifs(v, nat(code, v))) for code, v in values.items()}
    out: dict[str, Valeur] = {}
    for code, v in values.items():
        if v.masque:
            out[code] = v
        elif small[code]:
            out[code] = mask(v, f"effectif inférieur à {k}")
        elif any(small.get(base) for base in DERIVES.get(code, ())):
            out[code] = mask(v, f"calculé sur un effectif inférieur à {k}")
        else:
            out[code] = v
    return out


# --- the suppression engine ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Relation:
    """total = Σ parts. `total` None: the total is published elsewhere (a KPI card), hence known."""

    total: int | None
    parts: tuple[int, ...]

    def cells(self) -> tuple[int, ...]:
        return self.parts if self.total is None else (*self.parts, self.total)


def suppress(sensibles: np.ndarray, relations: Sequence[Relation], k: int) -> np.ndarray:
    """Which cells to hide: primary (a small sensitive count), then secondary until nothing can be recovered.

    `sensibles` has one row per cell and one column per additive count the cell
    discloses (a count: its value; a ratio: n and d − n); NaN means unknown.
    """
    s = np.nan_to_num(np.asarray(sensibles, dtype=float).reshape(len(sensibles), -1), nan=0.0)
    hidden = np.array([any(petit(x, k) for x in row) for row in s], dtype=bool)
    if not relations or not hidden.any():
        return hidden
    taille = s.sum(axis=1)
    stuck: set[int] = set()
    while True:
        _secondary_by_relation(hidden, s, taille, relations, k)
        loose = [c for c in recoverable(hidden, relations) if c not in stuck]
        if not loose:
            return hidden
        cell = loose[0]
        candidates = [c for r in relations if cell in r.cells() for c in r.cells() if not hidden[c]]
        if candidates:
            hidden[_smallest(candidates, taille)] = True
        else:
            stuck.add(cell)  # only when the total is published elsewhere and equals this single part


def _smallest(candidates: Iterable[int], taille: np.ndarray) -> int:
    """The next cell to hide: the smallest non-zero one (a zero hides little), then zeros, first in order."""
    return min(candidates, key=lambda c: (taille[c] == 0, taille[c], c))


def _secondary_by_relation(hidden, s, taille, relations: Sequence[Relation], k: int) -> None:
    changed = True
    while changed:
        changed = False
        for r in relations:
            cells = r.cells()
            n_hidden = sum(bool(hidden[c]) for c in cells)
            if n_hidden == 0:
                continue
            visible_parts = [c for c in r.parts if not hidden[c]]
            total_visible = r.total is None or not hidden[r.total]
            hidden_parts = [c for c in r.parts if hidden[c]]
            group_small = (
                total_visible
                and len(hidden_parts) >= 1
                and any(petit(x, k) for x in s[hidden_parts].sum(axis=0))
            )
            if n_hidden == 1 or group_small:
                if visible_parts:
                    hidden[_smallest(visible_parts, taille)] = True
                    changed = True
                elif r.total is not None and not hidden[r.total]:
                    hidden[r.total] = True
                    changed = True


def recoverable(hidden: np.ndarray, relations: Sequence[Relation]) -> list[int]:
    """The hidden cells that the equations determine exactly, given the visible cells.

    A hidden cell i is determined iff the unit vector e_i lies in the row space
    of the equations restricted to the hidden cells.
    """
    cols = np.flatnonzero(hidden)
    if len(cols) == 0 or not relations:
        return []
    index = {c: j for j, c in enumerate(cols)}
    a = np.zeros((len(relations), len(cols)))
    for i, r in enumerate(relations):
        if r.total is not None and r.total in index:
            a[i, index[r.total]] = 1.0
        for c in r.parts:
            if c in index:
                a[i, index[c]] -= 1.0
    a = a[np.any(a != 0, axis=1)]
    if len(a) == 0:
        return []
    rank = np.linalg.matrix_rank(a)
    out = []
    for c, j in index.items():
        e = np.zeros(len(cols))
        e[j] = 1.0
        if np.linalg.matrix_rank(np.vstack([a, e])) == rank:
            out.append(int(c))
    return out


# --- tidy breakdown tables ------------------------------------------------------------------------------
def mask_rows(
    table: pd.DataFrame, sens: np.ndarray, relations: Sequence[Relation], k: int, blank: Sequence[str],
    caches: Iterable[int] = (),
) -> pd.DataFrame:
    """Rows of `table` masked jointly (primary then secondary) under `relations`; k ≤ 1 masks nothing.

    `sens` holds the counts each row discloses (see `suppress`). `caches` are
    rows hidden already by another table that publishes them: forced hidden
    here (given a small count, which only marks them, since secondary
    suppression never reads a hidden cell's size). The `blank` columns are
    emptied where hidden; `masque` (hidden) and `petit` (hidden because the row
    is itself a small count, not only to protect another) are added. The text
    of each cell is written above this layer (`presentation.figures.avec_affichage`).
    """
    out = table.copy().reset_index(drop=True)
    s = np.nan_to_num(np.asarray(sens, dtype=float).reshape(len(out), -1), nan=0.0)
    primary = np.array([any(petit(x, k) for x in row) for row in s], dtype=bool)
    if k > 1:
        s[list(caches)] = 1.0
        hidden = suppress(s, relations, k)
    else:
        hidden = np.zeros(len(out), dtype=bool)
    for col in dict.fromkeys(blank):
        if col in out:
            out[col] = _nullable(out[col])
            out.loc[hidden, col] = pd.NA
    out["masque"] = hidden
    out["petit"] = hidden & primary
    return out


def mask_table(
    df: pd.DataFrame,
    k: int = DEFAULT_K,
    value_col: str = "valeur",
    count_cols: Sequence[str] | None = None,
    total_row_label: str = "Total",
    nature: Nature = Nature.COUNT,
    *,
    label_col: str = "modalite",
    group_col: str | None = None,
    total_publie: bool = False,
) -> pd.DataFrame:
    """A breakdown table with small cells masked, primary then secondary; adds `masque` and `petit` (see `mask_rows`).

    The table is tidy: one row per modalité (`modalite`, `libelle`, `valeur`,
    `numerateur`, `denominateur`), the total row labelled `total_row_label` in
    `label_col`. `count_cols` are the additive counts a row discloses (default:
    the value for a count; numerator and denominator for a ratio; the
    denominator, when there is one, for a number or euros).

    `group_col` names the group of each row (e.g. the région of départements):
    each group has its own subtotal row (labelled `total_row_label`) and the
    grand total row, if any, has `total_row_label` or no value in `group_col`.
    `total_publie`: the total is shown elsewhere (a KPI card) though not in the
    table, so the parts are protected as if it were. k ≤ 1 masks nothing.
    """
    df = df.reset_index(drop=True)
    count_cols = tuple(count_cols) if count_cols is not None else _default_count_cols(df, nature, value_col)
    relations = _relations(df, label_col, total_row_label, group_col, total_publie)
    blank = (value_col, *count_cols, "numerateur", "denominateur")
    return mask_rows(df, _sensibles(df, nature, count_cols), relations, k, blank)


def _default_count_cols(df: pd.DataFrame, nature: Nature, value_col: str) -> tuple[str, ...]:
    if nature is Nature.COUNT:
        return (value_col,)
    if nature is Nature.RATIO:
        return ("numerateur", "denominateur")
    return ("denominateur",) if "denominateur" in df else ()


def _sensibles(df: pd.DataFrame, nature: Nature, count_cols: tuple[str, ...]) -> np.ndarray:
    if not count_cols:
        return np.zeros((len(df), 1))
    cols = [pd.to_numeric(df[c], errors="coerce").astype(float).to_numpy() for c in count_cols]
    if nature is Nature.RATIO:
        if len(cols) != 2:
            raise ValueError("Un taux se masque d'après deux colonnes : numérateur et dénominateur.")
        n, d = cols
        cols = [n, d - n]
    return np.column_stack(cols)


def _is_total(values: pd.Series, label: str) -> np.ndarray:
    return (values.astype("string") == label).fillna(False).to_numpy(dtype=bool)


def _relations(
    df: pd.DataFrame, label_col: str, label: str, group_col: str | None, total_publie: bool
) -> list[Relation]:
    totals = _is_total(df[label_col], label) if label_col in df else np.zeros(len(df), dtype=bool)
    if group_col is None:
        parts = tuple(int(i) for i in np.flatnonzero(~totals))
        found = np.flatnonzero(totals)
        if len(found):
            return [Relation(int(found[0]), parts)]
        return [Relation(None, parts)] if total_publie else []
    groups = df[group_col]
    top = totals & (groups.isna().to_numpy() | _is_total(groups, label))
    relations: list[Relation] = []
    subtotals: list[int] = []
    for g in pd.unique(groups[~top & groups.notna().to_numpy()]):
        in_g = (groups == g).fillna(False).to_numpy(dtype=bool) & ~top
        sub = np.flatnonzero(in_g & totals)
        parts = tuple(int(i) for i in np.flatnonzero(in_g & ~totals))
        if len(sub):
            relations.append(Relation(int(sub[0]), parts))
            subtotals.append(int(sub[0]))
    found = np.flatnonzero(top)
    if len(found):
        relations.append(Relation(int(found[0]), tuple(subtotals)))
    elif total_publie:
        relations.append(Relation(None, tuple(subtotals)))
    return relations


def _nullable(col: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(col, errors="coerce")
    finite = numbers.dropna()
    if len(finite) == 0 or (finite == finite.round()).all():
        return numbers.astype("Int64")
    return numbers.astype("Float64")


# --- two-way tables with margins --------------------------------------------------------------------------
@dataclass(frozen=True)
class TableauMasque:
    """A two-way count table after masking: values (masked cells empty), the mask, and the cells hidden as small counts."""

    valeurs: pd.DataFrame
    masque: pd.DataFrame
    petit: pd.DataFrame


def mask_crosstab(df: pd.DataFrame, k: int = DEFAULT_K, total_label: str = "Total") -> TableauMasque:
    """A count table with a row and/or a column of totals (labelled `total_label`), masked so nothing is recoverable.

    Each row and each column is one equation "total = Σ cells"; the grand total
    sits at (Total, Total) when both margins exist.
    """
    values = df.apply(pd.to_numeric, errors="coerce")
    n_rows, n_cols = values.shape
    flat = values.to_numpy(dtype=float).reshape(-1, 1)

    def cell(i: int, j: int) -> int:
        return i * n_cols + j

    row_total = [j for j, c in enumerate(values.columns) if str(c) == total_label]
    col_total = [i for i, r in enumerate(values.index) if str(r) == total_label]
    relations: list[Relation] = []
    if row_total:
        tj = row_total[0]
        for i in range(n_rows):
            relations.append(Relation(cell(i, tj), tuple(cell(i, j) for j in range(n_cols) if j != tj)))
    if col_total:
        ti = col_total[0]
        for j in range(n_cols):
            relations.append(Relation(cell(ti, j), tuple(cell(i, j) for i in range(n_rows) if i != ti)))
    hidden = (suppress(flat, relations, k) if k > 1 else np.zeros(len(flat), dtype=bool)).reshape(n_rows, n_cols)
    masque = pd.DataFrame(hidden, index=df.index, columns=df.columns)
    shown = values.astype("Float64").mask(masque)
    primary = np.array([petit(x, k) for x in flat[:, 0]], dtype=bool).reshape(n_rows, n_cols)
    return TableauMasque(shown, masque, pd.DataFrame(hidden & primary, index=df.index, columns=df.columns))
