"""A page's results computed once for the processes of one server (`ui.partage`), with real processes.

Each process here is a fresh Python interpreter, as each Streamlit process of `mlimpact serve` is: they share
nothing but the folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlimpact.config import ENV_SHARED_DIR
from mlimpact.serve import process_env
from tests.conftest import ROOT
from ui import partage

# One process: computes (or waits for) the key, counting its own computations in `calls`, printing the result.
WORKER = """
import sys, time
from pathlib import Path
from ui import partage

calls, seconds, fail, version = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]

def compute():
    with open(calls, "a") as f:
        f.write("x")
    time.sleep(seconds)
    if fail:
        raise RuntimeError("échec voulu")
    return {"valeur": 42, "version": version}

try:
    print(partage.once("figures", version, b"structure 13001, 2025", compute))
except RuntimeError as exc:
    print("refus:", exc)
"""


@pytest.fixture
def shared(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "partage"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv(ENV_SHARED_DIR, str(folder))
    return folder


def worker(folder: Path, calls: Path, seconds: float = 0.0, fail: bool = False, version: int = 7) -> subprocess.Popen:
    env = {**os.environ, ENV_SHARED_DIR: str(folder), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", WORKER, str(calls), str(seconds), "1" if fail else "0", str(version)],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def outputs(*processes: subprocess.Popen) -> list[str]:
    out = []
    for p in processes:
        stdout, stderr = p.communicate(timeout=60)
        assert p.returncode == 0, stderr
        out.append(stdout.strip())
    return out


def test_two_processes_asking_at_once_compute_the_result_once(shared, tmp_path):
    calls = tmp_path / "calls"
    first = worker(shared, calls, seconds=1.5)
    time.sleep(0.5)  # the first has claimed the key and is computing
    second = worker(shared, calls)
    assert outputs(first, second) == ["{'valeur': 42, 'version': '7'}"] * 2
    assert calls.read_text() == "x"  # the second waited for the first's result
    assert not list(shared.glob("*.claim"))  # the claim went with the computation
    assert outputs(worker(shared, calls)) == ["{'valeur': 42, 'version': '7'}"] and calls.read_text() == "x"


def test_when_the_computing_process_fails_the_waiting_one_computes_itself(shared, tmp_path):
    calls = tmp_path / "calls"
    failing = worker(shared, calls, seconds=1.0, fail=True)
    time.sleep(0.4)
    waiting = worker(shared, calls)
    assert outputs(failing, waiting) == ["refus: échec voulu", "{'valeur': 42, 'version': '7'}"]
    assert calls.read_text() == "xx"


def test_a_claim_left_by_a_stopped_process_is_taken_over(shared, tmp_path):
    calls = tmp_path / "calls"
    stuck = worker(shared, calls, seconds=60)
    time.sleep(0.5)
    stuck.kill()
    stuck.wait()
    (claim,) = shared.glob("*.claim")
    past = time.time() - partage.CLAIM_SECONDS - 1
    os.utime(claim, (past, past))
    started = time.monotonic()
    assert outputs(worker(shared, calls)) == ["{'valeur': 42, 'version': '7'}"]
    assert time.monotonic() - started < 30 and calls.read_text() == "xx"


def test_a_new_data_version_removes_the_results_of_the_others(shared, tmp_path):
    calls = tmp_path / "calls"
    outputs(worker(shared, calls, version=7))
    assert [p.name[:3] for p in shared.glob("*.pkl")] == ["v7-"]
    assert outputs(worker(shared, calls, version=8)) == ["{'valeur': 42, 'version': '8'}"]
    assert [p.name[:3] for p in shared.glob("*.pkl")] == ["v8-"] and calls.read_text() == "xx"


def test_a_folder_another_user_may_write_to_is_never_read(shared, tmp_path):
    """Results are pickles: a file planted by someone else must never be loaded."""
    planted = []
    assert partage.folder() == shared
    shared.chmod(0o777)
    assert partage.folder() is None
    assert partage.once("figures", 7, b"k", lambda: planted.append(1) or "calculé") == "calculé"
    assert not list(shared.iterdir())  # nothing written either
    shared.chmod(0o700)
    (shared / "fichier").write_text("")
    os.environ[ENV_SHARED_DIR] = str(shared / "fichier")  # not a folder
    assert partage.folder() is None


def test_without_a_shared_folder_a_loader_is_the_plain_computation(monkeypatch):
    monkeypatch.delenv(ENV_SHARED_DIR, raising=False)
    assert partage.folder() is None
    calls = []
    assert partage.once("figures", 7, b"k", lambda: calls.append(1) or "calculé") == "calculé"
    assert partage.once("figures", 7, b"k", lambda: calls.append(1) or "calculé") == "calculé"
    assert calls == [1, 1]  # nothing kept outside Streamlit's own cache


def test_a_result_that_cannot_be_shared_is_still_returned(shared):
    value = partage.once("figures", 7, b"k", lambda: (lambda: None))  # a function: not picklable
    assert callable(value) and not list(shared.glob("*.pkl")) and not list(shared.glob("*.tmp"))


def test_serve_gives_its_processes_the_shared_folder_and_one_secret(monkeypatch):
    monkeypatch.delenv("STREAMLIT_SERVER_COOKIE_SECRET", raising=False)
    monkeypatch.delenv(ENV_SHARED_DIR, raising=False)
    env = process_env("/tmp/mlimpact-partage-x")
    assert env[ENV_SHARED_DIR] == "/tmp/mlimpact-partage-x" and len(env["STREAMLIT_SERVER_COOKIE_SECRET"]) == 64
    assert ENV_SHARED_DIR not in process_env(None)


def test_the_loaders_keys_name_an_account_by_its_rights_and_a_request_by_its_fields():
    """Two directors of one structure share a page's results across processes; other rights never do."""
    import datetime as dt

    from indicators.types import Perimetre, Periode
    from mlimpact.access import Compte
    from mlimpact.scope import Echelon
    from reports import contenu as ct
    from ui.cache import shared_key

    demande = ct.Demande(Periode(dt.date(2025, 1, 1), dt.date(2025, 12, 31)), Perimetre(Echelon.STRUCTURE, "13001"))
    a = Compte("a@ml13.fr", "directeur", code_structure="13001")
    b = Compte("b@ml13.fr", "directeur", code_structure="13001")
    other = Compte("c@ml84.fr", "directeur", code_structure="84001")
    key = shared_key(("sqlite:///x.db", 7, a, demande), {})
    assert key == shared_key(("sqlite:///x.db", 7, b, demande), {}) and key[0] == 7
    assert key != shared_key(("sqlite:///x.db", 7, other, demande), {})
    assert key != shared_key(("sqlite:///x.db", 7, a, ct.Demande(demande.periode, Perimetre(Echelon.STRUCTURE, "13002"))), {})
