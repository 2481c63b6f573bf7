"""Validation of exchange-format rows: the one code path for imports and forms.

Input: text values as a user wrote them (a chunk of a file, or one form). Output:
the rows that are valid, typed, and the problems of the others, each naming its
column and saying in French what is wrong and what is expected. Work is done
column by column over whole chunks (vectorised), so a million-row file passes
quickly; a form is a chunk of one row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlimpact import vocab
from mlimpact.exchange.reading import RowProblem, normalise_name
from mlimpact.exchange.schema import TABLES, Column, Kind, Table

TRUE_WORDS = {"1", "oui", "true", "o", "vrai", "yes", "y"}
FALSE_WORDS = {"0", "non", "false", "n", "faux", "no", ""}
_NIR = re.compile(r"^[12]\s?\d{2}\s?\d{2}\s?\d{2}\s?\d{3}\s?\d{3}(\s?\d{2})?$")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Invisible characters and direction overrides: they let two identifiers look alike,
# or make a name read backwards on screen.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# Plausible bounds of a jalon (an aid, a date), the same for a form and an import.
JALON_MONTANT_MAX = 10_000
JALON_DATE_MIN = dt.date(2000, 1, 1)


@dataclass
class Context:
    """What validation needs to know beyond the row itself."""

    today: dt.date

    @property
    def max_birth_year(self) -> int:
        return self.today.year - 14


@dataclass
class Validated:
    """The valid rows of a chunk (typed, in table column order) and the rejected ones."""

    rows: pd.DataFrame
    lines: list[int]
    problems: list[RowProblem]


class _Collector:
    """Problems found so far, by row position (several per row are kept)."""

    def __init__(self, table: Table, raw: pd.DataFrame, lines: list[int]):
        self.table, self.raw, self.lines = table, raw, lines
        self.by_row: dict[int, list[tuple[str, str]]] = {}

    def add(self, mask, column: str, message) -> None:
        """Record `message` (a str, or a function of the raw value) for every row where mask holds."""
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        for pos in positions:
            text = message(self.raw.iat[pos, self.raw.columns.get_loc(column)]) if callable(message) else message
            self.by_row.setdefault(int(pos), []).append((column, text))

    def bad(self) -> np.ndarray:
        out = np.zeros(len(self.raw), dtype=bool)
        out[list(self.by_row)] = True
        return out

    def problems(self) -> list[RowProblem]:
        out = []
        for pos in sorted(self.by_row):
            issues = self.by_row[pos]
            values = {c: _plain(v) for c, v in self.raw.iloc[pos].items()}
            message = " ; ".join(f"{self.table.column(c).label or c} : {m}" if c else m for c, m in issues)
            out.append(RowProblem(self.table.name, self.lines[pos], issues[0][0], message, values, issues))
        return out


def _plain(value):
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


def _quote(value) -> str:
    text = str(value)
    return f"« {text[:60]}{'…' if len(text) > 60 else ''} »"


def unneutralise(series: pd.Series) -> pd.Series:
    """Undo the export's guard against formulas ('=1+1 back to =1+1)."""
    s = series.astype("string")
    guarded = s.str.match(r"^'+[=+\-@]").fillna(False).to_numpy(dtype=bool)
    if guarded.any():
        s = s.copy()
        s[guarded] = s[guarded].str.slice(1)
    return s


def validate(table_name: str, raw: pd.DataFrame, lines: list[int], ctx: Context) -> Validated:
    """Check and type a chunk of text rows of one table."""
    table = TABLES[table_name]
    raw = raw.reset_index(drop=True)
    for col in table.column_names:
        if col not in raw.columns:
            raw[col] = None
    raw = raw[table.column_names]
    bag = _Collector(table, raw, lines)
    typed: dict[str, pd.Series] = {}
    for column in table.columns:
        typed[column.name] = _check_column(column, raw[column.name], bag, ctx)
    frame = pd.DataFrame(typed)
    _check_rows(table, frame, bag, ctx)
    bad = bag.bad()
    good = frame.loc[~bad].reset_index(drop=True)
    good_lines = [line for line, b in zip(lines, bad, strict=True) if not b]
    return Validated(good, good_lines, bag.problems())


def _blank(series: pd.Series) -> pd.Series:
    s = series.astype("string").str.strip()
    return s.mask(s == "", pd.NA)


def _check_column(column: Column, series: pd.Series, bag: _Collector, ctx: Context) -> pd.Series:
    s = _blank(series)
    missing = s.isna().to_numpy(dtype=bool)
    if column.required:
        bag.add(missing, column.name, "valeur manquante ; ce champ est obligatoire.")
    present = ~missing
    kind = column.kind
    if kind is Kind.TEXT:
        s = unneutralise(s).str.normalize("NFC")
        if column.max_length:
            too_long = present & (s.str.len().fillna(0).to_numpy() > column.max_length)
            bag.add(too_long, column.name, f"texte trop long ; {column.max_length} caractères au plus.")
        control = present & s.str.contains(_CONTROL, regex=True).fillna(False).to_numpy(dtype=bool)
        bag.add(control, column.name, "caractères de contrôle interdits dans le texte.")
        invisible = present & s.str.contains(_INVISIBLE, regex=True).fillna(False).to_numpy(dtype=bool)
        bag.add(invisible, column.name, "caractères invisibles ou d'inversion du sens d'écriture interdits.")
        if column.name == "id_jeune":
            _check_pseudonym(s, present, bag)
        return s.astype(object).where(s.notna(), None)
    if kind is Kind.ENUM:
        out = s.map(_enum_lookup(column, s), na_action="ignore")
        unknown = present & out.isna().to_numpy(dtype=bool)
        expected = ", ".join(column.choices) if len(column.choices) <= 30 else "un code de la liste du format"
        bag.add(unknown, column.name, lambda v: f"valeur inconnue {_quote(v)} ; attendu : {expected}.")
        return out.astype(object).where(out.notna(), None)
    if kind is Kind.INT:
        ok = s.str.fullmatch(r"-?\d{1,9}(\.0+)?").fillna(False).to_numpy(dtype=bool)
        bag.add(present & ~ok, column.name, lambda v: f"{_quote(v)} n'est pas un nombre entier.")
        values = pd.to_numeric(s.where(ok), errors="coerce")
        return values.fillna(0).astype("int64")
    if kind is Kind.BOOL:
        low = s.str.lower().fillna("")
        truthy = low.isin(TRUE_WORDS).to_numpy(dtype=bool)
        falsy = low.isin(FALSE_WORDS).to_numpy(dtype=bool)
        bag.add(~(truthy | falsy), column.name, lambda v: f"{_quote(v)} n'est pas un booléen ; attendu oui/non, 1/0, true/false ou O/N.")
        return pd.Series(truthy, index=s.index)
    if kind is Kind.DATE:
        iso = pd.to_datetime(s.where(s.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False)), format="%Y-%m-%d", errors="coerce")
        fr = pd.to_datetime(s.where(s.str.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}").fillna(False)), format="%d/%m/%Y", errors="coerce")
        dates = iso.fillna(fr)
        bad = present & dates.isna().to_numpy(dtype=bool)
        bag.add(bad, column.name, lambda v: f"date invalide {_quote(v)} ; attendu AAAA-MM-JJ ou JJ/MM/AAAA.")
        out_of_range = present & ~bad & ((dates.dt.year < 1950) | (dates.dt.year > 2100)).fillna(False).to_numpy(dtype=bool)
        bag.add(out_of_range, column.name, lambda v: f"date hors des bornes plausibles {_quote(v)}.")
        return dates.astype("datetime64[s]")
    if kind is Kind.DECIMAL:
        cleaned = s.str.replace(r"[\s\u00a0\u202f€]", "", regex=True).str.replace(",", ".", regex=False)
        ok = cleaned.str.fullmatch(r"-?\d+(\.\d+)?").fillna(False).to_numpy(dtype=bool)
        bag.add(present & ~ok, column.name, lambda v: f"{_quote(v)} n'est pas un nombre décimal (ex. 1234,50).")
        values = pd.to_numeric(cleaned.where(ok), errors="coerce").astype("float64")
        return values.round(2)
    raise AssertionError(kind)


def _enum_lookup(column: Column, s: pd.Series) -> dict[str, str | None]:
    """Each distinct written value mapped to its code (None if unknown): a vocabulary has few values,
    so matching them once instead of once per row keeps big files fast."""
    canon = {normalise_name(c): c for c in column.choices}
    lookup = {}
    for written in s.dropna().unique():
        key = normalise_name(written)
        if column.name == "departement" and key.isdigit() and len(key) == 1:
            key = key.zfill(2)
        lookup[written] = canon.get(key)
    return lookup


def _check_pseudonym(s: pd.Series, present: np.ndarray, bag: _Collector) -> None:
    email = s.str.contains(_EMAIL, regex=True).fillna(False).to_numpy(dtype=bool)
    bag.add(present & email, "id_jeune", "ressemble à une adresse e-mail ; l'identifiant doit être pseudonyme.")
    nir = s.str.fullmatch(_NIR).fillna(False).to_numpy(dtype=bool)
    bag.add(present & nir, "id_jeune", "ressemble à un numéro de sécurité sociale ; l'identifiant doit être pseudonyme.")


def _check_rows(table: Table, f: pd.DataFrame, bag: _Collector, ctx: Context) -> None:
    """Rules that involve several columns, or the import date."""
    name = table.name
    if name == "jeunes":
        year = f["annee_naissance"]
        bad = (year < 1950) | (year > ctx.max_birth_year)
        bag.add(bad & (year != 0), "annee_naissance", f"attendu une année entre 1950 et {ctx.max_birth_year}.")
    elif name == "accompagnements":
        has_end = f["date_fin"].notna()
        bag.add(has_end & (f["date_fin"] < f["date_debut"]), "date_fin", "la date de fin précède la date de début.")
        has_motif = f["motif_fin"].notna()
        bag.add(has_end & ~has_motif, "motif_fin", "obligatoire quand la date de fin est renseignée.")
        bag.add(~has_end & has_motif, "motif_fin", "doit rester vide tant que l'accompagnement est ouvert (pas de date de fin).")
    elif name == "jalons":
        today = pd.Timestamp(ctx.today)
        bag.add(f["date"] > today, "date", f"date dans le futur ; un jalon ne peut pas être postérieur au {ctx.today:%d/%m/%Y}.")
        bag.add(f["date"] < pd.Timestamp(JALON_DATE_MIN), "date", f"date trop ancienne ; un jalon ne peut pas être antérieur au {JALON_DATE_MIN:%d/%m/%Y}.")
        _check_domaines(f, bag)
        has_amount = f["montant_eur"].notna()
        bag.add(has_amount & ~f["type"].isin(vocab.TYPES_AVEC_MONTANT), "montant_eur", "un montant ne s'indique que pour une aide FAJ (aide_faj).")
        bag.add(has_amount & (f["montant_eur"] < 0), "montant_eur", "le montant doit être positif ou nul.")
        bag.add(has_amount & (f["montant_eur"] > JALON_MONTANT_MAX), "montant_eur",
                f"montant invraisemblable ; une aide FAJ va de 0 à {JALON_MONTANT_MAX:,} €.".replace(",", "\u202f"))
    elif name in ("financements", "objectifs"):
        year = f["annee"]
        bag.add((year != 0) & ((year < 2000) | (year > 2100)), "annee", "attendu une année entre 2000 et 2100.")
        if name == "financements":
            bag.add(f["montant_eur"] < 0, "montant_eur", "le montant doit être positif ou nul.")


def _check_domaines(f: pd.DataFrame, bag: _Collector) -> None:
    types, domaines = f["type"], f["domaine"]
    needs = types.isin(list(vocab.DOMAINES_PAR_TYPE))
    has = domaines.notna()
    bag.add(needs & ~has, "domaine", "obligatoire pour ce type de jalon.")
    bag.add(~needs & has & types.notna(), "domaine", "ce type de jalon ne prend pas de domaine ; laissez le champ vide.")
    for type_jalon, allowed in vocab.DOMAINES_PAR_TYPE.items():
        wrong = (types == type_jalon) & has & ~domaines.isin(list(allowed))
        bag.add(wrong, "domaine", lambda v, a=allowed: f"domaine {_quote(v)} non prévu pour ce type ; attendu : {', '.join(a)}.")


def validate_record(table_name: str, values: dict[str, object], ctx: Context) -> tuple[dict | None, dict[str, str]]:
    """One row from a form: its typed values, or the French message per field."""
    raw = {k: (None if v is None else _form_text(v)) for k, v in values.items()}
    result = validate(table_name, pd.DataFrame([raw], dtype=object), [1], ctx)
    if result.problems:
        messages: dict[str, str] = {}
        for column, text in result.problems[0].issues:
            messages[column] = f"{messages[column]} {text}" if column in messages else text
        return None, messages
    row = result.rows.iloc[0].to_dict()
    return {k: _python(v) for k, v in row.items()}, {}


def _form_text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _python(value):
    if isinstance(value, pd.Timestamp):
        return value.date()
    if value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value
