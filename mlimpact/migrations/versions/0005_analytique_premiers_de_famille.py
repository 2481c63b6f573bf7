"""analytique: the next jalon day, and the previous jalon of the same family (first of a family in P)

Five columns for the analytics table (see indicators.facts.analytique): `jour_suivant`
(the earliest jalon day strictly after this one), and, on the jalons of each
family of the `situations` pass (emploi, durable, formation, retour), the date
of the previous jalon of that family in (date, id_jalon) order. With them the
engine counts the young people with a jalon of a family in P from the first
such jalon of each, row by row, instead of grouping every jalon of P by young
person. On PostgreSQL, a partial index of the SITUATION jalons by (type, date)
INCLUDEs what that pass reads (index-only scans; in the main (type, date)
index the four columns would slow down the counts of every type). Every young
person is marked, so the first computation after the upgrade fills the new
columns.

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
NAME = "ix_analytique_jalons_situations"
# as indicators.facts.analytique.INDEXES says today (a migration keeps its own copy: it is history)
SITUATIONS = (
    "alternance", "creation_entreprise", "emploi_cdd_court", "emploi_cdd_long", "emploi_cdi", "emploi_interim",
    "formation_preparatoire", "formation_qualifiante", "immersion", "reprise_scolarite", "service_civique",
)
INCLUDE = "id_jeune, jour_precedent, coupure_precedente, emploi_precedent, durable_precedent, formation_precedent, retour_precedent"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("analytique_jalons", sa.Column(name, sa.Date(), nullable=True))
    if _postgres():
        types = ", ".join(f"'{t}'" for t in SITUATIONS)
        op.execute(f"CREATE INDEX {NAME} ON analytique_jalons (type, date) INCLUDE ({INCLUDE}) WHERE type IN ({types})")
    op.execute(
        "INSERT INTO analytique_a_rafraichir (id_jeune) SELECT DISTINCT id_jeune FROM jalons j "
        "WHERE NOT EXISTS (SELECT 1 FROM analytique_a_rafraichir a WHERE a.id_jeune = j.id_jeune)"
    )


def downgrade() -> None:
    if _postgres():
        op.execute(f"DROP INDEX {NAME}")
    with op.batch_alter_table("analytique_jalons") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
