"""What a director sets for their structure: convention objectives, financements, impact parameters.

Every write of the convention page goes through here, so no path can forget a
rule: the access check (`mlimpact.access`), the one validation of the exchange
format (`validate_record`) for objectifs and financements, an audit entry per
changed row with its values before and after, and a data-version bump so that
cached figures are recomputed.

The impact parameters (deadweight, attribution) a director edits are stored as
JSON under `impact:<code_structure>` in the store's settings; the impact model
(`indicators.models.impact.load_parameters(overrides=...)`) applies them and names the
edited version, so a report always says with which assumptions it was built.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, delete, select

from indicators.models import impact
from mlimpact import audit, store
from mlimpact.access import AccesRefuse, Compte, check_write
from mlimpact.exchange.validation import Context, validate_record
from mlimpact.models import Financement, Objectif

SETTING_PREFIX = "impact:"
TABLE_PARAMETRES = "parametres"
OVERRIDE_KEYS = tuple(f"{code}{suffix}" for code in impact.TAUX for suffix in ("", "_bas", "_haut"))


class SaisieInvalide(ValueError):
    """Rows a director typed that break a rule; `messages` says which row and field, in French."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__(" ; ".join(messages))


# --- impact parameters -----------------------------------------------------------------------------
def setting_key(code_structure: str) -> str:
    return f"{SETTING_PREFIX}{code_structure}"


def overrides(conn: Connection, code_structure: str | None) -> dict[str, float]:
    """The edited parameters of a structure ({} when none, or for a scope that is not one structure)."""
    if not code_structure:
        return {}
    raw = store.get_setting(conn, setting_key(code_structure))
    if not raw:
        return {}
    try:
        values = json.loads(raw)
    except ValueError:
        return {}
    return {k: float(v) for k, v in values.items() if k in OVERRIDE_KEYS}


def parameters(conn: Connection, code_structure: str | None) -> impact.ParametresImpact:
    """The impact parameters that apply to a structure: the file's, with the director's edits."""
    edits = overrides(conn, code_structure)
    return impact.load_parameters(overrides=edits or None)


def check_settings_write(compte: Compte, code_structure: str) -> None:
    """Only the structure's director (or an administrator) sets its impact parameters."""
    if compte.role == "admin":
        return
    if compte.role != "directeur":
        raise AccesRefuse("Seule la direction de la structure peut modifier les paramètres d'impact.")
    if compte.code_structure != code_structure:
        raise AccesRefuse("Vous ne pouvez modifier que les paramètres de votre structure.")


def save_overrides(conn: Connection, compte: Compte, code_structure: str, values: dict[str, float]) -> bool:
    """Store a director's parameters (checked by the impact model first), audited; {} goes back to the file's.

    Only values that differ from the file are kept, so the version names the
    real edits. Returns False when nothing changed.
    """
    check_settings_write(compte, code_structure)
    clean = {k: float(v) for k, v in values.items() if v is not None}
    unknown = sorted(set(clean) - set(OVERRIDE_KEYS))
    if unknown:
        raise SaisieInvalide([f"Paramètre inconnu : {', '.join(unknown)}."])
    default = impact.load_parameters()
    clean = {k: v for k, v in clean.items() if abs(v - _default_value(default, k)) > 1e-9}
    try:
        params = impact.load_parameters(overrides=clean or None)
    except ValueError as exc:
        raise SaisieInvalide([str(exc)]) from None
    before = overrides(conn, code_structure)
    if before == clean:
        return False
    store.set_setting(conn, setting_key(code_structure), json.dumps(clean, sort_keys=True))
    audit.record(
        conn, compte.email, "update", TABLE_PARAMETRES, cle=setting_key(code_structure), avant=before or None,
        apres=clean or None, detail=f"Paramètres d'impact : version {params.version}",
    )
    store.bump_data_version(conn)
    return True


def _default_value(params: impact.ParametresImpact, key: str) -> float:
    for suffix, attr in (("_bas", "bas"), ("_haut", "haut")):
        if key.endswith(suffix):
            return getattr(getattr(params, key[: -len(suffix)]), attr)
    return getattr(params, key).valeur


def last_change(conn: Connection, code_structure: str) -> dict | None:
    """The audit entry of the latest change of a structure's impact parameters (who, when, before, after)."""
    entries = audit.entries(conn, limit=1, table=TABLE_PARAMETRES, cle=setting_key(code_structure))
    return entries[0] if entries else None


