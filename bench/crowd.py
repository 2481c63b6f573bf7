"""A meeting of N people, each on their own computer: one real browser and N − 1 other sessions on the wire.

    .venv/bin/python bench/crowd.py [--sessions 1,10,20] [--scenario impact,jalon,national] [--repeat 1] [--avant-la-reunion]
                                    [--etale SECONDES] [--processus N] [--profile PREFIX [--frequence HZ]]

`bench/sessions.py` runs N Chromium pages on this 2-core machine: the N
browsers drawing the page then cost more CPU than the server, which is not what
twenty people at a meeting, each on their own laptop, put on the server. Here
the server gets exactly the load of N people, and the browser work of one:

1. a real Chromium session does the scenario once, on its own, while every
   frame it sends on Streamlit's websocket is recorded (the protocol's
   `BackMsg`: the reruns with the widgets' values, the page asked);
2. then, on a fresh server, N − 1 *wire sessions* (a websocket each, as a
   browser opens one) replay those frames to sign in and reach the page, and a
   real Chromium session does the same in the browser; at one moment all N do
   the scenario's gesture.

Timed: for the browser, by the page's own clock (`bench/page_clock.js`), from
the click to the content drawn after the server's end of the run
(`script_finished` as the page received it, the page no longer stale, two frames
painted); for a wire session, from its gesture's frame to the server's
`script_finished`, plus what the browser spent drawing after its own
`script_finished` (each person's own computer draws their page). Before
06/12/2026 the browser was timed from Python through Playwright, whose round
trips (click, waits) counted too: 0.05–0.1 s alone, up to four tenths of a second on
the loaded machine, added to the browser and, through the drawing, to every wire
session. Both are printed, the page's clock first: p50, p95 and max of the N,
the browser's own time, the server's CPU per session during the gestures, the
load average, and how busy the machine's cores were meanwhile (of which the real
Chromium and this benchmark's client). In the `jalon` scenario
each wire session saves a jalon on its own young person (the recorded frames
with the identifier replaced). `--etale 60`: the N gestures at moments drawn
over a minute (the same moments every run) instead of the same second.
`--processus 2`: the server as `make run` starts it on two cores, `mlimpact serve`
with two Streamlit processes behind one port (the wire sessions, without cookie,
take the processes in turn; the browser keeps its own).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
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

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.app import start_app
from bench.sessions import (
    CHROMIUM,
    SETTLED,
    cpu_seconds,
    demo_store,
    gesture,
    jeunes,
    percentile,
    prepare,
    stat_fields,
    stat_seconds,
)

SCENARIOS = ("impact", "jalon", "national")
RUNS = itertools.count()
PAGE_CLOCK = Path(__file__).with_name("page_clock.js")
READY = {  # what the page shows once the gesture's result is drawn (as `bench.sessions.gesture` waits for it)
    "impact": {"css": "[data-testid=stMetric]", "text": "Impact de l'accompagnement"},
    "jalon": {"text": "Jalon enregistré"},
    "national": {"css": "[data-testid=stVegaLiteChart] svg, [data-testid=stVegaLiteChart] canvas"},
}
NEXT_PAINT = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"  # drawn on screen


class Recorder:
    """The BackMsg frames a page sends on Streamlit's websocket, and when the server said each run finished."""

    def __init__(self, page):
        self.frames: list[bytes] = []
        self.finished_at: list[float] = []
        page.on("websocket", self._socket)

    def _socket(self, ws) -> None:
        if not ws.url.endswith("/_stcore/stream"):
            return
        ws.on("framesent", lambda payload: self.frames.append(payload if isinstance(payload, bytes) else payload.encode()))
        ws.on("framereceived", self._received)

    def _received(self, payload) -> None:
        if isinstance(payload, bytes) and finished(payload):
            self.finished_at.append(time.perf_counter())


