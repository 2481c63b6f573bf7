"""calculs_conserves: the engine's figures of the scopes above a structure, kept for every process

A national figure set costs seconds of PostgreSQL time; the server's in-process
cache loses it at each restart. This table keeps the engine's raw results (JSON,
below the disclosure rule) by what was asked and the data version, so that one
computation — `mlimpact precalculer` after a load, or a first visitor — serves
every later page until the data change (`indicators.kept`).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calculs_conserves",
        sa.Column("cle", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("contenu", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("calculs_conserves")
