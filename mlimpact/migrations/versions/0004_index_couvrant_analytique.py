"""analytique: on PostgreSQL, the (type, date) index of the analytics table carries every column read

The analytics table is stored young person by young person, so the rows of a
few types in a period (risks, RSA spells, orientations, situations) lie on most
of its pages: reading them through the plain (type, date) index visited the
whole table. With the other columns INCLUDEd, those passes are index-only scans
of consecutive entries (national sample: 0.29 → 0.10 s for the open risks, 0.88
→ 0.67 s for the situations; docs/benchmarks.md). SQLite has no INCLUDE: its
index stays as it was.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NAME = "ix_analytique_jalons_type_date"
# as indicators.facts.analytique.INDEXES says today (a migration keeps its own copy: it is history)
INCLUDE = " INCLUDE (id_jeune, domaine, jour_precedent, coupure_precedente, suivant)"


def _recreate(covered: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX {NAME}")
    op.execute(f"CREATE INDEX {NAME} ON analytique_jalons (type, date){INCLUDE if covered else ''}")


def upgrade() -> None:
    _recreate(covered=True)


def downgrade() -> None:
    _recreate(covered=False)