def machine_busy() -> float:
    """Seconds of CPU the whole machine has spent so far, all cores and all jobs (Linux /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def others_cpu() -> dict[str, float]:
    """CPU seconds so far of the other programs of the meeting on this machine: the real browser (every Chromium
    process) and this benchmark's own client (the wire sessions, Playwright's driver)."""
    out = {"chromium": 0.0, "client": 0.0}
    me = os.getpid()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            name = (proc / "comm").read_text().strip()
            fields = stat_fields(proc.name)
        except OSError:
            continue
        seconds = stat_seconds(fields)
        if name.startswith(("chromium", "chrome")):
            out["chromium"] += seconds
        elif int(proc.name) == me or (name == "node" and int(fields[1]) == me):
            out["client"] += seconds
    return out


def finished(payload: bytes) -> bool:
    """A ForwardMsg saying a run (whole script or fragment) ended."""
    msg = ForwardMsg()
    try:
        msg.ParseFromString(payload)
    except Exception:
        return False
    return msg.WhichOneof("type") == "script_finished"


def reruns(frames: list[bytes]) -> list[bytes]:
    """The frames that start a run (what a replay must wait on), the heartbeats and the like left out."""
    out = []
    for frame in frames:
        msg = BackMsg()
        msg.ParseFromString(frame)
        if msg.WhichOneof("type") == "rerun_script":
            out.append(frame)
    return out


async def record(scenario: str, base: str, jeune: str | None) -> tuple[list[bytes], int]:
    """The scenario done once in Chromium: (every rerun frame, how many of them belong to the preparation)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await (await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")).new_page()
        page.set_default_timeout(300_000)
        recorder = Recorder(page)
        await prepare(scenario, page, base, jeune)
        before = len(reruns(recorder.frames))
        await gesture(scenario, page)
        await browser.close()
    return reruns(recorder.frames), before


class Wire:
    """One session on the websocket, as a browser holds it, sending recorded frames."""

    def __init__(self, base: str):
        self.url = base.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.ws = None
        self.runs_finished = 0
        self.finished_at = 0.0  # when the last end of a run was received
        self.received = 0  # bytes: a wire session gets the whole page, as a browser does

    async def open(self) -> None:
        import websockets

        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None,
                                           origin=self.url.replace("ws://", "http://").split("/_stcore")[0])
        self._reader = asyncio.create_task(self._read())
        self._event = asyncio.Event()

    async def _read(self) -> None:
        async for payload in self.ws:
            self.received += len(payload)
            if isinstance(payload, bytes) and finished(payload):
                self.runs_finished += 1
                self.finished_at = time.perf_counter()
                self._event.set()

    async def run(self, frame: bytes, timeout: float = 600) -> float:
        """Send one rerun frame; seconds until the server says that run finished."""
        start = time.perf_counter()
        self._event.clear()
        await self.ws.send(frame)
        await asyncio.wait_for(self._event.wait(), timeout)
        # a run that ends early for a rerun is followed by the rerun's own end: wait for the server to go quiet,
        # then count to the last end received (not to the quiet timer's wake-up, late on a loaded machine)
        while True:
            self._event.clear()
            try:
                await asyncio.wait_for(self._event.wait(), 0.3)
            except TimeoutError:
                return self.finished_at - start

    async def close(self) -> None:
        self._reader.cancel()
        await self.ws.close()


async def one_run(scenario: str, n: int, workdir: Path, profile: str | None = None, ahead: bool = False, spread: float = 0,
                  processes: int = 1, rate: int = 100) -> dict:
    from playwright.async_api import async_playwright

    tag = f"{scenario}-{n}-{next(RUNS)}"  # a store of its own for each run: a repeated jalon would be a doublon
    url = demo_store(ROOT, workdir / f"{tag}-record.db")
    process, base = start_app(url, workdir / f"{tag}-record.log")
    idents = jeunes(url, n) if scenario == "jalon" else [None] * n
    try:
        frames, before = await record(scenario, base, idents[-1])
    finally:
        process.terminate()
        process.wait(timeout=20)
    url = demo_store(ROOT, workdir / f"{tag}.db")  # a fresh store and server: the recording left nothing behind
    process, base = start_app(url, workdir / f"{tag}.log", processes=processes)
    try:
        if ahead:  # someone opened the page before the meeting: the figures are computed, the charts built
            first = Wire(base)
            await first.open()
            await replay(first, frames)
            await first.close()
        wires = [Wire(base) for _ in range(n - 1)]
        for w in wires:
            await w.open()
        own = [[f.replace(idents[-1].encode(), j.encode()) if j else f for f in frames] for j in idents[:-1]]
        await asyncio.gather(*(replay(w, f[:before]) for w, f in zip(wires, own, strict=True)))
        received = [w.received for w in wires]
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = await (await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")).new_page()
            page.set_default_timeout(300_000)
            recorder = Recorder(page)
            await page.add_init_script(path=str(PAGE_CLOCK))
            await prepare(scenario, page, base, idents[-1])
            spy = None
            if profile:  # py-spy on the server while the gestures run (`--profile`)
                command = [shutil.which("py-spy") or "py-spy", "record", "--gil", "-r", str(rate), "-p", str(process.pid), "-f", "raw",
                           "-o", f"{profile}-{scenario}-{n}.txt", *(["--subprocesses"] if processes > 1 else [])]
                spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: ASYNC220
                await asyncio.sleep(1)
            cpu_before, machine_before, others_before = cpu_seconds(process.pid), machine_busy(), others_cpu()
            gestures_began = time.perf_counter()
            moments = random.Random(n).sample(range(1000), n)  # each gesture's moment in the spread, the same every run
            results = await asyncio.gather(
                after(spread * moments[0] / 1000, timed_browser(scenario, page, recorder)),
                *(after(spread * m / 1000, replay(w, f[before:])) for m, w, f in zip(moments[1:], wires, own, strict=True)),
            )
            cpu = cpu_seconds(process.pid) - cpu_before
            gestures_seconds = time.perf_counter() - gestures_began
            busy = (machine_busy() - machine_before) / gestures_seconds  # cores busy on average, everything counted
            others = {name: (seconds - others_before.get(name, 0.0)) / gestures_seconds for name, seconds in others_cpu().items()}
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=30)
            began, (browser_seconds, clock) = results[0]
            ends = [t for t in recorder.finished_at if t >= began]
            drawing = max(0.0, began + browser_seconds - ends[-1]) if ends else 0.0
            await browser.close()
        gesture_bytes = [w.received - r for w, r in zip(wires, received, strict=True)]
        for w in wires:
            await w.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
    on_page = (clock["drawn"] - clock["clicked"]) / 1000  # the page's own clock (`bench/page_clock.js`)
    drawing_on_page = (clock["drawn"] - clock["finished"]) / 1000
    return {
        "browser": on_page, "drawing": drawing_on_page, "all": [on_page, *(sum(r) + drawing_on_page for _, r in results[1:])],
        # the same gestures timed from Python through Playwright, as before 06/12/2026: its round trips included
        "browser_playwright": browser_seconds, "drawing_playwright": drawing,
        "all_playwright": [browser_seconds, *(sum(r) + drawing for _, r in results[1:])],
        "busy": busy, "others": others,
        "cpu": cpu / n, "octets": statistics.median(gesture_bytes) if gesture_bytes else 0,
    }


