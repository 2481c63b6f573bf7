"""The disclosure rule of an account for a scope: exact, or perturbed with the threshold k of the settings.

A structure's own people (conseiller, directeur, on their structure) and the
administrators see figures exact. Everyone else (a Département, the bureau)
sees them perturbed by the cell-key method with small counts suppressed
(`indicators.disclosure.perturbation`, docs/disclosure.md). k is a setting of
the store (`parametres.seuil_secret`), else the deployment's
`MLIMPACT_MIN_CELL`, else 11: never a caller's argument, so no page, export or
command can ask for less protection than the account's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from indicators.types import Echelon, Perimetre
from mlimpact import store
from mlimpact.access import Compte
from mlimpact.db import connected

DEFAULT_K = 11
K_SETTING = "seuil_secret"  # the key of k in `parametres`
K_ENV = "MLIMPACT_MIN_CELL"
EXACT, PERTURBE = "exact", "perturbe"


@dataclass(frozen=True)
class Rule:
    """How an account sees the figures of a scope: `traitement` (EXACT or PERTURBE) and k (0 when exact)."""

    traitement: str
    k: int

    @property
    def exact(self) -> bool:
        return self.traitement == EXACT


def k_from(value: str | None) -> int | None:
    """k from a setting's text: a whole number ≥ 2, else None."""
    try:
        k = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return k if k >= 2 else None


def k_setting(bind: Engine | Connection | None = None, environ: Mapping[str, str] | None = None) -> int:
    """k: `parametres.seuil_secret`, else `MLIMPACT_MIN_CELL`, else 11 (each only when a whole number ≥ 2)."""
    stored = None
    if bind is not None:
        with connected(bind) as conn:
            stored = store.get_setting(conn, K_SETTING)
    env = (os.environ if environ is None else environ).get(K_ENV)
    return k_from(stored) or k_from(env) or DEFAULT_K


def owns(compte: Compte, perimetre: Perimetre) -> bool:
    """Whether the account sees this scope's figures exact: its own structure, or an administrator."""
    if compte.role == "admin":
        return True
    return compte.est_structure and perimetre == Perimetre(Echelon.STRUCTURE, compte.code_structure)


def rule_for(bind: Engine | Connection, compte: Compte, perimetre: Perimetre) -> Rule:
    """The rule of `compte` for `perimetre` (the scope itself is checked elsewhere: `access.check_scope`)."""
    if owns(compte, perimetre):
        return Rule(EXACT, 0)
    return Rule(PERTURBE, k_setting(bind))
