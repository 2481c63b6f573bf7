"""Serve the app with several Streamlit processes behind one port (`mlimpact serve`, what `make run` starts).

Why: one Streamlit process runs every session's script in one Python interpreter, so its sessions share one
core (the GIL). Twenty conseillers saving a jalon in the same second queued for twice the single-save time
of the whole group (docs/benchmarks.md). N processes use N cores.

A session lives in the memory of the process that holds its websocket; its uploads
(`/_stcore/upload_file/…`) and files (`/media/…`) must reach that same process. The front here reads
each request's head, sends it to the process named by the `mli_processus` cookie, and sets that cookie
on the page itself (the document request of a browser that has none). Requests without the cookie (the
page's scripts and styles, a client without cookies) go to each process in turn. Each connection carries
one request (`Connection: close`): a connection opened before the cookie was set is never reused for a
request that needs the session's process. A websocket stays on the process it opened on.

All processes share the database; what one writes, the others read at their next look at the data
version (`ui.cache.data_version`, at most 5 s). A shared cookie secret lets a signed cookie (sign-in,
XSRF) be read by any of them. A private folder, made at start and removed at stop, lets them compute a
page's results once for all (`ui.partage`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from mlimpact.config import ENV_SHARED_DIR

COOKIE = "mli_processus"
HEAD_LIMIT = 64 * 1024  # bytes of a request's head: beyond, the request is refused
STARTUP_SECONDS = 180
BUSY = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
BAD = b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"


def default_processes() -> int:
    """One process per core, at most four (each holds its own caches)."""
    return max(1, min(4, os.cpu_count() or 1))


# --- routing: pure functions over a request's head -------------------------------------------------------------
def headers(head: bytes) -> dict[str, str]:
    """The header fields of a request or response head, names in lower case (the last of a repeated one)."""
    out = {}
    for line in head.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            out[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return out


def cookie_process(fields: dict[str, str], count: int) -> int | None:
    """The process named by the request's cookie, if it names one of the `count`."""
    for part in fields.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and value.isdigit() and int(value) < count:
            return int(value)
    return None


def is_document(fields: dict[str, str]) -> bool:
    """A browser asking for the page itself (not a script, a style, an upload or a websocket)."""
    if fields.get("sec-fetch-dest"):
        return fields["sec-fetch-dest"] == "document"
    return "text/html" in fields.get("accept", "") and "upgrade" not in fields


@dataclass
class Router:
    """Which process serves a request, and whether its response sets the cookie."""

    count: int
    turn: itertools.count = field(default_factory=itertools.count)

    def route(self, head: bytes) -> tuple[int, bool]:
        fields = headers(head)
        named = cookie_process(fields, self.count)
        if named is not None:
            return named, False
        return next(self.turn) % self.count, is_document(fields)


def one_request(head: bytes) -> bytes:
    """The head with `Connection: close` (one request per connection), a websocket's upgrade left as it is."""
    lines = head.rstrip(b"\r\n").split(b"\r\n")
    if "upgrade" in headers(head):
        return head
    kept = [line for line in lines[1:] if line.partition(b":")[0].strip().lower() not in (b"connection", b"keep-alive")]
    return b"\r\n".join([lines[0], *kept, b"Connection: close"]) + b"\r\n\r\n"


def with_cookie(response_head: bytes, process: int) -> bytes:
    """The response head with the cookie naming its process (for the browser's session; HttpOnly)."""
    line = f"Set-Cookie: {COOKIE}={process}; Path=/; HttpOnly; SameSite=Lax".encode()
    return response_head[: -len(b"\r\n\r\n")] + b"\r\n" + line + b"\r\n\r\n"


# --- the front: one asyncio server relaying bytes ------------------------------------------------------------
async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def _response(upstream: asyncio.StreamReader, client: asyncio.StreamWriter, process: int) -> None:
    """The first response head with the cookie, then the rest as it comes."""
    try:
        head = await upstream.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        client.close()
        return
    client.write(with_cookie(head, process))
    await _pipe(upstream, client)


async def relay(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter, router: Router, ports: list[int]) -> None:
    """One client connection: read its request's head, open the chosen process, relay both ways."""
    try:
        head = await client_r.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        with contextlib.suppress(Exception):
            client_w.write(BAD + "Requête illisible.\n".encode())
            client_w.close()
        return
    process, set_cookie = router.route(head)
    try:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", ports[process], limit=HEAD_LIMIT)
    except OSError:
        client_w.write(BUSY + "L'application redémarre ou est arrêtée ; réessayez dans un instant.\n".encode())
        client_w.close()
        return
    up_w.write(one_request(head))
    forward = asyncio.create_task(_pipe(client_r, up_w))  # a request's body, a websocket's frames
    await (_response(up_r, client_w, process) if set_cookie else _pipe(up_r, client_w))
    forward.cancel()  # the process has answered and closed (or the websocket ended)


