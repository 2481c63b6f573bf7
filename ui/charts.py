"""Generic chart builders (pure: data in, `alt.Chart` out) and the one way to show a chart.

`show` always puts the chart's figures in a table right under it and gives the
chart a text alternative: a chart is never the only way to read a figure (RGAA).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st

from presentation.theme import DASHES, SHAPES, french
from ui import lazy


def trend(data: pd.DataFrame, x: str, y: str, series: str | None = None, y_title: str = "", percent: bool = False) -> alt.Chart:
    """Monthly lines; series told apart by colour, dash and point shape."""
    base = alt.Chart(data)
    fmt = ".1f" if percent else ",.0f"
    encoding = {
        "x": alt.X(f"{x}:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0)),
        "y": alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=fmt)),
        "tooltip": [alt.Tooltip(f"{x}:T", title="Mois", format="%B %Y"), alt.Tooltip(f"{y}:Q", title=y_title or y, format=fmt)],
    }
    if series:
        encoding["color"] = alt.Color(f"{series}:N", title=None)
        encoding["strokeDash"] = alt.StrokeDash(f"{series}:N", title=None, scale=alt.Scale(range=DASHES))
        encoding["shape"] = alt.Shape(f"{series}:N", title=None, scale=alt.Scale(range=SHAPES))
        encoding["tooltip"].insert(0, alt.Tooltip(f"{series}:N", title="Série"))
    return base.mark_line(point=True).encode(**encoding)


def bars(data: pd.DataFrame, category: str, value: str, value_title: str = "", color: str | None = None, percent: bool = False) -> alt.Chart:
    """Horizontal bars with their value written at the end (no reading from an axis needed)."""
    fmt = ".1f" if percent else ",.0f"
    y = alt.Y(f"{category}:N", title=None, sort="-x")
    x = alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=fmt))
    encoding = {"y": y, "x": x, "tooltip": [alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{value}:Q", format=fmt, title=value_title or value)]}
    if color:
        encoding["color"] = alt.Color(f"{color}:N", title=None)
    chart = alt.Chart().mark_bar().encode(**encoding)
    labels = alt.Chart().mark_text(align="left", dx=3).encode(y=y, x=x, text=alt.Text(f"{value}:Q", format=fmt))
    # the data on the layer, not on each part: Altair 6 names each part by a hash of its spec, data included,
    # and writes a DataFrame out as text for it (a few ms a chart, on every run of every session)
    return alt.layer(chart, labels, data=data)


def ready(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The chart in French and house style, for `st.altair_chart`, which then skips checking it against the
    Vega-Lite schema: our charts are built by code the unit tests check (they render them with vl-convert),
    and the check was a third of the time of a chart on every run of every session (19 ms → 7 ms)."""
    out = french(chart)
    object.__setattr__(out, "to_dict", functools.partial(type(out).to_dict, out, validate=False))
    return out


# The default Altair theme's view size, which Streamlit switches off while it turns a chart into a spec.
_THEME_VIEW = ("continuousWidth", "continuousHeight")


def vega_spec(chart: alt.TopLevelMixin) -> dict:
    """The chart as the Vega-Lite dict Streamlit draws (French, house style, data inline): a plain value that
    `ui.cache.chart` keeps, so that a session asking for the same figures does not build the chart again
    (building and converting Altair charts was most of the server's time on the Impact page)."""
    spec = ready(chart).to_dict()
    view = spec.get("config", {}).get("view", {})
    for name in _THEME_VIEW:
        view.pop(name, None)
    return _arrow_datasets(spec)


def _arrow_datasets(spec: dict) -> dict:
    """The spec's tables as the Arrow bytes Streamlit ships beside it, converted once here: Streamlit converts
    a table given as rows on every draw of every session (a sixth of a session's server time on the Impact
    page) but passes bytes through. Top-level rows become a named table too (the same chart for Vega-Lite)."""
    from streamlit import dataframe_util

    data = spec.get("data")
    if isinstance(data, dict) and isinstance(data.get("values"), list):
        spec.setdefault("datasets", {})["donnees"] = data["values"]
        spec["data"] = {"name": "donnees"}
    for name, rows in spec.get("datasets", {}).items():
        if isinstance(rows, list):
            spec["datasets"][name] = dataframe_util.convert_anything_to_arrow_bytes(rows)
    return spec


def draw(chart: alt.TopLevelMixin | dict, key: str, alt_text: str | None, **options) -> None:
    """One chart, full width unless `options` say otherwise: an Altair chart, or a kept `vega_spec`."""
    options = {"width": "stretch", **options}
    if isinstance(chart, dict):
        st.vega_lite_chart(spec=chart, key=key, alt=alt_text, **options)
    else:
        st.altair_chart(ready(chart), key=key, alt=alt_text, **options)


Table = pd.DataFrame | Callable[[], pd.DataFrame]


def figures_table(table: Table, key: str) -> None:
    """The chart's figures, in a fold built only when unfolded (`ui.lazy.fold`): a page of ten charts no
    longer builds and sends ten tables on every run of every session for the few who open one. `table` may
    be the function that builds it."""
    lazy.fold("Voir les chiffres en tableau", f"table_{key}",
              lambda: st.dataframe(table() if callable(table) else table, hide_index=True, width="stretch"))


def show(chart: alt.TopLevelMixin | dict, table: Table, alt_text: str, key: str, height: int | None = None) -> None:
    """Draw a chart (French locale, house style; an Altair chart or a kept `vega_spec`) with its figures as a
    table and a text alternative."""
    if height:
        chart = {**chart, "height": height} if isinstance(chart, dict) else chart.properties(height=height)
    draw(chart, f"chart_{key}", alt_text)
    figures_table(table, key)


def show_grid(charts: list[alt.TopLevelMixin | dict], table: Table, alt_text: str, key: str, colonnes: int = 2) -> None:
    """Several charts side by side (stacked on a phone: Streamlit's columns wrap, each chart fits its column),
    with all their figures in one table and one text alternative."""
    for start in range(0, len(charts), colonnes):
        for i, (column, chart) in enumerate(zip(st.columns(colonnes), charts[start : start + colonnes]), start=start):
            with column:
                draw(chart, f"chart_{key}_{i}", alt_text if i == 0 else None)
    figures_table(table, key)
