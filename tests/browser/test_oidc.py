"""Sign-in end to end: a real OIDC provider on loopback, the real app, Chromium.

The provider (oidc-provider-mock, see tests/oidc_provider.py) and the app are
started once for the module. The app runs WITHOUT MLIMPACT_DEMO, with an [auth]
section pointing at the provider, on a copy of the demo store in which accounts
are created with `save_account`. If the provider cannot start, the fixture raises
and the tests fail: nothing here is skipped.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from mlimpact import accounts
from mlimpact.db import make_engine
from mlimpact.overview import overview
from presentation.formats import entier
from tests.support.browser_helpers import wait_for_app
from tests.support.oidc_provider import (
    LOGIN_BUTTON,
    LOGOUT_BUTTON,
    MockProvider,
    sign_in,
    sign_out,
    start_streamlit,
    write_secrets,
)

pytestmark = [
    pytest.mark.browser,
    # oidc-provider-mock runs in this process and still calls an Authlib API that Authlib 1.9 deprecates.
    pytest.mark.filterwarnings("ignore:get_jwt_config"),
]

STRUCTURE = "ML84001"  # Mission Locale Vaucluse Nord (sample_data/demo/structures.csv)
DIRECTION_SUB = "pc-3f9a1c-direction"  # opaque, as ProConnect's `sub`
DIRECTION_EMAIL = "Direction.Vaucluse-Nord@mission-locale.example"  # mixed case: the store keeps it lower-cased
STRANGER_SUB = "pc-77b02e-sans-compte"
STRANGER_EMAIL = "sans.compte@mission-locale.example"
UNVERIFIED_SUB = "pc-51d0e4-non-verifiee"  # asserts the direction's address, without having verified it
USER_COOKIE = "_streamlit_user"
# The first run after a page load can take a while (a fresh Streamlit process, parallel workers).
LOAD = 30_000


# --- module fixtures: one provider, one store, the apps ----------------------------------------------
@pytest.fixture(scope="module")
def provider():
    mock = MockProvider().start()
    mock.add_user(DIRECTION_SUB, email=DIRECTION_EMAIL, email_verified=True, given_name="Camille", usual_name="Martin")
    mock.add_user(STRANGER_SUB, email=STRANGER_EMAIL, email_verified=True, given_name="Dominique", usual_name="Durand")
    mock.add_user(UNVERIFIED_SUB, email=DIRECTION_EMAIL.lower(), email_verified=False, given_name="Claude", usual_name="Faux")
    yield mock
    mock.stop()


@pytest.fixture(scope="module")
def oidc_database(demo_database, tmp_path_factory) -> str:
    """A copy of the demo store with one account: the direction of STRUCTURE."""
    source = Path(demo_database.removeprefix("sqlite:///"))
    target = tmp_path_factory.mktemp("oidc-store") / "store.db"
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)  # consistent even if another process has the demo store open
    url = f"sqlite:///{target}"
    engine = make_engine(url)
    with engine.begin() as conn:
        accounts.save_account(conn, DIRECTION_EMAIL, "directeur", code_structure=STRUCTURE, auteur="test_oidc")
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def secrets_file(provider, tmp_path_factory) -> Path:
    return write_secrets(tmp_path_factory.mktemp("oidc-secrets"), provider)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("oidc-apps")


@pytest.fixture(scope="module")
def oidc_app(oidc_database, secrets_file, workdir):
    """`streamlit run app/main.py` with [auth], MLIMPACT_DEMO removed from the environment."""
    app = start_streamlit("app/main.py", oidc_database, workdir, secrets_file)
    yield app
    app.stop()


@pytest.fixture(scope="module")
def oidc_app_demo_env(oidc_database, secrets_file, workdir):
    """The same configuration, but with MLIMPACT_DEMO=1 in the environment."""
    app = start_streamlit("app/main.py", oidc_database, workdir, secrets_file, demo=True)
    yield app
    app.stop()


@pytest.fixture(scope="module")
def expected_scope(oidc_database):
    engine = make_engine(oidc_database)
    with engine.connect() as conn:
        mine, everything = overview(conn, [STRUCTURE]), overview(conn)
    engine.dispose()
    assert mine.jeunes < everything.jeunes, "the demo data should hold more than one structure"
    return mine


def metric(page: Page, label: str):
    """The value of the metric labelled `label` (to compare with to_have_text, exactly)."""
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


# --- the journeys ---------------------------------------------------------------------------------------
def test_an_account_signs_in_and_sees_its_structure_only(page: Page, oidc_app, provider, expected_scope, artefacts):
    page.goto(oidc_app.url)
    wait_for_app(page)
    expect(page.get_by_role("button", name=LOGIN_BUTTON)).to_be_visible(timeout=LOAD)
    expect(page.get_by_test_id("stMetric")).to_have_count(0)

    sign_in(page, oidc_app.url, provider, DIRECTION_SUB)

    expect(metric(page, "Structures")).to_have_text("1", timeout=LOAD)
    expect(metric(page, "Départements")).to_have_text("1")
    expect(metric(page, "Jeunes")).to_have_text(entier(expected_scope.jeunes))
    expect(metric(page, "Jalons")).to_have_text(entier(expected_scope.jalons))
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(f"Direction de Mission Locale · {STRUCTURE}")).to_be_visible()
    expect(sidebar.get_by_role("button", name=LOGOUT_BUTTON)).to_be_visible()
    expect(page.get_by_role("combobox", name="Rôle")).to_have_count(0)
    page.screenshot(path=str(artefacts / "connexion-oidc-direction.png"), full_page=True)

    # The identity survives a reload (it is in Streamlit's signed cookie, not in the websocket session).
    page.reload()
    wait_for_app(page)
    expect(metric(page, "Structures")).to_have_text("1", timeout=LOAD)


def test_sign_out_ends_the_session(page: Page, oidc_app, provider):
    sign_in(page, oidc_app.url, provider, DIRECTION_SUB)
    expect(metric(page, "Structures")).to_be_visible(timeout=LOAD)
    assert any(c["name"] == USER_COOKIE for c in page.context.cookies(oidc_app.url))

    sign_out(page, oidc_app.url, provider)

    expect(page.get_by_role("button", name=LOGIN_BUTTON)).to_be_visible()
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    assert not [c for c in page.context.cookies(oidc_app.url) if c["name"].startswith(USER_COOKIE)]
    # Coming back later does not bring the identity back either.
    page.goto(oidc_app.url)
    wait_for_app(page)
    expect(page.get_by_role("button", name=LOGIN_BUTTON)).to_be_visible(timeout=LOAD)


def test_an_identity_without_account_is_refused(page: Page, oidc_app, provider, artefacts):
    sign_in(page, oidc_app.url, provider, STRANGER_SUB)

    expect(page.get_by_role("heading", name="Accès non autorisé")).to_be_visible(timeout=LOAD)
    expect(page.get_by_text(f"Identité : {STRANGER_EMAIL}")).to_be_visible()
    expect(page.get_by_role("button", name=LOGOUT_BUTTON)).to_be_visible()
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect(page.get_by_text("Ce que contient la base")).to_have_count(0)
    page.screenshot(path=str(artefacts / "connexion-oidc-refus.png"), full_page=True)


def test_an_unverified_address_does_not_sign_in_as_its_account(page: Page, oidc_app, provider):
    """Before: the account was found by e-mail alone, so `email_verified=false` signed in as the direction."""
    sign_in(page, oidc_app.url, provider, UNVERIFIED_SUB)

    expect(page.get_by_role("heading", name="Accès non autorisé")).to_be_visible(timeout=LOAD)
    expect(page.get_by_text("n'atteste pas que votre adresse e-mail est vérifiée")).to_be_visible()
    expect(page.get_by_role("button", name=LOGOUT_BUTTON)).to_be_visible()
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect(page.get_by_text(f"Direction de Mission Locale · {STRUCTURE}")).to_have_count(0)


def test_demo_mode_cannot_be_switched_on_when_auth_is_configured(page: Page, oidc_app_demo_env, provider):
    page.goto(oidc_app_demo_env.url)
    wait_for_app(page)
    expect(page.get_by_role("button", name=LOGIN_BUTTON)).to_be_visible(timeout=LOAD)
    expect(page.get_by_role("combobox", name="Rôle")).to_have_count(0)
    expect(page.get_by_text("Mode démonstration")).to_have_count(0)
    expect(page.get_by_test_id("stMetric")).to_have_count(0)

    # Signed in, it is still the account from the store that counts, not a role picked in the sidebar.
    sign_in(page, oidc_app_demo_env.url, provider, DIRECTION_SUB)
    expect(metric(page, "Structures")).to_have_text("1", timeout=LOAD)
    expect(page.get_by_role("combobox", name="Rôle")).to_have_count(0)
    expect(page.get_by_text("Mode démonstration")).to_have_count(0)


# --- session duration: `streamlit run dashboard.py` (st.App + middleware) -------------------------------------
@pytest.fixture(scope="module")
def served_app(oidc_database, secrets_file, workdir):
    """`streamlit run dashboard.py`: the same app behind the middleware that makes identity cookies session cookies."""
    app = start_streamlit("dashboard.py", oidc_database, workdir, secrets_file)
    yield app
    app.stop()


def identity_cookies(page: Page, url: str) -> list[dict]:
    return [c for c in page.context.cookies(url) if c["name"].startswith(USER_COOKIE)]


def test_plain_streamlit_keeps_the_identity_for_30_days(page: Page, oidc_app, provider):
    """For contrast: `streamlit run app/main.py` sets a persistent identity cookie (Streamlit 1.67)."""
    sign_in(page, oidc_app.url, provider, DIRECTION_SUB)
    expect(metric(page, "Structures")).to_have_text("1", timeout=LOAD)
    cookies = identity_cookies(page, oidc_app.url)
    assert cookies
    assert all(c["expires"] > time.time() + 29 * 24 * 3600 for c in cookies), cookies


def test_served_app_signs_in_for_the_browser_session_only(page: Page, served_app, provider, expected_scope):
    page.goto(f"{served_app.url}/_stcore/health")
    expect(page.locator("body")).to_contain_text("ok")

    sign_in(page, served_app.url, provider, DIRECTION_SUB)
    expect(metric(page, "Structures")).to_have_text("1", timeout=LOAD)
    expect(metric(page, "Jeunes")).to_have_text(entier(expected_scope.jeunes))

    cookies = identity_cookies(page, served_app.url)
    assert {c["name"] for c in cookies} >= {USER_COOKIE, f"{USER_COOKIE}_tokens"}, cookies
    assert all(c["expires"] == -1 for c in cookies), cookies  # -1: a browser-session cookie
    assert all(c["httpOnly"] and c["sameSite"] == "Lax" for c in cookies), cookies

    # A new browser session (same cookie jar minus session cookies) is signed out.
    persistent = [c for c in page.context.cookies() if c["expires"] != -1]
    fresh = page.context.browser.new_context()
    try:
        if persistent:
            fresh.add_cookies(persistent)
        other = fresh.new_page()
        other.goto(served_app.url)
        wait_for_app(other)
        expect(other.get_by_role("button", name=LOGIN_BUTTON)).to_be_visible(timeout=LOAD)
    finally:
        fresh.close()

    # Sign-out (cookie deletions) still goes through the middleware untouched.
    sign_out(page, served_app.url, provider)
    assert not identity_cookies(page, served_app.url)
