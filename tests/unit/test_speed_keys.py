"""What makes concurrent sessions cheaper without changing a figure (issue 18): cache keys by rights, a cheap theme."""

from __future__ import annotations

import dataclasses
import datetime as dt

import altair as alt
import pandas as pd

from indicators.types import Filtres, Perimetre, Periode
from mlimpact.access import Compte
from mlimpact.scope import Echelon
from presentation import theme
from reports import contenu as ct
from ui import cache, charts

PERIODE = Periode(dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def test_two_agents_with_the_same_rights_share_the_figures_and_other_rights_do_not(monkeypatch, tmp_path):
    calls = []

    def tableau(engine, compte, periode, code, filtres):
        calls.append(compte)
        return f"{compte.role}:{compte.departement}"

    monkeypatch.setattr(cache.territorial, "tableau", tableau)
    monkeypatch.setattr(cache, "tableau_affiche", lambda t: t)
    cache.territorial_table.clear()
    args = (f"sqlite:///{tmp_path / 'inexistante.db'}", 1)  # never read; its writers' lock file lands there
    first = cache.territorial_table(*args, Compte("a@bureau.gouv.fr", "bureau"), PERIODE, "acces_emploi", Filtres())
    second = cache.territorial_table(*args, Compte("b@bureau.gouv.fr", "bureau"), PERIODE, "acces_emploi", Filtres())
    assert first == second == "bureau:None" and len(calls) == 1  # the second agent waited for nothing
    other = cache.territorial_table(*args, Compte("c@cd84.fr", "departement", departement="84"), PERIODE,
                                    "acces_emploi", Filtres())
    assert other == "departement:84" and len(calls) == 2  # other rights: computed for them, never shared
    cache.territorial_table.clear()


def test_what_is_asked_is_keyed_by_every_field_it_holds():
    """The loaders key a period, a scope, filters and a Demande by their repr (`ui.cache.CLES`): a field left out
    of it (`field(repr=False)`) would serve one request the figures of another."""
    for kind in (Periode, Perimetre, Filtres, ct.Demande):
        assert cache.CLES[kind] is repr and dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen
        assert all(f.repr for f in dataclasses.fields(kind)), kind
    base = ct.Demande(PERIODE, Perimetre(Echelon.STRUCTURE, "13001"), Filtres(dispositif="RSA"), dt.date(2026, 10, 31))
    changes = [
        dataclasses.replace(base, periode=Periode(dt.date(2025, 1, 1), dt.date(2025, 12, 30))),
        dataclasses.replace(base, perimetre=Perimetre(Echelon.STRUCTURE, "13002")),
        dataclasses.replace(base, perimetre=Perimetre(Echelon.DEPARTEMENT, "13001")),
        dataclasses.replace(base, filtres=Filtres(dispositif="RSA", rqth=False)),
        dataclasses.replace(base, filtres=Filtres(dispositif="RSA", qpv=None, frr=True)),
        dataclasses.replace(base, as_of=dt.date(2026, 11, 1)),
        dataclasses.replace(base, comparaison=Periode(dt.date(2023, 1, 1), dt.date(2023, 12, 31))),
    ]
    keys = [repr(d) for d in (base, *changes)]
    assert len(set(keys)) == len(keys)
    assert repr(dataclasses.replace(base)) == repr(base)  # equal requests share their figures


def test_the_cheap_theme_gives_the_same_spec_as_configure():
    data = pd.DataFrame({"c": ["a", "b"], "v": [1, 2]})
    chart = charts.bars(data, "c", "v")
    number, time = theme.locales()
    expected = chart.configure(
        locale=alt.Locale(number=number, time=time), font="Source Sans Pro, Arial, sans-serif",
        range=alt.RangeConfig(category=theme.PALETTE),
    ).configure_axis(labelFontSize=12, titleFontSize=12, grid=True, gridOpacity=0.4).configure_legend(
        labelFontSize=12, titleFontSize=12, orient="bottom", labelLimit=0).configure_view(strokeWidth=0)
    assert theme.french(chart).to_dict() == expected.to_dict()
    assert "locale" not in chart.to_dict().get("config", {})  # the chart given is left as it was


def test_a_ready_chart_gives_streamlit_the_same_spec_unchecked():
    """`charts.ready`: Streamlit's own conversion, the same spec as with the schema check, which it skips."""
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    data = pd.DataFrame({"c": ["a", "b"], "v": [1, 2]})
    chart = charts.bars(data, "c", "v")
    checked = _convert_altair_to_vega_lite_spec(theme.french(chart))
    unchecked = _convert_altair_to_vega_lite_spec(charts.ready(chart))
    assert unchecked == checked
