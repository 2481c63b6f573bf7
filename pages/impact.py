"""Impact: what the support does, produces, prevents and avoids — the page a director opens before the Département.

Thin: read the filters, ask `reports.cache_page` (which asks `indicators.disclosure.service`
for this account), draw. Four bands, one per family, each figure a card with
its change, its convention objective and its definition; charts with their
figures as tables; the four themes' breakdowns and the avoided-cost waterfall
with its assumptions; the PDF report and the Excel export one click away.
"""

import datetime as dt
import functools

import pandas as pd
import streamlit as st

from indicators.models import impact as modele
from indicators.models.objectifs import STATUTS
from indicators.registry import FAMILLES, REGISTRY
from indicators.types import Echelon, Famille, Periode
from mlimpact.access import AccesRefuse
from presentation.figures import texte_objectif, texte_valeur
from presentation.formats import date_fr, euros
from presentation.textes import echapper, libelle_filtres, mois_incomplet
from reports import contenu as ct
from reports import excel as rapport_excel
from reports import figures as fig
from reports import pdf as rapport_pdf
from ui import auth, cache, cards, charts, filters, lazy

INTROS = {
    Famille.ACTIVITE: "Ce que la Mission Locale fait : combien de jeunes elle suit, avec quelle intensité, et ce que "
    "cela coûte.",
    Famille.PRODUIT: "Ce que l'accompagnement produit pour les jeunes : un emploi, une formation, des droits ouverts, "
    "des partenaires mobilisés autour d'eux.",
    Famille.PREVENTION: "Ce que l'accompagnement prévient : les ruptures repérées puis évitées, les parcours tenus sans "
    "interruption, l'installation durable au RSA.",
    Famille.IMPACT: "Ce que l'accompagnement évite à la collectivité, en euros : les allocations RSA qui n'ont pas été "
    "versées. C'est une estimation prudente, donnée comme une fourchette.",
}
STATUT_ICONES = {
    "atteint": ":material/check_circle:",
    "non atteint": ":material/cancel:",
    "en cours": ":material/hourglass_top:",
    "sans valeur": ":material/remove:",
}

compte = auth.page_account(__file__)
db = cache.current_db()
version = cache.data_version(db)
selection, as_of = filters.scoped_page(
    compte, db, version, "Impact de l'accompagnement",
    "La base ne contient encore aucun jalon : importez des données pour voir les indicateurs.", key="imp",
)
demande = ct.Demande(selection.periode, selection.perimetre, selection.filtres, as_of, selection.comparaison)
cards.page_css()
try:
    figs = cache.figures(db, version, compte, demande)
except AccesRefuse as exc:
    st.error(str(exc))
    st.stop()
libelle, _dep = cache.contexte(db, version, selection.perimetre)
k = cache.disclosure_rule(db, version, compte, selection.perimetre).k
params = cache.parametres(db, version, selection.perimetre)
objectifs = cache.objectifs(db, version, compte, demande)
annee_obj = ct.annee_objectifs(demande)

# --- what this page describes ------------------------------------------------------------------------
st.caption(
    f"**{echapper(libelle)}** · {echapper(selection.libelle_periode)} · {echapper(libelle_filtres(selection.filtres))} · "
    f"données au {date_fr(as_of)} · évolutions par rapport au {selection.libelle_comparaison}"
)
note = mois_incomplet(selection.periode, as_of)
if note:
    st.info(note, icon=":material/schedule:")
if k:
    st.caption(
        f"Secret statistique : hors de la structure qui les détient, les chiffres sont légèrement perturbés (« ≈ »), "
        f"toujours de la même façon pour les mêmes jeunes, et les effectifs de 1 à {k - 1} sont masqués "
        f"(« < {k} », « secret »), jamais remplacés par 0."
    )

