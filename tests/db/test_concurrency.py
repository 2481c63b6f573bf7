"""Concurrent conseillers on the real databases (PostgreSQL, and SQLite alike): nothing overwritten, nothing lost.

Each writer is a thread with its own engine, so its own connection and transactions.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest
from sqlalchemy import func, select

from mlimpact import audit, parcours, store, worklist
from mlimpact.db import make_engine, writer_lock, writers_file_path
from mlimpact.exchange.importer import import_paths
from mlimpact.models import Audit, Jalon
from tests.db.test_parcours import ML13, ML13_BIS, TODAY
from tests.support.exchange_files import write_tables

WRITERS = 20
JALONS_EACH = 10


@pytest.fixture
def url(db_url, tmp_path) -> str:
    engine = make_engine(db_url)
    assert import_paths(engine, [write_tables(tmp_path / "in")]).exit_code == 0
    engine.dispose()
    return db_url


def as_own_connection(url: str, action):
    """Run `action(conn)` in one transaction on a connection of its own; return its result or its refusal."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            return action(conn)
    except (parcours.Conflit, parcours.Invalide) as refusal:
        return refusal
    finally:
        engine.dispose()


def read_jalon(url: str, id_jalon: str) -> dict:
    engine = make_engine(url)
    with engine.connect() as conn:
        row = parcours._enfant(conn, ML13, "jalons", id_jalon)
    engine.dispose()
    return row


def test_the_second_of_two_overlapping_edits_is_refused(url):
    """A saves and keeps its transaction open; B read the same version and saves meanwhile: B waits, then is refused."""
    lu = read_jalon(url, "K006")
    a_has_written = threading.Event()

    def first(conn):
        saved = parcours.update_jalon(conn, ML13, lu, {"commentaire": "Version de A"}, TODAY)
        a_has_written.set()
        time.sleep(0.8)  # B tries while A's transaction is still open
        return saved

    def second(conn):
        assert a_has_written.wait(10)
        return parcours.update_jalon(conn, ML13_BIS, lu, {"commentaire": "Version de B", "type": "contact"}, TODAY)

    with ThreadPoolExecutor(2) as pool:
        a = pool.submit(as_own_connection, url, first)
        b = pool.submit(as_own_connection, url, second)
        a, b = a.result(), b.result()
    assert isinstance(a, parcours.Enregistrement)
    assert isinstance(b, parcours.Conflit) and not b.supprime
    assert [(c.champ, c.lu, c.enregistre) for c in b.changements] == [("commentaire", "=1+1", "Version de A")]
    stored = read_jalon(url, "K006")
    assert (stored["commentaire"], stored["type"], stored["version"]) == ("Version de A", "entretien", 2)
    engine = make_engine(url)
    with engine.connect() as conn:
        updates = [e for e in audit.entries(conn, table="jalons", cle="J002") if e["apres"]["id_jalon"] == "K006"]
        assert [e["auteur"] for e in updates] == [ML13.email]
    engine.dispose()


@pytest.mark.parametrize("round_", range(5))
def test_two_simultaneous_edits_one_saved_one_refused(url, round_):
    lu = read_jalon(url, "K002")
    start = threading.Barrier(2)

    def edit(compte, texte):
        def action(conn):
            start.wait(10)
            return parcours.update_jalon(conn, compte, lu, {"commentaire": texte}, TODAY)

        return as_own_connection(url, action)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda args: edit(*args), [(ML13, "de A"), (ML13_BIS, "de B")]))
    saved = [r for r in results if isinstance(r, parcours.Enregistrement)]
    refused = [r for r in results if isinstance(r, parcours.Conflit)]
    assert len(saved) == 1 and len(refused) == 1
    stored = read_jalon(url, "K002")
    assert stored["commentaire"] == saved[0].ligne["commentaire"] and stored["version"] == 2
    assert refused[0].changements[0].enregistre == saved[0].ligne["commentaire"]


