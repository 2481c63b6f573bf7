"""The milestone form: only the fields its type needs, French messages right under each field.

The type is chosen first, outside the form, so the form can show the domaine
(ruptures, droits, partenaires) or the amount (aide FAJ) only when the type takes
one. The form itself is an `st.form` (keyboard: Tab between fields, the submit
button with Enter). Dates and amounts are typed as text (`JJ/MM/AAAA`,
`150,50`) and read by the library's one validation, the import's: a date that
cannot be read, or far out of bounds, blocks the save with a French message
under its field (a date picker would silently turn `32/13` into another day).
Saving is the caller's `enregistrer` function, which goes through the library;
what it answers is drawn here: errors under their field, a likely duplicate to
confirm, warnings that did not block, or a success message after a rerun that
shows the new state of the page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from mlimpact import vocab
from mlimpact.exchange.validation import JALON_DATE_MIN

AVERTISSEMENT_COMMENTAIRE = (
    "N'écrivez ni nom, ni numéro de téléphone, ni adresse, ni information de santé : le commentaire reste "
    "factuel et ne doit pas permettre d'identifier le jeune."
)
DATE_MIN = JALON_DATE_MIN  # the first date a jalon may take (the validation's bound)
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:^=&])")


def sans_markdown(texte: str) -> str:
    """Escape what Markdown (and Streamlit's `:color[…]` directives) would interpret, for `st.error` & co."""
    return _MARKDOWN.sub(r"\\\1", str(texte))


@dataclass
class Reponse:
    """What a save answered: refused (messages per field, or one error), or done (a success and warnings)."""

    messages: dict[str, str] = field(default_factory=dict)
    erreur: str | None = None
    changements: pd.DataFrame | None = None  # for a conflict: field, as you read it, as stored now
    succes: str | None = None
    avertissements: list[str] = field(default_factory=list)
    cle: str | None = None  # the key of the row saved
    doublon: str | None = None  # a likely duplicate: saved only once the user confirms

    @property
    def ok(self) -> bool:
        return self.succes is not None


def types_ordonnes() -> list[str]:
    """Jalon types grouped by family, in the families' order."""
    ordre = list(vocab.FAMILLES_JALON)
    return sorted(vocab.TYPES_JALON, key=lambda t: (ordre.index(vocab.TYPES_JALON[t][0]), list(vocab.TYPES_JALON).index(t)))


def libelle_type(type_jalon: str) -> str:
    famille, libelle = vocab.TYPES_JALON[type_jalon]
    return f"{vocab.FAMILLES_JALON[famille]} — {libelle}"


# --- fields typed as text, read by the one validation ------------------------------------------------------
FORMAT_DATE = "JJ/MM/AAAA"


def date_text(valeur: dt.date | None) -> str:
    return valeur.strftime("%d/%m/%Y") if isinstance(valeur, dt.date) else ""


def date_field(label: str, valeur: dt.date | None, key: str, container=st, help: str | None = None) -> str:
    """A date typed as `JJ/MM/AAAA` (keyboard only, labelled with its format); the library reads and checks it."""
    return container.text_input(
        f"{label} ({FORMAT_DATE})", value=date_text(valeur), max_chars=10, placeholder=FORMAT_DATE, key=key,
        help=help or "Tapez la date au format JJ/MM/AAAA, par exemple 03/10/2026.",
    )


def read_date(texte: str) -> dt.date | None:
    """A date typed `JJ/MM/AAAA` (or `AAAA-MM-JJ`), or None when it cannot be read (`32/13`, `31/02/2026`)."""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(str(texte).strip(), fmt).date()
        except ValueError:
            continue
    return None


def montant_text(valeur) -> str:
    if valeur is None or pd.isna(valeur):
        return ""
    return f"{float(valeur):.2f}".replace(".", ",")


# --- flash messages: shown by the run after a save (the save runs in a callback, or ends with a rerun) --------
def announce(cle: str, reponse: Reponse) -> None:
    st.session_state[f"{cle}__flash"] = reponse


def show_announcement(cle: str, toast: bool = False) -> None:
    """The answer kept by `annoncer`, once; `toast` also pops it in a corner (seen wherever the page is scrolled)."""
    reponse = st.session_state.pop(f"{cle}__flash", None)
    if reponse is None:
        return
    if reponse.succes:
        st.success(sans_markdown(reponse.succes), icon=":material/check_circle:")
        if toast:
            st.toast(sans_markdown(reponse.succes), icon=":material/check_circle:")
    for texte in reponse.avertissements:
        st.warning(f"Attention : {sans_markdown(texte)}", icon=":material/warning:")


def show_messages(places: dict, messages: dict[str, str], libelles: dict[str, str]) -> None:
    """Each message under its field (`places`: field → `st.empty()`); the others together at the end."""
    restes = []
    for champ, texte in messages.items():
        message = f"{libelles.get(champ, champ).capitalize()} : {texte}"
        if champ in places:
            places[champ].error(sans_markdown(message), icon=":material/error:")
        else:
            restes.append(message)
    if restes:
        st.error(sans_markdown(" ".join(restes)), icon=":material/error:")


def show_refusals(reponse: Reponse, cle_conflit: str | None = None, recharger: Callable[[], None] | None = None) -> None:
    """An error not tied to one field; for a conflict, what changed and a way to start again from it."""
    if reponse.erreur:
        st.error(sans_markdown(reponse.erreur), icon=":material/block:")
    if reponse.changements is not None and not reponse.changements.empty:
        st.caption("Ce qui a changé depuis votre lecture :")
        st.dataframe(reponse.changements, hide_index=True, width="stretch")
    if recharger is not None and cle_conflit:
        st.button("Repartir de la version enregistrée", key=cle_conflit, on_click=recharger, icon=":material/refresh:")


# --- the form ----------------------------------------------------------------------------------------------
LIBELLES = {
    "date": "date du jalon",
    "type": "type de jalon",
    "domaine": "domaine",
    "montant_eur": "montant de l'aide",
    "commentaire": "commentaire",
}


def jalon_form(
    key_prefix: str,
    today: dt.date,
    save: Callable[[dict], Reponse],
    initial: dict | None = None,
    bouton: str = "Enregistrer le jalon",
    recharger: Callable[[], None] | None = None,
    annonce: str | None = None,
) -> Reponse | None:
    """Draw the form; on submit call `enregistrer(values)` and show its answer. Returns that answer.

    `initial` fills the fields (editing an existing jalon). The save runs in the
    button's callback, before the page's run: that one run then draws the page
    (frise, lists) with the saved jalon and the form empty again — one run per
    save, not a run to the form and a second after it (half the server's time of a
    save, docs/benchmarks.md). A conflict
    (someone saved first) stays on screen, with what changed, until the user
    starts again from the stored version (`recharger`). `annonce`: where the
    success is kept for the next run, when `key_prefix` changes with the save
    (it holds the row's version).
    """
    annonce = annonce or key_prefix
    show_announcement(annonce)
    initial = initial or {}
    nonce = st.session_state.get(f"{key_prefix}__nonce", 0)
    base = f"{key_prefix}_{nonce}"
    types = types_ordonnes()
    type_initial = initial.get("type") or "entretien"
    type_jalon = st.selectbox(
        "Type de jalon",
        types,
        index=types.index(type_initial),
        format_func=libelle_type,
        key=f"{base}_type",
        help="Le formulaire n'affiche que les champs utiles à ce type (domaine, montant).",
    )
    places: dict = {}
    champs = {"type": f"{base}_type"}  # each value's widget key: the callback reads the values from them
    with st.form(f"{base}_form", border=True):
        champs["date"] = f"{base}_date"
        date_field("Date du jalon", initial.get("date") or today, champs["date"])
        places["date"] = st.empty()
        domaines = vocab.DOMAINES_PAR_TYPE.get(type_jalon)
        if domaines:
            codes = list(domaines)
            champs["domaine"] = f"{base}_domaine_{type_jalon}"
            st.selectbox(
                "Domaine", codes, index=codes.index(initial["domaine"]) if initial.get("domaine") in codes else None,
                format_func=domaines.get, placeholder="Choisissez un domaine", key=champs["domaine"],
                help="Le domaine de la rupture, du droit ouvert ou du partenaire mobilisé.",
            )
            places["domaine"] = st.empty()
        if type_jalon in vocab.TYPES_AVEC_MONTANT:
            champs["montant_eur"] = f"{base}_montant"
            st.text_input(
                "Montant de l'aide (€)", value=montant_text(initial.get("montant_eur")), max_chars=12, placeholder="150,50",
                key=champs["montant_eur"], help="Facultatif ; en euros, de 0 à 10 000, par exemple 150,50.",
            )
            places["montant_eur"] = st.empty()
        champs["commentaire"] = f"{base}_commentaire"
        st.text_area(
            "Commentaire (facultatif)", value=initial.get("commentaire") or "", max_chars=500, height=90,
            key=champs["commentaire"],
        )
        st.caption(AVERTISSEMENT_COMMENTAIRE)
        places["commentaire"] = st.empty()
        doublon = st.session_state.get(f"{key_prefix}__doublon")
        if doublon:
            st.warning(sans_markdown(doublon), icon=":material/content_copy:")
            champs["doublon_confirme"] = f"{base}_doublon_confirme"
            st.checkbox("Enregistrer quand même : ce n'est pas un doublon", key=champs["doublon_confirme"])
        st.form_submit_button(bouton, type="primary", on_click=_submit, args=(key_prefix, nonce, champs, save, annonce))
    reponse = st.session_state.pop(f"{key_prefix}__reponse", None)
    if reponse is not None:
        show_messages(places, reponse.messages, LIBELLES)
    track_refusals(key_prefix, reponse, recharger)
    return reponse


def _submit(key_prefix: str, nonce: int, champs: dict[str, str], save: Callable[[dict], Reponse], annonce: str) -> None:
    """The form's button: save the values its widgets hold; keep the answer for the run that follows.

    Saved: the success is announced and the form's keys move on (it comes back empty). A possible
    duplicate: the form comes back with the warning and the confirmation. Refused: the answer is
    shown beside the fields by that run."""
    valeurs = {name: st.session_state.get(key) for name, key in champs.items()}
    reponse = save(valeurs)
    if reponse.doublon:
        st.session_state[f"{key_prefix}__doublon"] = reponse.doublon
    elif reponse.ok:
        announce(annonce, reponse)
        st.session_state.pop(f"{key_prefix}__doublon", None)
        st.session_state[f"{key_prefix}__nonce"] = nonce + 1
    else:
        st.session_state[f"{key_prefix}__reponse"] = reponse


def track_refusals(key_prefix: str, reponse: Reponse | None, recharger: Callable[[], None] | None) -> None:
    """Show a refusal not tied to a field; a conflict is kept on screen until the user reloads."""
    cle = f"{key_prefix}__conflit"
    if reponse is not None and reponse.changements is not None:
        st.session_state[cle] = reponse
    elif reponse is not None and reponse.erreur:
        show_refusals(reponse)
    garde = st.session_state.get(cle)
    if garde is not None:

        def _reload() -> None:
            st.session_state.pop(cle, None)
            if recharger is not None:
                recharger()

        show_refusals(garde, f"{key_prefix}__recharger", _reload)
