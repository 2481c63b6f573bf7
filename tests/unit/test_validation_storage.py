"""A form's one row and an import's big chunk are judged alike.

A small chunk (a form's row, a small file) is checked value by value in plain Python (`_check_small`), its
text stored as Python strings; a big one column by column with pandas, its text in Arrow. The rule must not
depend on it: the same hostile values give the same refusals (same words, same order), the same typed values
and the same warnings either way, for every table of the format.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlimpact.exchange.schema import TABLES, Kind
from mlimpact.exchange.validation import SMALL_CHUNK, Context, as_text, validate, validate_record
from tests.db.test_hostile_properties import keys, numbers, texts, years

CTX = Context(dt.date(2026, 11, 26))
# What people and attackers write: accents around an @, other scripts' digits, RE2/`re` differences (\s, \w, \d).
TRICKY = ["jé@exémple.fr", "contact : jean(at)exemple(point)fr", "١٢٣", "０６ １２ ３４ ５６ ７８", "06\u00a012\u00a034\u00a056\u00a078",
          "a\x0bb", "RAS\n", "ok\u2028", "Émile", "ß", "'=1+1", "  ", "", "1,5", "150,50", "31/02/2026", "2026-02-30", "05/12/2030"]
text = st.one_of(texts, keys, numbers, st.sampled_from(TRICKY))
rows = st.fixed_dictionaries({
    "id_jalon": st.one_of(keys, st.sampled_from(["L-1", "L-2"])),
    "id_jeune": st.one_of(keys, st.just("J0000001")),
    "date": st.one_of(text, st.sampled_from(["2026-11-02", "02/11/2026", "1/2/2026", "2000-01-01", "1999-12-31"])),
    "type": st.one_of(text, st.sampled_from(["entretien", "aide_faj", "risque_rupture", "Rupture évitée", "EMPLOI"])),
    "domaine": st.one_of(st.none(), text, st.sampled_from(["logement", "sante", "Santé"])),
    "montant_eur": st.one_of(st.none(), numbers),
    "commentaire": st.one_of(st.none(), text),
})


WRITTEN = {  # what people write in each kind of column, right or wrong
    Kind.INT: st.one_of(years, numbers, st.sampled_from(["2026", " 1998 ", "2026.0", "12.000", "-0", "007"])),
    Kind.BOOL: st.one_of(text, st.sampled_from(["oui", "Non", "O", "n", "TRUE", "1", "0", "vrai", " faux "])),
    Kind.DATE: st.one_of(text, st.sampled_from(["2026-11-02", "02/11/2026", "1/2/2026", "0001-01-01", "9999-12-31",
                                                "1949-12-31", "2101-01-01", "29/02/2024", "29/02/2025", "2026-1-2"])),
    Kind.DECIMAL: st.one_of(numbers, st.sampled_from(["150,50", "1 234,5 €", "0,125", "2,675", "1,005", "-0,01", "١٢٣"])),
}


def column_values(table: str):
    def one(column):
        if column.kind is Kind.ENUM:
            return st.one_of(st.none(), text, st.sampled_from(column.choices), st.sampled_from(column.choices).map(str.upper))
        return st.one_of(st.none(), WRITTEN.get(column.kind, text))
    return st.fixed_dictionaries({c.name: one(c) for c in TABLES[table].columns})


def _judged(result, lines: set[int]) -> tuple:
    problems = sorted((p.line, tuple(p.issues)) for p in result.problems if p.line in lines)
    kept = [(line, tuple(None if pd.isna(v) else v for v in row))
            for line, row in zip(result.lines, result.rows.itertuples(index=False), strict=True) if line in lines]
    warnings = sorted(w for w in result.warnings if w[0] in lines)
    return problems, kept, warnings


def test_the_two_storages_are_those_the_rule_is_checked_on():
    assert as_text(pd.Series(["a"] * SMALL_CHUNK)).dtype.storage == "python"
    assert as_text(pd.Series(["a"] * (SMALL_CHUNK + 1))).dtype.storage == "pyarrow"


@settings(max_examples=150, deadline=None)
@given(written=st.lists(rows, min_size=1, max_size=4))
def test_rows_alone_and_in_a_big_chunk_are_judged_alike(written):
    filler = {"id_jalon": "L-9", "id_jeune": "J0000009", "date": "2026-01-05", "type": "entretien",
              "domaine": None, "montant_eur": None, "commentaire": None}
    chunk = written + [filler] * (SMALL_CHUNK + 1)
    big = validate("jalons", pd.DataFrame(chunk, dtype=object), list(range(1, len(chunk) + 1)), CTX)
    alone = [validate("jalons", pd.DataFrame([row], dtype=object), [line], CTX) for line, row in enumerate(written, 1)]
    for line, result in enumerate(alone, 1):
        assert _judged(result, {line}) == _judged(big, {line}), written[line - 1]


@pytest.mark.parametrize("table", list(TABLES))
def test_every_tables_rows_are_judged_alike_alone_and_in_a_big_chunk(table):
    @settings(max_examples=60, deadline=None)
    @given(written=st.lists(column_values(table), min_size=1, max_size=3))
    def check(written):
        chunk = written * (SMALL_CHUNK // len(written) + 1)  # the same rows again: a big chunk
        big = validate(table, pd.DataFrame(chunk, dtype=object), list(range(1, len(chunk) + 1)), CTX)
        for line, row in enumerate(written, 1):
            alone = validate(table, pd.DataFrame([row], dtype=object), [line], CTX)
            assert _judged(alone, {line}) == _judged(big, {line}), row

    check()


def test_a_form_and_an_import_refuse_and_warn_alike_on_tricky_text():
    """The form's entry point (`validate_record`) on the values people type, against the import's big chunk."""
    for value in TRICKY:
        row = {"id_jalon": "L-1", "id_jeune": "J0000001", "date": "2026-11-02", "type": "entretien", "domaine": None,
               "montant_eur": None, "commentaire": value}
        typed, messages = validate_record("jalons", row, CTX)
        big = validate("jalons", pd.DataFrame([row] * (SMALL_CHUNK + 1), dtype=object), list(range(1, SMALL_CHUNK + 2)), CTX)
        if big.problems:
            assert messages == {c: m for c, m in big.problems[0].issues}, value
        else:
            assert typed is not None and typed["commentaire"] == big.rows.iloc[0]["commentaire"], value