@pytest.mark.parametrize("one_server", [False, True], ids=["an-engine-each", "one-shared-engine"])
def test_twenty_writers_adding_jalons_store_every_row_once(url, one_server):
    """Twenty writers as twenty processes (an engine each), or as twenty sessions of one server sharing its
    engine (on SQLite they then queue on the engine's writers' lock, not on SQLite's busy timeout)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(Jalon)).scalar_one()
        version_before = store.data_version(conn)
    start = threading.Barrier(WRITERS)

    def writer(n: int) -> list[str]:
        start.wait(30)
        keys = []
        for i in range(JALONS_EACH):
            saved = (partial(parcours.write, engine) if one_server else partial(as_own_connection, url))(
                lambda conn, i=i: parcours.add_jalon(
                    conn, ML13 if n % 2 else ML13_BIS, "J001" if i % 2 else "J002",
                    {"date": TODAY, "type": "entretien", "commentaire": f"écrivain {n}, jalon {i}"}, TODAY,
                    doublon_confirme=True,  # many entretiens on one day, on purpose
                ),
            )
            assert isinstance(saved, parcours.Enregistrement), saved
            keys.append(saved.cle)
        return keys

    with ThreadPoolExecutor(WRITERS) as pool:
        keys = [k for batch in pool.map(writer, range(WRITERS)) for k in batch]
    with engine.connect() as conn:
        rows = conn.execute(select(Jalon.id_jalon, Jalon.commentaire).where(Jalon.commentaire.like("écrivain %"))).all()
        total = conn.execute(select(func.count()).select_from(Jalon)).scalar_one()
        creations = conn.execute(select(func.count()).select_from(Audit).where(Audit.action == "create")).scalar_one()
        version_after = store.data_version(conn)
    lock = writer_lock(engine)
    engine.dispose()
    assert lock is None or not lock.locked()  # given back by every one of the 200 transactions
    expected = {f"écrivain {n}, jalon {i}" for n in range(WRITERS) for i in range(JALONS_EACH)}
    assert len(keys) == len(set(keys)) == WRITERS * JALONS_EACH
    assert sorted(c for _, c in rows) == sorted(expected)  # every row once, none lost, none doubled
    assert {k for k, _ in rows} == set(keys)
    assert total == before + WRITERS * JALONS_EACH and creations == WRITERS * JALONS_EACH
    assert version_after > version_before  # caches keyed by the data version are refreshed


def test_two_conseillers_marking_the_same_risk_write_one_issue(url):
    engine = make_engine(url)
    with engine.begin() as conn:
        parcours.add_jalon(conn, ML13, "J002", {"date": TODAY, "type": "risque_rupture", "domaine": "logement"}, TODAY)
    with engine.connect() as conn:
        risque = next(parcours.lignes(worklist.risques_ouverts(conn, ML13, TODAY)))
    start = threading.Barrier(2)

    def mark(compte, issue):
        def action(conn):
            start.wait(10)
            return worklist.mark_risque(conn, compte, risque, issue, TODAY)

        return as_own_connection(url, action)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda args: mark(*args), [(ML13, "evitee"), (ML13_BIS, "survenue")]))
    assert sorted(type(r).__name__ for r in results) == ["Conflit", "Enregistrement"]
    with engine.connect() as conn:
        issues = conn.execute(select(Jalon.type).where(Jalon.id_jeune == "J002", Jalon.type.in_(parcours.RESOLUTIONS))).scalars().all()
    engine.dispose()
    [winner] = [r for r in results if isinstance(r, parcours.Enregistrement)]
    assert issues == [winner.ligne["type"]]


def test_two_creations_of_the_same_identifier(url):
    start = threading.Barrier(2)

    def create(compte):
        def action(conn):
            start.wait(10)
            return parcours.create_jeune(conn, compte, {"id_jeune": "IM-007", "annee_naissance": 2004, "sexe": "F"}, TODAY)

        return as_own_connection(url, action)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(create, [ML13, ML13_BIS]))
    assert sorted(type(r).__name__ for r in results) == ["Enregistrement", "Invalide"]
    [refused] = [r for r in results if isinstance(r, parcours.Invalide)]
    assert "déjà utilisé" in refused.messages["id_jeune"]


# --- a jeune deleted while others add jalons to them ----------------------------------------------------------------
ADDERS = 8


def attempt(url: str, action):
    """`action(conn)` through `parcours.write` on an engine of its own; a refusal is returned, anything else raises."""
    engine = make_engine(url)
    try:
        return parcours.write(engine, action)
    except (parcours.Conflit, parcours.Introuvable, parcours.Indisponible) as refusal:
        return refusal
    finally:
        engine.dispose()


@pytest.mark.parametrize("round_", range(4))
def test_deleting_a_jeune_while_jalons_are_added_loses_nothing_reported_saved(url, round_):
    """Before the jeune row was locked: raw ForeignKeyViolation/DeadlockDetected (PostgreSQL) or IntegrityError
    (SQLite), and now and then a jalon reported saved that vanished in the cascade, absent from the audit."""
    engine = make_engine(url)
    with engine.connect() as conn:
        lu = parcours.jeune(conn, ML13, "J001")
    start = threading.Barrier(ADDERS + 1)

    def adder(n: int) -> list:
        start.wait(30)
        return [
            attempt(url, lambda conn, i=i: parcours.add_jalon(
                conn, ML13_BIS, "J001", {"date": TODAY, "type": "contact", "commentaire": f"ajout {n}-{i}"}, TODAY, True))
            for i in range(6)
        ]

    def deleter():
        start.wait(30)
        time.sleep(0.02 * round_)
        return attempt(url, lambda conn: parcours.delete_jeune(conn, ML13, lu))

    with ThreadPoolExecutor(ADDERS + 1) as pool:
        adds = [pool.submit(adder, n) for n in range(ADDERS)]
        deletion = pool.submit(deleter)
        results = [r for f in adds for r in f.result()]
        deleted = deletion.result()
    assert deleted is None, deleted  # the deletion went through
    saved = {r.cle for r in results if isinstance(r, parcours.Enregistrement)}
    refused = [r for r in results if not isinstance(r, parcours.Enregistrement)]
    assert all(isinstance(r, (parcours.Introuvable, parcours.Indisponible)) for r in refused), refused
    assert all(str(r) for r in refused)  # each with its French message
    with engine.connect() as conn:
        [entry] = [e for e in audit.entries(conn, table="jeunes", cle="J001") if e["action"] == "delete"]
        left = conn.execute(select(func.count()).select_from(Jalon).where(Jalon.id_jeune == "J001")).scalar_one()
    engine.dispose()
    audited = {j["id_jalon"] for j in entry["avant"]["jalons"]}
    assert saved <= audited, saved - audited  # every jalon reported saved is in the deletion's audit
    assert left == 0
    assert entry["detail"] == f"avec {len(entry['avant']['accompagnements'])} accompagnement(s) et {len(audited)} jalon(s)"


@pytest.mark.postgres
def test_a_deadlock_is_retried_and_both_writes_end_saved(postgres_server, postgres_template, tmp_path):
    """Two transactions taking two jeunes in opposite orders: PostgreSQL aborts one, `write` runs it again."""
    from tests.conftest import new_postgres_database

    url = new_postgres_database(postgres_server, postgres_template)
    engine = make_engine(url)
    assert import_paths(engine, [write_tables(tmp_path / "in")]).exit_code == 0
    both_have_one = threading.Barrier(2)
    tries = {"A": 0, "B": 0}

    def crossed(name: str, first: str, second: str):
        def action(conn):
            tries[name] += 1
            parcours.jeune(conn, ML13, first, lock=True)
            if tries[name] == 1:
                both_have_one.wait(10)
            parcours.jeune(conn, ML13, second, lock=True)
            return parcours.add_jalon(conn, ML13, first, {"date": TODAY, "type": "contact", "commentaire": name}, TODAY)

        return attempt(url, action)

    with ThreadPoolExecutor(2) as pool:
        a = pool.submit(crossed, "A", "J001", "J002")
        b = pool.submit(crossed, "B", "J002", "J001")
        a, b = a.result(), b.result()
    assert isinstance(a, parcours.Enregistrement) and isinstance(b, parcours.Enregistrement), (a, b)
    assert sorted(tries.values()) == [1, 2]  # one of them was the deadlock's victim, and ran again
    with engine.connect() as conn:
        kept = conn.execute(select(Jalon.commentaire).where(Jalon.commentaire.in_(["A", "B"]))).scalars().all()
    engine.dispose()
    assert sorted(kept) == ["A", "B"]


def test_sqlite_held_by_another_writer_gives_a_french_message(sqlite_template, tmp_path):
    """A writer keeping SQLite's lock past the busy timeout: `database is locked` became « La base est occupée… »."""
    import sqlite3

    from sqlalchemy import event

    from tests.conftest import new_sqlite_database

    url = new_sqlite_database(sqlite_template, tmp_path)
    engine = make_engine(url)
    assert import_paths(engine, [write_tables(tmp_path / "in")]).exit_code == 0
    engine.dispose()
    engine = make_engine(url)
    event.listen(engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA busy_timeout=200"))  # not 30 s in a test
    holder = sqlite3.connect(url.removeprefix("sqlite:///"))
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(parcours.Indisponible) as busy:
            parcours.write(engine, lambda conn: parcours.add_jalon(conn, ML13, "J001", {"date": TODAY, "type": "contact"}, TODAY))
    finally:
        holder.rollback()
        holder.close()
    assert str(busy.value) == parcours.OCCUPEE and "réessayez" in str(busy.value)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Jalon).where(Jalon.type == "contact", Jalon.date == TODAY)).scalar_one() == 0
    saved = parcours.write(engine, lambda conn: parcours.add_jalon(conn, ML13, "J001", {"date": TODAY, "type": "contact"}, TODAY))
    assert isinstance(saved, parcours.Enregistrement)  # once the lock is gone, the same write goes through
    engine.dispose()


