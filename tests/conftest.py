"""Real parts for the tests: a SQLite file, a PostgreSQL server started here, the app.

PostgreSQL and Chromium are required: when they cannot be started the tests
fail with the reason, they are never skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from mlimpact.db import make_engine
from mlimpact.migrate import upgrade
from tests.support.browser_helpers import app_command, wait_until_healthy
from tests.support.pgserver import PostgresServer, free_port

# `make test` runs the files on every core at once: a page that recomputes its figures after a change may
# take several seconds to redraw, beyond Playwright's 5 s default (a wait ends as soon as the state is met).
expect.set_options(timeout=20_000)

ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = ROOT / "artefacts"


# --- PostgreSQL ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres_server) -> str:
    """A database at the latest schema revision, copied for every test."""
    admin = create_engine(postgres_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE mlimpact_template"))
    admin.dispose()
    engine = make_engine(postgres_server.url("mlimpact_template"))
    upgrade(engine)
    engine.dispose()
    return "mlimpact_template"


def new_postgres_database(server: PostgresServer, template: str) -> str:
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {template}"))
    admin.dispose()
    return server.url(name)


def drop_postgres_database(server: PostgresServer, url: str) -> None:
    """Drop a test's database at its teardown: PostgreSQL unlinks its files now, a few at a time,
    instead of leaving hundreds of databases for the end of the session to delete at once."""
    name = url.rsplit("/", 1)[1]
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


# --- SQLite -----------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def new_sqlite_database(template: Path, folder: Path) -> str:
    path = folder / "store.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


# --- the fixtures tests use -------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """A URL of an empty store at the latest schema, on each database in turn."""
    if request.param == "sqlite":
        return new_sqlite_database(request.getfixturevalue("sqlite_template"), tmp_path)
    server = request.getfixturevalue("postgres_server")
    url = new_postgres_database(server, request.getfixturevalue("postgres_template"))
    request.addfinalizer(lambda: drop_postgres_database(server, url))
    return url


@pytest.fixture
def engine(db_url):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_template, tmp_path):
    eng = make_engine(new_sqlite_database(sqlite_template, tmp_path))
    yield eng
    eng.dispose()


@pytest.fixture
def pg_engine(postgres_server, postgres_template):
    url = new_postgres_database(postgres_server, postgres_template)
    eng = make_engine(url)
    yield eng
    eng.dispose()
    drop_postgres_database(postgres_server, url)


# --- the running app for browser journeys ------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        raise RuntimeError("Chromium introuvable (/usr/bin/chromium) : installez le paquet chromium (make test le fait en root).")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "fr-FR", "viewport": {"width": 1400, "height": 1000}}


class RunningApp:
    def __init__(self, url: str, database_url: str, process: subprocess.Popen, log: Path):
        self.url, self.database_url, self.process, self.log = url, database_url, process, log


def start_app(database_url: str, workdir: Path, extra_env: dict[str, str] | None = None, processes: int = 1) -> RunningApp:
    """`streamlit run dashboard.py` on a free port, waited for until healthy. `processes` > 1: as `make run`
    starts it, `mlimpact serve` (that many Streamlit processes behind the port, `mlimpact.serve`)."""
    port = free_port()
    log = workdir / f"streamlit-{port}.log"
    env = {**os.environ, "MLIMPACT_DATABASE_URL": database_url, **(extra_env or {})}
    cmd = app_command(ROOT / "dashboard.py", port, processes)
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(process, url, log, 60 * processes)
    return RunningApp(url, database_url, process, log)


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory, sqlite_template) -> str:
    """A SQLite store holding the committed demo data set, marked as such."""
    from mlimpact.sample import load_demo

    url = new_sqlite_database(sqlite_template, tmp_path_factory.mktemp("demo"))
    engine = make_engine(url)
    result = load_demo(engine)
    engine.dispose()
    assert result.exit_code == 0, result.problems[:5] or result.errors
    return url


@pytest.fixture(scope="session")
def running_app(demo_database, tmp_path_factory):
    app = start_app(demo_database, tmp_path_factory.mktemp("app"), {"MLIMPACT_DEMO": "1"})
    yield app
    app.process.terminate()
    try:
        app.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        app.process.kill()


@pytest.fixture
def artefacts() -> Path:
    """Where browser tests keep screenshots for a person to look at."""
    ARTEFACTS.mkdir(exist_ok=True)
    return ARTEFACTS
