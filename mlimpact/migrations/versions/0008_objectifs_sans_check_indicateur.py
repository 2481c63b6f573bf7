"""objectifs: no CHECK on the indicator code; the exchange format checks it against the registry's list

The CHECK listed the 31 codes of the day: each new indicator needed a migration
to widen it. The code of a target is checked where every row enters the store,
by the exchange format's validation (import and forms: `mlimpact.exchange.schema`,
the list `vocab.INDICATEUR_CODES` the registry must match), with a French message.
SQLite cannot drop a constraint: batch mode copies the table without it (its rows kept).

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CONSTRAINT = "ck_objectifs_indicateur"
# the 31 codes of migration 0001 (a migration keeps its own copy: it is history)
CODES_0001 = (
    "jeunes_suivis", "nouveaux_entrants", "jeunes_rsa_suivis", "entretiens", "entretiens_par_jeune",
    "sanctions_rsa", "budget_eur", "cout_par_jeune_eur", "acces_emploi", "acces_emploi_durable",
    "acces_formation", "immersions", "sorties_positives", "droits_ouverts", "partenaires_mobilises",
    "delai_entree_jours", "entree_sous_30j", "risques_detectes", "ruptures_evitees", "ruptures_survenues",
    "taux_ruptures_evitees", "risques_ouverts", "parcours_securises", "retours_dynamique", "ancrage_rsa",
    "sorties_rsa", "maintien_hors_rsa_6m", "mois_rsa_evites", "couts_evites_bruts_eur", "couts_evites_nets_eur",
    "euros_evites_par_euro_investi",
)


def upgrade() -> None:
    with op.batch_alter_table("objectifs") as batch:
        batch.drop_constraint(op.f(CONSTRAINT), type_="check")  # op.f: the name is final, no convention


def downgrade() -> None:
    """Fails if a target names an indicator added since: delete those targets first."""
    codes = ", ".join(f"'{c}'" for c in CODES_0001)
    with op.batch_alter_table("objectifs") as batch:
        batch.create_check_constraint("indicateur", f"indicateur IN ({codes})")
