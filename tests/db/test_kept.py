"""Figures kept in the database for every process (`indicators.kept`), on both databases; one computation of a
key for all processes (its claim row).

Each test proves the figures come from the kept row, not from a new computation,
by planting a different figure in that row: only a read of the row can return it.
"""

from __future__ import annotations

import json
import threading

import pandas as pd
from sqlalchemy import select, update

from indicators import cache, kept
from indicators import engine as moteur
from indicators.kept import decode, encode
from indicators.types import Echelon, Filtres, Perimetre
from mlimpact import store as store_module
from mlimpact.exchange.importer import import_paths
from mlimpact.models import Parametre
from reports import warmup
from tests.db.test_engine import DATA, NATIONAL, TODAY, P
from tests.support.exchange_files import write_tables

STRUCTURE = Perimetre(Echelon.STRUCTURE, "ML84001")


def loaded(engine, tmp_path):
    assert import_paths(engine, [write_tables(tmp_path / "data", DATA)], today=TODAY, author="tests").exit_code == 0
    cache.clear()
    return engine


SETTINGS = Parametre.__table__


def kept_entries(engine) -> dict[str, str]:
    """The engine's kept results: key → JSON text."""
    with engine.connect() as conn:
        rows = conn.execute(select(SETTINGS.c.cle, SETTINGS.c.valeur).where(SETTINGS.c.cle.like(f"{kept.ENGINE}%")))
        return dict(rows.all())


def kept_rows(engine) -> int:
    return len(kept_entries(engine))


def plant(engine, code: str, valeur: float) -> None:
    """Change the figure `code` in every kept figure set (as another process would have computed it)."""
    with engine.begin() as conn:
        for cle, contenu in kept_entries(engine).items():
            data = json.loads(contenu)
            for v in data.get("valeurs", []):
                if v["code"] == code:
                    v["valeur"] = valeur
            conn.execute(update(SETTINGS).where(SETTINGS.c.cle == cle).values(valeur=json.dumps(data)))


def test_a_kept_result_reads_back_equal(engine, tmp_path):
    """Every field of every figure, and a breakdown's table with its dtypes, survive the JSON."""
    loaded(engine, tmp_path)
    values = moteur.compute(engine, P, NATIONAL)
    back = decode(encode(values))
    assert back == values
    assert [(v.cle, v.cle_denominateur, v.details) for v in back.values()] == [
        (v.cle, v.cle_denominateur, v.details) for v in values.values()
    ]
    for dimension in ("sexe", "structure", "domaine"):
        code = "ruptures_evitees" if dimension == "domaine" else "acces_emploi"
        table = moteur.breakdown(engine, P, NATIONAL, code, dimension)
        pd.testing.assert_frame_equal(decode(encode(table)), table)


def test_a_national_figure_set_is_read_from_the_database_by_another_process(engine, tmp_path):
    loaded(engine, tmp_path)
    first = moteur.compute(engine, P, NATIONAL)
    assert kept_rows(engine) == 1
    plant(engine, "jeunes_suivis", 999_999)
    cache.clear()  # a new process: nothing in memory
    assert moteur.compute(engine, P, NATIONAL)["jeunes_suivis"].valeur == 999_999
    assert first["jeunes_suivis"].valeur != 999_999


def test_a_write_makes_the_kept_figures_unreadable_and_removes_them(engine, tmp_path):
    loaded(engine, tmp_path)
    exact = moteur.compute(engine, P, NATIONAL)["jeunes_suivis"].valeur
    plant(engine, "jeunes_suivis", 999_999)
    with engine.begin() as conn:
        store_module.bump_data_version(conn)
    cache.clear()
    assert moteur.compute(engine, P, NATIONAL)["jeunes_suivis"].valeur == exact
    assert kept_rows(engine) == 1  # the new version's row; the old one is gone


