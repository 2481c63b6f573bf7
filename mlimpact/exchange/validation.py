"""Validation of exchange-format rows: the one code path for imports and forms.

Input: text values as a user wrote them (a chunk of a file, or one form). Output:
the rows that are valid, typed, and the problems of the others, each naming its
column and saying in French what is wrong and what is expected. Work is done
column by column over whole chunks (vectorised), so a million-row file passes
quickly; a form is a chunk of one row.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mlimpact import vocab
from mlimpact.accounts import EMAIL
from mlimpact.exchange.reading import RowProblem, normalise_name
from mlimpact.exchange.schema import TABLES, Column, Kind, Table

TRUE_WORDS = {"1", "oui", "true", "o", "vrai", "yes", "y"}
FALSE_WORDS = {"0", "non", "false", "n", "faux", "no", ""}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Invisible characters, fillers, direction marks and overrides, tags, variation selectors, private use:
# they let two identifiers look alike, hide text, or make a name read backwards on screen.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\ue000-\uf8ff\U000e0000-\U000e0fff\U000f0000-\U0010ffff]"
)

# --- personal data in identifiers and free text -----------------------------------------------------------
_SEP = r"[\s.\-]?"
_NO_ALNUM_BEFORE, _NO_ALNUM_AFTER = r"(?<![0-9A-Za-z])", r"(?![0-9A-Za-z])"
# NIR: sex, year, month, département (2A/2B in Corsica), commune, order, optional key; any separators.
_NIR = re.compile(
    _NO_ALNUM_BEFORE + rf"[1-478]{_SEP}\d{{2}}{_SEP}\d{{2}}{_SEP}(?:\d{{2}}|2[AaBb]){_SEP}\d{{3}}{_SEP}\d{{3}}(?:{_SEP}\d{{2}})?"
    + _NO_ALNUM_AFTER
)
_PHONE = re.compile(_NO_ALNUM_BEFORE + rf"(?:(?:\+|00)\s?33{_SEP}(?:\(0\))?{_SEP}|0)[1-9](?:{_SEP}\d{{2}}){{4}}" + _NO_ALNUM_AFTER)
# An e-mail address, also written to dodge a filter: jean(at)exemple.fr, jean [at] exemple [point] fr.
_AT = r"(?:@|\s*[\(\[\{<]\s*(?:at|arobase|@)\s*[\)\]\}>]\s*|\s+(?:at|arobase)\s+)"
_DOT = r"(?:\.|\s*[\(\[\{<]\s*(?:dot|point)\s*[\)\]\}>]\s*)"
_EMAIL = re.compile(rf"[\w.+\-]+{_AT}[\w\-]+(?:{_DOT}[\w\-]+)*{_DOT}[A-Za-z]{{2,}}", re.IGNORECASE)
IDENTIFYING = (
    (_NIR, "un numéro de sécurité sociale"),
    (_PHONE, "un numéro de téléphone"),
    (_EMAIL, "une adresse e-mail"),
)
# The keys of the rows about a young person: pseudonymous, never a NIR, a phone number or an e-mail.
IDENTIFIERS = ("id_jeune", "id_accompagnement", "id_jalon")
# The address of a professional's account (v1.1 `referent`): not data about the young person, so not checked as
# a pseudonym; compared without case, so stored in lower case. Whether it is an account of the jeune's structure
# is the importer's check (`accounts.referent_refuse`), which reads the store.
ACCOUNTS = ("referent",)
# Free text about a young person: what it seems to hold is pointed out (a warning), as the forms do.
FREE_TEXT = ("commentaire",)
IDENTIFYING_ADVICE = "retirez toute donnée qui permettrait d'identifier le jeune."


def identifying_text(text: str | None) -> str | None:
    """What personal data a text seems to hold ("un numéro de téléphone"…), or None.

    The one check behind the forms' warning on a comment and the import's, and behind the
    refusal of an identifier that identifies.
    """
    if not text:
        return None
    for pattern, what in IDENTIFYING:
        if pattern.search(text):
            return what
    return None


# Bounds of the format (docs/format.md v1.1); the database CHECKs hold the fixed ones (models.py).
MIN_BIRTH_YEAR = 1950
PLAUSIBLE_DATES = (1950, 2100)  # the years a date of any column may take at all (each column has its own bounds too)
MIN_YEAR = 2000
JALON_DATE_MIN = dt.date(MIN_YEAR, 1, 1)  # the first date a jalon may take
YEARS_AHEAD = 5
MAX_JALON_AMOUNT = 10_000
MAX_FINANCEMENT = 100_000_000
MAX_CIBLE = 1_000_000_000
MAX_DIGITS = 15  # digits before the decimal point that a decimal may have at all (exact in a float)


@dataclass
class Context:
    """What validation needs to know beyond the row itself."""

    today: dt.date

    @property
    def max_birth_year(self) -> int:
        return self.today.year - 14

    @property
    def max_year(self) -> int:
        return self.today.year + YEARS_AHEAD


@dataclass
class Validated:
    """The valid rows of a chunk (typed, in table column order) and the rejected ones."""

    rows: pd.DataFrame
    lines: list[int]
    problems: list[RowProblem]
    warnings: list[tuple[int, str, str]] = field(default_factory=list)  # (line, column, message): kept rows


class _Collector:
    """Problems found so far, by row position (several per row are kept)."""

    def __init__(self, table: Table, raw: pd.DataFrame, lines: list[int]):
        self.table, self.raw, self.lines = table, raw, lines
        self.by_row: dict[int, list[tuple[str, str]]] = {}

    def add(self, mask, column: str, message) -> None:
        """Record `message` (a str, or a function of the raw value) for every row where mask holds."""
        for pos in np.flatnonzero(np.asarray(mask, dtype=bool)):
            self.note(int(pos), column, message)

    def note(self, pos: int, column: str, message) -> None:
        """Record `message` (a str, or a function of the raw value) for the row at `pos`."""
        text = message(self.raw.iat[pos, self.raw.columns.get_loc(column)]) if callable(message) else message
        self.by_row.setdefault(pos, []).append((column, text))

    def flagged(self, column: str) -> np.ndarray:
        """Rows already refused for this column (a bound is not checked on a value that did not parse)."""
        out = np.zeros(len(self.raw), dtype=bool)
        out[[p for p, issues in self.by_row.items() if any(c == column for c, _ in issues)]] = True
        return out

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


# A chunk of up to SMALL_CHUNK rows (a form's row, a small file) is checked value by value in plain Python
# (`_check_small`): the hundred pandas operations of a column-by-column check cost a fixed 0.1-0.3 ms each, most of
# a form's time (23 ms a jalon, now 6). What still runs in pandas on such a chunk (the free-text warnings) stores
# its text as Python strings, not Arrow, for the same reason. pandas keeps Python's `re` meaning on both storages,
# and `tests/unit/test_validation_storage.py` checks a row is judged alike alone or in a big chunk.
SMALL_CHUNK = 64
_GUARDED = r"^'+[=+\-@]"  # a cell the export guarded against formulas ('=1+1)
_PYTHON_STRINGS = pd.StringDtype("python")


def as_text(series: pd.Series) -> pd.Series:
    """The series as pandas strings, stored for its size (`SMALL_CHUNK`)."""
    return series.astype(_PYTHON_STRINGS if len(series) <= SMALL_CHUNK else "string")


def unneutralise(series: pd.Series) -> pd.Series:
    """Undo the export's guard against formulas ('=1+1 back to =1+1)."""
    s = as_text(series)
    guarded = s.str.match(_GUARDED).fillna(False).to_numpy(dtype=bool)
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
    small = len(raw) <= SMALL_CHUNK
    for column in table.columns:
        typed[column.name] = _check_small(column, raw[column.name], bag) if small else _check_column(column, raw[column.name], bag, ctx)
    frame = pd.DataFrame(typed)
    _check_rows(table, frame, bag, ctx)
    bad = bag.bad()
    good = frame.loc[~bad].reset_index(drop=True)
    good_lines = [line for line, b in zip(lines, bad, strict=True) if not b]
    return Validated(good, good_lines, bag.problems(), _warnings(table, frame, lines, bad))


def _warnings(table: Table, frame: pd.DataFrame, lines: list[int], bad: np.ndarray) -> list[tuple[int, str, str]]:
    """Free text of the kept rows that seems to hold personal data: pointed out, not refused."""
    out = []
    for name in FREE_TEXT:
        if name not in frame.columns:
            continue
        s = as_text(frame[name]).where(~bad)
        suspect = np.zeros(len(s), dtype=bool)
        for pattern, _ in IDENTIFYING:
            suspect |= s.str.contains(pattern, regex=True).fillna(False).to_numpy(dtype=bool)
        for pos in np.flatnonzero(suspect & ~bad):
            what = identifying_text(s.iat[pos])
            label = table.column(name).label or name
            out.append((lines[pos], name, f"le {label} semble contenir {what} ; {IDENTIFYING_ADVICE}"))
    return out


def _blank(series: pd.Series) -> pd.Series:
    return as_text(series).str.strip().replace("", pd.NA)


# What each column check says and the patterns it uses: one wording and one pattern for a big chunk
# (`_check_column`, vectorised) and for a form's row (`_check_value`, plain Python).
MISSING = "valeur manquante ; ce champ est obligatoire."
CONTROL = "caractères de contrôle interdits dans le texte."
INVISIBLE = "caractères invisibles ou d'inversion du sens d'écriture interdits."
_INT = r"-?[0-9]{1,9}(\.0+)?"
_ISO, _FR = r"[0-9]{4}-[0-9]{2}-[0-9]{2}", r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}"
# ASCII digits only: \d also matches other scripts' digits (١٢٣), which to_numeric turns into a silent NaN
_SPACES, _DECIMAL, _LEADING = r"[\s\u00a0\u202f€]", r"-?[0-9]+(\.[0-9]+)?", r"^-?0*([0-9]*)"


def _too_long(column: Column) -> str:
    return f"texte trop long ; {column.max_length} caractères au plus."


def _pseudonym(what: str) -> str:
    return f"ressemble à {what} ; l'identifiant doit être pseudonyme."


def _about(template: str):
    """A message about the written value: `template` with the value, quoted, in place of {}."""
    return lambda v: template.format(_quote(v))


_bad_account = _about("adresse e-mail invalide {} ; attendu l'adresse du compte du conseiller, par exemple prenom.nom@ml13.fr.")
_not_int = _about("{} n'est pas un nombre entier.")
_not_bool = _about("{} n'est pas un booléen ; attendu oui/non, 1/0, true/false ou O/N.")
_bad_date = _about("date invalide {} ; attendu AAAA-MM-JJ ou JJ/MM/AAAA.")
_implausible_date = _about("date hors des bornes plausibles {}.")
_not_decimal = _about("{} n'est pas un nombre décimal (ex. 1234,50).")
_huge = _about("nombre {} hors de toute borne plausible.")


def _unknown(column: Column):
    expected = ", ".join(column.choices) if len(column.choices) <= 30 else "un code de la liste du format"
    return _about(f"valeur inconnue {{}} ; attendu : {expected}.")


def _check_column(column: Column, series: pd.Series, bag: _Collector, ctx: Context) -> pd.Series:
    s = _blank(series)
    missing = s.isna().to_numpy(dtype=bool)
    if column.required:
        bag.add(missing, column.name, MISSING)
    present = ~missing
    kind = column.kind
    if kind is Kind.TEXT:
        s = unneutralise(s).str.normalize("NFC")
        too_long = np.zeros(len(s), dtype=bool)
        if column.max_length:
            too_long = present & (s.str.len().fillna(0).to_numpy() > column.max_length)
            bag.add(too_long, column.name, _too_long(column))
        control = present & s.str.contains(_CONTROL, regex=True).fillna(False).to_numpy(dtype=bool)
        bag.add(control, column.name, CONTROL)
        invisible = present & s.str.contains(_INVISIBLE, regex=True).fillna(False).to_numpy(dtype=bool)
        bag.add(invisible, column.name, INVISIBLE)
        if column.name in IDENTIFIERS:
            _check_pseudonym(column.name, s, present & ~too_long, bag)
        if column.name in ACCOUNTS:
            s = s.str.lower()
            shape = present & ~too_long & ~s.str.fullmatch(EMAIL).fillna(False).to_numpy(dtype=bool)
            bag.add(shape, column.name, _bad_account)
        return s.astype(object).where(s.notna(), None)
    if kind is Kind.ENUM:
        out = s.map(_enum_lookup(column, s), na_action="ignore")
        unknown = present & out.isna().to_numpy(dtype=bool)
        bag.add(unknown, column.name, _unknown(column))
        return out.astype(object).where(out.notna(), None)
    if kind is Kind.INT:
        ok = s.str.fullmatch(_INT).fillna(False).to_numpy(dtype=bool)
        bag.add(present & ~ok, column.name, _not_int)
        values = pd.to_numeric(s.where(ok), errors="coerce")
        return values.fillna(0).astype("int64")
    if kind is Kind.BOOL:
        low = s.str.lower().fillna("")
        truthy = low.isin(TRUE_WORDS).to_numpy(dtype=bool)
        falsy = low.isin(FALSE_WORDS).to_numpy(dtype=bool)
        bag.add(~(truthy | falsy), column.name, _not_bool)
        return pd.Series(truthy, index=s.index)
    if kind is Kind.DATE:
        iso = pd.to_datetime(s.where(s.str.fullmatch(_ISO).fillna(False)), format="%Y-%m-%d", errors="coerce")
        fr = pd.to_datetime(s.where(s.str.fullmatch(_FR).fillna(False)), format="%d/%m/%Y", errors="coerce")
        dates = iso.fillna(fr)
        bad = present & dates.isna().to_numpy(dtype=bool)
        bag.add(bad, column.name, _bad_date)
        out_of_range = present & ~bad & ((dates.dt.year < PLAUSIBLE_DATES[0]) | (dates.dt.year > PLAUSIBLE_DATES[1])).fillna(False).to_numpy(dtype=bool)
        bag.add(out_of_range, column.name, _implausible_date)
        return dates.astype("datetime64[s]")
    if kind is Kind.DECIMAL:
        cleaned = s.str.replace(_SPACES, "", regex=True).str.replace(",", ".", regex=False)
        ok = cleaned.str.fullmatch(_DECIMAL).fillna(False).to_numpy(dtype=bool)
        bag.add(present & ~ok, column.name, _not_decimal)
        digits = cleaned.str.extract(_LEADING, expand=False).str.len().fillna(0).to_numpy()
        huge = present & ok & (digits > MAX_DIGITS)
        bag.add(huge, column.name, _huge)
        values = pd.to_numeric(cleaned.where(ok & ~huge), errors="coerce").astype("float64")
        return values.round(2)
    raise AssertionError(kind)


_ONE = {name: re.compile(pattern) for name, pattern in
        {"guarded": _GUARDED, "int": _INT, "iso": _ISO, "fr": _FR, "spaces": _SPACES, "decimal": _DECIMAL, "leading": _LEADING}.items()}
_DTYPES = {Kind.TEXT: object, Kind.ENUM: object, Kind.INT: "int64", Kind.BOOL: bool, Kind.DATE: "datetime64[s]", Kind.DECIMAL: "float64"}


def _check_small(column: Column, series: pd.Series, bag: _Collector) -> pd.Series:
    """`_check_column` for a small chunk (a form's row): value by value in plain Python, the same checks in the
    same order, typed alike (pandas' fixed cost per operation was most of a form's 13 ms)."""
    out = []
    for pos, written in enumerate(series):
        value, issues = _check_value(column, written)
        out.append(value)
        for message in issues:
            bag.note(pos, column.name, message)
    if column.kind is Kind.DATE:
        return pd.Series([pd.NaT if v is None else v for v in out], index=series.index).astype("datetime64[s]")
    if column.kind is Kind.DECIMAL:
        return pd.Series([np.nan if v is None else v for v in out], index=series.index, dtype="float64")
    return pd.Series(out, index=series.index, dtype=_DTYPES[column.kind])


def _check_value(column: Column, written) -> tuple[object, list]:
    """One written value: (typed value, its problems in `_check_column`'s order; a callable takes the written value)."""
    text = None if not isinstance(written, str) and pd.isna(written) else str(written).strip() or None
    issues: list = [MISSING] if column.required and text is None else []
    kind = column.kind
    if kind is Kind.TEXT:
        if text is None:
            return None, issues
        if _ONE["guarded"].match(text):
            text = text[1:]
        text = unicodedata.normalize("NFC", text)
        too_long = bool(column.max_length) and len(text) > column.max_length
        issues += [_too_long(column)] * too_long
        issues += [CONTROL] * bool(_CONTROL.search(text)) + [INVISIBLE] * bool(_INVISIBLE.search(text))
        if column.name in IDENTIFIERS and not too_long:
            what = identifying_text(text)
            issues += [_pseudonym(what)] if what else []
        if column.name in ACCOUNTS:
            text = text.lower()
            issues += [_bad_account] * (not too_long and not EMAIL.fullmatch(text))
        return text, issues
    if kind is Kind.ENUM:
        code = None if text is None else _enum_code(column, text)
        return code, issues + [_unknown(column)] * (text is not None and code is None)
    if kind is Kind.INT:
        ok = text is not None and _ONE["int"].fullmatch(text) is not None
        return (int(float(text)) if ok else 0), issues + [_not_int] * (text is not None and not ok)
    if kind is Kind.BOOL:
        low = (text or "").lower()
        return low in TRUE_WORDS, issues + [_not_bool] * (low not in TRUE_WORDS and low not in FALSE_WORDS)
    if kind is Kind.DATE:
        if text is None:
            return None, issues
        day = _strptime(text, "%Y-%m-%d") if _ONE["iso"].fullmatch(text) else None
        if day is None and _ONE["fr"].fullmatch(text):
            day = _strptime(text, "%d/%m/%Y")
        if day is None:
            return None, issues + [_bad_date]
        return day, issues + [_implausible_date] * (not PLAUSIBLE_DATES[0] <= day.year <= PLAUSIBLE_DATES[1])
    if kind is Kind.DECIMAL:
        if text is None:
            return None, issues
        cleaned = _ONE["spaces"].sub("", text).replace(",", ".")
        if not _ONE["decimal"].fullmatch(cleaned):
            return None, issues + [_not_decimal]
        if len(_ONE["leading"].match(cleaned).group(1)) > MAX_DIGITS:
            return None, issues + [_huge]
        return float(np.round(float(cleaned), 2)), issues
    raise AssertionError(kind)


def _strptime(text: str, pattern: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text, pattern)
    except ValueError:
        return None


def _enum_lookup(column: Column, s: pd.Series) -> dict[str, str | None]:
    """Each distinct written value mapped to its code (None if unknown): a vocabulary has few values,
    so matching them once instead of once per row keeps big files fast."""
    return {written: _enum_code(column, written) for written in s.dropna().unique()}


@functools.cache
def _canon(column: Column) -> dict[str, str]:
    return {normalise_name(c): c for c in column.choices}


def _enum_code(column: Column, written: str) -> str | None:
    """The code a written value designates (« Santé », « sante », « SANTE » → sante), or None."""
    key = normalise_name(written)
    if column.name == "departement" and key.isdigit() and len(key) == 1:
        key = key.zfill(2)
    return _canon(column).get(key)


def _check_pseudonym(name: str, s: pd.Series, present: np.ndarray, bag: _Collector) -> None:
    for pattern, what in IDENTIFYING:
        found = present & s.str.contains(pattern, regex=True).fillna(False).to_numpy(dtype=bool)
        bag.add(found, name, f"ressemble à {what} ; l'identifiant doit être pseudonyme.")
        present = present & ~found  # one reason per identifier is enough


def _check_rows(table: Table, f: pd.DataFrame, bag: _Collector, ctx: Context) -> None:
    """Rules that involve several columns, or the import date."""
    name = table.name
    if name == "jeunes":
        _bound(bag, f, "annee_naissance", MIN_BIRTH_YEAR, ctx.max_birth_year, f"attendu une année entre {MIN_BIRTH_YEAR} et {ctx.max_birth_year}.")
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
        _bound(bag, f, "montant_eur", 0, MAX_JALON_AMOUNT,
               f"montant invraisemblable ; attendu entre 0 et {_euros(MAX_JALON_AMOUNT)} (un montant plus élevé est refusé).")
    elif name in ("financements", "objectifs"):
        _bound(bag, f, "annee", MIN_YEAR, ctx.max_year, f"attendu une année entre {MIN_YEAR} et {ctx.max_year}.")
        if name == "financements":
            bag.add(f["montant_eur"] < 0, "montant_eur", "le montant doit être positif ou nul.")
            _bound(bag, f, "montant_eur", 0, MAX_FINANCEMENT, f"attendu un montant entre 0 et {_euros(MAX_FINANCEMENT)}.")
        else:
            _bound(bag, f, "cible", -MAX_CIBLE, MAX_CIBLE, "cible hors de toute borne plausible.")


def _bound(bag: _Collector, f: pd.DataFrame, column: str, low: float, high: float, message: str) -> None:
    """A value outside [low, high] (or not finite) is refused, unless its column was refused already."""
    values = f[column].astype("float64")
    outside = values.notna() & ~((values >= low) & (values <= high))  # NaN-safe: inf and nan are outside
    bag.add(outside.to_numpy(dtype=bool) & ~bag.flagged(column), column, message)


def _euros(amount: int) -> str:
    return f"{amount:,} €".replace(",", "\u202f")


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