pdf_permis = compte.role in ("directeur", "admin") and selection.perimetre.echelon is Echelon.STRUCTURE
boutons = iter(st.columns([1.6, 1.1, 2.3]))
if pdf_permis:
    next(boutons).download_button(
        "Rapport PDF pour le Département",
        data=lambda: rapport_pdf.rapport(
            cache.engine(db), compte, selection.periode, selection.perimetre, selection.filtres, as_of, selection.comparaison
        ),
        file_name=rapport_pdf.nom_fichier(selection.perimetre, selection.periode),
        mime="application/pdf",
        on_click="ignore",
        icon=":material/picture_as_pdf:",
        key="imp_pdf",
        help="Le même document que `mlimpact rapport` : synthèse, objectifs, une section par famille, coûts évités "
        "et leurs hypothèses, annexe des définitions. C'est le document à remettre : l'impression de la page depuis "
        "le navigateur en est une version brute.",
    )
next(boutons).download_button(
    "Tableaux Excel",
    data=lambda: rapport_excel.export(cache.engine(db), compte, selection.periode, selection.perimetre, selection.filtres, as_of),
    file_name=rapport_pdf.nom_fichier(selection.perimetre, selection.periode, "xlsx"),
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    on_click="ignore",
    icon=":material/table_view:",
    key="imp_xlsx",
    help="Chaque indicateur, ventilation et évolution de la page, une feuille par tableau.",
)


# --- cards -------------------------------------------------------------------------------------------------
# Each indicator's objective row, read once (filtering the table per card cost a fifth of a session's server time).
OBJECTIFS = {} if objectifs is None else {r["indicateur"]: r for r in reversed(objectifs.to_dict("records"))}


def objectif_carte(code: str) -> cards.Objectif | None:
    r = OBJECTIFS.get(code)
    if r is None:
        return None
    resultat = None if pd.isna(r["resultat"]) else float(r["resultat"])
    statut = f"{STATUT_ICONES[r['statut']]} {STATUTS[r['statut']].replace('Objectif ', '').lower()}"
    annee_entiere = selection.periode == Periode(dt.date(annee_obj, 1, 1), dt.date(annee_obj, 12, 31))
    meme_chiffre = annee_entiere and not selection.filtres.actifs()
    return cards.Objectif(float(r["cible"]), statut, texte_objectif(code, float(r["cible"]), resultat, annee_obj, statut, meme_chiffre))


def bande(famille: Famille) -> None:
    codes = [c for c, d in REGISTRY.items() if d.famille is famille]
    # Row by row, so that on a phone (columns stacked) the cards keep the registry's order.
    for start in range(0, len(codes), 4):
        for column, code in zip(st.columns(4), codes[start : start + 4]):
            with column:
                carte(famille, code)


def carte(famille: Famille, code: str) -> None:
    actuel, precedent = figs[code]
    cards.card(code, actuel, precedent, objectif_carte(code), key_prefix=f"imp_{famille.value}_", k=k or 11,
               comparaison=selection.libelle_comparaison)


def tendance(famille: Famille) -> None:
    spec, noms = cache.tendance_chart(db, version, compte, demande, famille)
    if spec is None:
        return
    titre = ct.titre_tendance(demande)
    st.markdown(f"**{titre}**")
    charts.show(
        spec,
        lambda: fig.table_tendance(ct.tendance(cache.tendances(db, version, compte, demande), famille)),
        f"{titre} : {noms}.",
        key=f"imp_tendance_{famille.value}",
    )
    st.caption(
        "Chaque point additionne la période depuis son premier jour jusqu'à la fin du mois ; un mois dont les "
        "données s'arrêtent en cours de mois est marqué « mois incomplet »."
    )


def ventilations(nom: str) -> None:
    if nom == "departement":
        rsa = pd.DataFrame(
            [{"Indicateur": REGISTRY[c].libelle, "Valeur": texte_valeur(c, figs[c][0])} for c in ct.CHIFFRES_RSA]
        )
        st.dataframe(rsa, hide_index=True, width="stretch")
    # The theme's breakdowns side by side, with all their figures in one table (read when unfolded).
    specs, titres = cache.theme_charts(db, version, compte, demande, nom)
    charts.show_grid(
        specs,
        lambda: pd.concat(
            [fig.table_ventilation(t).assign(Ventilation=titre) for t, titre in zip(cache.theme(db, version, compte, demande, nom), titres, strict=True)],
            ignore_index=True,
        )[["Ventilation", "Modalité", "Valeur"]],
        f"{ct.THEMES[nom][0]} : {'; '.join(titres)} — barres horizontales, une par modalité.",
        key=f"imp_theme_{nom}",
    )
    if nom == "departement":
        st.markdown("**Combien de temps les jeunes restent au RSA**")
        curve = cache.courbe(db, version, compte, demande)
        if curve.attrs.get("reservee"):
            st.caption(
                "Courbe réservée à la structure qui détient les données : ses effectifs mois par mois "
                "permettraient, par différence, de retrouver de petits nombres de jeunes."
            )
        elif curve.empty:
            st.caption("Aucune entrée au RSA sur ces années.")
        else:
            charts.show(cache.chart(fig.courbe_rsa, curve), lambda: fig.table_courbe(curve), "Part des jeunes encore au RSA mois après mois depuis leur entrée, une courbe par année d'entrée.", key="imp_courbe")
            st.caption(
                "Estimation de Kaplan–Meier : un droit encore ouvert à la date des données compte jusqu'à cette date "
                "sans être compté comme un échec. Tous les jeunes du périmètre entrés au RSA, sans filtre de public."
            )


