"""À traiter: the structure's worklist — open risks to settle, jeunes without contact, orientations waiting.

Thin page over `mlimpact.worklist` (the structure's rows, read after the access
check), counted at the date of the structure's data (said on the page, and why).
The signed-in conseiller's own jeunes come first, or alone. Marking a risk writes
the jalon through the same library as the forms; any row opens the jeune's parcours.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mlimpact import parcours, store, vocab, worklist
from mlimpact.access import AccesRefuse
from presentation.formats import date_fr, entier
from ui import auth, cache, menu
from ui import jalon_form as jf
from ui.timeline import en_jours

compte = auth.page_account(__file__)
db = cache.current_db()
engine = cache.engine(db)
today = store.today()
PAR_PAGE = 20
PARCOURS = str(menu.page_of("parcours.py").path)
TOUS_DOMAINES = ""
VUES = {"d_abord": "Mes jeunes d'abord", "seulement": "Mes jeunes seulement"}

with engine.connect() as conn:
    au = worklist.date_des_donnees(conn, compte, today)

st.title("À traiter")
st.caption(f"Structure {compte.code_structure} · situation au {date_fr(au)}")
if au < today:
    st.info(
        f"Les délais sont comptés au {date_fr(au)}, date du jalon le plus récent de votre structure (nous sommes le "
        f"{date_fr(today)}) : vos données s'arrêtent là, et compter depuis aujourd'hui ferait passer les semaines "
        "qu'elles ne couvrent pas encore pour des silences.",
        icon=":material/event:",
    )

haut = st.columns([2, 2])
vue = haut[0].radio(
    "Jeunes affichés", list(VUES), format_func=VUES.get, horizontal=True, key="wl_vue",
    help="Vos jeunes : ceux dont vous êtes le référent d'un accompagnement en cours.",
)
domaine = haut[1].selectbox(
    "Domaine des risques", [TOUS_DOMAINES, *vocab.DOMAINES_RUPTURE],
    format_func=lambda d: vocab.DOMAINES_RUPTURE.get(d, "Tous les domaines"), key="wl_domaine",
)
seulement = vue == "seulement"

with engine.connect() as conn:
    risques = worklist.mes_jeunes(worklist.risques_ouverts(conn, compte, au, domaine=domaine or None), compte, seulement)
    silences = worklist.mes_jeunes(worklist.sans_contact(conn, compte, au, seuil=worklist.SEUILS_CONTACT[0]), compte, seulement)
    orientations = worklist.mes_jeunes(
        worklist.orientations_sans_rdv(conn, compte, au, seuil=worklist.SEUILS_ORIENTATION[0]), compte, seulement
    )

bas_contact, haut_contact = worklist.SEUILS_CONTACT
bas_orientation, haut_orientation = worklist.SEUILS_ORIENTATION
cols = st.columns(5)
cols[0].metric("Risques ouverts", entier(len(risques)),
               help="Risques de rupture de jeunes en accompagnement, sans rupture évitée ni survenue du même domaine depuis.")
cols[1].metric(f"Sans contact > {bas_contact} jours", entier(len(silences)),
               help=f"Jeunes accompagnés sans contact depuis plus de {bas_contact} jours (risque de décrochage).")
cols[2].metric(f"dont > {haut_contact} jours", entier(int((silences["jours"] > haut_contact).sum())))
cols[3].metric(f"Orientations > {bas_orientation} jours", entier(len(orientations)),
               help=f"Orientations reçues il y a plus de {bas_orientation} jours, sans premier rendez-vous.")
cols[4].metric(f"dont > {haut_orientation} jours", entier(int((orientations["jours"] > haut_orientation).sum())))


def open_parcours(ident: str) -> None:
    st.switch_page(PARCOURS, query_params={"jeune": ident})


def seuil_passe(jours: pd.Series, bas: int, haut: int) -> list[str]:
    """The threshold each wait has passed, in words (« plus de 90 jours »): the column says it without colour."""
    return [f"plus de {haut} jours" if j > haut else f"plus de {bas} jours" for j in jours]


def suivi_par(referents: str) -> str:
    """The referents of the jeune's accompagnements in progress, « vous » for the signed-in conseiller."""
    if not referents:
        return "non renseigné"
    return ", ".join("vous" if r == compte.email else r for r in referents.split(", "))


def colonnes_suivi(frame: pd.DataFrame) -> dict[str, list[str]]:
    return {
        "Dispositifs en cours": [parcours.liste_lisible("dispositif", d) for d in frame["dispositifs"]],
        "Référent": [suivi_par(r) for r in frame["referents"]],
    }


def tableau_cliquable(frame: pd.DataFrame, key: str, column_config: dict) -> None:
    """A table whose selected row opens that jeune's parcours."""
    event = st.dataframe(frame, hide_index=True, width="stretch", key=key, on_select="rerun", selection_mode="single-row",
                         column_config=column_config)
    if event.selection.rows:
        open_parcours(frame.iloc[event.selection.rows[0]]["Identifiant"])


onglets = st.tabs([
    f"Risques de rupture ({len(risques)})",
    f"Sans contact ({len(silences)})",
    f"Orientations sans premier rendez-vous ({len(orientations)})",
])

