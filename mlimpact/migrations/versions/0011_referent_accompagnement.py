"""accompagnements.referent: the conseiller in charge, as the e-mail of their account (exchange format v1.1)

Optional (NULL for every row already stored). Not a foreign key to `comptes`: an
account may be deleted while the spells it followed stay; the exchange format's
validation checks, where a row enters the store (import and forms), that the
address is an account of the jeune's structure. Indexed with the jeune so that
« Mes jeunes » of the worklist reads one conseiller's spells without a scan.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE, not batch mode: rebuilding the table on SQLite would drop its analytics triggers (0006).
    op.add_column("accompagnements", sa.Column("referent", sa.String(254), nullable=True))
    op.create_index(op.f("ix_accompagnements_referent"), "accompagnements", ["referent"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_accompagnements_referent"), table_name="accompagnements")
    op.drop_column("accompagnements", "referent")  # SQLite ≥ 3.35 drops a column in place
