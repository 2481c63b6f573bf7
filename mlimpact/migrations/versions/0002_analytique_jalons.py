"""analytique: the jalons with what the indicators need from their neighbours, refreshed on write

An analytics table in the DHIS2 way. `analytique_jalons` holds every jalon with
values that depend on the other jalons of the same young person but not on any
period: the date of the previous jalon (and whether it was a break), and, for
the four types that need one, the date of the "next" jalon that answers it.
The engine then computes every indicator with filters and one aggregation
pass, without window functions over millions of rows at query time.

Every write to `jalons` (import, form, script, cascade from a deleted young
person) marks the young person in `analytique_a_rafraichir` through triggers;
the engine recomputes the rows of the marked young people before it reads
(`indicators.facts.analytique`). The upgrade marks everybody, so an existing store is
filled on the first computation.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PG_FUNCTIONS = {
    # event: (transition tables, SQL selecting the young people concerned)
    "insert": ("REFERENCING NEW TABLE AS nouveaux", "SELECT id_jeune FROM nouveaux"),
    "update": (
        "REFERENCING OLD TABLE AS anciens NEW TABLE AS nouveaux",
        "SELECT id_jeune FROM anciens UNION SELECT id_jeune FROM nouveaux",
    ),
    "delete": ("REFERENCING OLD TABLE AS anciens", "SELECT id_jeune FROM anciens"),
}


def upgrade() -> None:
    op.create_table(
        "analytique_jalons",
        sa.Column("id_jeune", sa.String(40), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("type", sa.String(30), nullable=False),
        sa.Column("domaine", sa.String(20), nullable=True),
        sa.Column("jour_precedent", sa.Date(), nullable=True),
        sa.Column("coupure_precedente", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("suivant", sa.Date(), nullable=True),
    )
    # the same indexes as indicators.facts.analytique.INDEXES (a large refresh drops and rebuilds them)
    op.create_index("ix_analytique_jalons_jeune_type_date", "analytique_jalons", ["id_jeune", "type", "date"])
    op.create_index("ix_analytique_jalons_type_date", "analytique_jalons", ["type", "date"])
    op.create_index("ix_analytique_jalons_date", "analytique_jalons", ["date"])
    op.create_table(
        "analytique_a_rafraichir",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("id_jeune", sa.String(40), nullable=False, unique=True),
        sqlite_autoincrement=True,
    )
    if op.get_bind().dialect.name == "postgresql":
        for event, (transition, who) in PG_FUNCTIONS.items():
            op.execute(
                f"""
                CREATE FUNCTION analytique_marquer_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO analytique_a_rafraichir (id_jeune)
                    SELECT DISTINCT id_jeune FROM ({who}) AS concernes
                    ON CONFLICT (id_jeune) DO UPDATE
                        SET seq = nextval(pg_get_serial_sequence('analytique_a_rafraichir', 'seq'));
                    RETURN NULL;
                END $$
                """
            )
            op.execute(
                f"CREATE TRIGGER analytique_jalons_{event} AFTER {event.upper()} ON jalons {transition} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION analytique_marquer_{event}()"
            )
    else:
        for event, rows in (("insert", ("NEW",)), ("update", ("OLD", "NEW")), ("delete", ("OLD",))):
            marks = " ".join(
                f"INSERT OR REPLACE INTO analytique_a_rafraichir (id_jeune) VALUES ({r}.id_jeune);" for r in rows
            )
            op.execute(f"CREATE TRIGGER analytique_jalons_{event} AFTER {event.upper()} ON jalons BEGIN {marks} END")
    op.execute("INSERT INTO analytique_a_rafraichir (id_jeune) SELECT DISTINCT id_jeune FROM jalons")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for event in PG_FUNCTIONS:
        op.execute(f"DROP TRIGGER IF EXISTS analytique_jalons_{event}" + (" ON jalons" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION IF EXISTS analytique_marquer_{event}()")
    op.drop_table("analytique_a_rafraichir")
    op.drop_index("ix_analytique_jalons_date", table_name="analytique_jalons")
    op.drop_index("ix_analytique_jalons_type_date", table_name="analytique_jalons")
    op.drop_index("ix_analytique_jalons_jeune_type_date", table_name="analytique_jalons")
    op.drop_table("analytique_jalons")
