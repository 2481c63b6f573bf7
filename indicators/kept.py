"""Results kept in the store by data version, for every process: « Ce qui marche »'s estimates and the engine's
figures of the scopes above a structure.

Both take seconds to minutes at national scale; the in-process caches lose them when
the server restarts, and each process would compute them again. Kept here — as JSON
text in the `parametres` table, under `<prefix><data version>:<digest of what was
asked>` — a result computed once (by a command after a load, or by a first visitor)
serves every later reader of every process until the data change. Never stale: a
write moves the data version, a key of an older version is never asked again, and
keeping a new result deletes those of older versions of its prefix. A result whose
data moved while it was computed is not kept (it describes neither version).

Only aggregates are kept, unmasked: each account still gets them through its own
disclosure rule. JSON, not pickle: a database row must never be able to run code in
the server. This module also writes the engine's results (a dict of `Valeur`, or a
breakdown's table) as JSON; `indicators.models.effets` writes its own.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, fields
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from indicators.registry import REGISTRY_VERSION
from indicators.types import Valeur
from mlimpact import once as computed_once
from mlimpact import store
from mlimpact.models import Parametre

ENGINE = "calcul:"  # the engine's figures (`indicators.cache.cached`)
# Part of every engine key: bump when the engine's results change for the same data (a fix of its arithmetic),
# so that no figure kept by an earlier version of the code is read again.
ENGINE_FORMAT = (1, REGISTRY_VERSION)
VALEUR_FIELDS = tuple(f.name for f in fields(Valeur))


def key(prefix: str, version: int, signature: object) -> str:
    """`<prefix><version>:<digest>`: the digest of `signature`'s repr (plain dataclass reprs, the same in every
    process), short enough for the settings' key column."""
    return f"{prefix}{version}:{hashlib.sha1(repr(signature).encode('utf-8')).hexdigest()[:32]}"


def read(conn: Connection, cle: str) -> str | None:
    """The text kept under `cle`, or None."""
    return store.get_setting(conn, cle)


def keep(engine: Engine, prefix: str, version: int, cle: str, text: str) -> None:
    """Keep `text` under `cle`, in a short transaction of its own (never a caller's), unless the data version moved
    meanwhile; the entries of `prefix` of other versions go. Another process keeping the same key first wins."""
    table = Parametre.__table__
    try:
        with engine.begin() as conn:
            if store.data_version(conn) == version:
                conn.execute(table.delete().where(table.c.cle.like(f"{prefix}%"), ~table.c.cle.like(f"{prefix}{version}:%")))
                store.set_setting(conn, cle, text)
    except SQLAlchemyError:  # the same key kept by another process first: theirs is as good
        pass


# --- one computation for all processes: a claim row while a key is computed ------------------------------------
CLAIM = "verrou:"  # `verrou:<version>:<digest>`: some process is computing that key now
CLAIM_SECONDS = computed_once.CLAIM_SECONDS
POLL_SECONDS = 0.05


def _claim_key(cle: str) -> str:
    return CLAIM + cle.partition(":")[2]


def _stamp(seconds: float) -> str:
    return f"{seconds:017.3f}"  # fixed width: compared as text in SQL


def claim(engine: Engine, cle: str) -> bool:
    """True when this process is to compute `cle` (it wrote the claim, or took over a stale one); False when
    another process is computing it now (`wait_for` its result). Any other database error: True (compute)."""
    table = Parametre.__table__
    now = time.time()
    try:
        with engine.begin() as conn:
            conn.execute(table.delete().where(table.c.cle.like(f"{CLAIM}%"), table.c.valeur < _stamp(now - CLAIM_SECONDS)))
            conn.execute(table.insert().values(cle=_claim_key(cle), valeur=_stamp(now)))
    except IntegrityError:
        return False
    except SQLAlchemyError:
        return True
    return True


def release(engine: Engine, cle: str) -> None:
    """The computation of `cle` is over (kept, not kept, or failed): the claim goes."""
    table = Parametre.__table__
    try:
        with engine.begin() as conn:
            conn.execute(table.delete().where(table.c.cle == _claim_key(cle)))
    except SQLAlchemyError:
        pass  # it goes stale in CLAIM_SECONDS


def wait_for(engine: Engine, cle: str, seconds: float = CLAIM_SECONDS) -> str | None:
    """The text another process keeps under `cle`, once there; None if its claim goes without it (its computation
    failed, or the data moved) or after `seconds`."""

    def look() -> tuple[str] | None:
        with engine.connect() as conn:
            text = read(conn, cle)
        return None if text is None else (text,)

    def claimed() -> bool:
        with engine.connect() as conn:
            return store.get_setting(conn, _claim_key(cle)) is not None

    found = computed_once.wait(look, claimed, POLL_SECONDS, seconds)
    return None if found is None else found[0]


def forget(conn: Connection, prefix: str) -> None:
    """Delete every entry of `prefix` (a benchmark measuring a page that computes everything itself)."""
    table = Parametre.__table__
    conn.execute(table.delete().where(table.c.cle.like(f"{prefix}%")))


# --- the engine's results as JSON: a dict of Valeur (compute) or a DataFrame (breakdown) -------------------------
def encode(result: Any) -> str:
    if isinstance(result, pd.DataFrame):
        frame = {
            "columns": list(result.columns),
            "dtypes": [str(t) for t in result.dtypes],
            "values": [[_plain(x) for x in result[c].tolist()] for c in result.columns],
        }
        return json.dumps({"frame": frame})
    if isinstance(result, dict) and all(isinstance(v, Valeur) for v in result.values()):
        return json.dumps({"valeurs": [asdict(v) for v in result.values()]})
    raise TypeError(f"résultat non conservable : {type(result).__name__}")


def decode(text: str) -> Any:
    data = json.loads(text)
    if "frame" in data:
        frame = data["frame"]
        columns = {
            name: pd.Series(values, dtype=dtype)
            for name, dtype, values in zip(frame["columns"], frame["dtypes"], frame["values"], strict=True)
        }
        return pd.DataFrame(columns, columns=frame["columns"])
    return {v["code"]: Valeur(**{f: v[f] for f in VALEUR_FIELDS if f in v}) for v in data["valeurs"]}


def _plain(x: Any) -> Any:
    """A cell as JSON writes it: None for a missing value (NaN is not JSON)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return x.item() if hasattr(x, "item") else x
