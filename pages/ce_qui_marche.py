"""Ce qui marche: which actions are associated with more jobs or fewer ruptures than for comparable young people.

Thin: read the filters, ask `ui.cache.effets` (which asks `indicators.models.effets.for_account`
for this account: scope check, small groups masked outside the structure), draw the forest plot
with its table, the balance and the method one click away. A région or the country is computed
in a background thread (`ui.background`) that the page follows with a progress bar, and kept
under the data version, so the next visitor gets it at once.
"""

import streamlit as st

from indicators.disclosure.service import checked_rule
from indicators.models import effets as modele
from indicators.types import Echelon
from mlimpact.access import AccesRefuse
from presentation import effets as textes
from presentation.formats import date_fr
from presentation.textes import echapper, libelle_filtres
from presentation.theme import french
from reports import contenu as ct
from ui import auth, background, cache, filters, menu

compte = auth.page_account(__file__)
db = cache.current_db()
version = cache.data_version(db)
selection, as_of = filters.scoped_page(
    compte, db, version, textes.TITRE,
    "La base ne contient encore aucun jalon : importez des données pour comparer les parcours.", key="cqm",
)
demande = ct.Demande(selection.periode, selection.perimetre, selection.filtres, as_of)
libelle, _dep = cache.contexte(db, version, selection.perimetre)
st.caption(
    f"**{echapper(libelle)}** · {echapper(selection.libelle_periode)} · {echapper(libelle_filtres(selection.filtres))} · "
    f"données au {date_fr(as_of)}"
)
st.markdown(
    "Les jeunes qui reçoivent une action ont-ils ensuite plus souvent un emploi, ou moins souvent une rupture, "
    "**que des jeunes comparables qui ne l'ont pas reçue le même mois** ? Un écart est dit « associé à » l'action, "
    "jamais causé par elle ; un intervalle qui contient zéro signifie **effet non démontré**."
)
lien, _ = st.columns([1, 2])
lien.page_link(str(menu.page_of("methodologie.py").path), label="Méthodologie complète", icon=":material/menu_book:")
with st.expander("La méthode, ses hypothèses et ses limites", icon=":material/info:"):
    st.markdown(textes.methode_markdown())

if selection.perimetre.echelon in (Echelon.REGION, Echelon.NATIONAL):
    # many départements: computed once in the background (kept under the data version), the page follows it
    moteur = cache.engine(db)
    try:
        regle = checked_rule(moteur, compte, selection.perimetre)
    except AccesRefuse as exc:
        st.error(str(exc))
        st.stop()
    brut = modele.stored(moteur, demande.periode, demande.perimetre, demande.filtres, demande.as_of)
    if brut is None:
        job = background.run(
            cache.jobs(), (db, version, demande),
            lambda progress: modele.compute_stored(moteur, demande.periode, demande.perimetre, demande.filtres, demande.as_of, progress),
        )  # fmt: skip
        barre = st.progress(job.fraction, text=job.texte)
        while not job.fini.wait(0.5):  # the thread goes on if the visitor leaves; the result is kept for the next
            barre.progress(job.fraction, text=f"{job.texte} (calcul en arrière-plan, partagé avec les autres visiteurs)")
        barre.empty()
        if job.erreur is not None:
            background.forget(cache.jobs(), (db, version, demande))
            st.error("Le calcul n'a pas abouti ; rechargez la page pour le relancer.")
            st.stop()
        brut = job.resultat
    resultats = modele.visible(brut, regle)
else:
    barre = st.progress(0.0, text="Calcul des comparaisons…")
    try:
        resultats = cache.effets(db, version, compte, demande, progress=lambda f, t: barre.progress(min(max(f, 0.0), 1.0), text=t))
    except AccesRefuse as exc:
        barre.empty()
        st.error(str(exc))
        st.stop()
    barre.empty()

k = cache.disclosure_rule(db, version, compte, selection.perimetre).k
if k:
    st.caption(
        f"Secret statistique : hors de la structure, une ligne dont un groupe compte moins de {k} jeunes est masquée."
    )
if not resultats.effets:
    st.info(
        "Aucune comparaison possible sur cette période : il faut des mois dont les 6 mois suivants sont écoulés "
        "et assez de jeunes de chaque côté. Choisissez une période plus ancienne ou plus longue."
    )
else:
    st.caption(textes.contexte(resultats))
    # the chart keeps its own width (labels, plot, figures side by side); the same figures in the table under it
    st.altair_chart(
        french(textes.foret(resultats, largeur=340)),
        width="content",
        key="cqm_foret",
        alt="Graphique en forêt : pour chaque action et chaque résultat, l'écart ajusté en points et son "
        "intervalle à 95 %. Les mêmes chiffres sont dans le tableau.",
    )
    st.dataframe(textes.table(resultats), hide_index=True, width="stretch", key="cqm_table")
    masques = sum(e.traitement == "masque" for e in resultats.effets)
    if masques:
        st.caption(f"{masques} ligne(s) masquée(s) : moins de {k} jeunes d'un côté de la comparaison.")
    if any(e.traitement == "perturbe" for e in resultats.effets):
        st.caption(
            "Hors de la structure, les nombres de jeunes de chaque côté sont légèrement perturbés (de 4 au plus, "
            "toujours de la même façon pour les mêmes jeunes) ; les écarts et les intervalles sont exacts."
        )
    with st.expander("Lecture ligne à ligne"):
        for e in resultats.effets:
            st.text(textes.lecture(e))
for ligne in textes.exclusions(resultats):
    st.caption(f"Non estimé — {ligne}")
if resultats.equilibres:
    with st.expander("Équilibre des groupes après ajustement et recouvrement"):
        st.write(
            "Pour chaque action : le plus grand écart standardisé entre les deux groupes avant et après "
            "pondération (cible : moins de 0,1), et les mois-jeunes laissés de côté faute de jeunes comparables."
        )
        st.dataframe(textes.resume_equilibre(resultats), hide_index=True, width="stretch", key="cqm_equilibre")
        choix = st.selectbox(
            "Détail d'une action",
            [eq.action for eq in resultats.equilibres],
            format_func=lambda a: textes.ACTION_LIBELLES[a],
            key="cqm_detail",
        )
        eq = next(eq for eq in resultats.equilibres if eq.action == choix)
        st.dataframe(textes.equilibre(eq), hide_index=True, width="stretch", key="cqm_detail_table")
