"""The ASGI middleware that serves Streamlit's page in French (app/french_page.py), on a stand-in app."""

from __future__ import annotations

import asyncio
import concurrent.futures

from app.french_page import FrenchPage, french_document

PAGE = b'<!doctype html><html lang="en"><head><meta charset="UTF-8"></head><body><div id="root"></div></body></html>'


def serve(body: bytes, content_type: bytes, path: str = "/", accept: bytes = b"text/html", chunks: int = 1):
    """What the middleware sends for one request to an app answering `body`; and the headers the app saw."""
    seen: dict = {}

    async def app(scope, receive, send):
        seen["headers"] = dict(scope["headers"])
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]})
        step = max(1, len(body) // chunks)
        parts = [body[i:i + step] for i in range(0, len(body), step)] or [b""]
        for i, part in enumerate(parts):
            await send({"type": "http.response.body", "body": part, "more_body": i < len(parts) - 1})

    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request"}

    scope = {"type": "http", "method": "GET", "path": path,
             "headers": [(b"accept", accept), (b"accept-encoding", b"gzip, br")]}
    # A thread of its own: in the whole suite, Playwright's sync API keeps an event loop running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, FrenchPage(app)(scope, receive, send)).result()
    headers = dict(sent[0]["headers"])
    return headers, b"".join(m.get("body", b"") for m in sent[1:]), seen["headers"]


def test_the_document_says_french_and_carries_the_script():
    headers, body, asked = serve(PAGE, b"text/html; charset=utf-8", chunks=3)
    assert body.startswith(b'<!doctype html><html lang="fr"><head><script id="mlimpact-francais">')
    assert b"Choisissez une option" in body and b'<div id="root"></div>' in body
    assert int(headers[b"content-length"]) == len(body)
    assert b"accept-encoding" not in asked  # asked uncompressed, so that it can be rewritten


def test_other_responses_pass_through_untouched():
    script = b"console.log('Choose an option')"
    headers, body, asked = serve(script, b"application/javascript", path="/static/js/main.js", accept=b"*/*")
    assert body == script and headers[b"content-length"] == str(len(script)).encode()
    assert asked[b"accept-encoding"] == b"gzip, br"


def test_rewriting_twice_changes_nothing_more():
    once = french_document(PAGE)
    assert french_document(once) == once
    assert french_document(b"<html><head></head></html>").startswith(b'<html lang="fr"><head><script')
