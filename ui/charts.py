"""Generic chart builders (pure: data in, `alt.Chart` out) and the one way to show a chart.

`show` always puts the chart's figures in a table right under it and gives the
chart a text alternative: a chart is never the only way to read a figure (RGAA).
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from presentation.theme import DASHES, SHAPES, french


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
    chart = alt.Chart(data).mark_bar().encode(**encoding)
    labels = alt.Chart(data).mark_text(align="left", dx=3).encode(y=y, x=x, text=alt.Text(f"{value}:Q", format=fmt))
    return chart + labels


def show(chart: alt.TopLevelMixin, table: pd.DataFrame, alt_text: str, key: str, height: int | None = None) -> None:
    """Draw a chart (French locale, house style) with its figures as a table and a text alternative."""
    if height:
        chart = chart.properties(height=height)
    st.altair_chart(french(chart), width="stretch", key=f"chart_{key}", alt=alt_text)
    with st.expander("Voir les chiffres en tableau", key=f"table_{key}"):
        st.dataframe(table, hide_index=True, width="stretch")


def show_grid(charts: list[alt.TopLevelMixin], table: pd.DataFrame, alt_text: str, key: str, colonnes: int = 2) -> None:
    """Several charts side by side (stacked on a phone: Streamlit's columns wrap, each chart fits its column),
    with all their figures in one table and one text alternative."""
    for start in range(0, len(charts), colonnes):
        for i, (column, chart) in enumerate(zip(st.columns(colonnes), charts[start : start + colonnes]), start=start):
            with column:
                st.altair_chart(french(chart), width="stretch", key=f"chart_{key}_{i}", alt=alt_text if i == 0 else None)
    with st.expander("Voir les chiffres en tableau", key=f"table_{key}"):
        st.dataframe(table, hide_index=True, width="stretch")