def test_a_structures_figures_are_kept_but_not_those_of_a_callers_transaction(engine, tmp_path):
    """Under `mlimpact serve` each process would compute a structure's page again: kept. Inside a caller's
    transaction, the figures may reflect writes that are not committed yet: never shared, never kept."""
    loaded(engine, tmp_path)
    with engine.connect() as conn:
        moteur.compute(conn, P, NATIONAL, Filtres(sexe="F"))
        moteur.compute(conn, P, STRUCTURE)
    assert kept_rows(engine) == 0
    cache.clear()
    exact = moteur.compute(engine, P, STRUCTURE)["jeunes_suivis"].valeur
    assert kept_rows(engine) == 1
    moteur.breakdown(engine, P, STRUCTURE, "jeunes_suivis", "sexe")
    assert kept_rows(engine) == 2, list(kept_entries(engine))
    plant(engine, "jeunes_suivis", exact + 1000)
    cache.clear()  # another process: only the kept row can give the planted figure
    assert moteur.compute(engine, P, STRUCTURE)["jeunes_suivis"].valeur == exact + 1000


def test_a_key_another_process_is_computing_is_waited_for_not_computed(engine, tmp_path):
    """Two processes asking one key at once: the second finds the first's claim and reads its result."""
    loaded(engine, tmp_path)
    cle = kept.key(kept.ENGINE, 7, ("essai",))
    assert kept.claim(engine, cle) is True  # the first process
    assert kept.claim(engine, cle) is False  # the second: someone is on it
    found = []
    waiting = threading.Thread(target=lambda: found.append(kept.wait_for(engine, cle, seconds=20)))
    waiting.start()
    waiting.join(0.3)
    assert waiting.is_alive()  # waiting, not computing
    with engine.begin() as conn:
        store_module.set_setting(conn, cle, '{"n": 1}')
    kept.release(engine, cle)
    waiting.join(20)
    assert found == ['{"n": 1}']
    assert kept.claim(engine, cle) is True  # released: the key can be claimed again
    kept.release(engine, cle)


def test_a_failed_or_stale_claim_does_not_block_the_others(engine, tmp_path):
    loaded(engine, tmp_path)
    cle = kept.key(kept.ENGINE, 7, ("panne",))
    assert kept.claim(engine, cle)
    kept.release(engine, cle)  # its computation failed: nothing kept
    assert kept.wait_for(engine, cle, seconds=5) is None  # the waiting one computes itself
    assert kept.claim(engine, cle)  # a process that stopped while computing leaves its claim...
    with engine.begin() as conn:  # ...which grows old
        conn.execute(update(SETTINGS).where(SETTINGS.c.cle.like(f"{kept.CLAIM}%")).values(valeur=kept._stamp(0)))
    assert kept.claim(engine, cle) is True  # taken over
    kept.release(engine, cle)


def test_the_engine_waits_for_another_processs_computation(engine, tmp_path):
    """The engine itself: while another process holds the claim of a structure's figures, a computation waits
    and returns what that process keeps (planted: never computed here)."""
    loaded(engine, tmp_path)
    exact = moteur.compute(engine, P, STRUCTURE)["jeunes_suivis"].valeur
    (cle, texte), = kept_entries(engine).items()
    with engine.begin() as conn:
        conn.execute(SETTINGS.delete().where(SETTINGS.c.cle == cle))
    cache.clear()
    assert kept.claim(engine, cle)  # the other process starts computing
    found = []
    asker = threading.Thread(target=lambda: found.append(moteur.compute(engine, P, STRUCTURE)["jeunes_suivis"].valeur))
    asker.start()
    asker.join(0.5)
    assert asker.is_alive()
    data = json.loads(texte)
    for v in data["valeurs"]:
        if v["code"] == "jeunes_suivis":
            v["valeur"] = exact + 7
    with engine.begin() as conn:
        store_module.set_setting(conn, cle, json.dumps(data))
    kept.release(engine, cle)
    asker.join(20)
    assert found == [exact + 7]


def test_the_warm_up_computes_what_the_page_asks(engine, tmp_path):
    """After `warmup.warm`, asking the page's parts again keeps no new row: the keys are the page's."""
    loaded(engine, tmp_path)
    done = warmup.warm(engine)
    assert [d.perimetre for d in done] == [warmup.FRANCE]
    rows = kept_rows(engine)
    assert rows > 10  # figures of each cumulative month, of the comparison, every breakdown
    cache.clear()
    demande = warmup.default_request(engine, warmup.FRANCE)
    assert demande.periode == P  # the last calendar year the data cover whole
    warmup.page(engine, demande)
    assert kept_rows(engine) == rows


