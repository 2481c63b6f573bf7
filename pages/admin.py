"""Administration: the accounts (who signs in with which role) and the audit trail."""

import pandas as pd
import streamlit as st

from mlimpact import accounts, audit, parcours, territoires, vocab
from mlimpact.access import AccesRefuse
from ui import auth, cache

compte = auth.page_account(__file__)
db = cache.current_db()
engine = cache.engine(db)

st.title("Administration")
comptes_tab, audit_tab = st.tabs(["Comptes", "Journal des modifications"])

with comptes_tab:
    with engine.connect() as conn:
        existing = accounts.list_accounts(conn)
    st.dataframe(
        pd.DataFrame(
            [(c.email, vocab.ROLES[c.role], c.code_structure or "", c.departement or "") for c in existing],
            columns=["E-mail", "Rôle", "Structure", "Département"],
        ),
        hide_index=True,
        width="stretch",
    )
    structures = [code for code, *_ in cache.structures_table(db, cache.data_version(db))]
    with st.form("compte", clear_on_submit=False):
        st.subheader("Créer ou modifier un compte")
        email = st.text_input("E-mail professionnel (identité ProConnect)", key="admin_email")
        role = st.selectbox("Rôle", list(vocab.ROLES), format_func=vocab.ROLES.get, key="admin_role")
        structure = st.selectbox(
            "Structure (conseiller, direction)", [""] + structures, key="admin_structure",
            help="Laisser vide pour les autres rôles.",
        )
        departement = st.selectbox(
            "Département (Conseil départemental)", [""] + list(territoires.DEPARTEMENTS), key="admin_dep",
            format_func=lambda d: f"{d} — {territoires.nom_departement(d)}" if d else "",
            help="Laisser vide pour les autres rôles.",
        )
        if st.form_submit_button("Enregistrer le compte", type="primary"):
            try:
                with engine.begin() as conn:
                    saved, created = accounts.save_account(
                        conn, email, role, structure or None, departement or None, auteur=compte.email, par=compte
                    )
                st.success(f"Compte {'créé' if created else 'mis à jour'} : {saved.email}")
            except (accounts.CompteInvalide, AccesRefuse) as exc:
                st.error(str(exc))
    with st.form("suppression"):
        st.subheader("Supprimer un compte")
        to_delete = st.selectbox("Compte", [c.email for c in existing], key="admin_delete")
        confirm = st.checkbox("Je confirme la suppression de ce compte", key="admin_confirm")
        if st.form_submit_button("Supprimer"):
            if not confirm:
                st.warning("Cochez la confirmation pour supprimer le compte.")
            elif to_delete:
                with engine.begin() as conn:
                    accounts.delete_account(conn, to_delete, auteur=compte.email, par=compte)
                st.success(f"Compte supprimé : {to_delete}")

with audit_tab:
    table = st.selectbox("Table", ["", "comptes", "jeunes", "accompagnements", "jalons", "objectifs", "financements", "*"], key="audit_table",
                         format_func=lambda t: {"": "Toutes", "*": "Imports"}.get(t, t))
    with engine.connect() as conn:
        entries = audit.entries(conn, limit=500, table=table or None)
    st.caption(f"{len(entries)} dernières entrées, les plus récentes d'abord.")
    st.dataframe(
        pd.DataFrame(
            [
                (e["horodatage"], e["auteur"], parcours.ACTIONS.get(e["action"], e["action"]), e["table"], e["cle"] or "",
                 parcours.ligne_lisible(e["avant"]), parcours.ligne_lisible(e["apres"]))
                for e in entries
            ],
            columns=["Quand", "Qui", "Action", "Table", "Clé", "Avant", "Après"],
        ),
        hide_index=True,
        width="stretch",
    )
