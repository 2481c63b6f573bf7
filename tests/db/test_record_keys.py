"""Record keys (migration 0010): drawn by the database for every jeune and jalon, whatever the insert path."""

from __future__ import annotations

from sqlalchemy import text

from indicators.engine import compute
from indicators.types import Perimetre
from mlimpact.exchange.importer import import_paths
from tests.db.test_engine import DATA, TODAY, P, migrate
from tests.support.exchange_files import write_tables


def keys(engine, table: str) -> list[int | None]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text(f"SELECT record_key FROM {table}"))]


def test_every_insert_path_gets_a_key_in_range(engine, tmp_path):
    """The import (COPY on PostgreSQL, executemany on SQLite) and a plain INSERT both get a key in [0, 255]."""
    assert import_paths(engine, [write_tables(tmp_path / "a", DATA)], today=TODAY).exit_code == 0
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO jalons (id_jalon, id_jeune, date, type, version) "
            "SELECT 'JX', id_jeune, date, 'entretien', 1 FROM jalons LIMIT 1"
        ))
    for table in ("jeunes", "jalons"):
        found = keys(engine, table)
        assert found and all(k is not None and 0 <= k <= 255 for k in found), table
    compute(engine, P, Perimetre())
    with engine.connect() as conn:
        # the analytics rows carry their jalon's key (the refresh reads it)
        pairs = conn.execute(text("SELECT count(*) FROM analytique_jalons a WHERE record_key IS NULL")).scalar_one()
    assert pairs == 0


def test_keys_are_spread(engine, tmp_path):
    """Drawn at random: not all equal (a constant key would make the noise a function of the count alone)."""
    assert import_paths(engine, [write_tables(tmp_path / "a", DATA)], today=TODAY).exit_code == 0
    assert len(set(keys(engine, "jalons"))) > 5


def test_migration_0010_draws_keys_for_existing_rows(engine, tmp_path):
    """Rows stored before 0010 get a key on the upgrade; new rows after it still get one from the DEFAULT."""
    from alembic import command

    assert import_paths(engine, [write_tables(tmp_path / "a", DATA)], today=TODAY).exit_code == 0
    migrate(engine, command.downgrade, "0009")  # the revision before 0010
    migrate(engine, command.upgrade, "head")
    for table in ("jeunes", "jalons"):
        found = keys(engine, table)
        assert found and all(k is not None and 0 <= k <= 255 for k in found), table
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO jalons (id_jalon, id_jeune, date, type, version) "
            "SELECT 'JY', id_jeune, date, 'entretien', 1 FROM jalons LIMIT 1"
        ))
        assert conn.execute(text("SELECT record_key FROM jalons WHERE id_jalon = 'JY'")).scalar_one() is not None