@pytest.fixture
def server_engine(sqlite_template, tmp_path):
    """A server's one SQLite engine, on the small exchange data set."""
    from tests.conftest import new_sqlite_database

    engine = make_engine(new_sqlite_database(sqlite_template, tmp_path))
    assert import_paths(engine, [write_tables(tmp_path / "in")]).exit_code == 0
    yield engine
    engine.dispose()


def test_the_sqlite_writers_lock_is_given_back_however_a_transaction_ends(server_engine):
    """Taken at a transaction's first write, given back at its commit, its rollback, an exception, or a
    connection closed with the transaction open: a writer left holding it would stop every save of the server."""
    lock = writer_lock(server_engine)
    add = lambda conn, n: parcours.add_jalon(conn, ML13, "J001", {"date": TODAY, "type": "contact", "commentaire": n}, TODAY,
                                             doublon_confirme=True)
    with server_engine.connect() as conn:
        parcours.jeune(conn, ML13, "J001")
        assert not lock.locked()  # reading takes nothing
        add(conn, "ouvert")
        assert lock.locked()  # held from the first write
        conn.commit()
        assert not lock.locked()
    with pytest.raises(RuntimeError), server_engine.begin() as conn:
        add(conn, "annulé")
        raise RuntimeError
    assert not lock.locked()
    with server_engine.connect() as conn:
        add(conn, "laissé ouvert")
    assert not lock.locked()  # closed without a commit: rolled back, given back
    with pytest.raises(parcours.Invalide):
        parcours.write(server_engine, lambda conn: parcours.add_jalon(conn, ML13, "J001", {"date": "31/02/2026", "type": "contact"}, TODAY))
    assert not lock.locked()
    with server_engine.connect() as conn:
        kept = conn.execute(select(Jalon.commentaire).where(Jalon.type == "contact", Jalon.date == TODAY)).scalars().all()
    assert kept == ["ouvert"]