async def timed_browser(scenario: str, page, recorder: Recorder) -> tuple[float, dict]:
    """The browser's gesture, ended when the page is drawn after the server's end of the run (no fixed pause):
    (seconds as Playwright saw them, the page's own clock: clicked, finished, drawn in ms)."""

    async def drawn(start: float) -> None:
        while not any(t >= start for t in recorder.finished_at):
            await asyncio.sleep(0.005)
        await page.wait_for_function(SETTLED, timeout=180_000)
        await page.evaluate(NEXT_PAINT)

    await page.evaluate("ready => window.__horloge.arm(ready)", READY[scenario])
    seconds = await gesture(scenario, page, drawn)
    await page.wait_for_function("() => window.__horloge.result !== null", timeout=180_000)
    return seconds, await page.evaluate("() => window.__horloge.result")


async def after(seconds: float, gesture):
    """The gesture at its moment of the spread (`--etale`): (when it began, what it returns)."""
    await asyncio.sleep(seconds)
    began = time.perf_counter()
    return began, await gesture


async def replay(wire: Wire, frames: list[bytes]) -> list[float]:
    return [await wire.run(f) for f in frames]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="1,10,20")
    parser.add_argument("--scenario", default=",".join(SCENARIOS))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--avant-la-reunion", action="store_true",
                        help="Une session a déjà fait le geste avant les N (la page a été ouverte avant la réunion).")
    parser.add_argument("--etale", type=float, default=0, metavar="SECONDES",
                        help="Les N gestes à des moments tirés dans cette durée, au lieu de la même seconde.")
    parser.add_argument("--processus", type=int, default=1,
                        help="Le serveur comme `make run` le lance avec `mlimpact serve --processus N` (1 : un seul processus Streamlit).")
    parser.add_argument("--frequence", type=int, default=100, metavar="HZ", help="Samples per second of --profile.")
    parser.add_argument("--profile", help="py-spy (on the PATH) records the thread holding the GIL (so where the CPU goes, not who waits) during the gestures: PREFIX-scenario-N.txt")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-crowd-"))
    print(f"{os.cpu_count()} cœurs ; charge au départ {os.getloadavg()[0]:.1f}", flush=True)
    for scenario in args.scenario.split(","):
        for n in (int(x) for x in args.sessions.split(",")):
            samples, browsers, cpus, drawings, octets = [], [], [], [], []
            samples_pw, browsers_pw, drawings_pw, busy = [], [], [], []
            for _ in range(args.repeat):
                r = asyncio.run(one_run(scenario, n, workdir, args.profile, args.avant_la_reunion, args.etale, args.processus,
                                         args.frequence))
                samples += r["all"]
                browsers.append(r["browser"])
                cpus.append(r["cpu"])
                drawings.append(r["drawing"])
                samples_pw += r["all_playwright"]
                browsers_pw.append(r["browser_playwright"])
                drawings_pw.append(r["drawing_playwright"])
                octets.append(r["octets"])
                busy.append((r["busy"], r["others"]))
            print(f"{scenario:9} {n:3} sessions, {args.processus} processus : p50 {statistics.median(samples):5.2f} s  p95 {percentile(samples, 95):5.2f} s  "
                  f"max {max(samples):5.2f} s  navigateur {max(browsers):5.2f} s (dont dessin {max(drawings):4.2f} s)  "
                  f"CPU du serveur {max(cpus):4.2f} s/session  reçu par session {max(octets) / 1e3:6.0f} ko  "
                  f"(charge {os.getloadavg()[0]:.1f})", flush=True)
            print(f"{'':9} pendant les gestes, cœurs occupés sur {os.cpu_count()} : "
                  + " ; ".join(f"{b:.2f} (Chromium {o['chromium']:.2f}, client du banc {o['client']:.2f})" for b, o in busy), flush=True)
            print(f"{'':9} vu par Playwright : p50 {statistics.median(samples_pw):5.2f} s  p95 {percentile(samples_pw, 95):5.2f} s  "
                  f"max {max(samples_pw):5.2f} s  navigateur {max(browsers_pw):5.2f} s (dont dessin {max(drawings_pw):4.2f} s)", flush=True)


if __name__ == "__main__":
    main()
