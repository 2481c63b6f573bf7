"""Concurrent sessions in the browser: N Chromium pages against one server started like `make run`.

    .venv/bin/python bench/sessions.py [--sessions 1,5,10,20] [--scenario impact,filtre,jalon,national]
                                       [--repeat 1] [--compare DIR] [--profile PREFIX]

A CD meeting: N people open the app on the demo data at the same moment. Each
session is its own browser context (its own Streamlit session), signed in
through the demo mode; then, all together, they do the scenario's gesture:

- `impact`: pick « Direction de Mission Locale », then open Impact (cold for the first session only:
  the others ask for the same figures at the same time);
- `filtre`: on the impact page, switch the period to « 12 derniers mois »;
- `jalon`: a conseiller saves an « Entretien » jalon on a jeune's parcours (each session its own jeune);
- `national`: a bureau account opens the national view (map drawn).

The time of a gesture runs from the click to the updated content visible and
the script finished (no status widget, no stale element). Every N starts a
fresh server (cold caches) on a fresh demo store made by `mlimpact demo`, as
`make run` does. Printed: p50, p95, max, the ratio to the single session of the
same run, the server's CPU time per session during the gestures (from /proc:
what the other jobs of the machine cannot inflate much) and the load average.
The machine is shared: compare ratios within one run, not figures across days.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.app import ROOT as HERE
from bench.app import start_app

CHROMIUM = "/usr/bin/chromium"
SETTLED = (
    "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
    " && !document.querySelector('[data-stale=\"true\"]')"
)
STRUCTURE = "Mission Locale Bouches-du-Rhône Nord (ML13001)"
SCENARIOS = ("impact", "filtre", "jalon", "national")


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile, nearest rank (p95 of 5 values is the largest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


async def settle(page, timeout: float = 180_000) -> None:
    await page.wait_for_timeout(150)
    await page.wait_for_function(SETTLED, timeout=timeout)


async def choose(page, label: str, option: str) -> None:
    await page.get_by_role("combobox", name=label).click()
    await page.get_by_role("option", name=option, exact=True).click()


async def sign_in(page, base: str, role: str, structure: str | None = None) -> None:
    await page.goto(base, timeout=180_000)
    await page.get_by_test_id("stApp").wait_for(timeout=180_000)
    await settle(page)
    await choose(page, "Rôle", role)
    await settle(page)
    if structure:
        await choose(page, "Structure", structure)
        await settle(page)


async def open_menu(page, url: str) -> None:
    await page.get_by_test_id("stSidebarNav").locator(f'a[href$="/{url}"]').click()


def jeunes(db_url: str, n: int) -> list[str]:
    """n jeunes of the structure followed now (the `jalon` scenario: one each)."""
    from mlimpact import parcours, store
    from mlimpact.access import Compte
    from mlimpact.db import make_engine

    engine = make_engine(db_url)
    compte = Compte("conseiller@demo.invalid", "conseiller", code_structure="ML13001")
    with engine.connect() as conn:
        found = parcours.search(conn, compte, store.today(), dispositif="CEJ")
    engine.dispose()
    return list(found["id_jeune"].iloc[:n])


async def prepare(scenario: str, page, base: str, jeune: str | None) -> None:
    """Everything before the timed gesture."""
    if scenario == "impact":
        await sign_in(page, base, "Direction de Mission Locale", STRUCTURE)
    elif scenario == "filtre":
        await sign_in(page, base, "Direction de Mission Locale", STRUCTURE)
        await open_menu(page, "impact")
        await page.get_by_role("heading", name="Impact de l'accompagnement").wait_for(timeout=180_000)
        await settle(page)
    elif scenario == "national":
        await sign_in(page, base, "Bureau national")
    elif scenario == "jalon":
        await sign_in(page, base, "Conseiller·ère", STRUCTURE)
        await open_menu(page, "parcours")
        await settle(page)
        await page.get_by_label("Identifiant (ou une partie)").fill(jeune)
        await page.get_by_role("button", name="Rechercher").click()
        await page.get_by_role("heading", name=f"Jeune {jeune}").wait_for(timeout=180_000)
        await settle(page)
        box = page.get_by_role("combobox", name="Type de jalon")
        await box.click()
        await box.fill("Entretien")
        await page.keyboard.press("Enter")
        await settle(page)


async def gesture(scenario: str, page, drawn=None) -> float:
    """The timed gesture: seconds from the click to the updated content visible and the script finished.

    `drawn`: how to wait for the end (by default `settle`, which first pauses 150 ms: a run may not have shown
    its status yet); `bench/crowd.py` waits instead for the server's end of the run as the browser received it."""
    start = time.perf_counter()
    if scenario == "impact":
        await open_menu(page, "impact")
        await page.get_by_role("heading", name="Impact de l'accompagnement").wait_for(timeout=180_000)
        await page.get_by_test_id("stMetric").first.wait_for(timeout=180_000)
    elif scenario == "filtre":
        await choose(page, "Période", "12 derniers mois")
        await page.get_by_text("12 derniers mois", exact=False).first.wait_for(timeout=180_000)
    elif scenario == "national":
        await open_menu(page, "national")
        await page.locator("[data-testid=stVegaLiteChart] svg, [data-testid=stVegaLiteChart] canvas").first.wait_for(
            timeout=180_000
        )
    elif scenario == "jalon":
        await page.get_by_role("button", name="Enregistrer le jalon").click()
        await page.get_by_text("Jalon enregistré").first.wait_for(timeout=180_000)
    await (drawn(start) if drawn else settle(page))
    return time.perf_counter() - start


