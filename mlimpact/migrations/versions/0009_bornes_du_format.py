"""bounds of the exchange format v1.1 in the database: the CHECKs refuse what validation refuses

A path that skips validation (a script, an older release, a bug) can no longer store
a birth year of 0, a year of funding of 0, an infinite or implausible amount. The
bounds that move with the current year (birth year ≤ year − 14, years ≤ year + 5) are
checked by validation; the database holds the fixed ones, wide enough never to refuse
a row that validation accepts: birth year 1950..2100, years 2000..2100, a jalon amount
0..10,000 €, a financement 0..100,000,000 €, a target within ±1,000,000,000.

PostgreSQL: the CHECKs are replaced (NOT VALID: rows stored before stay readable; new and
changed rows are checked). SQLite cannot change a CHECK without rebuilding its table,
which would drop the analytics triggers of `jalons`: the same rules are triggers that
abort with the constraint's name, as a CHECK would.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# (table, constraint name, condition, condition before this revision or None)
# `{r}` stands for the row: nothing in a CHECK, `NEW.` in a trigger.
BOUNDS = (
    ("jeunes", "annee_naissance", "{r}annee_naissance >= 1950 AND {r}annee_naissance <= 2100", "annee_naissance >= 1950"),
    ("jalons", "montant", "{r}montant_eur IS NULL OR ({r}montant_eur >= 0 AND {r}montant_eur <= 10000)", "montant_eur IS NULL OR montant_eur >= 0"),
    ("financements", "montant", "{r}montant_eur >= 0 AND {r}montant_eur <= 100000000", "montant_eur >= 0"),
    ("financements", "annee", "{r}annee >= 2000 AND {r}annee <= 2100", None),
    ("objectifs", "annee", "{r}annee >= 2000 AND {r}annee <= 2100", None),
    ("objectifs", "cible", "{r}cible >= -1000000000 AND {r}cible <= 1000000000", None),
)


def _trigger(table: str, name: str, event: str) -> str:
    return f"ck_{table}_{name}_{event}"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, name, condition, old in BOUNDS:
            if old is not None:
                op.execute(f"ALTER TABLE {table} DROP CONSTRAINT ck_{table}_{name}")
            op.execute(f"ALTER TABLE {table} ADD CONSTRAINT ck_{table}_{name} CHECK ({condition.format(r='')}) NOT VALID")
        return
    for table, name, condition, _old in BOUNDS:
        for event in ("insert", "update"):
            op.execute(
                f"CREATE TRIGGER {_trigger(table, name, event)} BEFORE {event.upper()} ON {table} "
                f"WHEN NOT ({condition.format(r='NEW.')}) "
                f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ck_{table}_{name}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, name, _condition, old in BOUNDS:
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT ck_{table}_{name}")
            if old is not None:
                op.execute(f"ALTER TABLE {table} ADD CONSTRAINT ck_{table}_{name} CHECK ({old})")
        return
    for table, name, _condition, _old in BOUNDS:
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {_trigger(table, name, event)}")
