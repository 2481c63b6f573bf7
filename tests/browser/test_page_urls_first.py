"""A page URL asked first never runs that page without the entry point (so without sign-in).

Streamlit 1.67 switches to its legacy multipage mode when a `pages/` folder sits
beside the script it runs (`PagesManager.uses_pages_directory`, decided once per
server process when its first session starts, from the folders alone; the first
`st.navigation` call turns it off for good). In that mode a page URL opened first
runs the page script without `app/main.py`. Our layout keeps `pages/` at the top
level and the script one level down (`dashboard.py` serves `app/main.py`); these
tests start a fresh server per mode (with sign-in, demo) and open every page of
`ui.menu.PAGES` there, each in a fresh browser session, `/` never asked: the first
session of each server is a page URL (the administration's, the most guarded).

The companion test builds the unsafe layout (a script beside `pages/`) in a temp
folder and shows that there the first page URL does run without the entry point:
Streamlit's own menu of every file of `pages/` shows to the anonymous visitor,
which the tests of the real layout forbid. (The page's own guard,
`auth.page_account(__file__)`, still asks for sign-in: a second line of defence.)

The servers are started in parallel once for the module (only `/_stcore/health`
is asked before the browser opens the page URLs: it opens no session). The unsafe
layout needs a server per URL: its first session's `st.navigation` ends the
legacy mode for the sessions after it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser_helpers import wait_for_app
from tests.support.oidc_provider import LOGIN_BUTTON, ROOT, MockProvider, StartedApp, start_streamlit, write_secrets
from ui import menu

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:get_jwt_config")]

LOAD = 30_000
DEFAULT_DEMO_ROLE = "conseiller"  # the first choice of the demo's «Rôle» select (mlimpact.vocab.ROLES)
PARALLEL_STARTS = 4
# What a page shows and the sign-in screen never does (Streamlit's test ids).
PAGE_ELEMENTS = ("stSidebarNav", "stMetric", "stDataFrame", "stTable", "stVegaLiteChart", "stTabs", "stExpander")
UNSAFE_PAGES = ("impact", "admin")  # a page every role may open, and one for the administration only


@pytest.fixture(scope="module")
def secrets_file(tmp_path_factory):
    provider = MockProvider().start()  # never contacted: nobody clicks the sign-in button here
    yield write_secrets(tmp_path_factory.mktemp("first-url-secrets"), provider)
    provider.stop()


@pytest.fixture(scope="module")
def unsafe_script(tmp_path_factory) -> Path:
    """The layout to avoid: a copy of the entry point beside a `pages` folder (a symlink to ours)."""
    folder = tmp_path_factory.mktemp("unsafe-layout")
    (folder / "pages").symlink_to(ROOT / "pages", target_is_directory=True)
    script = folder / "main.py"
    script.write_text((ROOT / "app" / "main.py").read_text(encoding="utf-8"), encoding="utf-8")
    return script


@pytest.fixture(scope="module")
def servers(demo_database, secrets_file, unsafe_script, tmp_path_factory):
    """Fresh servers: `dashboard.py` with [auth], `dashboard.py` in demo mode, the unsafe script with [auth] per URL."""
    workdir = tmp_path_factory.mktemp("first-url-apps")
    no_auth = workdir / "no-auth.toml"
    no_auth.write_text("", encoding="utf-8")
    wanted = {("auth", ""): ("dashboard.py", secrets_file, False), ("demo", ""): ("dashboard.py", no_auth, True)}
    wanted |= {("unsafe", url): (str(unsafe_script), secrets_file, False) for url in UNSAFE_PAGES}

    def start(key):
        script, secrets, demo = wanted[key]
        return key, start_streamlit(script, demo_database, workdir, secrets, demo=demo)

    started: dict[tuple[str, str], StartedApp] = {}
    try:
        with ThreadPoolExecutor(PARALLEL_STARTS) as pool:
            for key, app in pool.map(start, wanted):
                started[key] = app
        yield started
    finally:
        for app in started.values():  # all asked to stop first, then waited for
            app.process.terminate()
        for app in started.values():
            app.stop()


def open_first(browser: Browser, app: StartedApp, url: str) -> Page:
    """The page URL in a fresh browser session (on a server where `/` was never asked)."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{app.url}/{url}")
    wait_for_app(page)
    return page


def headings(page: Page) -> list[str]:
    return [text.strip() for text in page.get_by_test_id("stMain").locator("h1, h2, h3").all_inner_texts()]


# The administration's page first: on each server, the first session of all asks for it.
ORDER = sorted(menu.PAGES, key=lambda p: p.url != "admin")


@pytest.mark.parametrize("page_def", ORDER, ids=lambda p: p.url)
def test_a_page_url_first_shows_the_sign_in_only(browser: Browser, servers, page_def):
    page = open_first(browser, servers["auth", ""], page_def.url)
    try:
        expect(page.get_by_role("button", name=LOGIN_BUTTON)).to_be_visible(timeout=LOAD)
        assert headings(page) == ["Parcours & Impact"]
        for test_id in PAGE_ELEMENTS:
            expect(page.get_by_test_id(test_id)).to_have_count(0)
        expect(page.get_by_text("n'est pas accessible avec votre rôle")).to_have_count(0)
        assert page.title() == "Parcours & Impact"  # the entry point's st.set_page_config ran
    finally:
        page.context.close()


@pytest.mark.parametrize("page_def", ORDER, ids=lambda p: p.url)
def test_a_page_url_first_in_demo_mode_asks_for_a_role(browser: Browser, servers, page_def):
    page = open_first(browser, servers["demo", ""], page_def.url)
    try:
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_role("combobox", name="Rôle")).to_be_visible(timeout=LOAD)
        links = sidebar.get_by_test_id("stSidebarNav").get_by_role("link")
        expect(links).to_have_count(len(menu.pages_for(DEFAULT_DEMO_ROLE)))
        if DEFAULT_DEMO_ROLE not in page_def.roles:
            assert not any(h.startswith(page_def.titre) for h in headings(page)), headings(page)
            expect(links.filter(has_text=page_def.titre)).to_have_count(0)
    finally:
        page.context.close()


@pytest.mark.parametrize("url", UNSAFE_PAGES)
def test_the_unsafe_layout_runs_the_page_without_the_entry_point(browser: Browser, servers, url):
    """What the tests above would catch: Streamlit's legacy menu of every file, the entry point skipped."""
    page = open_first(browser, servers["unsafe", url], url)
    try:
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav).to_be_visible(timeout=LOAD)
        expect(nav.get_by_role("link")).to_have_count(len(menu.PAGES) + 1)  # main.py and every page file
        assert page.title() != "Parcours & Impact"  # the entry point's st.set_page_config never ran
    finally:
        page.context.close()