CPU: dict[tuple, float] = {}  # (scenario, sessions, code) -> server CPU seconds spent during the gestures


def stat_fields(pid: int | str) -> list[str]:
    """A process's /proc stat fields after its name (state, parent, …)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def stat_seconds(fields: list[str]) -> float:
    """User + system CPU seconds from `stat_fields`."""
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process and its children have used so far (Linux /proc), whatever the
    other jobs of the machine: `mlimpact serve`'s Streamlit processes are the front's children."""
    own = stat_seconds(stat_fields(pid))
    children = {int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()}
    return own + sum(cpu_seconds(c) for c in children if Path(f"/proc/{c}").exists())


def demo_store(root: Path, path: Path) -> str:
    """A fresh demo store made by `mlimpact demo` of the code in `root`, exactly as `make run` makes it."""
    url = f"sqlite:///{path}"
    subprocess.run([sys.executable, "-m", "mlimpact.cli", "demo", "--db", url], cwd=root, check=True,
                   env={**os.environ, "PYTHONPATH": str(root)}, stdout=subprocess.DEVNULL)
    return url


async def one_run(scenario: str, n: int, root: Path, workdir: Path, profile: str | None = None) -> list[float]:
    from playwright.async_api import async_playwright

    tag = f"{scenario}-{n}-{abs(hash(str(root)))}"
    url = demo_store(root, workdir / f"{tag}.db")
    process, base = start_app(url, workdir / f"{tag}.log", root)
    try:
        idents = jeunes(url, n) if scenario == "jalon" else [None] * n
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            contexts = [await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR") for _ in range(n)]
            pages = [await c.new_page() for c in contexts]
            for p in pages:  # twenty sessions signing in at once on two cores: far beyond Playwright's 30 s
                p.set_default_timeout(300_000)
            await asyncio.gather(*(prepare(scenario, p, base, j) for p, j in zip(pages, idents)))
            spy = None
            if profile:  # py-spy on the server while the gestures run: where its time goes (`--profile`)
                out = f"{profile}-{scenario}-{n}.txt"
                command = [shutil.which("py-spy") or "py-spy", "record", "-p", str(process.pid), "-r", "50", "-f", "raw",
                           "-o", out]
                spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: ASYNC220
                await asyncio.sleep(1)
            cpu_before = cpu_seconds(process.pid)
            seconds = await asyncio.gather(*(gesture(scenario, p) for p in pages))
            CPU[(scenario, n, str(root))] = cpu_seconds(process.pid) - cpu_before
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=30)
            await browser.close()
        return list(seconds)
    finally:
        process.terminate()
        process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="1,5,10,20")
    parser.add_argument("--scenario", default=",".join(SCENARIOS))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--compare", type=Path, help="another copy of the code (e.g. `git archive main`): both run, "
                        "alternately, in the same run, and the ratio of their p95 is printed")
    parser.add_argument("--profile", help="py-spy (on the PATH) records the server during the gestures: PREFIX-scenario-N.txt")
    args = parser.parse_args()
    counts = [int(x) for x in args.sessions.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="bench-sessions-"))
    roots = {"avant": args.compare.resolve(), "après": HERE} if args.compare else {"": HERE}
    print(f"{os.cpu_count()} cœurs ; charge au départ {os.getloadavg()[0]:.1f}", flush=True)
    for scenario in args.scenario.split(","):
        base: dict[str, float] = {}
        for n in counts:
            p95s = {}
            for label, root in roots.items():
                samples: list[float] = []
                loads = []
                for _ in range(args.repeat):
                    samples += asyncio.run(one_run(scenario, n, root, workdir, args.profile if label != "avant" else None))
                    loads.append(os.getloadavg()[0])
                p50, p95 = statistics.median(samples), percentile(samples, 95)
                p95s[label] = p95
                base.setdefault(label, p95)
                cpu = CPU[(scenario, n, str(root))] / n
                print(f"{scenario:9} {label:6} {n:3} sessions : p50 {p50:5.2f} s  p95 {p95:5.2f} s  max {max(samples):5.2f} s  "
                      f"p95/p95(1) {p95 / base[label]:4.1f}  CPU du serveur {cpu:5.2f} s/session  (charge {max(loads):.1f})",
                      flush=True)
            if args.compare:
                print(f"{scenario:9} {n:3} sessions : p95 après / avant = {p95s['après'] / p95s['avant']:.2f}", flush=True)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
