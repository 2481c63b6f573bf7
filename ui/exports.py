"""Downloads of the tables a page shows: CSV and xlsx bytes (pure: tables in, bytes out).

An export holds exactly what the page shows, masked the same way: the
caller passes the displayed tables, whose masked cells are already the text
"< 11" or "secret" (never 0, never the hidden figure). Text cells are
neutralised against formula injection (`mlimpact.exchange.writing.neutralise`),
since structure names come from imported files.

CSV follows the French spreadsheet habit: `;` between fields, a decimal
comma, UTF-8 with a byte-order mark so that Excel reads the accents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
from sqlalchemy import Engine

from mlimpact import audit
from mlimpact.exchange.writing import neutralise
from reports.excel import workbook

CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _safe(table: pd.DataFrame) -> pd.DataFrame:
    """Text columns neutralised; numbers kept as numbers (masked ones empty)."""
    out = table.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col]):
            out[col] = neutralise(out[col].astype(object).where(out[col].notna(), ""))
    return out


def csv_bytes(table: pd.DataFrame) -> bytes:
    """One table as CSV (`;`, decimal comma, UTF-8 with BOM)."""
    return _safe(table).to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")


def xlsx_bytes(tables: Mapping[str, pd.DataFrame], notes: Mapping[str, str] | None = None) -> bytes:
    """Several tables as one workbook, one sheet each, with an optional first sheet of notes (label → text).

    Numbers stay numbers; a column headed « … (%) » holds percentages in points
    and is written as shares with a percent format (`reports.excel.workbook`).
    """
    return workbook(tables, notes)


def audited(build: Callable[[], bytes], engine: Engine, auteur: str, page: str, fichier: str) -> Callable[[], bytes]:
    """`build`, recorded in the audit trail as an export when it runs: a download button calls it only when
    clicked, so each file handed over leaves one entry (who, when, which file), like the PDF and the workbook."""

    def build_and_record() -> bytes:
        data = build()
        with engine.begin() as conn:
            audit.record(conn, auteur, "export", page, cle=fichier, detail=f"téléchargement de {fichier}")
        return data

    return build_and_record
