"""Where the data lives: one rule for the CLI, the app and the tests.

`--db URL`, else `MLIMPACT_DATABASE_URL`, else the embedded SQLite file of the
project's data folder (`MLIMPACT_DATA_DIR`, default `data/` beside the code).
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_DATABASE_URL = "MLIMPACT_DATABASE_URL"
ENV_DATA_DIR = "MLIMPACT_DATA_DIR"
# The private folder where the processes of one `mlimpact serve` share a page's results (`ui.partage`).
ENV_SHARED_DIR = "MLIMPACT_PARTAGE"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The folder of the embedded database (git-ignored)."""
    return Path(os.environ.get(ENV_DATA_DIR) or PROJECT_ROOT / "data")


def default_sqlite_url() -> str:
    return f"sqlite:///{data_dir() / 'mlimpact.db'}"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def database_url(explicit: str | None = None) -> str:
    """The database URL, by the precedence of docs/cli.md."""
    return normalise_url(explicit or os.environ.get(ENV_DATABASE_URL) or default_sqlite_url())
