"""The frise as a ready Vega-Lite dict (`ui.timeline.spec`) is the chart `ui.timeline.timeline` builds with Altair.

The page draws `spec` (a template of layers filled per young person, ten times quicker); these tests pin it to
the Altair chart, data set by data set, for every combination of layers, so the two cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pyarrow as pa
import pytest

from ui import timeline as frise
from ui.charts import vega_spec

TODAY = dt.date(2026, 10, 31)

ACCOMPAGNEMENTS = pd.DataFrame(
    [
        {"dispositif": "CEJ", "date_debut": dt.date(2025, 3, 1), "date_fin": dt.date(2025, 12, 31), "motif_fin": "emploi_durable"},
        {"dispositif": "CEJ", "date_debut": dt.date(2026, 2, 1), "date_fin": None, "motif_fin": None},
        {"dispositif": "RSA", "date_debut": dt.date(2026, 5, 4), "date_fin": None, "motif_fin": None},
    ]
)
JALONS = pd.DataFrame(
    [
        {"type": "entretien", "date": dt.date(2025, 3, 2), "domaine": None, "montant_eur": None},
        {"type": "aide_faj", "date": dt.date(2025, 6, 12), "domaine": None, "montant_eur": 150.5},
        {"type": "risque_rupture", "date": dt.date(2026, 9, 1), "domaine": "logement", "montant_eur": None},
        {"type": "rupture_evitee", "date": dt.date(2026, 1, 15), "domaine": "sante", "montant_eur": None},
    ]
)
RISQUES = pd.DataFrame(
    [
        {"domaine": "logement", "date": dt.date(2026, 9, 1), "jours": 60},
        {"domaine": "sante", "date": dt.date(2025, 4, 1), "jours": 578},  # its label written rightwards
    ]
)
EMPTY = {name: frame.iloc[0:0] for name, frame in (("a", ACCOMPAGNEMENTS), ("j", JALONS), ("r", RISQUES))}


def readable(spec: dict) -> dict:
    """The spec with each named data set replaced by its rows as text (Arrow bytes or rows alike)."""
    tables = {
        name: rows if isinstance(rows, list) else pa.ipc.open_stream(rows).read_all().to_pylist()
        for name, rows in spec.get("datasets", {}).items()
    }

    def walk(node):
        if isinstance(node, dict):
            if set(node) == {"name"} and node["name"] in tables:
                return [{k: None if v is None else str(v) for k, v in row.items()} for row in tables[node["name"]]]
            return {k: walk(v) for k, v in node.items() if k != "datasets"}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(spec)


@pytest.mark.parametrize(
    ("accompagnements", "jalons", "risques"),
    [
        (ACCOMPAGNEMENTS, JALONS, RISQUES),
        (ACCOMPAGNEMENTS, JALONS, EMPTY["r"]),
        (EMPTY["a"], JALONS, RISQUES),
        (ACCOMPAGNEMENTS, EMPTY["j"], EMPTY["r"]),
        (EMPTY["a"], JALONS.iloc[:1], EMPTY["r"]),
    ],
    ids=["every-layer", "no-risk", "no-accompagnement", "accompagnements-only", "one-jalon"],
)
def test_the_ready_frise_is_the_altair_one(accompagnements, jalons, risques):
    ready = frise.spec(accompagnements, jalons, risques, TODAY)
    assert readable(ready) == readable(vega_spec(frise.timeline(accompagnements, jalons, risques, TODAY)))
    assert all(isinstance(data, bytes) for data in ready["datasets"].values())  # shipped as Streamlit ships them
    text = json.dumps(readable(ready), ensure_ascii=False)
    assert "§" not in text and "987654321" not in text  # every stand-in value filled in


def test_two_frises_from_one_template_keep_their_own_lines_and_dates():
    first = readable(frise.spec(ACCOMPAGNEMENTS, JALONS, RISQUES, TODAY))
    second = readable(frise.spec(ACCOMPAGNEMENTS.iloc[2:], JALONS.iloc[:2], RISQUES.iloc[:1], TODAY))
    assert first != second
    assert "Accompagnement · CEJ" not in json.dumps(second, ensure_ascii=False)
    assert frise.spec(ACCOMPAGNEMENTS, JALONS, RISQUES, TODAY)["height"] > frise.spec(EMPTY["a"], JALONS.iloc[:1], EMPTY["r"], TODAY)["height"]
