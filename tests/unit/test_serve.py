"""`mlimpact serve`'s front (`mlimpact.serve`): each browser's requests reach its own process, on real sockets.

Two small HTTP servers stand for two Streamlit processes; each answers with its number and what it received.
The real app behind the real front is in tests/browser/test_browser_conseiller.py (upload, download, two
browsers); the command's own errors are at the end of this file.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import threading

import pytest

from mlimpact.serve import (
    COOKIE,
    Router,
    cookie_process,
    free_port,
    front,
    headers,
    is_document,
    one_request,
    with_cookie,
)

DOCUMENT = b"GET / HTTP/1.1\r\nHost: x\r\nAccept: text/html,application/xhtml+xml\r\nSec-Fetch-Dest: document\r\nConnection: keep-alive\r\n\r\n"
SCRIPT = b"GET /static/js/main.js HTTP/1.1\r\nHost: x\r\nAccept: */*\r\nSec-Fetch-Dest: script\r\nConnection: keep-alive\r\n\r\n"


def with_header(request: bytes, line: str) -> bytes:
    return request[:-2] + line.encode() + b"\r\n\r\n"


# --- routing ---------------------------------------------------------------------------------------------------
def test_a_cookie_naming_a_process_sends_every_request_there():
    router = Router(2)
    for request in (DOCUMENT, SCRIPT, b"PUT /_stcore/upload_file/s/f HTTP/1.1\r\nHost: x\r\n\r\n"):
        assert router.route(with_header(request, f"Cookie: a=b; {COOKIE}=1; c=d")) == (1, False)


@pytest.mark.parametrize("value", ["2", "-1", "01x", "", "1; Path=/", "１", "9" * 40])
def test_a_cookie_naming_no_process_is_ignored(value):
    assert cookie_process(headers(with_header(SCRIPT, f"Cookie: {COOKIE}={value}")), 2) in (None, 1)
    assert cookie_process(headers(with_header(SCRIPT, f"Cookie: {COOKIE}={value}")), 2) != 2


def test_without_cookie_requests_take_turns_and_only_the_page_sets_it():
    router = Router(2)
    assert [router.route(SCRIPT)[0] for _ in range(4)] == [0, 1, 0, 1]
    assert router.route(DOCUMENT) == (0, True)
    assert router.route(b"GET /_stcore/stream HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")[1] is False
    assert is_document(headers(b"GET / HTTP/1.1\r\nAccept: text/html\r\n\r\n"))  # a client without Sec-Fetch headers


def test_each_connection_carries_one_request_but_a_websocket_keeps_its_upgrade():
    once = one_request(with_header(DOCUMENT, "Keep-Alive: timeout=5"))
    assert headers(once)["connection"] == "close" and "keep-alive" not in headers(once)
    assert once.startswith(b"GET / HTTP/1.1\r\n") and once.endswith(b"\r\n\r\n")
    upgrade = b"GET /_stcore/stream HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
    assert one_request(upgrade) == upgrade
    cookie = with_cookie(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", 1)
    assert cookie == b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie: mli_processus=1; Path=/; HttpOnly; SameSite=Lax\r\n\r\n"


# --- the front on real sockets ----------------------------------------------------------------------------------
async def process_stub(number: int, seen: list):
    """An HTTP server answering `process N` (and echoing a websocket's bytes after a 101)."""

    async def handle(reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append((number, head))
        if b"Upgrade: websocket" in head:
            writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            while data := await reader.read(100):
                writer.write(data.upper())
                await writer.drain()
        else:
            body = f"process {number}".encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


async def ask(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


def on_own_loop(scenario) -> None:
    """Run a scenario on a thread of its own: in a worker that already ran a browser test, Playwright's sync API
    keeps an event loop running on the main thread, where `asyncio.run` refuses to start (it failed CI so)."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(scenario)
        except BaseException as error:  # handed back to the test's thread, with its traceback
            failure.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "le scénario n'a pas fini en 60 s"
    if failure:
        raise failure[0]


@contextlib.asynccontextmanager
async def running_front(processes: int = 2, dead: int = 0):
    seen: list = []
    stubs = [await process_stub(i, seen) for i in range(processes)]
    ports = [s.sockets[0].getsockname()[1] for s in stubs] + [free_port() for _ in range(dead)]  # nobody listens there
    port, ready = free_port(), asyncio.Event()
    task = asyncio.create_task(front("127.0.0.1", port, ports, ready))
    await ready.wait()
    try:
        yield port, seen
    finally:
        task.cancel()
        for s in stubs:
            s.close()


def test_the_front_routes_sets_the_cookie_once_and_closes_each_request():
    async def scenario():
        async with running_front() as (port, seen):
            page = await ask(port, DOCUMENT)
            assert page.endswith(b"process 0") and f"Set-Cookie: {COOKIE}=0".encode() in page
            assert b"Connection: close" in seen[-1][1] and b"keep-alive" not in seen[-1][1]
            assert (await ask(port, SCRIPT)).endswith(b"process 1")  # no cookie yet: in turn
            assert b"Set-Cookie" not in await ask(port, SCRIPT)  # only the page sets it
            for _ in range(3):  # with the cookie: always its process, never set again
                answer = await ask(port, with_header(SCRIPT, f"Cookie: {COOKIE}=1"))
                assert answer.endswith(b"process 1") and b"Set-Cookie" not in answer

    on_own_loop(scenario())


def test_a_websocket_is_relayed_both_ways_on_its_process():
    async def scenario():
        async with running_front() as (port, seen):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET /_stcore/stream HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nCookie: {COOKIE}=1\r\n\r\n".encode())
            assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
            for frame in (b"bonjour", b"jalon"):
                writer.write(frame)
                await writer.drain()
                assert await asyncio.wait_for(reader.readexactly(len(frame)), 10) == frame.upper()
            writer.close()
            assert [n for n, _ in seen] == [1]

    on_own_loop(scenario())


def test_a_stopped_process_or_a_garbled_request_gets_a_french_answer():
    async def scenario():
        async with running_front(processes=1, dead=1) as (port, _):
            down = await ask(port, with_header(SCRIPT, f"Cookie: {COOKIE}=1"))
            assert down.startswith(b"HTTP/1.1 503") and "réessayez".encode() in down
            garbled = await ask(port, b"\x00\xff" * 40_000)  # no end of head within the limit
            assert garbled.startswith(b"HTTP/1.1 400") and b"illisible" in garbled
            assert (await ask(port, DOCUMENT)).endswith(b"process 0")  # the front goes on

    on_own_loop(scenario())


# --- the command ----------------------------------------------------------------------------------------------------
def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlimpact.cli", "serve", *args], capture_output=True, text=True, timeout=240)


def test_the_command_refuses_a_bad_number_of_processes_in_french():
    result = run_cli("--processus", "0")
    assert result.returncode == 2 and "Erreur d'utilisation" in result.stderr and "Traceback" not in result.stderr


def test_a_port_already_taken_is_said_in_french(tmp_path):
    """Also: the private folder the processes shared (`ui.partage`) is removed when the command stops."""
    (tmp_path / "tmp").mkdir()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "mlimpact.cli", "serve", "--processus", "1", "--port", str(port), "--adresse", "127.0.0.1",
             "--server.fileWatcherType", "none"],
            capture_output=True, text=True, timeout=240,
            env={**os.environ, "MLIMPACT_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "TMPDIR": str(tmp_path / "tmp")},
        )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "impossible d'écouter" in result.stdout and "Traceback" not in result.stdout + result.stderr
    assert not list((tmp_path / "tmp").glob("mlimpact-partage-*"))
