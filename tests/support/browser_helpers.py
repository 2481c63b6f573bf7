"""Small helpers for the browser journeys (Playwright against the running app)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import Page, expect


def wait_for_app(page: Page) -> None:
    """Wait until Streamlit has finished running the script."""
    expect(page.get_by_test_id("stApp")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(200)  # let the rerun start
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')",
        timeout=30_000,
    )


def choose(page: Page, label: str, option: str) -> None:
    """Pick `option` in the selectbox labelled `label`."""
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_for_app(page)


def demo_sign_in(page: Page, url: str, role_label: str, structure: str | None = None, departement: str | None = None) -> None:
    """Open the app in demo mode and pick a role (and its structure or département)."""
    page.goto(url)
    wait_for_app(page)
    choose(page, "Rôle", role_label)
    if structure:
        choose(page, "Structure", structure)
    if departement:
        choose(page, "Département", departement)


def app_command(dashboard: Path, port: int, processes: int = 1) -> list[str]:
    """The command that serves the app on 127.0.0.1:`port` as `make run` does, without file watching: one
    Streamlit process (`streamlit run`), or `processes` behind one port (`mlimpact serve`)."""
    streamlit = ["--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    if processes > 1:
        return [sys.executable, "-m", "mlimpact.cli", "serve", "--processus", str(processes), "--port", str(port),
                "--adresse", "127.0.0.1", *streamlit]
    return [sys.executable, "-m", "streamlit", "run", str(dashboard), "--server.port", str(port),
            "--server.address", "127.0.0.1", *streamlit]


def wait_until_healthy(process: subprocess.Popen, url: str, log: Path, seconds: float = 60) -> None:
    """Wait for a starting Streamlit server's health endpoint; fail with its log if it dies or hangs."""
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Streamlit s'est arrêté au démarrage :\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"Streamlit n'a pas répondu en {seconds:.0f} s :\n{log.read_text()}")
