"""analytique: the next jalon day, and the previous jalon of the same family (first of a family in P)

Five columns for the analytics table (see indicators.analytique): `jour_suivant`
(the earliest jalon day strictly after this one), and, on the jalons of each
family of the `situations` pass (emploi, durable, formation, retour), the date
of the previous jalon of that family in (date, id_jalon) order. With them the
engine counts the young people with a jalon of a family in P from the first
such jalon of each, row by row, instead of grouping every jalon of P by young
person. On PostgreSQL, the (type, date) index INCLUDEs the four family columns
as well (index-only scans). Every young person is marked, so the first
computation after the upgrade fills the new columns.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = ("jour_suivant", "emploi_precedent", "durable_precedent", "formation_precedent", "retour_precedent")
NAME = "ix_analytique_jalons_type_date"
# as indicators.analytique.INDEXES says today (a migration keeps its own copy: it is history)
INCLUDE_0004 = "id_jeune, domaine, jour_precedent, coupure_precedente, suivant"
INCLUDE_0005 = INCLUDE_0004 + ", emploi_precedent, durable_precedent, formation_precedent, retour_precedent"


def _type_date_index(include: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX {NAME}")
        op.execute(f"CREATE INDEX {NAME} ON analytique_jalons (type, date) INCLUDE ({include})")


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("analytique_jalons", sa.Column(name, sa.Date(), nullable=True))
    _type_date_index(INCLUDE_0005)
    op.execute(
        "INSERT INTO analytique_a_rafraichir (id_jeune) SELECT DISTINCT id_jeune FROM jalons j "
        "WHERE NOT EXISTS (SELECT 1 FROM analytique_a_rafraichir a WHERE a.id_jeune = j.id_jeune)"
    )


def downgrade() -> None:
    _type_date_index(INCLUDE_0004)
    with op.batch_alter_table("analytique_jalons") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
