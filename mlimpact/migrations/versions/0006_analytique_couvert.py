"""analytique: whether an accompagnement covers each jalon's date (`couvert`), the first jalon of each day

`premier_du_jour` marks the first of a young person's jalons of one day, in
(date, id_jalon) order: the jalons that open a young person's window W in P
all share its first day, and counting only the first of them counts young
people without grouping the jalons by young person (`parcours_securises`).

A jalon dated in P that one of its young person's accompagnements covers (started
on or before its date, not ended before it) belongs to someone followed in P:
that accompagnement is active in P. Counted over the whole country with no
filter, such jalons need no join with the followed young people; only the
others do (a few per cent of them). The column depends on the accompagnements,
so their writes now mark the young person for a refresh too, with the same
trigger functions as the jalons (migration 0002).

PostgreSQL: the covering indexes carry `couvert`; a partial index holds the
jalons no accompagnement covers, and statistics on (type, couvert) tell the
planner how few of a type they are (without them it expected a hundred
thousand jalons where there were five hundred, and hashed a million rows to
meet them). The partial index of the situations is keyed by date alone: the
planner drops a condition on the type that its WHERE implies, so the (type,
date) key made it read the situations of every year. SQLite: the partial index
of the jalons no accompagnement covers (it has no INCLUDE).

Every young person is marked, so the computation after the upgrade refreshes
both columns first.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# as indicators.facts.analytique.INDEXES says today (a migration keeps its own copy: it is history)
MAIN = "ix_analytique_jalons_type_date"
MAIN_INCLUDE = "id_jeune, domaine, jour_precedent, coupure_precedente, suivant"
SITUATIONS = "ix_analytique_jalons_situations"
SITUATION_TYPES = (
    "alternance", "creation_entreprise", "emploi_cdd_court", "emploi_cdd_long", "emploi_cdi", "emploi_interim",
    "formation_preparatoire", "formation_qualifiante", "immersion", "reprise_scolarite", "service_civique",
)
FAMILIES = "jour_precedent, coupure_precedente, emploi_precedent, durable_precedent, formation_precedent, retour_precedent"
NOT_COVERED = "ix_analytique_jalons_non_couverts"
STATISTICS = "st_analytique_jalons_type_couvert"
EVENTS = {
    # event: (PostgreSQL transition tables, SQLite rows whose young person is marked)
    "insert": ("REFERENCING NEW TABLE AS nouveaux", ("NEW",)),
    "update": ("REFERENCING OLD TABLE AS anciens NEW TABLE AS nouveaux", ("OLD", "NEW")),
    "delete": ("REFERENCING OLD TABLE AS anciens", ("OLD",)),
}


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _main_and_situations(couvert: str) -> None:
    types = ", ".join(f"'{t}'" for t in SITUATION_TYPES)
    op.execute(f"DROP INDEX {MAIN}")
    op.execute(f"CREATE INDEX {MAIN} ON analytique_jalons (type, date) INCLUDE ({MAIN_INCLUDE}{couvert})")
    op.execute(f"DROP INDEX {SITUATIONS}")
    key, include = ("date", "type, ") if couvert else ("type, date", "")
    op.execute(
        f"CREATE INDEX {SITUATIONS} ON analytique_jalons ({key}) "
        f"INCLUDE ({include}id_jeune, {FAMILIES}{couvert}) WHERE type IN ({types})"
    )


def upgrade() -> None:
    op.add_column("analytique_jalons", sa.Column("couvert", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("analytique_jalons", sa.Column("premier_du_jour", sa.Integer(), nullable=False, server_default="1"))
    postgres = _postgres()
    if postgres:
        _main_and_situations(", couvert")
        op.execute(
            f"CREATE INDEX {NOT_COVERED} ON analytique_jalons (type, date) "
            f"INCLUDE (id_jeune, {FAMILIES}) WHERE couvert = 0"
        )
        op.execute(f"CREATE STATISTICS {STATISTICS} (mcv) ON type, couvert FROM analytique_jalons")
    else:
        op.execute(f"CREATE INDEX {NOT_COVERED} ON analytique_jalons (type, date) WHERE couvert = 0")
    for event, (transition, rows) in EVENTS.items():
        if postgres:
            op.execute(
                f"CREATE TRIGGER analytique_accompagnements_{event} AFTER {event.upper()} ON accompagnements "
                f"{transition} FOR EACH STATEMENT EXECUTE FUNCTION analytique_marquer_{event}()"
            )
        else:
            marks = " ".join(
                f"INSERT OR REPLACE INTO analytique_a_rafraichir (id_jeune) VALUES ({r}.id_jeune);" for r in rows
            )
            op.execute(
                f"CREATE TRIGGER analytique_accompagnements_{event} AFTER {event.upper()} ON accompagnements "
                f"BEGIN {marks} END"
            )
    op.execute(
        "INSERT INTO analytique_a_rafraichir (id_jeune) SELECT DISTINCT id_jeune FROM jalons j "
        "WHERE NOT EXISTS (SELECT 1 FROM analytique_a_rafraichir a WHERE a.id_jeune = j.id_jeune)"
    )


def downgrade() -> None:
    postgres = _postgres()
    for event in EVENTS:
        op.execute(f"DROP TRIGGER analytique_accompagnements_{event}" + (" ON accompagnements" if postgres else ""))
    op.execute(f"DROP INDEX {NOT_COVERED}")
    if postgres:
        op.execute(f"DROP STATISTICS {STATISTICS}")
        _main_and_situations("")
    with op.batch_alter_table("analytique_jalons") as batch:
        batch.drop_column("premier_du_jour")
        batch.drop_column("couvert")
