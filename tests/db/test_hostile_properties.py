"""Hostile imports, property-based: whatever the values or the bytes, a French report or stored rows
that respect the format — never a traceback, never an absurd or identifying value stored.

After every example the whole store is checked against the bounds of the format, so a value that
slipped through any path (validation, the database, an upsert) is caught where it lies.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlimpact.db import make_engine
from mlimpact.exchange.importer import import_paths
from mlimpact.exchange.validation import _INVISIBLE, identifying_text
from tests.support.exchange_files import SMALL, write_tables

TODAY = dt.date(2026, 11, 26)
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

digits = st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=4)  # every script's digits
numbers = st.one_of(
    st.sampled_from(["0", "10000", "10000,01", "1e11", "inf", "-inf", "NaN", "-0", "1" + "0" * 400, "99999999999",
                     "100000000", "100000000,01", "12,5", "1 500,50 €", "0x10", "½", "١٢٣", "１２", "+5", "--1", ""]),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: repr(f).replace(".", ",")),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    digits,
)
years = st.one_of(st.integers(min_value=-5, max_value=3000).map(str), st.sampled_from(["0", "", "2026.0", "２０２６", "२०२५"]), digits)
tricks = st.sampled_from(["", "\u061c", "\u00ad", "\U000e0041", "\u2028", "\u3164", "\u034f", "\u180e", "\ufe0f", "\u202e", "\u200b", "\ue000"])
personal = st.sampled_from(["185052A00608436", "1.85.05.78.006.084.36", "0612345678", "+33 6 12 34 56 78",
                            "jean.dupont(at)gmail.com", "jean@exemple.fr", "J0000001", "K-12", "L-0612345678ABCDEF"])
keys = st.one_of(personal, st.builds(lambda a, t, b: a + t + b, st.sampled_from(["K", "J0", "X"]), tricks, st.sampled_from(["1", "99", ""])),
                 st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12))
texts = st.one_of(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30), personal,
                  st.builds(lambda a, t: a + t, st.sampled_from(["ok", "Tél ", "RAS "]), tricks))


def _cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


TALLY: Counter[str] = Counter()  # files tried and how they ended, for docs/robustness.md (`pytest -s`)


class Store:
    """The small data set in a store reused across examples (hypothesis forbids function fixtures)."""

    def __init__(self, url: str, workdir: Path):
        self.engine = make_engine(url)
        self.workdir = workdir
        assert import_paths(self.engine, [write_tables(workdir / "base")], today=TODAY).exit_code == 0

    def run(self, name: str, content: bytes, partial: bool = True):
        folder = Path(tempfile.mkdtemp(dir=self.workdir))
        (folder / name).write_bytes(content)
        result = import_paths(self.engine, [folder / name], today=TODAY, partial=partial)  # must not raise
        assert result.exit_code in (0, 1, 2)
        TALLY["fichiers"] += 1
        TALLY[{0: "acceptés", 1: "acceptés en partie ou refusés ligne à ligne", 2: "refusés entiers"}[result.exit_code]] += 1
        TALLY["lignes refusées"] += len(result.problems)
        for message in result.errors + [p.message for p in result.problems] + result.notices:
            assert message and "Traceback" not in message and "Error" not in message, message
        if result.exit_code == 2 or (result.problems and not partial):
            assert not result.written
        self.check_store()
        return result

    def check_store(self) -> None:
        """Every stored row respects the format, whatever path it took."""
        with self.engine.connect() as conn:
            sql = conn.exec_driver_sql
            assert sql("SELECT count(*) FROM jalons WHERE montant_eur IS NOT NULL AND NOT (montant_eur >= 0 AND montant_eur <= 10000)").scalar_one() == 0
            assert sql("SELECT count(*) FROM financements WHERE NOT (montant_eur >= 0 AND montant_eur <= 100000000)").scalar_one() == 0
            assert sql(f"SELECT count(*) FROM financements WHERE annee < 2000 OR annee > {TODAY.year + 5}").scalar_one() == 0
            assert sql(f"SELECT count(*) FROM objectifs WHERE annee < 2000 OR annee > {TODAY.year + 5}").scalar_one() == 0
            assert sql(f"SELECT count(*) FROM jeunes WHERE annee_naissance < 1950 OR annee_naissance > {TODAY.year - 14}").scalar_one() == 0
            ids = sql("SELECT id_jeune FROM jeunes UNION ALL SELECT id_jalon FROM jalons UNION ALL SELECT id_accompagnement FROM accompagnements").scalars()
            for ident in ids:
                assert identifying_text(ident) is None and not _INVISIBLE.search(ident), ident
            for comment in sql("SELECT commentaire FROM jalons WHERE commentaire IS NOT NULL").scalars():
                assert not _INVISIBLE.search(comment), comment
            for amount in sql("SELECT montant_eur FROM financements").scalars():
                assert math.isfinite(float(amount)), amount


@pytest.fixture(scope="module")
def hostile_store(sqlite_template, tmp_path_factory):
    from tests.conftest import new_sqlite_database

    workdir = tmp_path_factory.mktemp("hostile_props")
    yield Store(new_sqlite_database(sqlite_template, workdir), workdir)
    print("\nFichiers hostiles :", dict(TALLY))


@SETTINGS
@given(rows=st.lists(st.tuples(keys, numbers, texts, st.sampled_from(["aide_faj", "entretien"])), min_size=1, max_size=6))
def test_any_jalon_values_are_refused_or_stored_within_bounds(hostile_store, rows):
    header = SMALL["jalons"].splitlines()[0]
    body = "".join(f"{_cell(k)};J001;2024-04-03;{t};;{_cell(m)};{_cell(c)}\n" for k, m, c, t in rows)
    hostile_store.run("jalons.csv", (header + "\n" + body).encode("utf-8"))


@SETTINGS
@given(rows=st.lists(st.tuples(years, numbers, st.sampled_from(["CEJ", "RSA", "OF", "TOUS"])), min_size=1, max_size=6),
       partial=st.booleans())
def test_any_financement_values_are_refused_or_stored_within_bounds(hostile_store, rows, partial):
    header = SMALL["financements"].splitlines()[0]
    body = "".join(f"ML13001;{_cell(y)};CD;{d};{_cell(m)}\n" for y, m, d in rows)
    hostile_store.run("financements.csv", (header + "\n" + body).encode("utf-8"), partial)


@SETTINGS
@given(rows=st.lists(st.tuples(keys, years), min_size=1, max_size=6))
def test_any_jeune_values_are_refused_or_stored_within_bounds(hostile_store, rows):
    header = SMALL["jeunes"].splitlines()[0]
    body = "".join(f"{_cell(k)};ML13001;{_cell(y)};F;;0;0;0;\n" for k, y in rows)
    hostile_store.run("jeunes.csv", (header + "\n" + body).encode("utf-8"))


members = st.lists(
    st.tuples(
        st.sampled_from(["jalons.csv", "jeunes.csv", "x.csv", "a/b/jalons.csv", "../jalons.csv", "jalons.xlsx", "notes.txt"]),
        st.one_of(st.binary(max_size=200), st.sampled_from([SMALL["jalons"].encode(), SMALL["jalons"].encode("utf-16")])),
    ),
    max_size=5,
)


@SETTINGS
@given(content=members, suffix=st.sampled_from([".zip", ".xlsx"]))
def test_any_archive_ends_in_a_report(hostile_store, content, suffix):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in content:
            zf.writestr(name, data)
    hostile_store.run("archive" + suffix, buffer.getvalue())


@SETTINGS
@given(content=st.binary(max_size=600), suffix=st.sampled_from([".zip", ".xlsx"]))
def test_any_bytes_as_an_archive_end_in_a_report(hostile_store, content, suffix):
    hostile_store.run("archive" + suffix, content)