# --- open risks: one click writes the issue ----------------------------------------------------------------------
with onglets[0]:
    jf.show_announcement("wl_risque", toast=True)
    if risques.empty:
        st.success("Aucun risque de rupture ouvert " + ("pour vos jeunes." if seulement else "dans votre structure."))
    else:
        st.caption(
            ("Vos jeunes d'abord, puis par" if not seulement else "Par") + " urgence : le jeune resté le plus longtemps "
            "sans contact depuis le risque en premier, puis le risque le plus ancien. « Évitée » ou « Survenue » "
            "enregistre le jalon « Rupture évitée » ou « Rupture survenue » du même domaine, à la date de l'issue ci-dessous."
        )
        haut = st.columns([2, 3])
        date_issue_texte = jf.date_field("Date de l'issue", today, key="wl_date", container=haut[0])
        date_issue = jf.read_date(date_issue_texte)
        pages = (len(risques) + PAR_PAGE - 1) // PAR_PAGE
        page = haut[1].selectbox(
            f"Page ({PAR_PAGE} risques par page)", range(1, pages + 1), format_func=lambda n: f"{n} sur {pages}", key=f"wl_page_{domaine}_{vue}"
        ) if pages > 1 else 1
        debut = (page - 1) * PAR_PAGE
        largeurs = [1.3, 1.3, 1.9, 1.2, 2.2, 1.4, 1.7, 1.7]
        entete = st.columns(largeurs)
        titres = ["Jeune", "Domaine", "Détecté le (ouvert depuis)", "Sans contact depuis", "Référent", "", "", ""]
        for col, titre in zip(entete, titres, strict=True):
            col.markdown(f"**{titre}**" if titre else "")
        for risque in parcours.lignes(risques.iloc[debut : debut + PAR_PAGE]):
            domaine_risque = vocab.ALL_DOMAINES[risque["domaine"]]
            cols = st.columns(largeurs, vertical_alignment="center")
            cols[0].text(risque["id_jeune"])
            cols[1].write(domaine_risque)
            cols[2].write(f"{date_fr(risque['date'])} ({en_jours(risque['jours'])})")
            cols[3].write(en_jours(risque["silence"]))
            cols[4].text(suivi_par(risque["referents"]))
            for col, issue, label in ((cols[5], "evitee", "Évitée"), (cols[6], "survenue", "Survenue")):
                if col.button(label, key=f"wl_{issue}_{risque['id_jalon']}", icon=":material/check:" if issue == "evitee" else ":material/close:",
                              help=f"Enregistrer « Rupture {label.lower()} » ({domaine_risque.lower()}) pour ce jeune."):
                    if date_issue is None:
                        st.error(f"Date de l'issue : « {jf.sans_markdown(date_issue_texte)} » n'est pas une date ; tapez-la au format JJ/MM/AAAA.")
                        st.stop()
                    try:
                        saved = parcours.write(engine, lambda conn, r=risque, i=issue: worklist.mark_risque(conn, compte, r, i, today, date_issue))
                    except parcours.Invalide as exc:
                        st.error(jf.sans_markdown(" ".join(exc.messages.values())))
                    except (parcours.Conflit, parcours.Introuvable, parcours.Indisponible, AccesRefuse) as exc:
                        st.error(jf.sans_markdown(str(exc)))
                    else:
                        cache.data_version.clear()  # the impact page reads the new figures at once
                        jf.announce("wl_risque", jf.Reponse(
                            succes=f"Rupture {label.lower()} enregistrée pour le jeune {risque['id_jeune']} ({domaine_risque.lower()}), le {date_fr(date_issue)}.",
                            avertissements=saved.avertissements,
                        ))
                        st.rerun()
            if cols[7].button("Parcours", key=f"wl_ouvrir_{risque['id_jalon']}", icon=":material/open_in_new:", help="Ouvrir le parcours de ce jeune."):
                open_parcours(risque["id_jeune"])

# --- jeunes without contact -----------------------------------------------------------------------------------------
with onglets[1]:
    st.caption(
        f"Jeunes dont un accompagnement est en cours et dont le dernier contact (entretien, atelier, contact, premier "
        f"rendez-vous, ou le début de l'accompagnement en cours s'il est plus récent) date de plus de {bas_contact} jours : "
        "risque de décrochage. " + ("Vos jeunes d'abord, puis les" if not seulement else "Les")
        + " plus longs silences d'abord ; sélectionnez une ligne pour ouvrir le parcours."
    )
    if silences.empty:
        st.success(f"Aucun jeune {'dont vous êtes référent' if seulement else 'accompagné'} sans contact depuis plus de {bas_contact} jours.")
    else:
        tableau_cliquable(
            pd.DataFrame({
                "Identifiant": silences["id_jeune"],
                "Sans contact depuis": seuil_passe(silences["jours"], bas_contact, haut_contact),
                "Jours": silences["jours"],
                "Dernier contact": silences["dernier_contact"],
                "Accompagnement en cours depuis": silences["debut_accompagnement"],
                **colonnes_suivi(silences),
            }),
            "wl_silences",
            {c: st.column_config.DateColumn(format="DD/MM/YYYY") for c in ("Dernier contact", "Accompagnement en cours depuis")},
        )

# --- orientations waiting for a first appointment ------------------------------------------------------------------------
with onglets[2]:
    st.caption(
        f"Orientations reçues depuis plus de {bas_orientation} jours (et moins d'un an) sans premier rendez-vous ni "
        "entretien depuis, hors parcours terminés. " + ("Vos jeunes d'abord, puis les" if not seulement else "Les")
        + " plus anciennes d'abord ; sélectionnez une ligne pour ouvrir le parcours."
    )
    if orientations.empty:
        st.success(f"Aucune orientation en attente depuis plus de {bas_orientation} jours{' pour vos jeunes' if seulement else ''}.")
    else:
        tableau_cliquable(
            pd.DataFrame({
                "Identifiant": orientations["id_jeune"],
                "En attente depuis": seuil_passe(orientations["jours"], bas_orientation, haut_orientation),
                "Jours": orientations["jours"],
                "Orientation reçue le": orientations["date"],
                **colonnes_suivi(orientations),
            }),
            "wl_orientations",
            {"Orientation reçue le": st.column_config.DateColumn(format="DD/MM/YYYY")},
        )
