"""Parcours d'un jeune: find or create one, see the frise, record jalons and accompagnements, edit, history.

Thin page: every read and write goes through `mlimpact.parcours` (access checks,
validation shared with the import, optimistic locking, audit). The jeune shown
is the `jeune` query parameter, so a parcours can be bookmarked; a jeune of
another structure is "introuvable", exactly like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from mlimpact import parcours, store, vocab, worklist
from mlimpact.access import AccesRefuse
from presentation.formats import date_fr, entier, euros
from ui import auth, cache, charts, lazy
from ui import jalon_form as jf
from ui import timeline as frise

compte = auth.page_account(__file__)
db = cache.current_db()
engine = cache.engine(db)
today = store.today()

st.title("Parcours")
jf.show_announcement("supprime")


# --- saving: the library's answers as the forms' answers ------------------------------------------------------
def _changements(conflit: parcours.Conflit) -> pd.DataFrame:
    return pd.DataFrame(
        [(c.libelle, c.lu, c.enregistre) for c in conflit.changements],
        columns=["Champ", "Votre version (lue)", "Version enregistrée"],
    )


def apply(action: Callable, succes: Callable[[parcours.Enregistrement | None], str], relu: str | None = None) -> jf.Reponse:
    """Run one write in one transaction; turn refusals into messages for the form.

    `relu`: the session key of the row as read (see `attendu`), forgotten once saved.
    """
    try:
        saved = parcours.write(engine, action)
    except parcours.Doublon as exc:
        return jf.Reponse(doublon=str(exc))
    except parcours.Invalide as exc:
        return jf.Reponse(messages=exc.messages)
    except parcours.Conflit as exc:
        return jf.Reponse(erreur=str(exc), changements=_changements(exc))
    except (parcours.Introuvable, parcours.Indisponible, AccesRefuse) as exc:
        return jf.Reponse(erreur=str(exc))
    if relu:
        st.session_state.pop(relu, None)
    cache.data_version.clear()  # other pages (impact) read the new figures at once
    return jf.Reponse(succes=succes(saved), avertissements=saved.avertissements if saved else [], cle=saved.cle if saved else None)


CLES = {"jeunes": "id_jeune", "accompagnements": "id_accompagnement", "jalons": "id_jalon"}


def relu(nom: str, ident: str) -> str:
    return f"attendu_{nom}_{ident}"


def attendu(nom: str, ligne: dict) -> dict:
    """The row as the user first read it, kept until saved or reloaded: what optimistic locking compares."""
    cle = relu(nom, ligne[CLES[nom]])
    if cle not in st.session_state:
        st.session_state[cle] = ligne
    return st.session_state[cle]


def forget(nom: str, ident: str) -> Callable[[], None]:
    """Start again from the stored version (after a conflict)."""
    return lambda: st.session_state.pop(relu(nom, ident), None)


def fin_de_formulaire(cle: str, reponse: jf.Reponse, places: dict, libelles: dict, recharger=None) -> None:
    """After a submit: rerun on success (the answer is shown on the next run), else messages under fields."""
    if reponse.ok:
        jf.announce(cle, reponse)
        st.rerun()
    jf.show_messages(places, reponse.messages, libelles)
    jf.track_refusals(cle, reponse, recharger)


def suppression(nom: str, choix: str, ligne: dict, cle: str, textes: tuple[str, str], supprimer: Callable,
                message: Callable[[dict], str], annonce: str) -> None:
    """A delete behind a confirmation box: nothing is removed until it is ticked.

    `textes` is (« ce jalon », « le jalon »): how the confirmation and the button name the row.
    """
    ce, le = textes
    with st.form(f"suppr_{nom}_{choix}"):
        confirme = st.checkbox(f"Je confirme la suppression de {ce}", key=f"{cle}_confirme_{choix}")
        if st.form_submit_button(f"Supprimer {le}", icon=":material/delete:"):
            if not confirme:
                st.warning(f"Cochez la confirmation pour supprimer {le}.")
            else:
                reponse = apply(lambda conn: supprimer(conn, compte, ligne), lambda _: message(ligne), relu(nom, choix))
                fin_de_formulaire(annonce, reponse, {}, {}, forget(nom, choix))


def heure_de_paris(quand) -> str:
    """An audit timestamp (UTC; naive on SQLite) as `26/11/2026 17:40`, French time."""
    if not isinstance(quand, dt.datetime):
        return str(quand)
    if quand.tzinfo is None:
        quand = quand.replace(tzinfo=dt.UTC)
    return quand.astimezone(ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y %H:%M")


def open_jeune(ident: str | None) -> None:
    if ident:
        st.query_params["jeune"] = ident
    else:
        st.query_params.pop("jeune", None)


LIBELLES = {c: parcours.libelle(c) for c in ("id_jeune", *parcours.CHAMPS_JEUNE, *parcours.CHAMPS_ACCOMPAGNEMENT)}


# --- find a jeune ---------------------------------------------------------------------------------------------
choisi = st.query_params.get("jeune", "")
CONTACTS = {0: "Tous", 60: "Sans contact depuis plus de 60 jours", 90: "Sans contact depuis plus de 90 jours"}


def _choose_result() -> None:
    rows = st.session_state["r_resultats"].selection.rows
    ids = st.session_state.get("r_ids", [])
    if rows and rows[0] < len(ids):
        open_jeune(ids[rows[0]])


def find_section() -> None:
    with st.form("recherche", border=False):
        cols = st.columns([2, 2, 2, 2])
        identifiant = cols[0].text_input("Identifiant (ou une partie)", key="r_ident", max_chars=40)
        dispositif = cols[1].selectbox(
            "Dispositif en cours", ["", *vocab.DISPOSITIFS], format_func=lambda d: vocab.DISPOSITIFS.get(d, "Tous"), key="r_disp"
        )
        risques = cols[2].selectbox("Risques de rupture", list(parcours.RISQUES_FILTRE), format_func=parcours.RISQUES_FILTRE.get, key="r_risques")
        contact = cols[3].selectbox("Dernier contact", list(CONTACTS), format_func=CONTACTS.get, key="r_contact")
        lancer = st.form_submit_button("Rechercher", icon=":material/search:")
    if lancer:
        st.session_state["r_lancee"] = True
    if st.session_state.get("r_lancee"):
        with engine.connect() as conn:
            resultats = parcours.search(conn, compte, today, identifiant, dispositif or None, risques, contact or None)
        exact = identifiant.strip()
        if lancer and exact in set(resultats["id_jeune"]) and exact != choisi:
            open_jeune(exact)  # an exact identifier opens its parcours at once
            st.rerun()
        st.caption(f"{entier(len(resultats))} jeune(s) trouvé(s){' (200 premiers)' if len(resultats) == 200 else ''}. Sélectionnez une ligne pour ouvrir son parcours.")
        st.session_state["r_ids"] = resultats["id_jeune"].tolist()
        st.dataframe(
            pd.DataFrame({
                "Identifiant": resultats["id_jeune"],
                "Dispositifs en cours": [parcours.liste_lisible("dispositif", d) for d in resultats["dispositifs"]],
                "Risques ouverts": resultats["risques_ouverts"],
                "Dernier contact": [date_fr(None if pd.isna(d) else d, vide="aucun") for d in resultats["dernier_contact"]],
                "Jours sans contact": [entier(None if pd.isna(n) else int(n)) for n in resultats["jours_sans_contact"]],
            }),
            hide_index=True, width="stretch", key="r_resultats", on_select=_choose_result, selection_mode="single-row",
        )

# --- create a jeune --------------------------------------------------------------------------------------------
def create_section() -> None:
    st.caption(
        "Identifiant pseudonyme uniquement : celui de votre logiciel de suivi (par exemple I-Milo), jamais le nom, "
        "le prénom, le numéro de sécurité sociale, l'adresse e-mail ou le téléphone. Laissez le champ vide pour qu'un "
        "identifiant soit créé."
    )
    with st.form("create_jeune"):
        places: dict = {}
        nouveau = {"id_jeune": st.text_input("Identifiant pseudonyme (facultatif)", max_chars=40, key="c_id",
                                             help="Ni nom, ni numéro de sécurité sociale, ni e-mail : un code.")}
        places["id_jeune"] = st.empty()
        cols = st.columns(3)
        nouveau["annee_naissance"] = cols[0].number_input("Année de naissance", value=None, step=1, key="c_annee",
                                                          help=f"Entre 1950 et {today.year - 14}.")
        nouveau["sexe"] = cols[1].selectbox("Sexe", list(vocab.SEXES), index=None, format_func=vocab.SEXES.get, placeholder="Choisissez", key="c_sexe")
        nouveau["niveau_formation"] = cols[2].selectbox(
            "Niveau de formation", list(vocab.NIVEAUX_FORMATION), index=None, format_func=vocab.NIVEAUX_FORMATION.get,
            placeholder="Non renseigné", key="c_niveau",
        )
        cols = st.columns(3)
        places["annee_naissance"], places["sexe"], places["niveau_formation"] = cols[0].empty(), cols[1].empty(), cols[2].empty()
        cols = st.columns(4)
        nouveau["qpv"] = cols[0].checkbox("Réside en QPV", key="c_qpv", help="Quartier prioritaire de la politique de la ville.")
        nouveau["frr"] = cols[1].checkbox("Réside en zone FRR", key="c_frr", help="France Ruralités Revitalisation.")
        nouveau["rqth"] = cols[2].checkbox("RQTH", key="c_rqth", help="Reconnaissance de la qualité de travailleur handicapé.")
        nouveau["date_premier_accueil"] = jf.date_field("Date du premier accueil", None, "c_accueil", cols[3])
        places["date_premier_accueil"] = st.empty()
        if st.form_submit_button("Créer le jeune", type="primary"):
            reponse = apply(
                lambda conn: parcours.create_jeune(conn, compte, nouveau, today),
                lambda saved: f"Jeune créé : {saved.cle}.",
            )
            if reponse.ok:
                open_jeune(reponse.cle)
                jf.announce("jeune", reponse)
                st.rerun()
            fin_de_formulaire("creer", reponse, places, LIBELLES)

# Run only while unfolded (`ui.lazy`): saving a jalon with the search folded does not search again. Keyed by the
# jeune shown: each parcours opens with them folded.
lazy.fold("Trouver un jeune", f"p_trouver_{choisi}", find_section, expanded=not choisi, icon=":material/search:")
lazy.fold("Créer un jeune", f"p_creer_{choisi}", create_section, icon=":material/person_add:")

if not choisi:
    st.info("Recherchez un jeune par son identifiant ou avec les filtres, ou créez-en un.")
    st.stop()

# --- the parcours: the jeune's part of the page --------------------------------------------------------------
TRAITS = {"qpv": "réside en quartier prioritaire (QPV)", "frr": "réside en zone France Ruralités Revitalisation",
          "rqth": "reconnu·e travailleur·se handicapé·e (RQTH)"}


# --- add a jalon ------------------------------------------------------------------------------------------------
def add_tab(p: parcours.Parcours) -> None:
    jf.jalon_form(
        "ajout",
        today,
        # called by the form's button at the start of the next run: the names it needs are bound now
        lambda valeurs, ident=p.id_jeune: apply(
            lambda conn: parcours.add_jalon(conn, compte, ident, valeurs, today, valeurs.get("doublon_confirme", False)),
            lambda saved: f"Jalon enregistré : {jf.libelle_type(saved.ligne['type'])} du {date_fr(saved.ligne['date'])}.",
        ),
    )


# --- jalons: list, edit, delete ------------------------------------------------------------------------------------
def _libelle_jalon(ligne: dict) -> str:
    """Date, type, domaine, amount, the start of the comment, and the identifier: two jalons never read alike."""
    texte = f"{date_fr(ligne['date'])} — {vocab.TYPES_JALON[ligne['type']][1]}"
    if ligne.get("domaine"):
        texte += f" ({vocab.ALL_DOMAINES[ligne['domaine']].lower()})"
    if ligne.get("montant_eur") is not None and not pd.isna(ligne["montant_eur"]):
        texte += f" — {euros(ligne['montant_eur'], 2, vide='')}"
    commentaire = str(ligne.get("commentaire") or "").strip()
    if commentaire:
        texte += f" — « {commentaire[:30]}{'…' if len(commentaire) > 30 else ''} »"
    return f"{texte} — {ligne['id_jalon']}"


def jalons_tab(p: parcours.Parcours) -> None:
    jf.show_announcement("jalon_suppr")
    if p.jalons.empty:
        st.info("Aucun jalon.")
    else:
        vue = pd.DataFrame({
            "Date": p.jalons["date"],
            "Famille": [vocab.FAMILLES_JALON[vocab.famille_du_type(t)] for t in p.jalons["type"]],
            "Jalon": [vocab.TYPES_JALON[t][1] for t in p.jalons["type"]],
            "Domaine": [vocab.ALL_DOMAINES.get(d, "") if isinstance(d, str) else "" for d in p.jalons["domaine"]],
            "Montant": [euros(m, 2, vide="") if m is not None and not pd.isna(m) else "" for m in p.jalons["montant_eur"]],
            "Commentaire": p.jalons["commentaire"].fillna(""),
            "Identifiant": p.jalons["id_jalon"],
        })
        st.dataframe(vue, hide_index=True, width="stretch", column_config={"Date": st.column_config.DateColumn(format="DD/MM/YYYY")})
        par_id = {ligne["id_jalon"]: ligne for ligne in parcours.lignes(p.jalons)}
        choix = st.selectbox(
            "Modifier ou supprimer un jalon", list(par_id), index=None, format_func=lambda i: _libelle_jalon(par_id[i]),
            placeholder="Choisissez un jalon", key="j_choix",
        )
        if choix:
            lu = attendu("jalons", par_id[choix])
            prefixe = f"modif_{choix}_{lu['version']}"
            jf.jalon_form(
                prefixe,
                today,
                lambda valeurs, lu=lu, choix=choix: apply(  # bound now: the button calls it at the next run's start
                    lambda conn: parcours.update_jalon(conn, compte, lu, valeurs, today, valeurs.get("doublon_confirme", False)),
                    lambda saved: f"Jalon modifié : {_libelle_jalon(saved.ligne)}.",
                    relu("jalons", choix),
                ),
                initial=lu,
                bouton="Enregistrer les modifications",
                recharger=forget("jalons", choix),
                annonce="jalon_modif",
            )
            suppression("jalons", choix, lu, "j", ("ce jalon", "le jalon"), parcours.delete_jalon,
                        lambda ligne: f"Jalon supprimé : {_libelle_jalon(ligne)}.", "jalon_suppr")

# --- accompagnements ----------------------------------------------------------------------------------------------
def _libelle_acc(ligne: dict) -> str:
    fin = f" au {date_fr(ligne['date_fin'])}" if ligne.get("date_fin") else " (en cours)"
    return f"{vocab.DISPOSITIFS[ligne['dispositif']]} du {date_fr(ligne['date_debut'])}{fin}"


MOTIFS = list(vocab.MOTIFS_FIN)
FINANCEURS = ["", *vocab.FINANCEURS]


def referent_field(container, proposes: list[str], actuel: str | None, key: str, defaut: str | None = None) -> str | None:
    """The referent: a select of the structure's conseillers' accounts (`proposes`; the stored one kept if no longer listed)."""
    options = proposes + ([actuel] if actuel and actuel not in proposes else [])
    valeur = actuel if actuel is not None else defaut if defaut in options else ""
    return container.selectbox(
        "Référent (conseiller en charge)", options, index=options.index(valeur or ""),
        format_func=lambda r: "Non renseigné" if not r else f"Vous ({r})" if r == compte.email else r, key=key,
        help="Le compte du conseiller qui suit le jeune dans ce dispositif ; il retrouve ce jeune dans « Mes jeunes » (À traiter).",
    ) or None

def accompagnements_tab(p: parcours.Parcours) -> None:
    jf.show_announcement("acc")
    with engine.connect() as conn:
        referents = ["", *parcours.referents_proposes(conn, compte, p.jeune["code_structure"])]
    if not p.accompagnements.empty:
        st.dataframe(
            pd.DataFrame({
                "Dispositif": [vocab.DISPOSITIFS[d] for d in p.accompagnements["dispositif"]],
                "Début": p.accompagnements["date_debut"],
                "Fin": [date_fr(None if pd.isna(d) else d, vide="en cours") for d in p.accompagnements["date_fin"]],
                "Motif de fin": [parcours.valeur_lisible("motif_fin", m) for m in p.accompagnements["motif_fin"]],
                "Financeur": [parcours.valeur_lisible("financeur", f) for f in p.accompagnements["financeur"]],
                "Référent": [parcours.valeur_lisible("referent", r) for r in p.accompagnements.get("referent", [None] * len(p.accompagnements))],
                "Identifiant": p.accompagnements["id_accompagnement"],
            }),
            hide_index=True, width="stretch",
            column_config={"Début": st.column_config.DateColumn(format="DD/MM/YYYY")},
        )
    ouvrir_col, clore_col = st.columns(2)
    with ouvrir_col, st.form("ouvrir_acc"):
        st.markdown("**Ouvrir un accompagnement**")
        places = {}
        valeurs = {"dispositif": st.selectbox("Dispositif", list(vocab.DISPOSITIFS), index=None, format_func=vocab.DISPOSITIFS.get,
                                              placeholder="Choisissez un dispositif", key="a_disp")}
        places["dispositif"] = st.empty()
        valeurs["date_debut"] = jf.date_field("Date de début", today, "a_debut")
        places["date_debut"] = st.empty()
        valeurs["financeur"] = st.selectbox("Financeur (facultatif)", FINANCEURS, format_func=lambda f: vocab.FINANCEURS.get(f, "Non renseigné"), key="a_fin") or None
        places["financeur"] = st.empty()
        valeurs["referent"] = referent_field(st, referents, None, "a_referent", defaut=compte.email)
        places["referent"] = st.empty()
        if st.form_submit_button("Ouvrir l'accompagnement", type="primary"):
            fin_de_formulaire("acc", apply(
                lambda conn: parcours.open_accompagnement(conn, compte, p.id_jeune, valeurs, today),
                lambda saved: f"Accompagnement ouvert : {_libelle_acc(saved.ligne)}.",
            ), places, LIBELLES)
    ouverts = {ligne["id_accompagnement"]: ligne for ligne in parcours.lignes(p.en_cours)}
    with clore_col:
        if not ouverts:
            st.caption("Aucun accompagnement en cours à clore.")
        else:
            a_clore = st.selectbox("Accompagnement à clore", list(ouverts), format_func=lambda i: _libelle_acc(ouverts[i]), key="a_clore_choix")
            lu = attendu("accompagnements", ouverts[a_clore])
            with st.form(f"clore_{a_clore}_{lu['version']}"):
                st.markdown("**Clore l'accompagnement**")
                places = {}
                date_fin = jf.date_field("Date de fin", today, f"a_date_fin_{a_clore}")
                places["date_fin"] = st.empty()
                motif = st.selectbox("Motif de fin", MOTIFS, index=None, format_func=vocab.MOTIFS_FIN.get,
                                     placeholder="Choisissez le motif (obligatoire)", key=f"a_motif_{a_clore}")
                places["motif_fin"] = st.empty()
                if st.form_submit_button("Clore l'accompagnement", type="primary"):
                    fin_de_formulaire("acc", apply(
                        lambda conn: parcours.close_accompagnement(conn, compte, lu, date_fin, motif, today),
                        lambda saved: f"Accompagnement clos : {_libelle_acc(saved.ligne)}.",
                        relu("accompagnements", a_clore),
                    ), places, LIBELLES, forget("accompagnements", a_clore))

    tous = {ligne["id_accompagnement"]: ligne for ligne in parcours.lignes(p.accompagnements)}
    if tous:
        st.divider()
        choix = st.selectbox("Modifier ou supprimer un accompagnement", list(tous), index=None, format_func=lambda i: _libelle_acc(tous[i]),
                             placeholder="Choisissez un accompagnement", key="a_choix")
        if choix:
            lu = attendu("accompagnements", tous[choix])
            with st.form(f"modif_acc_{choix}_{lu['version']}"):
                places = {}
                cols = st.columns(6)
                valeurs = {
                    "dispositif": cols[0].selectbox("Dispositif", list(vocab.DISPOSITIFS), index=list(vocab.DISPOSITIFS).index(lu["dispositif"]),
                                                    format_func=vocab.DISPOSITIFS.get, key=f"m_disp_{choix}"),
                    "date_debut": jf.date_field("Date de début", lu["date_debut"], f"m_debut_{choix}", cols[1]),
                    "date_fin": jf.date_field("Date de fin", lu["date_fin"], f"m_fin_{choix}", cols[2],
                                              help="JJ/MM/AAAA ; laissez vide tant que l'accompagnement est en cours."),
                    "motif_fin": cols[3].selectbox("Motif de fin", MOTIFS, index=MOTIFS.index(lu["motif_fin"]) if lu["motif_fin"] else None,
                                                   format_func=vocab.MOTIFS_FIN.get, placeholder="Aucun (en cours)", key=f"m_motif_{choix}"),
                    "financeur": cols[4].selectbox("Financeur", FINANCEURS, index=FINANCEURS.index(lu["financeur"] or ""),
                                                   format_func=lambda f: vocab.FINANCEURS.get(f, "Non renseigné"), key=f"m_fin_{choix}_f") or None,
                    "referent": referent_field(cols[5], referents, lu.get("referent") or "", f"m_ref_{choix}"),
                }
                cols = st.columns(6)
                for col, champ in zip(cols, parcours.CHAMPS_ACCOMPAGNEMENT, strict=True):
                    places[champ] = col.empty()
                if st.form_submit_button("Enregistrer les modifications", type="primary"):
                    fin_de_formulaire("acc", apply(
                        lambda conn: parcours.update_accompagnement(conn, compte, lu, valeurs, today),
                        lambda saved: f"Accompagnement modifié : {_libelle_acc(saved.ligne)}.",
                        relu("accompagnements", choix),
                    ), places, LIBELLES, forget("accompagnements", choix))
            suppression("accompagnements", choix, lu, "a", ("cet accompagnement", "l'accompagnement"),
                        parcours.delete_accompagnement,
                        lambda ligne: f"Accompagnement supprimé : {_libelle_acc(ligne)}.", "acc")

# --- the jeune's record --------------------------------------------------------------------------------------------
def fiche_tab(p: parcours.Parcours) -> None:
    ident = p.id_jeune
    jf.show_announcement("fiche")
    lu = attendu("jeunes", p.jeune)
    with st.form(f"fiche_{ident}_{lu['version']}"):
        places = {}
        cols = st.columns(3)
        valeurs = {
            "annee_naissance": cols[0].number_input("Année de naissance", value=int(lu["annee_naissance"]), step=1,
                                                    key=f"f_annee_{ident}", help=f"Entre 1950 et {today.year - 14}."),
            "sexe": cols[1].selectbox("Sexe", list(vocab.SEXES), index=list(vocab.SEXES).index(lu["sexe"]), format_func=vocab.SEXES.get, key=f"f_sexe_{ident}"),
            "niveau_formation": cols[2].selectbox(
                "Niveau de formation", list(vocab.NIVEAUX_FORMATION),
                index=list(vocab.NIVEAUX_FORMATION).index(lu["niveau_formation"]) if lu["niveau_formation"] else None,
                format_func=vocab.NIVEAUX_FORMATION.get, placeholder="Non renseigné", key=f"f_niveau_{ident}",
            ),
        }
        cols = st.columns(3)
        places["annee_naissance"], places["sexe"], places["niveau_formation"] = cols[0].empty(), cols[1].empty(), cols[2].empty()
        cols = st.columns(4)
        valeurs["qpv"] = cols[0].checkbox("Réside en QPV", value=bool(lu["qpv"]), key=f"f_qpv_{ident}")
        valeurs["frr"] = cols[1].checkbox("Réside en zone FRR", value=bool(lu["frr"]), key=f"f_frr_{ident}")
        valeurs["rqth"] = cols[2].checkbox("RQTH", value=bool(lu["rqth"]), key=f"f_rqth_{ident}")
        valeurs["date_premier_accueil"] = jf.date_field("Date du premier accueil", lu["date_premier_accueil"], f"f_accueil_{ident}", cols[3])
        places["date_premier_accueil"] = st.empty()
        if st.form_submit_button("Enregistrer la fiche", type="primary"):
            fin_de_formulaire("fiche", apply(
                lambda conn: parcours.update_jeune(conn, compte, lu, valeurs, today),
                lambda _: "Fiche du jeune enregistrée.",
                relu("jeunes", ident),
            ), places, LIBELLES, forget("jeunes", ident))
    with st.form(f"suppr_jeune_{ident}"):
        st.markdown("**Supprimer ce jeune**")
        st.caption(f"Supprime aussi ses {len(p.accompagnements)} accompagnement(s) et ses {len(p.jalons)} jalon(s). Le journal garde la trace de ce qui a été supprimé.")
        confirme = st.checkbox("Je confirme la suppression de ce jeune et de tout son parcours", key=f"f_confirme_{ident}")
        if st.form_submit_button("Supprimer le jeune", icon=":material/delete:"):
            if not confirme:
                st.warning("Cochez la confirmation pour supprimer le jeune.")
            else:
                reponse = apply(
                    lambda conn: parcours.delete_jeune(conn, compte, lu), lambda _: "Jeune supprimé, avec tout son parcours.", relu("jeunes", ident)
                )
                if reponse.ok:
                    open_jeune(None)
                    jf.announce("supprime", reponse)  # shown above the folded sections
                    st.rerun()
                fin_de_formulaire("fiche", reponse, {}, {}, forget("jeunes", ident))

# --- history -------------------------------------------------------------------------------------------------------
def history_tab(p: parcours.Parcours) -> None:
    with engine.connect() as conn:
        journal = parcours.historique(conn, compte, p.id_jeune)
    if journal.empty:
        st.info("Aucune modification enregistrée par les formulaires pour ce jeune (les imports sont journalisés par fichier).")
    else:
        journal["Quand"] = [heure_de_paris(q) for q in journal["Quand"]]
        st.caption("Chaque création, modification et suppression, la plus récente d'abord. Les imports sont journalisés par fichier.")
        st.dataframe(journal, hide_index=True, width="stretch")


@st.fragment
def parcours_du_jeune() -> None:
    """The jeune shown: header, open risks, frise and tabs. A fragment: saving a jalon or opening a tab reruns
    this part only, not the menu, the sidebar and the search (a sixth of a save's server time, docs/benchmarks.md);
    a button that changes more (a risk settled, a row deleted) reruns the whole page (`st.rerun`). The data layer
    checks the account on every read and write, whichever part runs."""
    try:
        with engine.connect() as conn:
            p = parcours.read_parcours(conn, compte, choisi, today)
    except parcours.Introuvable as exc:
        st.error(jf.sans_markdown(str(exc)), icon=":material/person_off:")
        st.stop()

    ident = p.id_jeune
    jf.show_announcement("jeune")
    st.subheader(f"Jeune {jf.sans_markdown(ident)}")
    j = p.jeune
    traits = [f"né·e en {j['annee_naissance']}", vocab.SEXES[j["sexe"]]]
    if j["niveau_formation"]:
        traits.append(vocab.NIVEAUX_FORMATION[j["niveau_formation"]])
    traits += [trait for name, trait in TRAITS.items() if j[name]]
    if j["date_premier_accueil"]:
        traits.append(f"premier accueil le {date_fr(j['date_premier_accueil'])}")
    st.caption(" · ".join(traits))

    en_cours = p.en_cours
    cols = st.columns(4)
    cols[0].metric("Accompagnements en cours", entier(len(en_cours)), help=parcours.liste_lisible("dispositif", ", ".join(en_cours["dispositif"])) if len(en_cours) else None)
    cols[1].metric("Risques de rupture ouverts", entier(len(p.risques_ouverts)))
    cols[2].metric(
        "Dernier contact", date_fr(p.dernier_contact),
        help="Dernier entretien, atelier, contact ou premier rendez-vous."
        + (f" Il y a {(today - p.dernier_contact).days} jours." if p.dernier_contact else ""),
    )
    cols[3].metric("Jalons", entier(len(p.jalons)))

    jf.show_announcement("risque", toast=True)
    for risque in parcours.lignes(p.risques_ouverts):
        domaine = vocab.ALL_DOMAINES[risque["domaine"]]
        left, mid, right = st.columns([6, 1.4, 1.4], vertical_alignment="center")
        left.warning(f"Risque de rupture ouvert — {domaine} — depuis le {date_fr(risque['date'])} ({frise.en_jours(risque['jours'])}).",
                     icon=":material/warning:")
        for col, issue, label in ((mid, "evitee", "Rupture évitée"), (right, "survenue", "Rupture survenue")):
            if col.button(label, key=f"p_{issue}_{risque['id_jalon']}", help=f"Enregistre un jalon « {label} » ({domaine.lower()}) à la date du jour."):
                reponse = apply(
                    lambda conn, r=risque, i=issue: worklist.mark_risque(conn, compte, r, i, today),
                    lambda saved, lab=label, d=domaine: f"{lab} enregistrée ({d.lower()}) le {date_fr(today)}.",
                )
                if reponse.ok:
                    jf.announce("risque", reponse)
                    st.rerun()
                jf.show_refusals(reponse)

    if p.accompagnements.empty and p.jalons.empty:
        st.info("Aucun accompagnement ni jalon pour l'instant : ouvrez un accompagnement ou ajoutez un jalon ci-dessous.")
    else:
        charts.show(
            frise.spec(p.accompagnements, p.jalons, p.risques_ouverts, today),
            lambda: frise.table(p.accompagnements, p.jalons, p.risques_ouverts, today),
            frise.texte_alternatif(ident, p.accompagnements, p.jalons, p.risques_ouverts),
            key="frise",
        )

    # Lazy tabs (`on_change="rerun"`): only the open one runs, so a saved jalon redraws the form and the frise,
    # not the four other tabs' tables and forms (docs/benchmarks.md). Stable labels: the open tab is kept by its label
    # across saves; keyed by the jeune, so each parcours (from the worklist, the search) opens on « Ajouter un jalon ».
    tabs = {"Ajouter un jalon": add_tab, "Jalons": jalons_tab, "Accompagnements": accompagnements_tab,
            "Fiche du jeune": fiche_tab, "Historique": history_tab}
    lazy.tabs({label: functools.partial(tab, p) for label, tab in tabs.items()}, key=f"p_onglet_{ident}")


parcours_du_jeune()
