"""suivis_annuels: the followed young people of every calendar year, with their annual verdicts

Most computations ask for a calendar year (conventions, reports, the national
review). At national scale, building S(P) for it took a quarter of the
computation and judging each window of follow-up (`parcours_securises`) a
third: both now read one row per (year, young person) that the refresh keeps
(`indicators.facts.annuel`). `suivis_annuels_annees` lists the computed years; the
first refresh after the upgrade fills every year the data reaches, so no young
person needs marking.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FLAGS = ("rsa", "long_", "sorties", "sorties_pos", "nouveau", "securise")


def upgrade() -> None:
    op.create_table(
        "suivis_annuels",
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("id_jeune", sa.String(40), nullable=False),
        sa.Column("premier_debut", sa.Date(), nullable=False),
        sa.Column("debut_w", sa.Date(), nullable=False),
        sa.Column("fin_w", sa.Date(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in FLAGS),
        sa.PrimaryKeyConstraint("annee", "id_jeune"),
    )
    op.create_table(
        "suivis_annuels_annees",
        sa.Column("annee", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("debut", sa.Date(), nullable=False),
        sa.Column("fin", sa.Date(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("suivis_annuels_annees")
    op.drop_table("suivis_annuels")
