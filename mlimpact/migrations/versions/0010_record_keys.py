"""record keys: a fixed random integer in [0, 255] on every jeune and every jalon (cell-key perturbation)

Figures shown outside the structure that owns them are perturbed by the
cell-key method (docs/disclosure.md): a figure's cell key is the sum of the
record keys of the young people or jalons it counts, modulo 256, and its noise
is read from a fixed table at (size of the figure, cell key). The same set of
contributors therefore always gets the same noise, whatever the query that
reaches it.

The key is drawn by the database itself (a DEFAULT), so no insert path (the
forms, the imports' COPY and executemany, the generator) sends it or can send
a NULL for it; existing rows are drawn here. It is never exported: it is not
part of the exchange format, and an outsider who learnt the keys could undo
the perturbation.

SQLite cannot add a column with a non-constant default: the column is added
plain, every row drawn, then the default is written into the table's stored
definition (a change SQLite documents as safe through `writable_schema`,
since every row now holds its value).

The analytics rows carry the key of their jalon and the annual facts that of
their young person; every young person is marked for a refresh and the annual
facts are dropped, so the first computation after the upgrade rebuilds both.
PostgreSQL: the covering indexes carry the key, so the counts that read them
stay index-only scans.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ("jeunes", "jalons")
SQLITE_DEFAULT = "(abs(random()) % 256)"
POSTGRES_DEFAULT = "floor(random() * 256)::smallint"
# as indicators.facts.analytique.INDEXES says today (a migration keeps its own copy: it is history)
MAIN = "ix_analytique_jalons_type_date"
MAIN_INCLUDE = "id_jeune, domaine, jour_precedent, coupure_precedente, suivant, couvert"
SITUATIONS = "ix_analytique_jalons_situations"
SITUATION_TYPES = (
    "alternance", "creation_entreprise", "emploi_cdd_court", "emploi_cdd_long", "emploi_cdi", "emploi_interim",
    "formation_preparatoire", "formation_qualifiante", "immersion", "reprise_scolarite", "service_civique",
)
FAMILIES = "jour_precedent, coupure_precedente, emploi_precedent, durable_precedent, formation_precedent, retour_precedent"
NOT_COVERED = "ix_analytique_jalons_non_couverts"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _sqlite_default(table: str) -> None:
    """Write the random DEFAULT into the stored CREATE TABLE of `table` (every row already holds a key)."""
    conn = op.get_bind()
    sql = conn.exec_driver_sql(f"SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{table}'").scalar()
    plain = "record_key SMALLINT"
    if plain not in sql:
        raise RuntimeError(f"définition inattendue de la table {table} : {sql}")
    keyed = sql.replace(plain, f"record_key SMALLINT NOT NULL DEFAULT {SQLITE_DEFAULT}")
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (keyed, table)
    )
    conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")


def _indexes(key: str) -> None:
    types = ", ".join(f"'{t}'" for t in SITUATION_TYPES)
    op.execute(f"DROP INDEX {MAIN}")
    op.execute(f"CREATE INDEX {MAIN} ON analytique_jalons (type, date) INCLUDE ({MAIN_INCLUDE}{key})")
    op.execute(f"DROP INDEX {SITUATIONS}")
    op.execute(
        f"CREATE INDEX {SITUATIONS} ON analytique_jalons (date) "
        f"INCLUDE (type, id_jeune, {FAMILIES}, couvert{key}) WHERE type IN ({types})"
    )
    op.execute(f"DROP INDEX {NOT_COVERED}")
    op.execute(
        f"CREATE INDEX {NOT_COVERED} ON analytique_jalons (type, date) "
        f"INCLUDE (id_jeune, {FAMILIES}{key}) WHERE couvert = 0"
    )


def upgrade() -> None:
    postgres = _postgres()
    for table in TABLES:
        if postgres:  # a volatile DEFAULT is drawn for every existing row as the table is rewritten
            op.execute(f"ALTER TABLE {table} ADD COLUMN record_key SMALLINT NOT NULL DEFAULT {POSTGRES_DEFAULT}")
        else:
            op.add_column(table, sa.Column("record_key", sa.SmallInteger()))
            op.execute(f"UPDATE {table} SET record_key = {SQLITE_DEFAULT}")
            _sqlite_default(table)
    op.add_column("analytique_jalons", sa.Column("record_key", sa.SmallInteger(), nullable=False, server_default="0"))
    op.add_column("suivis_annuels", sa.Column("record_key", sa.SmallInteger(), nullable=False, server_default="0"))
    if postgres:
        _indexes(", record_key")
    # the analytics rows and the annual facts are rebuilt with the keys by the next refresh
    op.execute("DELETE FROM suivis_annuels")
    op.execute("DELETE FROM suivis_annuels_annees")
    op.execute(
        "INSERT INTO analytique_a_rafraichir (id_jeune) SELECT DISTINCT id_jeune FROM jalons j "
        "WHERE NOT EXISTS (SELECT 1 FROM analytique_a_rafraichir a WHERE a.id_jeune = j.id_jeune)"
    )


def downgrade() -> None:
    if _postgres():
        _indexes("")
    op.drop_column("suivis_annuels", "record_key")
    op.drop_column("analytique_jalons", "record_key")
    for table in TABLES:
        op.drop_column(table, "record_key")