def test_a_reader_is_not_held_up_by_a_writer_of_the_same_server(server_engine):
    """The writers' lock is for writers: while a transaction holds it, a page of another session still reads."""
    lock = writer_lock(server_engine)
    with server_engine.begin() as writer:
        parcours.add_jalon(writer, ML13, "J001", {"date": TODAY, "type": "contact"}, TODAY)
        assert lock.locked()
        with ThreadPoolExecutor(1) as pool:
            lu = pool.submit(lambda: parcours.read_parcours(server_engine.connect(), ML13, "J001", TODAY)).result(timeout=30)
        assert "contact" not in set(lu.jalons["type"])  # the other session reads what was committed, at once
    assert writer_lock(make_engine("postgresql://x@127.0.0.1:1/y")) is None  # PostgreSQL locks rows, not the base


# --- writers of several processes (`mlimpact serve`, the command line) ----------------------------------------------
TRY_LOCK = """import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    sys.exit(3)
"""


def another_process_can_write(engine) -> bool:
    path = writers_file_path(engine.url.database)
    return subprocess.run([sys.executable, "-c", TRY_LOCK, str(path)], timeout=60).returncode == 0


def test_the_writers_lock_holds_other_processes_and_is_given_back(server_engine):
    add = lambda conn, n: parcours.add_jalon(conn, ML13, "J001", {"date": TODAY, "type": "contact", "commentaire": n}, TODAY,
                                             doublon_confirme=True)
    with server_engine.connect() as conn:
        parcours.jeune(conn, ML13, "J001")
        assert another_process_can_write(server_engine)  # reading takes nothing
        add(conn, "un")
        assert not another_process_can_write(server_engine)  # from the first write
        conn.commit()
    assert another_process_can_write(server_engine)
    with pytest.raises(RuntimeError), server_engine.begin() as conn:
        add(conn, "annulé")
        raise RuntimeError
    assert another_process_can_write(server_engine)
    with server_engine.connect() as conn:
        add(conn, "laissé ouvert")
    assert another_process_can_write(server_engine)


