"""A real OpenID Connect provider on loopback for the sign-in journeys, and the app started against it.

The provider is `oidc-provider-mock` (Flask + Authlib): discovery document, JWKS,
authorization form, token, userinfo and end-session endpoints. It runs in a daemon
thread of the test process on a free port of 127.0.0.1 (port 0, so no race), and
stops with `stop()` or, at the latest, with the process. Users are registered with
their claims (an opaque `sub` and an `email`, as ProConnect sends them); in the
browser the test types the `sub` in the provider's form.

`start_streamlit` is `tests.conftest.start_app` with two differences: the script
can be `dashboard.py` (the st.App launcher) and the secrets file is passed explicitly
(`--secrets.files`), so a developer's own `.streamlit/secrets.toml` never leaks in.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.support.browser_helpers import wait_for_app, wait_until_healthy
from tests.support.pgserver import free_port

ROOT = Path(__file__).resolve().parents[2]
LOGIN_BUTTON = "Se connecter avec ProConnect"
LOGOUT_BUTTON = "Se déconnecter"
# The scopes of the ProConnect configuration (docs/connexion.md); the mock grants the standard ones it knows.
SCOPES = "openid email given_name usual_name"


class MockProvider:
    """oidc-provider-mock served by Werkzeug in a daemon thread on 127.0.0.1."""

    def __init__(self) -> None:
        self._server = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 10) -> MockProvider:
        import werkzeug.serving

        provider_app = _provider_app_factory()
        # require_nonce: ProConnect requires a nonce too, and Streamlit (Authlib) sends one.
        wsgi = provider_app(require_nonce=True)
        self._server = werkzeug.serving.make_server("127.0.0.1", 0, wsgi, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="oidc-provider-mock", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.discovery_url, timeout=2) as resp:
                    document = json.load(resp)
                if document.get("issuer") != self.url:
                    raise RuntimeError(f"Fournisseur OIDC de test : émetteur inattendu {document.get('issuer')!r}")
                return self
            except OSError as exc:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"Le fournisseur OIDC de test ne répond pas sur {self.discovery_url} : {exc}")
                time.sleep(0.1)

    @property
    def port(self) -> int:
        assert self._server is not None, "fournisseur non démarré"
        return self._server.server_port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def add_user(self, sub: str, **claims: object) -> None:
        """Register (or replace) a user and the claims the provider will assert for it."""
        request = urllib.request.Request(
            f"{self.url}/users/{sub}", data=json.dumps(claims).encode(), method="PUT",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as resp:
            assert resp.status == 204, resp.status

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def _provider_app_factory():
    """oidc_provider_mock's Flask app factory, imported without Authlib's deprecation notices.

    Authlib installs its own "always" filter when `authlib.deprecate` is first imported; importing it
    first lets the "ignore" below win. catch_warnings restores the filters afterwards.
    """
    with warnings.catch_warnings():
        import authlib.deprecate  # noqa: F401

        warnings.simplefilter("ignore", DeprecationWarning)
        from oidc_provider_mock import app

    return app


def write_secrets(folder: Path, provider: MockProvider) -> Path:
    """A secrets.toml with an [auth] section pointing at the provider; `{port}` is the app's own port."""
    path = folder / "secrets.toml"
    path.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        'client_id = "parcours-impact-tests"\n'
        f'client_secret = "{secrets.token_urlsafe(24)}"\n'
        f'server_metadata_url = "{provider.discovery_url}"\n'
        f'client_kwargs = {{ scope = "{SCOPES}" }}\n',
        encoding="utf-8",
    )
    return path


@dataclass
class StartedApp:
    url: str
    database_url: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_streamlit(
    script: str, database_url: str, workdir: Path, secrets_file: Path, *, demo: bool = False
) -> StartedApp:
    """`streamlit run <script>` on a free port of 127.0.0.1 with these secrets, waited for until healthy.

    MLIMPACT_DEMO is removed from the environment unless `demo` asks for it (then it is "1").
    """
    port = free_port()
    log = workdir / f"streamlit-{Path(script).stem}-{port}.log"
    env = {k: v for k, v in os.environ.items() if k != "MLIMPACT_DEMO" and not k.startswith("STREAMLIT_")}
    env["MLIMPACT_DATABASE_URL"] = database_url
    if demo:
        env["MLIMPACT_DEMO"] = "1"
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / script),
        "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--secrets.files", str(secrets_file),
    ]
    with open(log, "w") as out:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(process, url, log)
    return StartedApp(url, database_url, process, log)


# --- the browser side -------------------------------------------------------------------------------
def sign_in(page: Page, app_url: str, provider: MockProvider, sub: str) -> None:
    """Open the app, click the ProConnect button, authorise `sub` on the provider's page, come back."""
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_role("button", name=LOGIN_BUTTON).click()
    page.wait_for_url(f"{provider.url}/oauth2/authorize**", timeout=15_000)
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{app_url}/**", timeout=15_000)
    wait_for_app(page)


def sign_out(page: Page, app_url: str, provider: MockProvider) -> None:
    """Click "Se déconnecter": Streamlit clears its cookies and sends the browser to the provider's
    end-session endpoint (RP-initiated logout, as with ProConnect); confirm there, come back to the app."""
    page.get_by_role("button", name=LOGOUT_BUTTON).click()
    page.wait_for_url(f"{provider.url}/oauth2/end_session**", timeout=15_000)
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{app_url}/**", timeout=15_000)
    wait_for_app(page)
    expect(page.get_by_role("button", name=LOGIN_BUTTON)).to_be_visible(timeout=30_000)