# --- objectifs and financements ----------------------------------------------------------------------
def objectifs(conn: Connection, code_structure: str, annee: int | None = None) -> list[dict]:
    """The convention's targets of a structure (one year, or all), by year then indicator."""
    query = select(Objectif.annee, Objectif.indicateur, Objectif.cible).where(Objectif.code_structure == code_structure)
    if annee is not None:
        query = query.where(Objectif.annee == annee)
    rows = conn.execute(query.order_by(Objectif.annee, Objectif.indicateur)).all()
    return [{"annee": int(a), "indicateur": i, "cible": float(c)} for a, i, c in rows]


def financements(conn: Connection, code_structure: str, annee: int | None = None) -> list[dict]:
    """The financements of a structure (one year, or all)."""
    query = select(Financement.annee, Financement.financeur, Financement.dispositif, Financement.montant_eur).where(
        Financement.code_structure == code_structure
    )
    if annee is not None:
        query = query.where(Financement.annee == annee)
    rows = conn.execute(query.order_by(Financement.annee, Financement.financeur, Financement.dispositif)).all()
    return [{"annee": int(a), "financeur": f, "dispositif": d, "montant_eur": float(m)} for a, f, d, m in rows]


KEYS = {"objectifs": ("annee", "indicateur"), "financements": ("annee", "financeur", "dispositif")}
VALUES = {"objectifs": "cible", "financements": "montant_eur"}
MODELS = {"objectifs": Objectif, "financements": Financement}
READERS = {"objectifs": objectifs, "financements": financements}


def _table(table: str) -> None:
    if table not in KEYS:
        raise ValueError(f"table non modifiable ici : {table}")


def save(
    conn: Connection, compte: Compte, table: str, code_structure: str, values: dict, today: dt.date | None = None
) -> str:
    """Create or change one objectif or financement of a structure; returns "create", "update" or "unchanged".

    The row is validated like an imported one (SaisieInvalide with the French
    message of each field), audited with its values before and after, and the
    data version bumped.
    """
    _table(table)
    check_write(compte, table, code_structure)
    raw = {k: values.get(k) for k in (*KEYS[table], VALUES[table])}
    typed, problems = validate_record(table, {**raw, "code_structure": code_structure}, Context(today or dt.date.today()))
    if problems:
        raise SaisieInvalide(list(problems.values()))
    key = tuple(typed[k] for k in KEYS[table])
    value_col = VALUES[table]
    new = {k: typed[k] for k in (*KEYS[table], value_col)}
    old = next((r for r in READERS[table](conn, code_structure, typed["annee"]) if tuple(r[k] for k in KEYS[table]) == key), None)
    model = MODELS[table]
    if old is None:
        conn.execute(model.__table__.insert().values(code_structure=code_structure, **new))
        action = "create"
    elif abs(float(old[value_col]) - float(new[value_col])) > 0.005:
        conn.execute(model.__table__.update().where(*_where(model, table, code_structure, key)).values({value_col: new[value_col]}))
        action = "update"
    else:
        return "unchanged"
    audit.record(conn, compte.email, action, table, cle=_cle(code_structure, key), avant=old, apres=new)
    store.bump_data_version(conn)
    return action


def delete_row(conn: Connection, compte: Compte, table: str, code_structure: str, key: tuple) -> bool:
    """Delete one objectif or financement (key: its columns after code_structure); audited. False when absent."""
    _table(table)
    check_write(compte, table, code_structure)
    annee = int(key[0])
    old = next((r for r in READERS[table](conn, code_structure, annee) if tuple(r[k] for k in KEYS[table]) == tuple(key)), None)
    if old is None:
        return False
    conn.execute(delete(MODELS[table]).where(*_where(MODELS[table], table, code_structure, tuple(key))))
    audit.record(conn, compte.email, "delete", table, cle=_cle(code_structure, tuple(key)), avant=old)
    store.bump_data_version(conn)
    return True


def _where(model, table: str, code_structure: str, key: tuple) -> list:
    cols = [model.__table__.c.code_structure == code_structure]
    cols += [model.__table__.c[name] == value for name, value in zip(KEYS[table], key, strict=True)]
    return cols


def _cle(code_structure: str, key: tuple) -> str:
    return "|".join(str(part) for part in (code_structure, *key))
