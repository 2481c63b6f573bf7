"""Property tests of the import: whatever the bytes, a report or stored rows, never a traceback.

And an all-or-nothing import that rejects anything leaves the store exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlimpact import vocab
from mlimpact.db import make_engine
from mlimpact.exchange.exporter import export_dir
from mlimpact.exchange.importer import import_paths
from tests.support.exchange_files import SMALL, write_tables

TODAY = dt.date(2026, 11, 26)
HEADER = SMALL["jalons"].splitlines()[0]

cells = st.one_of(
    st.sampled_from(["", "J001", "J002", "J999", "K001", "2025-01-01", "31/12/2024", "2025-02-30", "0", "1", "-3", "12,5", "oui"]),
    st.sampled_from(list(vocab.TYPES_JALON) + list(vocab.ALL_DOMAINES)),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
    st.sampled_from(['"', '""', ";", ",", "\n", "\r\n", "\t", "=HYPERLINK(\"x\")", "<script>", "'", "\x00"]),
)
rows = st.lists(st.lists(cells, min_size=0, max_size=9), max_size=12)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"])


def _csv_bytes(data: list[list[str]], separator: str, encoding: str) -> bytes:
    lines = [HEADER.replace(";", separator)] + [separator.join(r) for r in data]
    return "\n".join(lines).encode(encoding, errors="replace")


def _fingerprint(engine, folder: Path) -> str:
    shutil.rmtree(folder, ignore_errors=True)
    export_dir(engine, folder)
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        digest.update(path.read_bytes())
    return digest.hexdigest()


class Store:
    """A store with the small data set, reused across examples (hypothesis forbids function fixtures)."""

    def __init__(self, url: str, workdir: Path):
        self.engine = make_engine(url)
        self.workdir = workdir
        result = import_paths(self.engine, [write_tables(workdir / "base")], today=TODAY)
        assert result.exit_code == 0
        self.fingerprint = _fingerprint(self.engine, workdir / "fp0")

    def check(self, content: bytes, name: str = "jalons.csv") -> None:
        folder = Path(tempfile.mkdtemp(dir=self.workdir))
        (folder / name).write_bytes(content)
        result = import_paths(self.engine, [folder / name], today=TODAY)  # must not raise
        assert result.exit_code in (0, 1, 2)
        assert result.errors or result.counts or result.problems
        for problem in result.problems:
            assert problem.table == "jalons" and problem.line >= 2 and problem.message
        if result.exit_code != 0:
            assert not result.written
            assert _fingerprint(self.engine, folder / "fp") == self.fingerprint
        elif result.written:
            # Rows were stored: bring the store back for the next example.
            self.engine.dispose()
            raise _Stored()
        shutil.rmtree(folder, ignore_errors=True)


class _Stored(Exception):
    pass


@pytest.fixture(scope="module")
def sqlite_store(sqlite_template, tmp_path_factory):
    from tests.conftest import new_sqlite_database

    workdir = tmp_path_factory.mktemp("props")
    return Store(new_sqlite_database(sqlite_template, workdir), workdir)


def _run(store: Store, content: bytes) -> None:
    try:
        store.check(content)
    except _Stored:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM jalons WHERE id_jalon NOT LIKE 'K00_'")
        store.fingerprint = _fingerprint(store.engine, store.workdir / "fp0")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(content=st.binary(max_size=400))
def test_any_bytes_end_in_a_report(sqlite_store, content):
    _run(sqlite_store, content)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=rows, separator=st.sampled_from([";", ","]), encoding=encodings)
def test_any_csv_shaped_file_ends_in_a_report_or_rows(sqlite_store, data, separator, encoding):
    _run(sqlite_store, _csv_bytes(data, separator, encoding))


@pytest.fixture(scope="module")
def pg_store(postgres_server, postgres_template, tmp_path_factory):
    from tests.conftest import new_postgres_database

    return Store(new_postgres_database(postgres_server, postgres_template), tmp_path_factory.mktemp("pgprops"))


@pytest.mark.postgres
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=rows, separator=st.sampled_from([";", ","]), encoding=encodings)
def test_any_csv_shaped_file_on_postgresql(pg_store, data, separator, encoding):
    _run(pg_store, _csv_bytes(data, separator, encoding))
