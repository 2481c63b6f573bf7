"""The Streamlit app itself (AppTest): each page runs without exception and shows the store's figures."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text as text_sql
from streamlit.testing.v1 import AppTest

from mlimpact.access import Compte, visible_structures_of
from mlimpact.db import make_engine
from mlimpact.overview import overview
from tests.conftest import ROOT
from presentation.formats import entier


@pytest.fixture
def app_on(monkeypatch):
    def start(url: str, demo: bool = True, **widgets) -> AppTest:
        monkeypatch.setenv("MLIMPACT_DATABASE_URL", url)
        if demo:
            monkeypatch.setenv("MLIMPACT_DEMO", "1")
        else:
            monkeypatch.delenv("MLIMPACT_DEMO", raising=False)
        at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=60)
        at.run()
        for key, value in widgets.items():
            at.selectbox(key=key).set_value(value)
            at.run()
        return at

    return start


def expected_overview(url: str, compte: Compte):
    with make_engine(url).connect() as conn:
        return overview(conn, visible_structures_of(conn, compte))


@pytest.mark.parametrize(
    ("role", "extra"),
    [("conseiller", {}), ("directeur", {}), ("departement", {"demo_dep": "13"}), ("bureau", {}), ("admin", {})],
)
def test_home_page_shows_the_figures_of_the_role(app_on, demo_database, role, extra):
    at = app_on(demo_database, demo_role=role, **extra)
    assert not at.exception
    structure = at.selectbox(key="demo_structure").value if role in ("conseiller", "directeur") else None
    compte = Compte("x@demo.invalid", role, structure, extra.get("demo_dep"))
    expected = expected_overview(demo_database, compte)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Structures"] == entier(expected.structures)
    outsider = role in ("departement", "bureau")  # counts perturbed (« ≈ »), small ones masked: docs/disclosure.md
    for label, n in (("Jeunes", expected.jeunes), ("Jalons", expected.jalons)):
        if outsider:
            assert metrics[label].startswith("≈") and abs(int(re.sub(r"\D", "", metrics[label])) - n) <= 4
        else:
            assert metrics[label] == entier(n)
    text = " ".join(md.value for md in at.markdown)
    assert expected.derniere_date.strftime("%d/%m/%Y") in text
    table = at.dataframe[0].value
    assert len(table) == expected.structures
    with make_engine(demo_database).connect() as conn:
        truth = dict(conn.execute(text_sql("SELECT code_structure, count(*) FROM jeunes GROUP BY code_structure")).all())
    for code, shown in zip(table["Code"], table["Jeunes"]):
        if shown.startswith("<"):
            assert outsider and truth.get(code, 0) < 11 + 4
        elif outsider and truth.get(code, 0):
            assert shown.startswith("≈") and abs(int(re.sub(r"\D", "", shown)) - truth[code]) <= 4
        else:
            assert shown == entier(truth.get(code, 0))
    if role in ("conseiller", "directeur"):
        assert list(table["Code"]) == [structure]


def test_forged_session_state_does_not_change_the_role(app_on, demo_database):
    at = app_on(demo_database, demo_role="conseiller")
    at.session_state["_compte_de_cette_execution"] = Compte("pirate@demo.invalid", "admin")
    at.run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 1  # still one structure: the account is rebuilt every run


def test_demo_mode_refuses_a_store_that_is_not_the_demo(app_on, sqlite_template, tmp_path):
    from mlimpact.exchange.importer import import_paths
    from tests.conftest import new_sqlite_database
    from tests.support.exchange_files import write_tables

    url = new_sqlite_database(sqlite_template, tmp_path)
    import_paths(make_engine(url), [write_tables(tmp_path / "in")])
    at = app_on(url)
    assert not at.exception
    assert "refuse de démarrer" in at.error[0].value
    assert not at.metric


def test_no_sign_in_method_configured(app_on, demo_database):
    at = app_on(demo_database, demo=False)
    assert not at.exception
    assert "Aucune méthode de connexion" in at.error[0].value
    assert not at.metric


def test_admin_page_creates_an_account_and_shows_the_audit(app_on, sqlite_template, tmp_path):
    from mlimpact import accounts, audit
    from mlimpact.sample import load_demo
    from tests.conftest import new_sqlite_database

    url = new_sqlite_database(sqlite_template, tmp_path)
    load_demo(make_engine(url))
    at = app_on(url, demo_role="admin")
    at.switch_page("../pages/admin.py").run()
    assert not at.exception
    at.text_input(key="admin_email").set_value("pas-un-email")
    at.selectbox(key="admin_role").set_value("conseiller")
    at.selectbox(key="admin_structure").set_value("ML13001")
    at.button[0].click().run()
    assert "Adresse e-mail invalide" in at.error[0].value
    at.text_input(key="admin_email").set_value("Nouvelle.Conseillere@ml13.fr")
    at.button[0].click().run()
    assert not at.exception
    assert "Compte créé : nouvelle.conseillere@ml13.fr" in at.success[0].value
    with make_engine(url).connect() as conn:
        assert accounts.get_account(conn, "nouvelle.conseillere@ml13.fr").code_structure == "ML13001"
        [entry] = audit.entries(conn, table="comptes")
        assert entry["auteur"] == "admin@demo.invalid"
    at.run()  # an account in the store: the demo mode stops at the next run, before any page
    assert not at.exception and not at.dataframe
    assert "refuse de démarrer : cette base contient 1 compte(s)" in at.error[0].value


def test_demo_mode_refuses_a_demo_store_that_holds_an_account(app_on, demo_database, tmp_path):
    """`mlimpact utilisateur … --role admin` on the demo store: an anonymous visitor picking « admin » saw the real accounts."""
    import sqlite3

    from mlimpact import accounts

    target = tmp_path / "demo.db"
    with sqlite3.connect(demo_database.removeprefix("sqlite:///")) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    url = f"sqlite:///{target}"
    engine = make_engine(url)
    with engine.begin() as conn:
        accounts.save_account(conn, "vraie.admin@ministere.example", "admin", auteur="cli")
    engine.dispose()
    at = app_on(url)
    assert not at.exception and not at.metric and not at.selectbox
    [message] = [e.value for e in at.error]
    assert "refuse de démarrer : cette base contient 1 compte(s)" in message
    assert "mlimpact utilisateur ADRESSE --supprimer" in message and "vraie.admin" not in message


@pytest.mark.parametrize("role", ["conseiller", "directeur", "departement", "bureau"])
def test_admin_page_is_refused_to_other_roles(app_on, demo_database, role, monkeypatch):
    at = app_on(demo_database, demo_role=role)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("../pages/admin.py")  # not in this role's menu: no route to it
    # And the page guards itself: run directly with this role's account, it refuses.
    page = AppTest.from_file(str(ROOT / "pages" / "admin.py"), default_timeout=60)
    page.session_state["_compte_de_cette_execution"] = Compte(f"{role}@demo.invalid", role, "ML13001" if role in ("conseiller", "directeur") else None, "13" if role == "departement" else None)
    page.run()
    assert not page.exception
    assert "n'est pas accessible avec votre rôle" in page.error[0].value
    assert not page.text_input and not page.dataframe


def test_the_server_preloads_every_module_the_pages_import(tmp_path):
    """dashboard.py imports the pages' modules at start-up; the list comes from the pages themselves."""
    import sys

    from ui.preload import modules_of_the_pages, preload

    names = modules_of_the_pages()
    assert {"indicators.disclosure.territorial", "ui.carte", "reports.pdf", "mlimpact.parcours", "ui.timeline"} <= set(names)
    assert "presentation.formats.date_fr" not in names  # a name imported from a module is not a module
    page = tmp_path / "page.py"
    page.write_text("from __future__ import annotations\nimport colorsys\nfrom presentation import formats\nfrom json import dumps\n")
    sys.modules.pop("colorsys", None)
    assert preload(tmp_path) == ["colorsys", "json", "presentation", "presentation.formats"]
    assert "colorsys" in sys.modules


@pytest.mark.parametrize("store", ["missing", "empty", "old"])
def test_the_app_starts_on_a_store_whose_schema_is_missing_or_old(app_on, tmp_path, store):
    """Before: `sqlite3.OperationalError: no such table: parametres` on every page. Now the schema is brought up first."""
    from alembic import command

    from mlimpact.migrate import alembic_config, current_revision, head_revision

    path = tmp_path / "store.db"
    url = f"sqlite:///{path}"
    if store == "empty":
        path.touch()
    elif store == "old":
        engine = make_engine(url)
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0003")
        assert current_revision(engine) == "0003"
        engine.dispose()
    at = app_on(url)
    assert not at.exception, at.exception
    assert "refuse de démarrer" in at.error[0].value  # the demo's own refusal: the store was read, schema and all
    engine = make_engine(url)
    assert current_revision(engine) == head_revision()
    engine.dispose()
