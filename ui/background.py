"""Computations that run in a thread of the server while the page shows their progress.

« Ce qui marche » for a région or the country takes longer than a page should wait: the page
starts the computation here once per request (every visitor asking the same thing shares it)
and follows it with a progress bar; a visitor who leaves stops only the following, the
computation goes on and its result is kept. The jobs live in a dict of the server process
(`ui.cache.jobs`); the function a job runs never calls Streamlit.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

_LOCK = threading.Lock()
LOG = logging.getLogger(__name__)


@dataclass
class Job:
    fraction: float = 0.0
    texte: str = "Calcul en file d'attente…"
    resultat: object = None
    erreur: BaseException | None = None
    fini: threading.Event = field(default_factory=threading.Event)

    def progress(self, fraction: float, texte: str) -> None:
        self.fraction, self.texte = min(max(fraction, 0.0), 1.0), texte


def _work(job: Job, function: Callable[[Callable[[float, str], None]], object]) -> None:
    try:
        job.resultat = function(job.progress)
    except BaseException as exc:
        LOG.exception("le calcul en arrière-plan a échoué")
        job.erreur = exc
    finally:
        job.fini.set()


def run(jobs: dict, key: Hashable, function: Callable[[Callable[[float, str], None]], object]) -> Job:
    """The job of `key`, started now in a thread unless it already exists."""
    with _LOCK:
        job = jobs.get(key)
        if job is None:
            job = jobs[key] = Job()
            threading.Thread(target=_work, args=(job, function), name=f"calcul-{len(jobs)}", daemon=True).start()
    return job


def forget(jobs: dict, key: Hashable) -> None:
    """Drop a job (one that failed: the next visit starts it again)."""
    with _LOCK:
        jobs.pop(key, None)
