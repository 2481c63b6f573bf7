"""A page's results computed once for all the Streamlit processes of one server (`mlimpact serve`).

Each process of `mlimpact serve` has its own Streamlit caches. The engine's
figures are already computed once for all of them (`indicators.kept`), but what a
page builds from them — its tables, its cards' values, its charts — was built again
in every process: at a meeting of twenty, on two processes, a second cold page's
worth of work (a third more server time per session, docs/benchmarks.md).

`ui.cache.loader` is `st.cache_data` plus this: on a miss in its process, a loader looks in
a folder the server's processes share; if another process is computing the same
key, it waits for that result instead of computing it again (a claim file; the
protocol is `mlimpact.once`'s, which `indicators.kept` follows with a row). Results are pickled, so the folder must be the
server's own: `mlimpact serve` makes a private one (`tempfile.mkdtemp`: mode 0700,
removed when it stops) and names it in `MLIMPACT_PARTAGE`. A folder another user
could write to is refused (nothing is shared then), and without the variable
(one Streamlit process, the tests) a loader is exactly `st.cache_data`.

Keys: the loader's name and its arguments as the Streamlit cache sees them
(`ui.cache.CLES`: an account by its rights), hashed. The data version is one of
the arguments, and a result written for one version deletes the files of the
others: nothing stale is ever read, and the folder stays small.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
import os
import pickle
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlimpact import once as computed_once
from mlimpact.config import ENV_SHARED_DIR as ENV

CLAIM_SECONDS = computed_once.CLAIM_SECONDS
POLL_SECONDS = 0.02
LOG = logging.getLogger(__name__)


def folder() -> Path | None:
    """The shared folder, or None: not set, missing, or writable by another user (pickles must be our own)."""
    name = os.environ.get(ENV)
    if not name:
        return None
    path = Path(name)
    try:
        info = path.stat()
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        LOG.warning("%s=%s n'est pas un dossier privé du serveur : rien n'est partagé entre processus.", ENV, name)
        return None
    return path


def once(name: str, version: object, key: bytes, compute: Callable[[], Any], where: Path | None = None) -> Any:
    """`compute()`'s result under (`name`, `key`), computed by one process of the server and read by the others."""
    where = where if where is not None else folder()
    if where is None:
        return compute()
    digest = hashlib.sha256(name.encode() + b"|" + key).hexdigest()[:40]
    stem = f"v{version}-{digest}"
    result, claim = where / f"{stem}.pkl", where / f"{stem}.claim"
    return computed_once.once(
        read=lambda: _read(result),
        claim=lambda: _claim(claim),
        wait=lambda: computed_once.wait(lambda: _read(result), claim.exists, POLL_SECONDS),
        compute=compute,
        keep=lambda value: _write(where, result, value, version),
        release=lambda: claim.unlink(missing_ok=True),
    )


def _read(path: Path) -> tuple[Any] | None:
    try:
        with open(path, "rb") as handle:
            return (pickle.load(handle),)
    except Exception:  # not there yet, cut short, or of another code version: computed again
        return None


def _claim(path: Path) -> bool:
    """True when this process is to compute: it made the claim, or took over a stale one."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        return True
    except FileExistsError:
        try:
            if time.time() - path.stat().st_mtime > CLAIM_SECONDS:
                path.unlink(missing_ok=True)
                return _claim(path)
        except OSError:
            pass
        return False
    except OSError:
        return True  # the folder is gone or full: compute without sharing


def _write(where: Path, result: Path, value: Any, version: object) -> None:
    """Write atomically (a reader never sees half a file); the files of other data versions go."""
    temporary = None
    try:
        with tempfile.NamedTemporaryFile(dir=where, suffix=".tmp", delete=False) as handle:
            temporary = Path(handle.name)
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, result)
    except Exception:  # unpicklable, or the folder is gone: this process keeps its own result
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        return
    for old in where.glob("v*.pkl"):
        if not old.name.startswith(f"v{version}-"):
            old.unlink(missing_ok=True)


def between_processes(key_of: Callable[[tuple, dict], tuple[object, bytes]]) -> Callable:
    """`func`, its result shared between the server's processes. `key_of(args, kwargs)` gives the data version
    and the bytes of the rest of the key (`ui.cache.shared_key`). Put under `st.cache_data` (`ui.cache.loader`):
    a process asks the folder only when its own cache misses."""

    def decorate(func: Callable) -> Callable:
        name = f"{func.__module__}.{func.__qualname__}"

        @functools.wraps(func)
        def shared(*args, **kwargs):
            version, key = key_of(args, kwargs)
            return once(name, version, key, lambda: func(*args, **kwargs))

        # Streamlit reads the names of the arguments on every call (`inspect.signature`): given here, it does
        # not unwrap the function each time.
        shared.__signature__ = inspect.signature(func)
        return shared

    return decorate
