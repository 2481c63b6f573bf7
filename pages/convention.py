"""Objectifs et financements: the director enters the convention's targets, the financements and, with care, the impact parameters.

Every write goes through `indicators.models.impact_settings` (access check, the one
validation of the exchange format, audit, data-version bump); this page only
draws forms (keyboard-usable `st.form`) and tables.
"""

import datetime as dt

import pandas as pd
import streamlit as st

from indicators.models import impact as modele
from indicators.models import impact_settings
from indicators.registry import REGISTRY
from mlimpact import audit, notes, vocab
from mlimpact.access import AccesRefuse
from presentation.figures import texte_nombre
from presentation.formats import date_fr, euros, pourcent
from presentation.textes import NOTES, echapper
from ui import auth, cache

compte = auth.page_account(__file__)
db = cache.current_db()
engine = cache.engine(db)
version = cache.data_version(db)
code = compte.code_structure
as_of, first_year = cache.dates(db, version)
noms = {c: n for c, n, _, _ in cache.structures_table(db, version)}

st.title("Objectifs et financements")
st.caption(f"**{echapper(noms.get(code, code))} ({echapper(code)})** · données au {date_fr(as_of)}")
st.write(
    "Les objectifs de la convention avec le Conseil départemental et les financements de la structure : la page "
    "Impact et le rapport PDF comparent les résultats aux objectifs et calculent le coût par jeune avec les "
    "financements. Chaque modification est enregistrée dans le journal (qui, quand, avant, après)."
)
today = dt.date.today()
annees = list(range(max(today.year, (as_of or today).year) + 1, min(first_year, today.year) - 1, -1))
annee = st.selectbox("Année", annees, index=annees.index((as_of or today).year) if (as_of or today).year in annees else 0, key="conv_annee")


FLASH = "conv_message"
if FLASH in st.session_state:
    kind, message = st.session_state.pop(FLASH)
    (st.success if kind == "success" else st.info)(message)


def write_rows(action, succes: str) -> None:
    """Run a write in one transaction; show the outcome in French."""
    try:
        with engine.begin() as conn:
            result = action(conn)
    except (impact_settings.SaisieInvalide, notes.NoteInvalide) as exc:
        for message in exc.messages:
            st.error(message)
        return
    except AccesRefuse as exc:
        st.error(str(exc))
        return
    cache.data_version.clear()  # the other pages see the change at once
    st.session_state[FLASH] = ("info", "Rien n'a changé.") if result in ("unchanged", False) else ("success", succes)
    st.rerun()  # redraw the tables with the new rows


def libelle_indicateur(c: str) -> str:
    return f"{REGISTRY[c].libelle} ({REGISTRY[c].unite})"


objectifs_tab, financements_tab, mots_tab, parametres_tab, journal_tab = st.tabs(
    ["Objectifs de la convention", "Financements", "L'année en mots", "Paramètres d'impact", "Journal des modifications"]
)