@st.fragment
def themes() -> None:
    """The four themes of the network: the selector redraws only this part."""
    noms = {nom: titre for nom, (titre, _) in ct.THEMES.items()}
    choisi = st.segmented_control("Thème", list(noms), format_func=noms.get, default="public", key="imp_theme", required=True)
    ventilations(choisi or "public")


def retour_departement(imp: ct.Impact) -> None:
    """The headline for the Département: the RSA it does not pay per euro it puts in, with its range and
    break-even; beside it the same over every financeur's budget, each named."""
    col_cd, col_tous = st.columns(2)
    with col_cd:
        retour("euros_evites_par_euro_cd", imp.cas["euros_par_euro_cd"],
               f"pour {euros(imp.budget_cd)} de financement du Département sur la période.", imp.phrase_point_mort_cd)
    with col_tous:
        retour("euros_evites_par_euro_investi", imp.cas["euros_par_euro_investi"],
               f"pour {euros(imp.budget)} de budget, tous financeurs (État, Département, FSE…) : le RSA évité n'est "
               "qu'une partie de ce qu'ils financent.", imp.phrase_point_mort)


def retour(code: str, cas: pd.Series, pour: str, point_mort: str) -> None:
    """One return as a headline figure: its card value, its range over the three cases, its break-even."""
    bas, central, haut = cas.tolist()
    st.metric(REGISTRY[code].libelle, texte_valeur(code, figs[code][0]), help=REGISTRY[code].definition, border=True)
    if central is not None:
        st.write(f"Fourchette : {fig.texte_ratio(bas)} (prudente) à {fig.texte_ratio(haut)} (favorable), {pour}")
    st.write(f"**Point mort.** {point_mort}")


