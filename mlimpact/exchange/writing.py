"""Typed rows to exchange-format text, and the CSV files that carry it.

The export, the sample data and the import's "has this row changed?" test all
use `to_text`, so a row is written one way only: ISO dates, `1`/`0`, decimals
with a comma, `;` as separator, UTF-8 with a BOM (French spreadsheets open it
right), and text cells that could start a formula neutralised with a quote.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from mlimpact.exchange.schema import TABLES, Kind
from mlimpact.store import iso_dates_of

SEPARATOR = ";"
ENCODING = "utf-8-sig"
# A formula start, or one already guarded (so that export → import → export is stable).
FORMULA_PATTERN = r"^'*[=+\-@]"


def neutralise(series: pd.Series) -> pd.Series:
    """Prefix with a quote the text cells a spreadsheet would run as a formula."""
    s = series.astype(object)
    mask = s.astype("string").str.match(FORMULA_PATTERN).fillna(False).to_numpy(dtype=bool)
    if mask.any():
        s = s.copy()
        s[mask] = "'" + s[mask]
    return s


def _decimal_text(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype("float64").round(2)
    text = numbers.map(lambda x: "" if np.isnan(x) else f"{x:.2f}".rstrip("0").rstrip(".").replace(".", ","))
    return text.replace("-0", "0")


def to_text(table_name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Typed (or stored) rows as the exact text of the exchange format."""
    out = {}
    for column in TABLES[table_name].columns:
        s = frame[column.name]
        if column.kind is Kind.DATE:
            text = iso_dates_of(s).fillna("")
        elif column.kind is Kind.BOOL:
            text = s.map(lambda v: "1" if bool(v) and not pd.isna(v) else "0")
        elif column.kind is Kind.INT:
            text = s.map(lambda v: "" if pd.isna(v) else str(int(v)))
        elif column.kind is Kind.DECIMAL:
            text = _decimal_text(s)
        elif column.kind is Kind.TEXT:
            text = neutralise(s.where(s.notna(), ""))
        else:
            text = s.where(s.notna(), "")
        out[column.name] = text.astype(object).reset_index(drop=True)
    return pd.DataFrame(out, columns=TABLES[table_name].column_names)


class TableWriter:
    """Appends chunks of one table to its CSV file (header once)."""

    def __init__(self, path: Path, columns: list[str]):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "w", encoding=ENCODING, newline="")
        self._writer = csv.writer(self._fh, delimiter=SEPARATOR, lineterminator="\n")
        self._writer.writerow(columns)
        self.rows = 0

    def write(self, text_frame: pd.DataFrame) -> None:
        self._writer.writerows(text_frame.itertuples(index=False, name=None))
        self.rows += len(text_frame)

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_table_csv(path: Path, table_name: str, frames) -> int:
    """Write typed chunks of a table as one exchange-format CSV file."""
    with TableWriter(path, TABLES[table_name].column_names) as writer:
        for frame in frames:
            writer.write(to_text(table_name, frame))
        return writer.rows