OTHER_WRITER = """import sys
from sqlalchemy import event
from mlimpact import parcours
from mlimpact.access import Compte
from mlimpact.db import make_engine
import datetime as dt
engine = make_engine(sys.argv[1])
event.listen(engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA busy_timeout=200"))
compte = Compte("c@ml13.fr", "conseiller", "ML13001")
day = dt.date.fromisoformat(sys.argv[2])
parcours.write(engine, lambda conn: parcours.add_jalon(conn, compte, "J001", {"date": day, "type": "contact",
               "commentaire": "autre processus"}, day, doublon_confirme=True))
"""


def test_a_writer_of_another_process_waits_its_turn_then_saves(server_engine):
    """Its SQLite busy timeout is 200 ms and this transaction lasts longer: without the shared lock it would be
    told « La base est occupée »; it waits on the lock instead and saves as soon as this one commits."""
    assert ML13.code_structure == "ML13001" and ML13.role == "conseiller"
    with server_engine.connect() as conn:
        parcours.add_jalon(conn, ML13, "J001", {"date": TODAY, "type": "contact", "commentaire": "ce processus"}, TODAY,
                           doublon_confirme=True)
        other = subprocess.Popen([sys.executable, "-c", OTHER_WRITER, str(server_engine.url), TODAY.isoformat()],
                                 stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        assert other.poll() is None  # waiting for this transaction
        conn.commit()
    assert other.wait(timeout=60) == 0, other.stderr.read()
    with server_engine.connect() as conn:
        saved = conn.execute(select(Jalon.commentaire).where(Jalon.type == "contact", Jalon.date == TODAY)).scalars().all()
    assert sorted(saved) == ["autre processus", "ce processus"]
