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

import io
import re
from collections.abc import Mapping

import pandas as pd

from mlimpact.exchange.writing import neutralise

CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


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


def sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name (31 characters at most, none of []:*?/\\)."""
    base = _SHEET_FORBIDDEN.sub(" ", name).strip()[:31] or "Feuille"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def xlsx_bytes(tables: Mapping[str, pd.DataFrame], notes: Mapping[str, str] | None = None) -> bytes:
    """Several tables as one workbook, one sheet each, with an optional first sheet of notes (label → text)."""
    buffer = io.BytesIO()
    taken: set[str] = set()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        if notes:
            frame = pd.DataFrame({"Rubrique": list(notes), "Valeur": list(notes.values())})
            _safe(frame).to_excel(writer, sheet_name=sheet_name("Notes", taken), index=False)
        for name, table in tables.items():
            sheet = sheet_name(name, taken)
            _safe(table).to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            for i, col in enumerate(table.columns, start=1):
                width = max([len(str(col)), *(len(str(v)) for v in table[col].head(200))]) + 2
                ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(60, width)
    return buffer.getvalue()
