"""Each structure's latest jalon date (« données au »): the quick reading agrees with a max() over every jalon."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, inspect, select, text

from mlimpact import overview
from mlimpact.exchange.importer import import_paths
from mlimpact.models import Jalon, Jeune
from tests.db.test_engine import DATA, TODAY, migrate
from tests.support.exchange_files import write_tables


def every_jalon(conn) -> dict[str, dt.date]:
    """The plain reading: a max() per structure over all its jalons."""
    query = select(Jeune.code_structure, func.max(Jalon.date)).join(Jalon, Jalon.id_jeune == Jeune.id_jeune)
    return {c: overview._as_date(d) for c, d in conn.execute(query.group_by(Jeune.code_structure))}


def test_latest_by_structure_is_the_max_over_every_jalon(engine, tmp_path):
    """Recent structures come from the last two weeks of jalons; a structure silent for months is still found
    (from all of its own jalons), and one without any jalon is left out; a list of structures narrows it."""
    assert import_paths(engine, [write_tables(tmp_path / "a", DATA)], today=TODAY).exit_code == 0
    with engine.begin() as conn:
        expected = every_jalon(conn)
        assert len(expected) >= 2, expected
        late, recent = min(expected, key=expected.get), max(expected, key=expected.get)
        assert late != recent
        # the latest structure moves a year on: the other one now lies far outside the recent window
        jeune = conn.execute(select(Jeune.id_jeune).where(Jeune.code_structure == recent)).scalars().first()
        ahead = expected[recent] + dt.timedelta(days=365)
        conn.execute(Jalon.__table__.insert().values(id_jalon="PLUS-TARD", id_jeune=jeune, date=ahead, type="entretien"))
        expected = every_jalon(conn)
        assert expected[late] < ahead - dt.timedelta(days=overview.RECENT_DAYS)
        assert overview.latest_by_structure(conn) == expected
        assert overview.latest_by_structure(conn, [late]) == {late: expected[late]}
        assert overview.latest_by_structure(conn, ["ABSENTE"]) == {}
        assert overview.data_through(overview.latest_by_structure(conn)) == (expected[late], late)


def test_migration_0013_adds_the_index_and_goes_down_again(engine):
    from alembic import command

    def indexes() -> set[str]:
        return {i["name"] for i in inspect(engine).get_indexes("jalons")}

    assert "ix_jalons_date_jeune" in indexes()
    migrate(engine, command.downgrade, "0012")
    assert "ix_jalons_date_jeune" not in indexes()
    migrate(engine, command.upgrade, "head")
    assert "ix_jalons_date_jeune" in indexes()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM jalons")).scalar_one() == 0
