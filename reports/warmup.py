"""The Impact page of the scopes above a structure, computed before anyone opens it (`mlimpact precalculer`).

At national scale the page's parts — cards, cumulative trends, the themes'
breakdowns, the risks — cost tens of seconds of PostgreSQL time. Computed here
once after a load, the engine keeps them in the database (`indicators.kept`):
every visitor of every server process then reads them in milliseconds, until
the data change. The requests are the page's own — its default period, no
filter, the scope's « données au » — asked through the same functions as the
page, so the keys match. Only raw figures are kept: each visitor still gets them
through their own disclosure rule.

Once France's page has been computed ahead here, the server keeps it so
(`follow`): a thread checks the data version every minute and, when a write has
moved it, computes France's page again in the background; a visitor arriving
meanwhile waits for that computation rather than starting a second one
(`indicators.cache`). A store where nobody ever ran `mlimpact precalculer` is
left alone: the thread then reads one setting a minute.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Engine

from indicators.engine import data_through
from indicators.types import Echelon, Perimetre, Periode
from mlimpact import store, territoires
from mlimpact.access import Compte
from reports import contenu as ct

# The computation asks as the national bureau: allowed every scope. The engine's results it leaves behind are the
# same for every account; the disclosure rule is applied to each visitor's request, not here.
ACCOUNT = Compte("precalcul@mlimpact.invalid", "bureau")
FRANCE = Perimetre(Echelon.NATIONAL)
# The data version France's page was last computed ahead at (absent: never, and the server does not start it).
SETTING = "precalcul_france_version"
LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Done:
    perimetre: Perimetre
    secondes: float


def default_request(engine: Engine, perimetre: Perimetre) -> ct.Demande | None:
    """What the Impact page asks when a visitor opens it on `perimetre` without touching a filter (None: no data)."""
    as_of, first_year = ct.dates(engine)  # what the page's sidebar reads (`ui.cache.dates`)
    if as_of is None:
        return None
    annee = ct.derniere_annee_complete(as_of, first_year)
    periode = Periode(dt.date(annee, 1, 1), dt.date(annee, 12, 31))
    return ct.Demande(periode, perimetre, as_of=data_through(engine, perimetre) or as_of,
                      comparaison=ct.periode_precedente(periode))


def scopes(regions: bool = False, departements: bool = False) -> list[Perimetre]:
    """France, then each région and each département when asked."""
    out = [FRANCE]
    if regions:
        out += [Perimetre(Echelon.REGION, code) for code in territoires.REGIONS]
    if departements:
        out += [Perimetre(Echelon.DEPARTEMENT, code) for code in territoires.DEPARTEMENTS]
    return out


def warm(engine: Engine, perimetres: Iterable[Perimetre] = (FRANCE,),
         progress: Callable[[float, str], None] | None = None) -> list[Done]:
    """Compute the default Impact page of each scope; the seconds each took (near 0 when already kept)."""
    perimetres = list(perimetres)
    done = []
    for i, perimetre in enumerate(perimetres):
        if progress:
            progress(i / len(perimetres), f"Précalcul : {ct.contexte(engine, perimetre)[0]}")
        start = time.perf_counter()
        demande = default_request(engine, perimetre)
        if demande is not None:
            page(engine, demande)
        done.append(Done(perimetre, time.perf_counter() - start))
        if perimetre == FRANCE and demande is not None:
            with engine.begin() as conn:
                store.set_setting(conn, SETTING, str(store.data_version(conn)))
    if progress:
        progress(1.0, "Précalcul terminé")
    return done


def page(engine: Engine, demande: ct.Demande) -> None:
    """Every part of the Impact page the engine computes, as the page asks for them."""
    params = ct.parametres(engine, demande.perimetre)
    ct.figures(engine, ACCOUNT, demande, params)
    ct.tendances(engine, ACCOUNT, demande, params)
    for nom in ct.THEMES:
        ct.theme(engine, ACCOUNT, demande, nom)
    ct.risques(engine, ACCOUNT, demande)


def rewarm_if_stale(engine: Engine) -> bool:
    """France's page computed again when it was computed ahead once and the data moved since: True when it did."""
    with engine.connect() as conn:
        last = store.get_setting(conn, SETTING)
        if last is None or int(last) == store.data_version(conn):
            return False
    warm(engine)
    return True


def follow(engine: Engine, every: float = 60.0, stop: threading.Event | None = None) -> threading.Thread:
    """The server's thread that keeps France's page computed ahead (`rewarm_if_stale` every `every` seconds)."""
    stop = stop or threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                rewarm_if_stale(engine)
            except Exception:  # a database down for a while: try again at the next round
                LOG.warning("précalcul de la page Impact de la France impossible", exc_info=True)

    thread = threading.Thread(target=loop, name="precalcul-france", daemon=True)
    thread.start()
    return thread
