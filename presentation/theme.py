"""The charts' look: French locale, a colour-blind-safe palette, readable defaults.

Colours come from the Okabe–Ito palette (distinguishable with the common forms
of colour blindness); charts never rely on colour alone — series also differ by
shape or dash, and every chart has its figures in a table beside it.
"""

from __future__ import annotations

from functools import lru_cache

import altair as alt

# Okabe & Ito (2008), without yellow on white (too little contrast for text).
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000"]
# Meaning-bearing colours, each also told apart by a label or a shape.
FAVORABLE = "#0072B2"  # blue
DEFAVORABLE = "#D55E00"  # vermillion
NEUTRE = "#7F7F7F"
SHAPES = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down", "stroke"]
DASHES = [[1, 0], [6, 3], [2, 2], [8, 2, 2, 2]]


@lru_cache(maxsize=1)
def locales() -> tuple[dict, dict]:
    """French number and date formats for Vega (from vl-convert, shipped with the charts' PNG export)."""
    import vl_convert as vlc

    number = dict(vlc.get_format_locale("fr-FR"))
    number["thousands"] = "\u202f"  # narrow no-break space, as the rest of the app
    return number, vlc.get_time_format_locale("fr-FR")


def french(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Apply the locale and the house style to a top-level chart."""
    number, time = locales()
    return chart.configure(
        locale=alt.Locale(number=number, time=time),
        font="Source Sans Pro, Arial, sans-serif",
        range=alt.RangeConfig(category=PALETTE),
    ).configure_axis(labelFontSize=12, titleFontSize=12, grid=True, gridOpacity=0.4).configure_legend(
        labelFontSize=12, titleFontSize=12, orient="bottom", labelLimit=0,  # never « Allocations RSA évitées … »
    ).configure_view(strokeWidth=0)
