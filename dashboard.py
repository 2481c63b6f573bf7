"""Parcours & Impact — what `make run` starts: `streamlit run dashboard.py`.

It serves the app's script, `app/main.py`, through `st.App` (Streamlit sees the
`st.App` below and serves it with its own uvicorn runner). The script lives one
level down so that the `pages/` folder beside this file never switches Streamlit
into its legacy multipage mode (see `app/main.py`).

Signing in lasts as long as the browser session: Streamlit 1.67 sets its identity cookies (`_streamlit_user`, `_streamlit_user_tokens`
and their `_N` chunks) with `Max-Age` = 30 days, so closing the browser does not sign
the user out — not what a shared computer in a Mission Locale needs. `st.App` takes
ASGI middleware; this one removes `Max-Age`/`Expires` from those cookies when they are
set, which makes them browser-session cookies. Deletions (sign-out: `Max-Age=0`) pass
through untouched, and nothing else (health, websocket, static files, other cookies)
is changed. See docs/connexion.md.

The page speaks French: `app.french_page.FrenchPage` declares `<html lang="fr">` and
translates Streamlit's own English strings in the browser (Streamlit has no i18n).
"""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

from app.french_page import FrenchPage
from ui.preload import preload

AUTH_COOKIE_PREFIX = b"_streamlit_user"
_LIFETIME_ATTRIBUTES = {b"max-age", b"expires"}


def session_cookie(set_cookie: bytes) -> bytes:
    """A Set-Cookie value for an identity cookie without its lifetime; other values unchanged."""
    if not set_cookie.startswith(AUTH_COOKIE_PREFIX):
        return set_cookie
    name_value, *attributes = [part.strip() for part in set_cookie.split(b";")]
    lifetime = {}
    for attribute in attributes:
        key, _, value = attribute.partition(b"=")
        if key.strip().lower() in _LIFETIME_ATTRIBUTES:
            lifetime[key.strip().lower()] = value.strip()
    max_age = lifetime.get(b"max-age", b"")
    if not max_age.isdigit() or int(max_age) <= 0:  # a deletion (Max-Age=0) or no Max-Age: leave it
        return set_cookie
    kept = [a for a in attributes if a.partition(b"=")[0].strip().lower() not in _LIFETIME_ATTRIBUTES]
    return b"; ".join([name_value, *kept])


class BrowserSessionAuthCookies:
    """Pure ASGI middleware: rewrite the Set-Cookie headers of HTTP responses (websockets pass through)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_session_cookies(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (name, session_cookie(value) if name.lower() == b"set-cookie" else value)
                    for name, value in message.get("headers", [])
                ]
            await send(message)

        await self.app(scope, receive, send_with_session_cookies)


app = st.App("app/main.py", middleware=[Middleware(BrowserSessionAuthCookies), Middleware(FrenchPage)])
preload()  # the pages' modules, imported now rather than during a visitor's first click (ui/preload.py)
