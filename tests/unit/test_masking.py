"""Statistical confidentiality: primary masking of small figures, secondary masking of tables with totals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.disclosure.masking import (
    DEFAULT_K,
    Relation,
    mask_crosstab,
    mask_table,
    mask_values,
    recoverable,
    suppress,
)
from indicators.types import Nature, Valeur
from presentation.figures import avec_affichage


def count(code: str, n: int) -> Valeur:
    return Valeur(code, n)


def ratio(code: str, n: int, d: int) -> Valeur:
    return Valeur(code, None if d == 0 else round(100 * n / d, 1), numerateur=n, denominateur=d)


def masked(v: Valeur) -> bool:
    return v.masque and v.valeur is None and v.numerateur is None and v.denominateur is None


# --- primary masking of single figures ----------------------------------------------------------------------
def test_default_k_is_eleven():
    assert DEFAULT_K == 11


@pytest.mark.parametrize("n, hidden", [(0, False), (1, True), (10, True), (11, False), (500, False)])
def test_counts_between_1_and_k_minus_1_are_masked(n, hidden):
    out = mask_values({"jeunes_suivis": count("jeunes_suivis", n)}, 11)["jeunes_suivis"]
    assert masked(out) is hidden
    if not hidden:
        assert out.valeur == n and not out.masque


def test_k_is_a_setting():
    values = {"entretiens": count("entretiens", 4), "immersions": count("immersions", 5)}
    out = mask_values(values, 5)
    assert masked(out["entretiens"]) and not out["immersions"].masque


@pytest.mark.parametrize(
    "n, d, hidden",
    [(0, 50, False), (50, 50, False), (3, 50, True), (45, 50, True), (11, 22, False), (10, 40, True), (0, 0, False)],
)
def test_ratios_with_a_small_n_or_d_minus_n_are_masked(n, d, hidden):
    out = mask_values({"acces_emploi": ratio("acces_emploi", n, d)}, 11)["acces_emploi"]
    assert masked(out) is hidden


def test_a_masked_figure_leaks_nothing():
    v = Valeur("couts_evites_nets_eur", 1234.5, details={"bas": 700.0, "haut": 1800.0, "brut": 5000.0})
    out = mask_values({"couts_evites_nets_eur": v, "sorties_rsa": count("sorties_rsa", 3)}, 11)
    hidden = out["couts_evites_nets_eur"]
    assert masked(hidden)
    assert set(hidden.details) == {"motif"} and "11" in hidden.details["motif"]


@pytest.mark.parametrize("delays, hidden", [(0, False), (4, True), (10, True), (11, False)])
def test_the_median_delay_is_masked_when_built_on_few_delays(delays, hidden):
    v = Valeur("delai_entree_jours", 12.0 if delays else None, denominateur=delays)
    assert masked(mask_values({"delai_entree_jours": v}, 11)["delai_entree_jours"]) is hidden


def test_figures_derived_from_small_counts_are_masked():
    values = {
        "jeunes_suivis": count("jeunes_suivis", 200),
        "entretiens": count("entretiens", 7),
        "entretiens_par_jeune": Valeur("entretiens_par_jeune", 0.0),
        "cout_par_jeune_eur": Valeur("cout_par_jeune_eur", 1500.0),
        "budget_eur": Valeur("budget_eur", 300000.0),
    }
    out = mask_values(values, 11)
    assert masked(out["entretiens"]) and masked(out["entretiens_par_jeune"])
    assert out["cout_par_jeune_eur"].valeur == 1500.0 and out["budget_eur"].valeur == 300000.0
    few = mask_values({**values, "jeunes_suivis": count("jeunes_suivis", 6)}, 11)
    assert masked(few["cout_par_jeune_eur"]) and masked(few["jeunes_suivis"])
    assert few["budget_eur"].valeur == 300000.0  # money spent discloses nobody


def test_impact_figures_are_masked_with_few_rsa_exits():
    impact = {
        "mois_rsa_evites": Valeur("mois_rsa_evites", 20.5),
        "couts_evites_bruts_eur": Valeur("couts_evites_bruts_eur", 13000.0),
        "couts_evites_nets_eur": Valeur("couts_evites_nets_eur", 3120.0),
        "euros_evites_par_euro_investi": Valeur("euros_evites_par_euro_investi", 0.01),
    }
    few = mask_values({**impact, "sorties_rsa": count("sorties_rsa", 2)}, 11)
    assert all(masked(few[c]) for c in impact)
    many = mask_values({**impact, "sorties_rsa": count("sorties_rsa", 40)}, 11)
    assert all(many[c] == impact[c] for c in impact)


def test_an_effectif_given_in_details_is_protected():
    v = Valeur("mois_rsa_evites", 8.0, details={"effectif": 3})
    assert masked(mask_values({"mois_rsa_evites": v}, 11)["mois_rsa_evites"])


def test_natures_may_be_given_and_unknown_codes_are_inferred():
    assert masked(mask_values({"x": Valeur("x", 2.5)}, 11, natures={"x": Nature.COUNT})["x"])
    assert not mask_values({"x": Valeur("x", 2.5)}, 11)["x"].masque  # a non-integral figure: a number
    assert masked(mask_values({"x": Valeur("x", 3)}, 11)["x"])  # integral: read as a count
    assert masked(mask_values({"y": Valeur("y", 90.0, 45, 50)}, 11)["y"])  # a denominator: a ratio


@pytest.mark.parametrize("k", [1, 0, -3])
def test_k_at_most_1_leaves_everything(k):
    values = {"entretiens": count("entretiens", 1), "acces_emploi": ratio("acces_emploi", 1, 3)}
    assert mask_values(values, k) == values


def test_an_already_masked_figure_stays_masked():
    v = Valeur("entretiens", None, masque=True)
    assert mask_values({"entretiens": v}, 11)["entretiens"] is v


def texts_of(out: pd.DataFrame, k: int = 11, nature: Nature = Nature.COUNT, decimales: int = 0) -> list[str]:
    """The text of a masked table, as every output writes it (presentation.figures)."""
    return avec_affichage(out, k, nature=nature, decimales=decimales)["affichage"].tolist()


# --- tables: primary and secondary masking -----------------------------------------------------------------
def table(values: list[int], labels: list[str] | None = None, total: bool = True) -> pd.DataFrame:
    labels = labels or [f"m{i}" for i in range(len(values))]
    rows = [{"modalite": m, "libelle": m.upper(), "valeur": v} for m, v in zip(labels, values)]
    if total:
        rows.append({"modalite": "Total", "libelle": "Total", "valeur": sum(values)})
    return pd.DataFrame(rows)


def test_a_single_small_cell_brings_the_next_smallest_with_it():
    out = mask_table(table([5, 40, 30, 100]))
    assert list(out["masque"]) == [True, False, True, False, False]
    # the 30 hidden only to protect the 5 is not a small count: « secret », not « < 11 » (one rule with the national view)
    assert texts_of(out) == ["< 11", "40", "secret", "100", "175"]
    assert list(out["petit"]) == [True, False, False, False, False]
    assert out["valeur"].isna().tolist() == [True, False, True, False, False]


def test_the_second_cell_is_not_a_zero_when_a_non_zero_one_exists():
    out = mask_table(table([4, 0, 50, 60]))
    assert list(out["masque"]) == [True, False, True, False, False]
    assert texts_of(out)[1] == "0"  # a real zero stays shown


def test_a_zero_is_hidden_when_nothing_else_can_be():
    out = mask_table(table([4, 0], total=False), total_publie=True)
    assert out["masque"].tolist() == [True, True]


def test_a_small_total_hidden_with_its_only_non_zero_part_is_enough():
    out = mask_table(table([4, 0]))
    assert out["masque"].tolist() == [True, False, True]  # 4 = Total − 0, both unknown


def test_two_small_cells_whose_sum_is_small_bring_a_third():
    out = mask_table(table([3, 4, 50, 60]))
    assert list(out["masque"]) == [True, True, True, False, False]


def test_two_small_cells_whose_sum_is_large_enough_are_enough():
    out = mask_table(table([6, 7, 50, 60]))
    assert list(out["masque"]) == [True, True, False, False, False]


def test_a_small_total_is_masked_with_its_parts():
    out = mask_table(table([3, 0, 5]))
    assert out["masque"].iloc[-1] and out["masque"].iloc[0] and out["masque"].iloc[2]


def test_without_a_total_only_primary_masking():
    out = mask_table(table([5, 40, 30], total=False))
    assert list(out["masque"]) == [True, False, False]


def test_a_total_published_elsewhere_counts_as_shown():
    out = mask_table(table([5, 40, 30], total=False), total_publie=True)
    assert list(out["masque"]) == [True, False, True]


def test_k_at_most_1_masks_no_table():
    out = mask_table(table([1, 2, 3]), k=1)
    assert not out["masque"].any() and texts_of(out, k=1) == ["1", "2", "3", "6"]


def test_ratio_tables_mask_n_and_d_minus_n_and_protect_both_by_subtraction():
    df = pd.DataFrame(
        {
            "modalite": ["F", "H", "Total"],
            "libelle": ["Femme", "Homme", "Total"],
            "numerateur": [30, 5, 35],
            "denominateur": [80, 60, 140],
        }
    )
    df["valeur"] = (100 * df["numerateur"] / df["denominateur"]).round(1)
    out = mask_table(df, nature=Nature.RATIO)
    assert list(out["masque"]) == [True, True, False]  # H has n = 5; F would be recoverable
    assert out[["valeur", "numerateur", "denominateur"]].iloc[:2].isna().all().all()
    assert texts_of(out, nature=Nature.RATIO, decimales=1) == ["secret", "secret", "25,0\u00a0%"]


def test_a_ratio_with_a_small_d_minus_n_is_masked():
    df = pd.DataFrame(
        {
            "modalite": ["a", "b"],
            "libelle": ["A", "B"],
            "valeur": [95.0, 50.0],
            "numerateur": [95, 50],
            "denominateur": [100, 100],
        }
    )
    assert mask_table(df, nature=Nature.RATIO)["masque"].tolist() == [True, False]


def test_display_is_french():
    out = mask_table(table([1234, 5678]))
    assert texts_of(out) == ["1\u202f234", "5\u202f678", "6\u202f912"]
    euros = pd.DataFrame({"modalite": ["a"], "libelle": ["A"], "valeur": [1500.5]})
    assert texts_of(mask_table(euros, nature=Nature.EUROS), nature=Nature.EUROS)[0] == "1\u202f500\u00a0€"


def test_numbers_are_masked_on_their_denominator():
    df = pd.DataFrame(
        {
            "modalite": ["a", "b", "Total"],
            "libelle": ["A", "B", "T"],
            "valeur": [12.0, 20.0, 15.0],
            "denominateur": [4, 40, 44],
        }
    )
    out = mask_table(df, nature=Nature.NUMBER)
    assert out["masque"].tolist() == [True, True, False]
    assert texts_of(out, nature=Nature.NUMBER, decimales=1) == ["secret", "secret", "15,0"]


def region_table(regions: dict[str, list[int]]) -> pd.DataFrame:
    rows = []
    for region, deps in regions.items():
        for i, v in enumerate(deps):
            rows.append({"groupe": region, "modalite": f"{region}-{i}", "libelle": f"{region}-{i}", "valeur": v})
        rows.append({"groupe": region, "modalite": "Total", "libelle": f"Total {region}", "valeur": sum(deps)})
    rows.append({"groupe": None, "modalite": "Total", "libelle": "Total", "valeur": sum(map(sum, regions.values()))})
    return pd.DataFrame(rows)


def test_groups_with_subtotals():
    df = region_table({"R1": [5, 40, 30], "R2": [50, 60]})
    out = mask_table(df, group_col="groupe")
    assert out["masque"].tolist() == [True, False, True, False, False, False, False, False]


def test_a_small_subtotal_is_protected_at_the_upper_level():
    df = region_table({"R1": [3, 4], "R2": [50, 60], "R3": [80, 90]})
    out = mask_table(df, group_col="groupe")
    hidden = dict(zip(out["libelle"], out["masque"]))
    assert hidden["Total R1"] and hidden["R1-0"] and hidden["R1-1"]
    assert hidden["Total R2"]  # else Total R1 = Total − R2 − R3
    assert not hidden["Total"]
    assert _oracle_unrecoverable(df, out, "groupe")


def test_crosstab_with_margins():
    ct = pd.DataFrame({"18-21": [5, 30, 35], "22-25": [20, 25, 45], "Total": [25, 55, 80]}, index=["F", "H", "Total"])
    t = mask_crosstab(ct)
    assert t.masque.values.tolist() == [[True, True, False], [True, True, False], [False, False, False]]
    assert t.petit.values.tolist()[0] == [True, False, False] and t.valeurs.iloc[2, 2] == 80
    assert t.valeurs.isna().values.sum() == 4


def test_recoverable_finds_a_lone_hidden_cell():
    relations = [Relation(3, (0, 1, 2))]
    assert recoverable(np.array([True, False, False, False]), relations) == [0]
    assert recoverable(np.array([True, True, False, False]), relations) == []
    assert recoverable(np.array([True, True, False, True]), relations) == []


def test_suppress_never_loops_on_a_single_part_with_a_published_total():
    hidden = suppress(np.array([[3.0]]), [Relation(None, (0,))], 11)
    assert hidden.tolist() == [True]


# --- properties ----------------------------------------------------------------------------------------------
ks = st.integers(min_value=2, max_value=15)
cells = st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(cells, ks)
def test_property_count_tables(values, k):
    out = mask_table(table(values), k=k)
    shown = out.loc[~out["masque"], "valeur"].astype(int)
    assert not shown.between(1, k - 1).any()  # no small count shown
    parts = out.iloc[:-1]
    total_masked = bool(out["masque"].iloc[-1])
    assert total_masked or parts["masque"].sum() != 1  # nothing recoverable by subtraction
    if not total_masked and parts["masque"].any():
        assert not 1 <= sum(v for v, h in zip(values, parts["masque"]) if h) <= k - 1
    hidden = out[out["masque"]]
    texts = pd.Series(texts_of(out, k), index=out.index)[out["masque"]]
    small = pd.Series([*values, sum(values)])[out["masque"]].between(1, k - 1)
    assert hidden["valeur"].isna().all() and (texts == small.map({True: f"< {k}", False: "secret"})).all()  # never 0


@st.composite
def ratio_rows(draw):
    n_rows = draw(st.integers(min_value=1, max_value=7))
    rows = []
    for i in range(n_rows):
        d = draw(st.integers(min_value=0, max_value=60))
        n = draw(st.integers(min_value=0, max_value=d))
        rows.append((f"m{i}", n, d))
    return rows


@settings(max_examples=300, deadline=None)
@given(ratio_rows(), ks)
def test_property_ratio_tables(rows, k):
    n_tot, d_tot = sum(r[1] for r in rows), sum(r[2] for r in rows)
    df = pd.DataFrame(
        [{"modalite": m, "libelle": m, "numerateur": n, "denominateur": d} for m, n, d in rows]
        + [{"modalite": "Total", "libelle": "Total", "numerateur": n_tot, "denominateur": d_tot}]
    )
    df["valeur"] = [None if d == 0 else 100 * n / d for n, d in zip(df["numerateur"], df["denominateur"])]
    out = mask_table(df, k=k, nature=Nature.RATIO)
    for (_, row), (_, raw) in zip(out.iterrows(), df.iterrows()):
        if not row["masque"]:
            n, d = int(row["numerateur"]), int(row["denominateur"])
            assert not 1 <= n <= k - 1 and not 1 <= d - n <= k - 1
        else:
            assert pd.isna(row["valeur"]) and pd.isna(row["numerateur"])
    assert out["masque"].iloc[-1] or out["masque"].iloc[:-1].sum() != 1


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["R1", "R2", "R3", "R4"]), cells, min_size=1), ks)
def test_property_grouped_tables_leave_nothing_recoverable(regions, k):
    df = region_table(regions)
    out = mask_table(df, k=k, group_col="groupe")
    shown = out.loc[~out["masque"], "valeur"].astype(int)
    assert not shown.between(1, k - 1).any()
    assert _oracle_unrecoverable(df, out, "groupe")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.integers(0, 40), min_size=2, max_size=4), min_size=2, max_size=4), ks)
def test_property_crosstabs_leave_nothing_recoverable(grid, k):
    width = min(len(r) for r in grid)
    body = pd.DataFrame([r[:width] for r in grid], columns=[f"c{j}" for j in range(width)])
    body["Total"] = body.sum(axis=1)
    ct = pd.concat([body, body.sum().to_frame().T], ignore_index=True)
    ct.index = [f"r{i}" for i in range(len(body))] + ["Total"]
    t = mask_crosstab(ct, k=k)
    values = ct.to_numpy()
    assert not ((values >= 1) & (values <= k - 1) & ~t.masque.to_numpy()).any()
    n_rows, n_cols = values.shape
    equations = [[(i, j) for j in range(n_cols)] for i in range(n_rows)] + [
        [(i, j) for i in range(n_rows)] for j in range(n_cols)
    ]
    # row i: the last cell is the total; column j: the last cell is the total
    signed = [[(c, 1.0 if c[1] == n_cols - 1 else -1.0) for c in eq] for eq in equations[:n_rows]] + [
        [(c, 1.0 if c[0] == n_rows - 1 else -1.0) for c in eq] for eq in equations[n_rows:]
    ]
    hidden = [(i, j) for i in range(n_rows) for j in range(n_cols) if t.masque.iat[i, j]]
    assert _determined_by_nullspace(signed, hidden) == []


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["jeunes_suivis", "entretiens", "acces_emploi", "ancrage_rsa", "sorties_rsa", "immersions"]),
        st.tuples(st.integers(0, 40), st.integers(0, 40)),
    ),
    st.integers(min_value=-2, max_value=15),
)
def test_property_values(raw, k):
    natures = {"acces_emploi": Nature.RATIO, "ancrage_rsa": Nature.RATIO}
    values = {
        code: ratio(code, min(a, b), max(a, b)) if code in natures else count(code, a) for code, (a, b) in raw.items()
    }
    out = mask_values(values, k)
    if k <= 1:
        assert out == values
        return
    for code, v in out.items():
        if v.masque:
            assert v.valeur is None and v.numerateur is None and v.denominateur is None
        elif code in natures:
            assert not 1 <= v.numerateur <= k - 1 and not 1 <= v.denominateur - v.numerateur <= k - 1
        else:
            assert not 1 <= v.valeur <= k - 1


# --- an oracle independent of the implementation: the null space of the equations ---------------------------
def _determined_by_nullspace(equations, hidden) -> list:
    """Hidden cells whose value every solution shares: zero in every null-space vector of the hidden system."""
    if not hidden:
        return []
    index = {c: j for j, c in enumerate(hidden)}
    a = np.zeros((len(equations), len(hidden)))
    for i, eq in enumerate(equations):
        for cell, coef in eq:
            if cell in index:
                a[i, index[cell]] += coef
    _, sv, vt = np.linalg.svd(a)
    rank = int((sv > 1e-9).sum())
    null = vt[rank:]
    return [c for c, j in index.items() if null.shape[0] == 0 or np.all(np.abs(null[:, j]) < 1e-9)]


def _oracle_unrecoverable(df: pd.DataFrame, out: pd.DataFrame, group_col: str) -> bool:
    equations = []
    top = int(df.index[(df["modalite"] == "Total") & df[group_col].isna()][0])
    subtotals = []
    for g in df[group_col].dropna().unique():
        rows = df.index[df[group_col] == g]
        sub = int(rows[df.loc[rows, "modalite"] == "Total"][0])
        subtotals.append(sub)
        equations.append([(sub, 1.0)] + [(int(i), -1.0) for i in rows if int(i) != sub])
    equations.append([(top, 1.0)] + [(s, -1.0) for s in subtotals])
    hidden = [int(i) for i in out.index[out["masque"]]]
    return _determined_by_nullspace(equations, hidden) == []