with objectifs_tab:
    with engine.connect() as conn:
        rows = impact_settings.objectifs(conn, code, annee)
    if rows:
        st.dataframe(
            pd.DataFrame(
                [(REGISTRY[r["indicateur"]].libelle, texte_nombre(r["indicateur"], r["cible"])) for r in rows],
                columns=["Indicateur", f"Objectif {annee}"],
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.info(f"Aucun objectif enregistré pour {annee}.")
    with st.form("conv_objectif"):
        st.markdown(f"**Ajouter ou modifier un objectif {annee}**")
        indicateur = st.selectbox("Indicateur", list(REGISTRY), format_func=libelle_indicateur, key="conv_obj_indicateur")
        cible = st.number_input(
            "Cible", min_value=0.0, step=1.0, format="%.2f", key="conv_obj_cible",
            help="Un taux s'écrit en pourcentage (45 pour 45 %), un montant en euros.",
        )
        if st.form_submit_button("Enregistrer l'objectif", type="primary"):
            write_rows(
                lambda conn: impact_settings.save(conn, compte, "objectifs", code, {"annee": annee, "indicateur": indicateur, "cible": cible}),
                f"Objectif enregistré : {REGISTRY[indicateur].libelle}, {texte_nombre(indicateur, cible)} en {annee}.",
            )
    if rows:
        with st.form("conv_objectif_suppr"):
            st.markdown("**Retirer un objectif**")
            retire = st.selectbox("Objectif à retirer", [r["indicateur"] for r in rows], format_func=libelle_indicateur, key="conv_obj_retirer")
            if st.form_submit_button("Retirer l'objectif"):
                write_rows(
                    lambda conn: impact_settings.delete_row(conn, compte, "objectifs", code, (annee, retire)),
                    f"Objectif retiré : {REGISTRY[retire].libelle} ({annee}).",
                )

with financements_tab:
    with engine.connect() as conn:
        rows_f = impact_settings.financements(conn, code, annee)
    if rows_f:
        table = pd.DataFrame(
            [(vocab.FINANCEURS.get(r["financeur"], r["financeur"]), vocab.DISPOSITIFS_FINANCEMENT.get(r["dispositif"], r["dispositif"]), euros(r["montant_eur"], 2)) for r in rows_f],
            columns=["Financeur", "Dispositif", f"Montant {annee}"],
        )
        st.dataframe(table, hide_index=True, width="stretch")
        st.write(f"Total {annee} : **{euros(sum(r['montant_eur'] for r in rows_f), 2)}**.")
    else:
        st.info(f"Aucun financement enregistré pour {annee}.")
    with st.form("conv_financement"):
        st.markdown(f"**Ajouter ou modifier un financement {annee}**")
        financeur = st.selectbox("Financeur", list(vocab.FINANCEURS), format_func=vocab.FINANCEURS.get, key="conv_fin_financeur")
        dispositif = st.selectbox("Dispositif", list(vocab.DISPOSITIFS_FINANCEMENT), format_func=vocab.DISPOSITIFS_FINANCEMENT.get, index=list(vocab.DISPOSITIFS_FINANCEMENT).index("TOUS"), key="conv_fin_dispositif")
        montant = st.number_input("Montant annuel (€)", min_value=0.0, step=1000.0, format="%.2f", key="conv_fin_montant")
        if st.form_submit_button("Enregistrer le financement", type="primary"):
            write_rows(
                lambda conn: impact_settings.save(
                    conn, compte, "financements", code, {"annee": annee, "financeur": financeur, "dispositif": dispositif, "montant_eur": montant}
                ),
                f"Financement enregistré : {vocab.FINANCEURS[financeur]}, {euros(montant, 2)} en {annee}.",
            )
    if rows_f:
        with st.form("conv_financement_suppr"):
            st.markdown("**Retirer un financement**")
            keys = [(r["financeur"], r["dispositif"]) for r in rows_f]
            retire_f = st.selectbox(
                "Financement à retirer", keys, key="conv_fin_retirer",
                format_func=lambda k: f"{vocab.FINANCEURS.get(k[0], k[0])} — {vocab.DISPOSITIFS_FINANCEMENT.get(k[1], k[1])}",
            )
            if st.form_submit_button("Retirer le financement"):
                write_rows(
                    lambda conn: impact_settings.delete_row(conn, compte, "financements", code, (annee, *retire_f)),
                    "Financement retiré.",
                )

with mots_tab:
    st.write(
        f"Les faits marquants de {annee} et un ou deux parcours racontés : le côté qualitatif des ruptures évitées et "
        "des parcours sécurisés. Ils sont imprimés dans le rapport PDF, dans leur propre section, après les objectifs."
    )
    st.caption(
        "Anonymisez les parcours : ni nom ni prénom, ni date de naissance, ni adresse, ni lieu précis. Un texte qui "
        "contient un numéro de téléphone, une adresse e-mail ou un numéro de sécurité sociale est refusé."
    )
    with engine.connect() as conn:
        mots = notes.lire(conn, code, annee)
    with st.form("conv_notes"):
        saisis = {
            champ: st.text_area(
                titre, value=mots[champ], max_chars=notes.LONGUEUR_MAX, height=180, key=f"conv_notes_{champ}_{annee}"
            )
            for champ, titre in NOTES.items()
        }
        if st.form_submit_button("Enregistrer les textes", type="primary"):
            write_rows(
                lambda conn: notes.enregistrer(conn, compte, code, annee, saisis["faits"], saisis["recits"]),
                f"Textes de {annee} enregistrés : ils figurent dans le rapport PDF.",
            )

with parametres_tab:
    defaut = modele.load_parameters()
    with engine.connect() as conn:
        actuels = impact_settings.parameters(conn, code)
    st.warning(
        "À modifier avec prudence, et de préférence en accord avec le Département : ces deux parts font passer du montant "
        "brut au montant net des allocations RSA évitées. Toute modification est enregistrée dans le journal et "
        "signalée dans le rapport PDF.",
        icon=":material/warning:",
    )
    st.caption(f"Version en vigueur pour votre structure : {echapper(actuels.version)}.")
    with st.form("conv_parametres"):
        saisies = {}
        for p_code in modele.TAUX:
            p: modele.Parametre = getattr(actuels, p_code)
            ref: modele.Parametre = getattr(defaut, p_code)
            st.markdown(f"**{p.libelle}** — valeur du fichier : {pourcent(ref.valeur * 100, 0)} ({pourcent(ref.bas * 100, 0)} à {pourcent(ref.haut * 100, 0)}). Source : {echapper(ref.source)}.")
            cols = st.columns(3)
            for col, (suffix, label, value) in zip(cols, (("", "Valeur centrale (%)", p.valeur), ("_bas", "Cas prudent (%)", p.bas), ("_haut", "Cas favorable (%)", p.haut)), strict=True):
                saisies[f"{p_code}{suffix}"] = col.number_input(
                    label, min_value=0.0, max_value=99.0, value=round(value * 100, 2), step=1.0, key=f"conv_param_{p_code}{suffix}"
                )
        confirme = st.checkbox("Je confirme la modification de ces hypothèses pour ma structure.", key="conv_param_confirme")
        if st.form_submit_button("Enregistrer les paramètres", type="primary"):
            if not confirme:
                st.error("Cochez la case de confirmation pour modifier les paramètres.")
            else:
                write_rows(
                    lambda conn: impact_settings.save_overrides(conn, compte, code, {k: v / 100 for k, v in saisies.items()}),
                    "Paramètres d'impact enregistrés : ils s'appliquent à la page Impact et au rapport PDF.",
                )
    if actuels.modifie and st.button("Revenir aux valeurs du fichier", key="conv_param_reset"):
        write_rows(lambda conn: impact_settings.save_overrides(conn, compte, code, {}), "Paramètres du fichier rétablis.")

with journal_tab:
    with engine.connect() as conn:
        entries = [
            e for table in ("objectifs", "financements", impact_settings.TABLE_PARAMETRES, notes.TABLE)
            for e in audit.entries(conn, limit=200, table=table)
            if str(e["cle"] or "").startswith((f"{code}|", f"{code}:", impact_settings.setting_key(code)))
        ]
    if entries:
        journal = pd.DataFrame(
            [(str(e["horodatage"])[:19], e["auteur"], e["action"], e["table"], e["cle"], str(e["avant"] or ""), str(e["apres"] or "")) for e in sorted(entries, key=lambda e: str(e["horodatage"]), reverse=True)],
            columns=["Quand (UTC)", "Qui", "Action", "Table", "Clé", "Avant", "Après"],
        )
        st.dataframe(journal, hide_index=True, width="stretch")
    else:
        st.info("Aucune modification enregistrée pour votre structure.")