@st.fragment
def cout_evite() -> None:
    """The waterfall from gross to net in the case chosen, with the range, the parameters and their sources."""
    imp, tables = cache.cout_evite(db, version, compte, demande)
    if imp.masque:
        st.info(imp.phrase_point_mort)
        return
    retour_departement(imp)
    cas = st.radio(
        "Hypothèse", list(modele.CAS), format_func=modele.CAS.get, index=1, horizontal=True, key="imp_cas",
        help="Prudente : plus d'effet d'aubaine et de part des autres acteurs ; favorable : moins.",
    )
    left, right = st.columns([3, 2])
    with left:
        cascade = modele.waterfall(imp.brut, params, cas)
        charts.show(cache.chart(fig.cascade, cascade), lambda: fig.table_cascade(cascade), "Cascade du montant brut au montant net des allocations RSA évitées : "
                    + " ; ".join(fig.texte_etape(e, m, t) for e, m, t in zip(cascade["etape"], cascade["montant"], cascade["type"])) + ".",
                    key="imp_cascade")
    with right:
        fourchette = imp.cas.set_index("cas")["couts_evites_nets_eur"]
        st.metric(
            "Allocations RSA évitées (net), fourchette",
            f"{euros(fourchette['bas'])} – {euros(fourchette['haut'])}",
            help="De l'hypothèse prudente à l'hypothèse favorable ; jamais un chiffre unique.",
            border=True,
        )
        st.write(f"Hypothèse centrale : **{euros(fourchette['central'])}**.")
        st.write(f"**Tous financeurs confondus** ({euros(imp.budget)}). {imp.phrase_point_mort}")
        st.dataframe(tables["cas"], hide_index=True, width="stretch")
    if "retours" in tables:
        st.markdown("**Chaque financeur, et ce que le RSA évité représente pour lui**")
        st.dataframe(tables["retours"], hide_index=True, width="stretch")
        st.caption("Le RSA est versé par le Département : les allocations évitées ne se rapportent qu'à son financement "
                   "et, pour mémoire, à l'ensemble des financements. L'État, le FSE et les autres financeurs financent "
                   "d'autres résultats (emploi, formation, CEJ), présentés dans les bandes ci-dessus.")
    st.markdown("**Les hypothèses et leurs sources**")
    st.dataframe(tables["hypotheses"], hide_index=True, width="stretch")
    for p in (params.effet_aubaine, params.part_autres_acteurs):
        if p.justification:
            st.caption(f"{echapper(p.libelle)} : {echapper(p.justification)}")
    st.caption(f"Version des paramètres : {echapper(params.version)}.")
    if params.modifie and selection.perimetre.code:
        change = cache.modification_parametres(db, version, selection.perimetre.code)
        quand = f" le {str(change['horodatage'])[:10]}" if change else ""
        st.warning(f"Paramètres modifiés par la direction de la structure{quand} : ils figurent dans le rapport.", icon=":material/edit:")
    with st.expander("Lire ce chiffre avec précaution"):
        st.markdown(
            "- **Effet d'aubaine** : une partie des jeunes serait sortie du RSA sans l'accompagnement. L'évaluation de "
            "la Garantie jeunes (DARES, 2018) suggère que c'est le cas de deux tiers à quatre cinquièmes des sorties : "
            "on retire cette part.\n"
            "- **Attribution** : France Travail, les employeurs, les organismes de formation et les services du "
            "Département contribuent aussi ; on retire leur part.\n"
            "- **Une fourchette, pas un chiffre** : le résultat dépend de ces hypothèses ; il est donné dans trois cas.\n"
            "- **Ce qui n'est pas compté** : ni cotisations ni impôts, ni coûts de santé évités ; au plus douze mois "
            "après chaque sortie. L'essentiel de ce que produit l'accompagnement (parcours sécurisés, ruptures "
            "évitées) ne se convertit pas en euros ici."
        )


# --- the four bands -----------------------------------------------------------------------------------------
for famille in Famille:
    st.header(FAMILLES[famille], divider="gray")
    st.write(INTROS[famille])
    bande(famille)
    if famille is Famille.ACTIVITE:
        tendance(famille)
        st.subheader("Le public accompagné et les quatre thèmes du réseau")
        st.caption("Le public, les parcours, l'étayage des partenaires, la relation avec le Département.")
        # One click away, built only when unfolded (`ui.lazy`): six of the page's fifteen charts for the public
        # alone, a sixth of what twenty directors opening the page at once waited for (docs/benchmarks.md).
        lazy.fold("Voir les quatre thèmes", "imp_themes_ouverts", themes, icon=":material/bar_chart:")
    elif famille is Famille.PRODUIT:
        tendance(famille)
        st.subheader("Les partenaires mobilisés, par domaine")
        partenaires = cache.theme(db, version, compte, demande, "etayage")[0]
        charts.show(cache.chart(fig.barres, partenaires), functools.partial(fig.table_ventilation, partenaires), "Mobilisations de partenaires par domaine, barres horizontales.", key="imp_partenaires")
    elif famille is Famille.PREVENTION:
        tendance(famille)
        st.subheader("Les risques de rupture par domaine, et comment ils se sont terminés")
        risques = cache.risques(db, version, compte, demande)
        charts.show_grid(cache.chart(fig.risques_panneaux, risques), functools.partial(fig.table_risques, risques),
                         "Risques de rupture par domaine : évités, survenus, encore en cours (un graphique chacun, même échelle).",
                         key="imp_risques", colonnes=3)
    else:
        st.subheader("Du montant brut au montant net")
        cout_evite()
        tendance(famille)

st.caption(
    f"Définitions : page Méthodologie. Données au {date_fr(as_of)}. {echapper(libelle)}, {echapper(selection.libelle_periode)}."
)
