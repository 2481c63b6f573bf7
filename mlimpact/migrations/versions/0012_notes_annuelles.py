"""notes_annuelles: a director's words of a year, per structure (the year's facts, anonymised parcours)

The qualitative side of the report for the Département (« ruptures évitées,
parcours sécurisés » told as stories): free text written on the « Objectifs et
financements » page, checked for identifying details (`mlimpact.notes`),
audited, printed in the PDF in its own section.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notes_annuelles",
        sa.Column("code_structure", sa.String(20), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("faits", sa.Text(), nullable=False),
        sa.Column("recits", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["code_structure"], ["structures.code_structure"], name=op.f("fk_notes_annuelles_code_structure_structures")
        ),
        sa.PrimaryKeyConstraint("code_structure", "annee", name=op.f("pk_notes_annuelles")),
    )


def downgrade() -> None:
    op.drop_table("notes_annuelles")
