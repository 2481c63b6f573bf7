"""Every file a page hands over leaves an entry in the audit trail: the national view's CSV and workbook too."""

from __future__ import annotations

import pandas as pd

from mlimpact import audit
from ui import exports


def test_a_download_is_recorded_when_its_bytes_are_built(engine):
    table = pd.DataFrame({"Département": ["Ariège"], "Valeur": [12.5]})
    build = exports.audited(lambda: exports.csv_bytes(table), engine, "bureau@exemple.fr", "vue_nationale", "carte-acces_emploi.csv")
    with engine.connect() as conn:
        assert audit.entries(conn, table="vue_nationale") == []  # nothing until the button is clicked
    data = build()
    assert data == exports.csv_bytes(table)
    with engine.connect() as conn:
        entries = audit.entries(conn, table="vue_nationale")
    assert [(e["auteur"], e["action"], e["cle"]) for e in entries] == [("bureau@exemple.fr", "export", "carte-acces_emploi.csv")]
