"""A result computed by one process and read by the others: the protocol of a claim, written once.

Two stores use it. `indicators.kept` keeps the engine's figures in the database, its claim a row. `ui.partage`
keeps a page's results in a private folder of `mlimpact serve`, its claim a file. In both, a process finds the
result, or claims the key and computes it, or waits while another process holds the claim. If that process
fails, or stops and leaves its claim to go stale, the waiting one computes the result itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
Found = tuple[Any] | None  # (result,) when found: a result may itself be None

CLAIM_SECONDS = 120  # a claim older than this was left by a process that stopped: taken over


def once(
    read: Callable[[], Found],
    claim: Callable[[], bool],
    wait: Callable[[], Found],
    compute: Callable[[], T],
    keep: Callable[[T], None],
    release: Callable[[], None],
) -> T:
    """The result `read` finds; else, when `claim` says this process is to compute, `compute` it, `keep` it and
    `release` the claim (failed or not); when another process holds the claim, what `wait` finds, or, when its
    claim went without a result, `compute` it here too."""
    found = read()
    if found is not None:
        return found[0]
    mine = claim()
    if not mine:
        found = wait()
        if found is not None:
            return found[0]
    try:
        value = compute()
        keep(value)
    finally:
        if mine:
            release()
    return value


def wait(read: Callable[[], Found], claimed: Callable[[], bool], pause: float, seconds: float = CLAIM_SECONDS) -> Found:
    """What `read` finds once another process has kept it; None when its claim goes without a result, or after
    `seconds`. Read again once the claim is gone: the result may have been kept just before it went."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = read()
        if found is not None:
            return found
        if not claimed():
            return read()
        time.sleep(pause)
    return None
