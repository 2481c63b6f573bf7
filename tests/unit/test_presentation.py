"""One text for every figure and every change (presentation.figures): the exact strings, and every output agrees."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from types import SimpleNamespace

import pandas as pd
import pytest
from rich.console import Console

from indicators.types import Filtres, Nature, Perimetre, Periode, Valeur
from presentation import figures
from presentation.figures import libelle_masque, texte, texte_ecart, texte_nombre, texte_valeur, texte_variation

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize(
    "code, value, expected",
    [
        ("jeunes_suivis", 17, "17"),
        ("jeunes_suivis", 1234567, f"1{NNBSP}234{NNBSP}567"),
        ("jeunes_suivis", 0, "0"),
        ("acces_emploi", 23.5, f"23,5{NBSP}%"),
        ("acces_emploi", 100.0, f"100,0{NBSP}%"),
        ("budget_eur", 336600, f"336{NNBSP}600,00{NBSP}€"),
        ("cout_par_jeune_eur", 1234.5, f"1{NNBSP}234,50{NBSP}€"),
        ("entretiens_par_jeune", 2.44, f"2,4{NBSP}par jeune"),
        ("delai_entree_jours", 12.0, f"12,0{NBSP}jours"),
        ("euros_evites_par_euro_investi", 1.5, f"1,50{NBSP}€"),
    ],
)
def test_each_nature_by_the_registry(code, value, expected):
    assert texte_nombre(code, value) == expected
    assert texte_valeur(code, Valeur(code, value)) == expected


def test_no_value_is_a_dash_everywhere():
    assert texte_valeur("jeunes_suivis", None) == "—"
    assert texte_valeur("acces_emploi", Valeur("acces_emploi", None)) == "—"
    assert texte_nombre("budget_eur", None) == "—"
    assert texte_nombre("acces_emploi", float("nan")) == "—"
    assert texte(pd.NA, Nature.COUNT) == "—"
    assert texte_ecart("acces_emploi", None) == "—"
    assert texte_variation("acces_emploi", Valeur("acces_emploi", 20.0), None) == "—"
    assert texte_variation("acces_emploi", Valeur("acces_emploi", 20.0), Valeur("acces_emploi", None)) == "—"


def test_masked_values():
    masked = Valeur("jeunes_suivis", None, masque=True)
    assert texte_valeur("jeunes_suivis", masked) == "< 11"
    assert texte_valeur("jeunes_suivis", masked, k=5) == "< 5"
    assert texte_valeur("acces_emploi", Valeur("acces_emploi", None, masque=True)) == "secret"
    assert texte_valeur("couts_evites_nets_eur", Valeur("couts_evites_nets_eur", None, masque=True)) == "secret"
    assert texte_valeur("z", Valeur("z", None, masque=True)) == "secret"  # unknown code: no value, not a count
    assert libelle_masque(Nature.COUNT, 11) == "< 11"
    assert libelle_masque(Nature.COUNT, 11, petit=False) == "secret"  # hidden to protect another cell: may be large
    assert libelle_masque(Nature.RATIO, 11) == "secret"


def test_changes_points_for_a_ratio_unit_otherwise():
    v = lambda code, x: Valeur(code, x)
    assert texte_variation("acces_emploi", v("acces_emploi", 30.0), v("acces_emploi", 27.5)) == f"+2,5{NBSP}pt"
    assert texte_variation("acces_emploi", v("acces_emploi", 20.0), v("acces_emploi", 27.5)) == f"−7,5{NBSP}pt"
    assert texte_variation("acces_emploi", v("acces_emploi", 20.0), v("acces_emploi", 20.0)) == f"±0,0{NBSP}pt"
    assert texte_ecart("jeunes_suivis", -3.0) == "−3"
    assert texte_ecart("jeunes_suivis", 1500) == f"+1{NNBSP}500"
    assert texte_ecart("budget_eur", -1200.5) == f"−1{NNBSP}200,50{NBSP}€"
    assert texte_ecart("entretiens_par_jeune", 0.25) == f"+0,3{NBSP}par jeune"  # half up, like the figures
    assert texte_ecart("acces_emploi", 0.04) == f"±0,0{NBSP}pt"  # the sign of what is written
    assert texte_variation("acces_emploi", Valeur("acces_emploi", None, masque=True), v("acces_emploi", 1.0)) == "secret"
    assert texte_variation("jeunes_suivis", v("jeunes_suivis", 40), Valeur("jeunes_suivis", None, masque=True)) == "secret"


def test_a_masked_table_and_its_comparison():
    t = pd.DataFrame({"code": ["01", "02", "03"], "valeur": [30.0, None, None],
                      "masque": [False, True, True], "petit": [False, True, False]})
    assert figures.avec_affichage(t, 11, "jeunes_suivis")["affichage"].tolist() == ["30", "< 11", "secret"]
    assert figures.avec_affichage(t, 11, "acces_emploi")["affichage"].tolist() == [f"30,0{NBSP}%", "secret", "secret"]
    cmp = t.assign(valeur_prec=[27.5, 1.0, None], masque_prec=[False, False, False], petit_prec=False,
                   variation=pd.array([2.5, None, None], dtype="Float64"))
    out = figures.avec_variation(cmp, "acces_emploi", 11)
    assert out["affichage_prec"].tolist() == [f"27,5{NBSP}%", f"1,0{NBSP}%", "—"]
    assert out["affichage_variation"].tolist() == [f"+2,5{NBSP}pt", "secret", "secret"]


# --- every output writes the same Valeur the same way ---------------------------------------------------------
CAS = [
    Valeur("jeunes_suivis", 1234),
    Valeur("acces_emploi", 45.25),
    Valeur("budget_eur", 336600.0),
    Valeur("entretiens_par_jeune", 2.4),
    Valeur("jeunes_suivis", None, masque=True),
    Valeur("acces_emploi", None, masque=True),
]


def card_text(valeur: Valeur) -> str:
    """What `ui.cards.card` hands to st.metric, with Streamlit replaced by a recorder."""
    from ui import cards

    shown = {}

    class FakeSt:
        def metric(self, label, value, **kwargs):
            shown["value"] = value

        def popover(self, *args, **kwargs):
            class Folded(contextlib.nullcontext):
                open = False  # a closed popover: its definition is not written

            return Folded()

        def __getattr__(self, name):
            return lambda *args, **kwargs: None

    real = cards.st
    cards.st = FakeSt()
    try:
        cards.card(valeur.code, valeur, k=11)
    finally:
        cards.st = real
    return shown["value"]


def cli_text(valeur: Valeur) -> str:
    """The CLI table (`mlimpact indicateurs --format table`) for one figure."""
    from mlimpact.cli import indicateurs

    buffer = io.StringIO()
    real = indicateurs.out
    indicateurs.out = Console(file=buffer, width=300, highlight=False, color_system=None)
    try:
        periode = Periode(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
        indicateurs.print_table(periode, Perimetre(), Filtres(), None, {valeur.code: valeur}, 11)
    finally:
        indicateurs.out = real
    return buffer.getvalue()


def pdf_text(valeur: Valeur) -> str:
    from reports import pdf

    return pdf._v(SimpleNamespace(figures={valeur.code: (valeur, None)}, k=11), valeur.code)


@pytest.mark.parametrize("valeur", CAS, ids=lambda v: f"{v.code}-{'masque' if v.masque else v.valeur}")
def test_the_cli_table_a_card_and_the_pdf_write_the_same_string(valeur):
    expected = texte_valeur(valeur.code, valeur)
    assert card_text(valeur) == expected
    assert pdf_text(valeur) == expected
    assert f" {expected} " in cli_text(valeur)


def test_a_card_shows_the_change_as_a_figure_only():
    from ui.cards import variation_delta

    a, b = Valeur("acces_emploi", 30.0), Valeur("acces_emploi", 27.5)
    assert variation_delta("acces_emploi", a, b) == f"+2,5{NBSP}pt"
    assert variation_delta("acces_emploi", a, None) is None
    assert variation_delta("acces_emploi", a, Valeur("acces_emploi", None, masque=True)) is None
