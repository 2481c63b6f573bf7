"""What the browser benchmarks share: running a command, starting the app as `make run` does, waiting for it.

The app is started on a free port of 127.0.0.1 in demo mode (the benchmark stores
are throwaway copies marked as demo stores) without file watching: a file edited
in the work tree during a run must not reload modules halfway through.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.browser_helpers import app_command, wait_until_healthy
from tests.support.pgserver import free_port

MLIMPACT = [sys.executable, "-m", "mlimpact.cli"]
STARTUP_SECONDS = 60

__all__ = ["MLIMPACT", "ROOT", "choose", "run", "settle", "signed_in", "start_app"]


def run(cmd: list[str], env: dict | None = None) -> float:
    """Seconds a command takes (run from the repository); stops the benchmark with its output if it fails."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} a échoué :\n{proc.stdout}\n{proc.stderr}")
    return time.perf_counter() - start


def start_app(url: str, log: Path, root: Path = ROOT, processes: int = 1) -> tuple[subprocess.Popen, str]:
    """The app serving the store `url`, as `make run` starts it: (process, base URL). `root`: another copy of
    the code (a benchmark comparing two versions in the same run). `processes` > 1: through `mlimpact serve`
    (that many Streamlit processes behind one port); the process returned is then the front, its children
    the Streamlit processes (`bench.sessions.cpu_seconds` counts them)."""
    port = free_port()
    env = {**os.environ, "MLIMPACT_DATABASE_URL": url, "MLIMPACT_DEMO": "1", "PYTHONPATH": str(root)}
    cmd = app_command(root / "dashboard.py", port, processes)
    process = subprocess.Popen(cmd, cwd=root, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until_healthy(process, base, log, STARTUP_SECONDS * processes)
    return process, base


def choose(page, label: str, option: str) -> None:
    """Pick `option` in the selectbox `label`, without waiting: the caller times what follows."""
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def settle(page) -> None:
    """Until Streamlit has finished running the script (its status widget gone)."""
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)


@contextmanager
def signed_in(base: str, role: str, structure: str | None = None, height: int = 1400) -> Iterator:
    """A Chromium page on the app `base`, signed in through the demo mode as `role` (and `structure`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1400, "height": height}, locale="fr-FR")
        page.goto(base)
        settle(page)
        choose(page, "Rôle", role)
        settle(page)
        if structure:
            choose(page, "Structure", structure)
            settle(page)
        try:
            yield page
        finally:
            browser.close()