async def front(address: str, port: int, ports: list[int], ready: asyncio.Event | None = None) -> None:
    """Accept connections on (address, port) until cancelled."""
    router = Router(len(ports))
    server = await asyncio.start_server(lambda r, w: relay(r, w, router, ports), address, port, limit=HEAD_LIMIT,
                                        reuse_address=True)
    if ready is not None:
        ready.set()
    async with server:
        await server.serve_forever()


# --- the processes -----------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def process_env(shared: str | None) -> dict[str, str]:
    """The processes' environment: this one, one cookie secret for all, and the shared folder when given."""
    env = {**os.environ}
    env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_hex(32))
    if shared:
        env[ENV_SHARED_DIR] = shared
    return env


def start_processes(count: int, script: Path, streamlit_args: list[str], shared: str | None = None
                    ) -> tuple[list[subprocess.Popen], list[int]]:
    """`count` Streamlit processes of `script` on free ports of 127.0.0.1, sharing one cookie secret and, when
    given, the private folder `shared` where they share a page's results (`ui.partage`)."""
    env = process_env(shared)
    ports = [free_port() for _ in range(count)]
    processes = [
        subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), *streamlit_args, "--server.port", str(p),
                          "--server.address", "127.0.0.1", "--server.headless", "true"], env=env)
        for p in ports
    ]
    return processes, ports


def wait_healthy(processes: list[subprocess.Popen], ports: list[int], seconds: float = STARTUP_SECONDS) -> str | None:
    """None once every process answers its health check, or why not (in French)."""
    deadline = time.monotonic() + seconds
    waiting = set(range(len(ports)))
    while waiting:
        for i in list(waiting):
            if processes[i].poll() is not None:
                return f"le processus {i + 1} de l'application s'est arrêté au démarrage (code {processes[i].returncode})."
            if healthy(ports[i]):
                waiting.discard(i)
        if time.monotonic() > deadline:
            return f"l'application n'a pas démarré en {seconds:.0f} s."
        time.sleep(0.3)
    return None


async def _watch(processes: list[subprocess.Popen]) -> int:
    """Until one process stops: its number (every process is needed: its sessions live in it)."""
    while True:
        for i, p in enumerate(processes):
            if p.poll() is not None:
                return i
        await asyncio.sleep(1)


def stop(processes: list[subprocess.Popen]) -> None:
    for p in processes:
        if p.poll() is None:
            p.terminate()
    for p in processes:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def serve(count: int, address: str, port: int, script: Path, streamlit_args: list[str], say=print) -> int:
    """Start the processes, then the front; until interrupted or a process stops. Exit status as the CLI's."""
    def interrupted(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)  # stopped while starting: the processes are stopped too (finally)
    shared = tempfile.mkdtemp(prefix="mlimpact-partage-")  # mode 0700: the server's own, removed when it stops
    processes, ports = start_processes(count, script, streamlit_args, shared)
    try:
        problem = wait_healthy(processes, ports)
        if problem:
            say(f"Erreur : {problem} Lisez les messages ci-dessus.")
            return 2

        async def main() -> int:
            front_task = asyncio.create_task(front(address, port, ports))
            watch_task = asyncio.create_task(_watch(processes))
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, front_task.cancel)
            say(f"Parcours & Impact : http://{'localhost' if address in ('0.0.0.0', '') else address}:{port} "
                f"({count} processus).")
            done, _ = await asyncio.wait({front_task, watch_task}, return_when=asyncio.FIRST_COMPLETED)
            if watch_task in done:
                front_task.cancel()
                say(f"Erreur : le processus {watch_task.result() + 1} de l'application s'est arrêté ; tout est arrêté. "
                    "Relancez la commande.")
                return 1
            watch_task.cancel()
            if front_task.cancelled():
                return 0
            exc = front_task.exception()
            if isinstance(exc, OSError):
                say(f"Erreur : impossible d'écouter sur {address}:{port} ({exc.strerror}). Choisissez un autre port.")
                return 2
            return 0

        return asyncio.run(main())
    except KeyboardInterrupt:
        return 0
    finally:
        stop(processes)
        shutil.rmtree(shared, ignore_errors=True)