def test_concurrent_askers_of_one_key_wait_for_one_computation():
    """Twenty sessions opening the same page cold: the second asker waits for the first's result."""
    lru = cache.LRUCache()
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow():
        calls.append(1)
        started.set()
        release.wait(10)
        return {"n": 1}

    results = []
    first = threading.Thread(target=lambda: results.append(lru.get_or_compute("k", slow, wait=True)))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=lambda: results.append(lru.get_or_compute("k", slow, wait=True)))
    second.start()
    second.join(0.3)
    assert second.is_alive()  # waiting, not computing
    release.set()
    first.join(10)
    second.join(10)
    assert results == [{"n": 1}, {"n": 1}] and len(calls) == 1


def test_a_failed_computation_lets_the_waiting_asker_compute():
    lru = cache.LRUCache()
    started, release = threading.Event(), threading.Event()

    def failing():
        started.set()
        release.wait(10)
        raise RuntimeError("panne")

    errors, results = [], []

    def first():
        try:
            lru.get_or_compute("k", failing, wait=True)
        except RuntimeError as exc:
            errors.append(exc)

    t1 = threading.Thread(target=first)
    t1.start()
    assert started.wait(10)
    t2 = threading.Thread(target=lambda: results.append(lru.get_or_compute("k", lambda: 2, wait=True)))
    t2.start()
    release.set()
    t1.join(10)
    t2.join(10)
    assert len(errors) == 1 and results == [2]


def test_the_command_computes_ahead_and_a_second_run_finds_everything_kept(engine, tmp_path, capsys):
    from mlimpact.cli import main

    loaded(engine, tmp_path)
    url = engine.url.render_as_string(hide_password=False)
    assert main(["precalculer", "--regions", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "Page Impact précalculée pour 19 périmètre(s)" in out, out
    rows = kept_rows(engine)
    cache.clear()
    assert main(["precalculer", "--regions", "--db", url]) == 0
    assert kept_rows(engine) == rows


def test_the_command_on_an_empty_store_says_so_in_french(engine, capsys):
    from mlimpact.cli import main

    assert main(["precalculer", "--db", engine.url.render_as_string(hide_password=False)]) == 0
    assert "aucune donnée" in capsys.readouterr().out
    assert kept_rows(engine) == 0


def test_the_server_computes_frances_page_again_after_a_write_once_it_was_precomputed(engine, tmp_path):
    """`warmup.follow`, the server's thread: nothing on a store never precomputed; after `precalculer`, a write
    is followed by France's page computed again at the new version, kept for every visitor."""
    loaded(engine, tmp_path)
    assert warmup.rewarm_if_stale(engine) is False and kept_rows(engine) == 0  # never precomputed: left alone
    warmup.warm(engine)
    assert warmup.rewarm_if_stale(engine) is False  # nothing moved
    with engine.begin() as conn:
        store_module.bump_data_version(conn)
        version = store_module.data_version(conn)
    stop = threading.Event()
    thread = warmup.follow(engine, every=0.05, stop=stop)
    try:
        for _ in range(600):
            with engine.connect() as conn:
                if store_module.get_setting(conn, warmup.SETTING) == str(version):
                    break
            stop.wait(0.1)
        else:
            raise AssertionError("France's page was not computed again after the write")
    finally:
        stop.set()
        thread.join(30)
    # every kept row is of the new version
    assert {int(cle.removeprefix(kept.ENGINE).split(":")[0]) for cle in kept_entries(engine)} == {version}
    plant(engine, "jeunes_suivis", 999_999)
    cache.clear()
    demande = warmup.default_request(engine, warmup.FRANCE)
    assert moteur.compute(engine, demande.periode, warmup.FRANCE, as_of=demande.as_of)["jeunes_suivis"].valeur == 999_999
