"""Who is using the app: OIDC sign-in (ProConnect) or, on the demo data only, a demo mode.

The account is looked up in the store from the identity on every run, never
trusted from session state, so a forged state cannot change a role. The demo
mode must be asked for (MLIMPACT_DEMO=1, as `make run` does) and refuses to start
on a store that does not hold the demo data set, or that holds any account (a
visitor picking « admin » would see them). An OIDC identity signs in only when
its provider asserts that its e-mail address is verified (`email_verified`).
"""

from __future__ import annotations

import os

import streamlit as st

from mlimpact import accounts, territoires, vocab
from mlimpact.access import Compte
from ui import cache, demo, menu

DEMO_ENV = "MLIMPACT_DEMO"
DEMO_DATASET = "demo"
DEMO_DOMAIN = accounts.DEMO_DOMAIN  # one definition, in the data layer


class ModeDemoRefuse(Exception):
    """The demo mode was asked for on a store that holds other data."""


def demo_requested() -> bool:
    return os.environ.get(DEMO_ENV, "").strip() == "1"


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def check_demo_store(db: str) -> None:
    """Refuse the demo mode unless the store holds the demo data set (and only it), and no account.

    Checked on every run, uncached: an account created meanwhile stops the demo at the next click."""
    if cache.dataset(db, cache.data_version(db)) != DEMO_DATASET:
        raise ModeDemoRefuse(
            "Le mode démonstration refuse de démarrer : cette base ne contient pas le jeu de démonstration "
            "(ou d'autres données y ont été importées). Pour revenir à la démonstration sur cette base, "
            "lancez `mlimpact demo --reinitialiser` (ses données sont effacées et le jeu de démonstration rechargé), "
            "puis rechargez cette page ; pour une base réelle, configurez la connexion ProConnect (docs/connexion.md)."
        )
    with cache.engine(db).connect() as conn:
        comptes = accounts.count_accounts(conn)
    if comptes:
        raise ModeDemoRefuse(
            f"Le mode démonstration refuse de démarrer : cette base contient {comptes} compte(s) de connexion "
            "(créés avec `mlimpact utilisateur`). En démonstration, tout visiteur choisit son rôle et verrait ces comptes. "
            "Pour revenir à la démonstration, supprimez-les (`mlimpact utilisateur ADRESSE --supprimer`, pour chacun) "
            "puis relancez `make run` ; pour une base réelle, "
            "configurez la connexion ProConnect (docs/connexion.md)."
        )


def _demo_account(db: str) -> Compte:
    """The visitor picks a role and a territory in the sidebar (demo data only)."""
    check_demo_store(db)
    rows = cache.structures_table(db, cache.data_version(db))
    with st.sidebar:
        st.caption("Mode démonstration : données fictives.")
        demo.sidebar_reset(db)
        role = st.selectbox("Rôle", list(vocab.ROLES), format_func=vocab.ROLES.get, key="demo_role")
        if role in ("conseiller", "directeur"):
            codes = [code for code, *_ in rows]
            names = {code: f"{nom} ({code})" for code, nom, *_ in rows}
            code = st.selectbox("Structure", codes, format_func=names.get, key="demo_structure")
            return Compte(f"{role}@{DEMO_DOMAIN}", role, code_structure=code)
        if role == "departement":
            deps = sorted({dep for _, _, dep, _ in rows})
            dep = st.selectbox(
                "Département", deps, format_func=lambda d: f"{d} — {territoires.nom_departement(d)}", key="demo_dep"
            )
            return Compte(f"{role}@{DEMO_DOMAIN}", role, departement=dep)
        return Compte(f"{role}@{DEMO_DOMAIN}", role)


def _oidc_account(db: str) -> Compte:
    if not st.user.is_logged_in:
        st.title("Parcours & Impact")
        st.write("Connectez-vous avec votre compte professionnel pour accéder aux données de votre structure.")
        st.button("Se connecter avec ProConnect", on_click=st.login, type="primary")
        st.stop()
    email = str(st.user.get("email") or "")
    if email and str(st.user.get("email_verified")).lower() != "true":
        st.title("Accès non autorisé")
        st.error(
            "Votre fournisseur d'identité n'atteste pas que votre adresse e-mail est vérifiée : la connexion est "
            "refusée, car le compte est retrouvé par cette adresse. Vérifiez votre adresse auprès de votre "
            "fournisseur d'identité (ProConnect), puis reconnectez-vous."
        )
        st.text(f"Identité : {email}")
        st.button("Se déconnecter", on_click=st.logout)
        st.stop()
    compte = cache.account(db, accounts.normalise_email(email)) if email else None
    if compte is None:
        st.title("Accès non autorisé")
        st.error(
            "Votre identité est reconnue, mais aucun compte ne lui est associé dans Parcours & Impact. "
            "Demandez à la direction de votre Mission Locale (ou à l'administrateur de la plateforme) "
            "de créer votre compte avec votre adresse e-mail professionnelle."
        )
        st.text(f"Identité : {email or 'adresse e-mail non transmise'}")
        st.button("Se déconnecter", on_click=st.logout)
        st.stop()
    return compte


def demo_active() -> bool:
    """Whether this server runs the demo mode (asked for, and no ProConnect configured)."""
    return demo_requested() and not oidc_configured()


def current_account() -> Compte:
    """The signed-in account; stops the page with a French message when there is none."""
    db = cache.current_db()
    if oidc_configured():
        return _oidc_account(db)
    if demo_requested():
        try:
            return _demo_account(db)
        except ModeDemoRefuse as exc:
            st.error(str(exc))
            st.stop()
    st.title("Parcours & Impact")
    st.error(
        "Aucune méthode de connexion n'est configurée. Renseignez la section [auth] de .streamlit/secrets.toml "
        "(ProConnect, voir docs/connexion.md), ou lancez le mode démonstration sur les données fictives (make run)."
    )
    st.stop()


def sidebar_identity(compte: Compte) -> None:
    """Who is signed in, and the way out."""
    with st.sidebar:
        territoire = compte.code_structure or (
            f"{compte.departement} — {territoires.nom_departement(compte.departement)}" if compte.departement else "France entière"
        )
        st.caption(f"{vocab.ROLES[compte.role]} · {territoire}")
        if oidc_configured():
            st.button("Se déconnecter", on_click=st.logout, key="logout")


_RUN_KEY = "_compte_de_cette_execution"


def remember_for_this_run(compte: Compte) -> None:
    """The entry point hands the account to the page it runs (overwritten on every run)."""
    st.session_state[_RUN_KEY] = compte


def page_account(script: str) -> Compte:
    """The account for a page (its `__file__`), which guards itself too from the table of `ui.menu`:
    another role reaching it by URL stops here."""
    compte = st.session_state.get(_RUN_KEY)
    if not isinstance(compte, Compte):
        compte = current_account()
    if compte.role not in menu.page_of(script).roles:
        st.error("Cette page n'est pas accessible avec votre rôle.")
        st.stop()
    return compte
