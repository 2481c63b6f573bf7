"""Vue nationale: where young people get the same support, and where differences may mean unequal access.

Bureau and admin: the tile-grid map of the départements for one indicator,
the régions, the spread between territories (with the access indicators that
lie outside the band), the change against the previous period with a
ranking, and national monthly trends. A `departement` account sees its own
département only: its structures, its trends and, when the service offers
it, the national value to compare with (docs/national.md).

Every figure comes masked from `indicators.disclosure.territorial` (régions, départements
and structures masked together) or from `indicators.disclosure.service`; tabs run only
when opened, so a change of indicator computes only what is on screen.
"""

from __future__ import annotations

import datetime as dt
import functools

import pandas as pd
import streamlit as st

from indicators.disclosure import territorial
from indicators.registry import FAMILLES_COURTES, REGISTRY
from indicators.types import Echelon, Famille, Nature, Perimetre, Valeur
from mlimpact import overview as ov
from mlimpact import territoires
from presentation import figures
from presentation.formats import date_fr, entier, nombre
from reports import contenu as ct
from ui import auth, cache, carte, exports, filters, menu
from ui.charts import draw, show

compte = auth.page_account(__file__)
TITRE = menu.page_of(__file__).titre_pour(compte.role)  # the menu's title for this role
db = cache.current_db()
version = cache.data_version(db)
K = cache.secret_threshold(db, version)
TOUTES = ""
DEFAUT = "acces_emploi"
TITRES_FAMILLE = {Famille.ACTIVITE: "jeunes_suivis", Famille.PRODUIT: "acces_emploi",
                  Famille.PREVENTION: "parcours_securises", Famille.IMPACT: "mois_rsa_evites"}


# --- the monthly series, behind a progress bar ------------------------------------------------------------
def load_trend(debut: dt.date, fin: dt.date, perimetre: Perimetre, code: str) -> pd.DataFrame:
    """The monthly series, one cached month at a time: a progress bar while months are being computed
    (about a second each at national scale), and a month already seen is never computed again."""
    barre = st.progress(0.0, text="Calcul des tendances mensuelles…")
    serie = cache.by_month(
        debut, fin, lambda mois: cache.month_figures(db, version, compte, mois, perimetre, code, filtres),
        lambda fait, total: barre.progress(fait / total, text=f"Calcul des tendances mensuelles : {fait} mois sur {total}"),
    )
    barre.empty()
    return serie


# --- small helpers of this page -----------------------------------------------------------------------------
def unite(code: str) -> str:
    ind = REGISTRY[code]
    return f"{ind.libelle} ({ind.unite})"


def format_d3(code: str) -> str:
    ind = REGISTRY[code]
    places = 0 if ind.nature is Nature.COUNT else (1 if ind.nature is Nature.RATIO else ind.decimales)
    return f",.{places}~f"


def texte(code: str, valeur: float | None) -> str:
    return figures.texte_valeur(code, Valeur(code, None if valeur is None or pd.isna(valeur) else float(valeur)), K)


def parametre(name: str, value: str) -> None:
    """Keep a choice in the URL (territory codes only: never a figure, never a person)."""
    if value:
        st.query_params[name] = value
    else:
        st.query_params.pop(name, None)


def libelle_dep(code: str) -> str:
    return f"{code} — {territoires.nom_departement(code)}"


def download(nom: str, principal: pd.DataFrame, feuilles: dict[str, pd.DataFrame], key: str) -> None:
    """CSV of the main table and xlsx of every table of the tab, exactly as shown (masked the same way)."""
    notes = {
        "Indicateur": unite(code), "Période": selection_libelle, "Filtres": filtres_libelle,
        "Secret statistique": f"chiffres perturbés (« ≈ ») ; effectifs de 1 à {K - 1} masqués (« < {K} »), « secret » : taux masqué",
        "Données au": date_fr(as_of),
    }
    left, right = st.columns(2)
    # The bytes are built when the button is clicked (deferred), not on every run of the page.
    moteur = cache.engine(db)
    left.download_button("Exporter le tableau (CSV)",
                         exports.audited(functools.partial(exports.csv_bytes, principal), moteur, compte.email, "vue_nationale", f"{nom}.csv"),
                         file_name=f"{nom}.csv", mime=exports.CSV_MIME, key=f"{key}_csv", icon=":material/download:", on_click="ignore")
    right.download_button("Exporter les tableaux (Excel)",
                          exports.audited(functools.partial(exports.xlsx_bytes, feuilles, notes), moteur, compte.email, "vue_nationale", f"{nom}.xlsx"),
                          file_name=f"{nom}.xlsx", mime=exports.XLSX_MIME, key=f"{key}_xlsx", icon=":material/download:",
                          on_click="ignore")


def chart_and_table(chart, table: pd.DataFrame, alt_text: str, key: str) -> None:
    """A chart with its figures in a table shown right under it (not folded away: the table is the point here)."""
    draw(chart, f"chart_{key}", alt_text)
    st.dataframe(table, hide_index=True, width="stretch")


def table_territoires(t: pd.DataFrame, premier: str) -> pd.DataFrame:
    """A territory table as shown: code, name, région, the figure as text (masked as "< 11" or "secret")."""
    out = pd.DataFrame({
        "Code": t["code"].astype(str),
        premier: t["libelle"].astype(str),
        "Région": [territoires.nom_region(r) if isinstance(r, str) and r else "" for r in t["region"]],
        REGISTRY[code].libelle: t["affichage"].astype(str),
    })
    return out


def add_rank(t: pd.DataFrame) -> pd.DataFrame:
    ranked = territorial.classement(t, code)
    ranked["Rang"] = ["—" if pd.isna(r) else str(int(r)) for r in ranked["rang"]]
    return ranked


# --- the tables as exported: numbers as numbers, masks as text beside them -----------------------------------
def entete(c: str, avant: str = "") -> str:
    """A figure's column header: « Taux d'accès à l'emploi (%) » (a « (%) » column is a percentage in the workbook)."""
    ind = REGISTRY[c]
    return f"{avant}{ind.libelle} ({ind.unite})"


def chiffres(t: pd.DataFrame, c: str, suffix: str = "", avant: str = "") -> dict[str, pd.Series]:
    """The figure of each row as a number (empty when masked) and, beside it, why it is empty (« < 11 », « secret »)."""
    masked = t[f"masque{suffix}"].astype("boolean").fillna(False).astype(bool).reset_index(drop=True)
    values = pd.to_numeric(t[f"valeur{suffix}"], errors="coerce").astype("Float64").reset_index(drop=True)
    shown = t["affichage" if not suffix else f"affichage{suffix}"].astype(str).reset_index(drop=True)
    traitement = t[f"traitement{suffix}"].astype(str).reset_index(drop=True) if f"traitement{suffix}" in t else None
    raison = shown.where(masked, "" if traitement is None else traitement.map({"perturbe": "≈ perturbé"}).fillna(""))
    values = values.mask(masked)
    if REGISTRY[c].nature is Nature.COUNT:  # a count is a whole number, perturbed or not: « 45 », never « 45,0 »
        values = values.round().astype("Int64")
    return {entete(c, avant): values, f"{avant}Secret statistique": raison}


def rangs(t: pd.DataFrame) -> pd.Series:
    return pd.array(t["rang"], dtype="Int64")


def export_territoires(t: pd.DataFrame, premier: str, c: str, rang: bool = False, region: bool = True) -> pd.DataFrame:
    """A territory table to download: rank (a number), code, name, région, the figure (a number) and its mask."""
    cols: dict[str, object] = {"Rang": rangs(t)} if rang else {}
    cols |= {"Code": t["code"].astype(str).to_numpy(), premier: t["libelle"].astype(str).to_numpy()}
    if region:
        cols["Région"] = [territoires.nom_region(r) if isinstance(r, str) and r else "" for r in t["region"]]
    return pd.DataFrame({**cols, **chiffres(t, c)})


# --- filters -------------------------------------------------------------------------------------------------
visibles = cache.visible_structures(db, version, compte)
premiere_date, _ = cache.store_dates(db, version, visibles)
derniers = cache.latest_by_structure(db, version, visibles)  # how far each structure has reported
as_of, _ = ov.data_through(derniers)  # « données au » of the page's scope: the earliest of those dates
if as_of is None:
    st.title(TITRE)
    st.info("Aucune donnée pour votre périmètre.")
    st.stop()
st.sidebar.header("Filtres")
periode, selection_libelle = filters.choose_period(as_of, (premiere_date or as_of).year, key="nat")
filtres = filters.choose_filters(key="nat")
filtres_libelle = ", ".join(f"{k} = {v}" for k, v in filtres.actifs().items()) or "aucun"

codes_carte = territorial.indicateurs_carte()
familles = {c: FAMILLES_COURTES[REGISTRY[c].famille] for c in codes_carte}
demande = st.query_params.get("indicateur")
departemental = compte.role == "departement"

st.title(f"{TITRE} — {libelle_dep(compte.departement)}" if departemental else TITRE)
st.caption(
    f"Période : {selection_libelle} · filtres : {filtres_libelle} · données au {date_fr(as_of)}, la plus ancienne des "
    "dernières dates de jalon des structures du périmètre : un mois n'est complet que lorsque toutes ont transmis "
    "leurs jalons jusqu'à sa fin. "
    f"Secret statistique : les chiffres sont légèrement perturbés (« ≈ »), toujours de la même façon pour les "
    f"mêmes jeunes, pour qu'aucun petit effectif ne se retrouve par différence ; les effectifs de 1 à {K - 1} "
    f"sont masqués (« < {K} », « secret » pour un taux) ; un chiffre masqué n'est jamais affiché comme 0."
)

c1, c2, c3 = st.columns([2, 1.2, 1.2])
code = c1.selectbox(
    "Indicateur", codes_carte, index=codes_carte.index(demande if demande in codes_carte else DEFAUT),
    format_func=lambda c: f"{familles[c]} · {REGISTRY[c].libelle}", key="nat_indicateur",
    help="Les indicateurs qui se comparent entre territoires : comptages, taux et délai d'entrée.",
)
parametre("indicateur", code)
ind = REGISTRY[code]
tableau = cache.territorial_table(db, version, compte, periode, code, filtres)

if departemental:
    region = TOUTES
    departement = compte.departement
else:
    regions_options = [TOUTES, *territoires.REGIONS]
    demande_region = st.query_params.get("region", TOUTES)
    region = c2.selectbox(
        "Région", regions_options, index=regions_options.index(demande_region) if demande_region in regions_options else 0,
        format_func=lambda r: "Toutes les régions" if r == TOUTES else territoires.nom_region(r), key="nat_region",
    )
    parametre("region", region)
    deps_avec = [c for c in tableau.departements["code"] if not region or territoires.DEPARTEMENTS[c].region == region]
    options_dep = [TOUTES, *deps_avec]
    if st.session_state.get("nat_dep") not in options_dep:
        demande_dep = st.query_params.get("dep", TOUTES)
        st.session_state["nat_dep"] = demande_dep if demande_dep in options_dep else TOUTES

    def pick_on_map() -> None:
        """A click on a tile chooses its département (the select box stays the keyboard's way)."""
        state = st.session_state.get("nat_carte")
        picked = (state or {}).get("selection", {}).get(carte.SELECTION) or []
        if picked and picked[0].get("code") in options_dep:
            st.session_state["nat_dep"] = picked[0]["code"]

    departement = c3.selectbox(
        "Département à détailler", options_dep, key="nat_dep",
        format_func=lambda d: "Aucun" if d == TOUTES else libelle_dep(d),
        help="Ou cliquez sur une case de la carte.",
    )
    parametre("dep", departement)

st.caption(f"**{ind.libelle}** — {ind.definition}")

deps = tableau.departements
deps_filtre = deps[deps["region"] == region] if region else deps
national = tableau.national


# --- views of a département account -------------------------------------------------------------------------
def show_departement() -> None:
    reference = cache.national_reference(db, version, compte, periode, code, filtres)
    row = deps.iloc[0] if len(deps) else None
    cols = st.columns(3)
    cols[0].metric(f"{ind.libelle} — {territoires.nom_departement(departement)}", row["affichage"] if row is not None else "—",
                   help=ind.definition, border=True)
    cols[1].metric("France entière (référence)", figures.texte_valeur(code, reference, K) if reference else "non disponible",
                   help="Valeur nationale agrégée, masquée comme toute valeur hors de votre département.", border=True)
    cols[2].metric("Structures du département", entier(len(tableau.structures)), border=True)
    if reference is None:
        st.caption("La valeur nationale de comparaison n'est pas encore fournie aux comptes départementaux "
                   "par la couche d'accès aux données : seul votre département est affiché.")
    st.subheader("Vos structures")
    structures = tableau.structures
    shown = table_territoires(structures, "Structure").drop(columns=["Région"])
    chart = cache.chart(carte.barres, structures, unite(code), format_d3(code),
                        reference=None if row is None or row["masque"] else float(row["valeur"]),
                        libelle_reference=territoires.nom_departement(departement))
    chart_and_table(chart, shown, f"{ind.libelle} par structure du département {libelle_dep(departement)}",
                         key="nat_dep_structures")
    exported = export_territoires(structures, "Structure", code, region=False)
    acces = acces_departement()
    feuilles = {"Structures": exported, "Accès aux droits": acces}
    download(f"structures-{departement}-{code}", exported, feuilles, key="nat_exp_dep")


def acces_departement() -> pd.DataFrame:
    """The access indicators of the département and of each of its structures, masked together per indicator."""
    st.subheader("Accès aux droits dans vos structures")
    codes = list(territorial.ACCES)
    tables = {c: cache.territorial_table(db, version, compte, periode, c, filtres) for c in codes}
    rows = [("Département", libelle_dep(departement), {c: t.departements.iloc[0]["affichage"] for c, t in tables.items()})]
    for r in tableau.structures.itertuples():
        rows.append(("Structure", f"{r.libelle} ({r.code})", {
            c: next(iter(t.structures.loc[t.structures["code"] == r.code, "affichage"]), "—") for c, t in tables.items()
        }))
    shown = pd.DataFrame([{"Niveau": n, "Territoire": name, **{REGISTRY[c].libelle: v[c] for c in codes}} for n, name, v in rows])
    st.dataframe(shown, hide_index=True, width="stretch")
    exported = pd.DataFrame({"Niveau": shown["Niveau"], "Territoire": shown["Territoire"]})
    for c, t in tables.items():
        lignes = pd.concat([t.departements, t.structures.set_index("code").reindex(tableau.structures["code"]).reset_index()],
                           ignore_index=True)
        for name, values in chiffres(lignes, c).items():
            exported[name if name != "Secret statistique" else f"{REGISTRY[c].libelle} — secret statistique"] = values
    return exported


# --- views of the bureau ---------------------------------------------------------------------------------------
def show_carte() -> None:
    cols = st.columns(3)
    cols[0].metric("France entière", national["affichage"] if national is not None else "—", help=ind.definition, border=True)
    if region:
        reg = tableau.regions[tableau.regions["code"] == region]
        cols[1].metric(territoires.nom_region(region), reg["affichage"].iloc[0] if len(reg) else "pas de données", border=True)
    st.subheader("Carte des départements")
    st.caption(carte.sens_legende(ind.sens).capitalize() + ". Cases grises : secret statistique ; cases blanches : "
               "pas de données. Cliquez sur une case pour détailler son département.")
    data = carte.tuiles(deps[["code", "valeur", "masque", "affichage"]], region or None)
    chart = cache.chart(carte.carte, data, unite(code), ind.sens, format_d3(code), tuile=62, choisi=departement or None)
    draw(
        chart, "nat_carte", on_select=pick_on_map, selection_mode=carte.SELECTION, width="content",
        alt_text=f"Carte des départements : {ind.libelle}, {selection_libelle}. Les chiffres sont aussi dans le tableau sous la carte.",
    )
    ranked = add_rank(deps_filtre)
    shown = pd.concat([ranked[["Rang"]], table_territoires(ranked, "Département")], axis=1)
    with st.expander("Voir les chiffres de la carte en tableau", key="nat_carte_table"):
        st.dataframe(shown, hide_index=True, width="stretch")
    structures_exported = detail_departement()
    exported = export_territoires(ranked, "Département", code, rang=True)
    feuilles = {"Départements": exported}
    if structures_exported is not None:
        feuilles[f"Structures du {departement}"] = structures_exported
    download(f"carte-{code}", exported, feuilles, key="nat_exp_carte")


def detail_departement() -> pd.DataFrame | None:
    if not departement:
        st.info("Cliquez sur une case de la carte, ou choisissez un département dans la liste, pour voir ses chiffres et ses structures.")
        return None
    row = deps[deps["code"] == departement].iloc[0]
    st.subheader(f"Département {libelle_dep(departement)}")
    ranked = add_rank(deps)
    rang = ranked.loc[ranked["code"] == departement, "Rang"].iloc[0]
    diffuses = int((~ranked["masque"] & ranked["valeur"].notna()).sum())
    structures = cache.territorial_structures(db, version, compte, periode, departement, code, filtres)
    parts = structures[structures["niveau"] == territorial.STRUCTURE]
    cols = st.columns(4)
    cols[0].metric(ind.libelle, row["affichage"], border=True)
    cols[1].metric("Rang", f"{rang} sur {diffuses}" if rang != "—" else "—", border=True,
                   help="Parmi les départements dont le chiffre est diffusé, le meilleur en premier.")
    cols[2].metric("Région", territoires.nom_region(row["region"]), border=True)
    cols[3].metric("Structures", entier(len(parts)), border=True)
    shown = table_territoires(parts, "Structure").drop(columns=["Région"])
    reference = None if row["masque"] or pd.isna(row["valeur"]) else float(row["valeur"])
    chart = cache.chart(carte.barres, parts, unite(code), format_d3(code), reference, territoires.nom_departement(departement))
    chart_and_table(chart, shown, f"{ind.libelle} par structure du département {libelle_dep(departement)}",
                         key="nat_structures")
    return export_territoires(parts, "Structure", code, region=False)


def show_regions() -> None:
    st.subheader("Régions")
    regions = add_rank(tableau.regions)
    shown = pd.DataFrame({"Rang": regions["Rang"], "Code": regions["code"], "Région": regions["libelle"],
                          ind.libelle: regions["affichage"]})
    reference = None if national is None or national["masque"] else float(national["valeur"])
    chart_and_table(carte.barres(regions, unite(code), format_d3(code), reference), shown,
                         f"{ind.libelle} par région, {selection_libelle}", key="nat_regions")
    exported = export_territoires(regions, "Région", code, rang=True, region=False)
    download(f"regions-{code}", exported, {"Régions": exported}, key="nat_exp_regions")


def show_ecarts() -> None:
    scope = territoires.nom_region(region) if region else "France entière"
    st.subheader(f"Écarts entre départements — {scope}")
    ref = None if national is None or national["masque"] else float(national["valeur"])
    d = territorial.dispersion(deps_filtre, ref)
    if d.n == 0:
        st.info("Aucun chiffre diffusé pour ces départements.")
        return
    noms = dict(zip(deps["code"], deps["libelle"]))
    cols = st.columns(3)
    cols[0].metric("Rapport interdécile (D9 / D1)", nombre(d.rapport_interdecile, 2) if d.rapport_interdecile else "—",
                   border=True, help="Le 9e décile divisé par le 1er : combien de fois plus en haut qu'en bas de l'échelle.")
    cols[1].metric(f"Minimum — {noms[d.minimum[0]]}", texte(code, d.minimum[1]), border=True)
    cols[2].metric(f"Maximum — {noms[d.maximum[0]]}", texte(code, d.maximum[1]), border=True)
    st.write(f"La moitié des départements se situe entre {texte(code, d.q1)} (1er quartile) et {texte(code, d.q3)} "
             f"(3e quartile) ; médiane des départements : {texte(code, d.mediane)} ; France entière : {texte(code, d.national)}.")
    chart = cache.chart(carte.ecarts, deps_filtre, unite(code), d.q1, d.q3, d.national, d.atypiques, format_d3(code))
    figures = pd.DataFrame({
        "Mesure": ["France entière", "1er décile (D1)", "1er quartile (Q1)", "Médiane des départements", "3e quartile (Q3)",
                   "9e décile (D9)", "Rapport interdécile D9/D1", "Minimum", "Maximum",
                   "Départements diffusés", "Départements masqués", "Atypiques"],
        "Valeur": [texte(code, d.national), texte(code, d.p10), texte(code, d.q1), texte(code, d.mediane),
                   texte(code, d.q3), texte(code, d.p90),
                   nombre(d.rapport_interdecile, 2) if d.rapport_interdecile else "—",
                   f"{texte(code, d.minimum[1])} ({noms[d.minimum[0]]})", f"{texte(code, d.maximum[1])} ({noms[d.maximum[0]]})",
                   entier(d.n), entier(d.masques), ", ".join(noms[c] for c in d.atypiques) or "aucun"],
    })
    show(chart, figures, f"Dispersion de {ind.libelle} entre départements : chaque département est un point ; "
         "bande interquartile et valeur nationale.", key="nat_ecarts")
    if d.atypiques:
        st.write("Départements atypiques (au-delà de 1,5 écart interquartile) : " + ", ".join(noms[c] for c in d.atypiques) + ".")
    st.caption(f"Statistiques calculées sur les {d.n} départements dont le chiffre est diffusé, chacun comptant pour un ; "
               f"{d.masques} masqué(s) ne sont pas comptés comme 0.")
    acces = show_acces()
    exported = export_dispersion(d, noms)
    feuilles = {"Dispersion": exported, "Dispersion - résumé": pd.DataFrame({
        "Mesure": ["Rapport interdécile D9/D1", "Départements diffusés", "Départements masqués"],
        "Valeur": [d.rapport_interdecile, d.n, d.masques]})}
    if acces is not None:
        feuilles["Accès aux droits"] = acces
    download(f"ecarts-{code}", exported, feuilles, key="nat_exp_ecarts")


def export_dispersion(d: territorial.Dispersion, noms: dict) -> pd.DataFrame:
    """The dispersion to download: each measure a number in the indicator's unit, with its département when it has one."""
    rows = [("France entière", d.national, ""), ("1er décile (D1)", d.p10, ""), ("1er quartile (Q1)", d.q1, ""),
            ("Médiane des départements", d.mediane, ""), ("3e quartile (Q3)", d.q3, ""), ("9e décile (D9)", d.p90, ""),
            ("Minimum", d.minimum[1], noms[d.minimum[0]]), ("Maximum", d.maximum[1], noms[d.maximum[0]])]
    valeurs = dict(zip(deps_filtre["code"], deps_filtre["valeur"]))
    rows += [("Atypique", valeurs.get(c), noms[c]) for c in d.atypiques]
    return pd.DataFrame({"Mesure": [r[0] for r in rows], entete(code): pd.array([r[1] for r in rows], dtype="Float64"),
                         "Département": [r[2] for r in rows]})


def show_acces() -> pd.DataFrame | None:
    st.subheader("Accès aux droits : départements hors de la bande")
    st.write(
        "Un département est signalé quand un indicateur d'accès se situe hors de la bande interquartile, du côté "
        "défavorable (▲) ou au-delà de 1,5 écart interquartile (▲▲) : c'est là que la différence peut devenir une "
        "inégalité d'accès aux droits."
    )
    tables = {}
    for c in territorial.ACCES:
        t = cache.territorial_table(db, version, compte, periode, c, filtres).departements
        tables[c] = t[t["region"] == region] if region else t
    flags = territorial.hors_bande(tables)
    if flags.empty:
        st.success("Aucun département hors de la bande du côté défavorable.")
        return None
    shown = pd.DataFrame({"Code": flags["code"], "Département": flags["libelle"],
                          "Région": [territoires.nom_region(r) for r in flags["region"]],
                          "Signalements": flags["signalements"].astype(str)})
    for c in tables:
        shown[REGISTRY[c].libelle] = [
            f"{a} {s}".strip() for a, s in zip(flags[f"{c}__affichage"].fillna("—"), flags[f"{c}__signal"].fillna(""))
        ]
    st.dataframe(shown, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(shown)))
    exported = shown[["Code", "Département", "Région"]].assign(Signalements=flags["signalements"].astype(int).to_numpy())
    for c, t in tables.items():
        lignes = t.set_index("code").reindex(flags["code"]).reset_index()
        for name, values in chiffres(lignes, c).items():
            exported[name if name != "Secret statistique" else f"{REGISTRY[c].libelle} — secret statistique"] = values
        exported[f"{REGISTRY[c].libelle} — signalement"] = flags[f"{c}__signal"].fillna("").to_numpy()
    return exported


def show_evolution() -> None:
    precedent = cache.territorial_table(db, version, compte, periode.precedente(), code, filtres)
    st.subheader("Évolution et classement")
    st.caption(f"Période précédente : du {date_fr(periode.precedente().debut)} au {date_fr(periode.precedente().fin)} "
               "(même durée, juste avant).")
    if departemental:
        courant, avant, premier = tableau.structures, precedent.structures, "Structure"
    else:
        courant, avant, premier = deps_filtre, precedent.departements, "Département"
    v = add_rank(figures.avec_variation(territorial.variation(courant, avant, code), code, K))
    unite_var = " (en points)" if ind.nature is Nature.RATIO else ""
    shown = pd.DataFrame({
        "Rang": v["Rang"], "Code": v["code"].astype(str), premier: v["libelle"].astype(str),
        f"{ind.libelle} — période": v["affichage"], f"{ind.libelle} — période précédente": v["affichage_prec"],
        f"Évolution{unite_var}": v["affichage_variation"],
    })
    st.dataframe(shown, hide_index=True, width="stretch")
    st.caption("Rang : le meilleur en premier (pour un volume, le plus élevé) ; les chiffres masqués n'ont pas de rang.")
    exported = pd.DataFrame({"Rang": rangs(v), "Code": v["code"].astype(str).to_numpy(), premier: v["libelle"].astype(str).to_numpy(),
                             **chiffres(v, code, avant="Période — "), **chiffres(v, code, "_prec", avant="Période précédente — "),
                             f"Évolution ({'points' if ind.nature is Nature.RATIO else ind.unite})":
                                 pd.array(v["variation"], dtype="Float64")})
    download(f"evolution-{code}", exported, {"Évolution et classement": exported}, key="nat_exp_evolution")


def show_tendances() -> None:
    perimetre = Perimetre(Echelon.DEPARTEMENT, departement) if departemental else (
        Perimetre(Echelon.REGION, region) if region else Perimetre())
    nom = territoires.nom_departement(departement) if departemental else (territoires.nom_region(region) if region else "France entière")
    st.subheader(f"Tendances mensuelles — {nom}")
    complet_au = donnees_du_perimetre()
    debut, fin = ct.fenetre_tendance(periode, complet_au, mois=12)  # twelve months, compared with the twelve before
    avant = dt.date(debut.year - 1, debut.month, 1)
    st.caption(f"Les douze derniers mois de la période, comparés aux douze mois précédents ; données de {nom} au "
               f"{date_fr(complet_au)}. Un mois dont toutes les structures n'ont pas transmis leurs jalons jusqu'à la fin "
               "est marqué « incomplet » (point creux et mention sur le graphique, « incomplet » dans le tableau) : "
               "sa baisse apparente peut n'être qu'un retard de saisie. Un mois masqué n'a pas de point.")
    onglets = st.tabs([FAMILLES_COURTES[f] for f in Famille], key="famille", on_change="rerun", bind="query-params")
    for famille, onglet in zip(Famille, onglets):
        if not onglet.open:
            continue
        with onglet:
            codes = [c for c, d in REGISTRY.items() if d.famille is famille]
            choix = st.selectbox("Indicateur de la famille", codes, index=codes.index(TITRES_FAMILLE[famille]),
                                 format_func=lambda c: REGISTRY[c].libelle, key=f"nat_tendance_{famille.value}")
            serie = load_trend(avant, fin, perimetre, choix)
            data = tendance_table(serie, choix, debut, complet_au)
            if data.empty:
                st.info("Aucun mois complet dans cette fenêtre.")
                continue
            chart = cache.chart(carte.tendance_annees, data.dropna(subset=["valeur"]), unite(choix), format_d3(choix))
            table = data.pivot(index=["rang", "mois"], columns="serie", values="affichage").reset_index()
            table = table.sort_values("rang").drop(columns="rang").rename(columns={"mois": "Mois"})
            table = table[["Mois", *dict.fromkeys(data["serie"])]]
            table.columns.name = None
            show(chart, table, f"{REGISTRY[choix].libelle} par mois, {nom}, comparé à l'année précédente.",
                 key=f"nat_tendance_{famille.value}")
            exported = export_tendance(data, choix)
            download(f"tendance-{choix}", exported, {"Tendance": exported}, key=f"nat_exp_tendance_{famille.value}")


MOIS_COURTS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


def mois_court(day: dt.date) -> str:
    return f"{MOIS_COURTS[day.month - 1]} {day.year}"


def donnees_du_perimetre() -> dt.date:
    """The date the trends' scope (the département, the région chosen, or France) is complete through."""
    if departemental or not region:
        return as_of
    dans_la_region = {c for c, _, dep, _ in cache.structures_table(db, version) if territoires.DEPARTEMENTS[dep].region == region}
    return ov.data_through({c: d for c, d in derniers.items() if c in dans_la_region})[0] or as_of


def export_tendance(data: pd.DataFrame, choix: str) -> pd.DataFrame:
    """The trend to download: one row per month of each series, the figure a number, « incomplet » or the mask beside it."""
    rows = data  # already in the order of the table: the period, then the year before, month by month
    return pd.DataFrame({
        "Période": rows["serie"].to_numpy(), "Mois": rows["mois"].to_numpy(),
        entete(choix): pd.array(rows["valeur"], dtype="Float64"),
        "Mois incomplet": ["incomplet" if i else "" for i in rows["incomplet"]],
        "Secret statistique": [a if pd.isna(v) else "" for a, v in zip(rows["affichage"], rows["valeur"])],
    })


def tendance_table(serie: pd.DataFrame, choix: str, debut: dt.date, complet_au: dt.date) -> pd.DataFrame:
    """One row per month: its place in the year, its month, its series (period or the year before), its figure,
    and whether it is incomplete (it ends after `complet_au`, the date every structure of the scope has reported to)."""
    rows = []
    fin = (debut.replace(year=debut.year + 1) - dt.timedelta(days=1))
    label_now = f"{mois_court(debut)} – {mois_court(fin)}"
    label_before = f"{mois_court(debut.replace(year=debut.year - 1))} – {mois_court(fin.replace(year=fin.year - 1))}"
    for r in serie.itertuples(index=False):
        incomplet = (r.mois + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1) > complet_au
        current = r.mois >= debut
        months_from = (r.mois.year - debut.year) * 12 + r.mois.month - debut.month
        rang = months_from if current else months_from + 12
        rows.append({
            "rang": rang, "mois": MOIS_COURTS[r.mois.month - 1], "serie": label_now if current else label_before,
            "valeur": None if r.masque or r.valeur is None or pd.isna(r.valeur) else float(r.valeur),
            "affichage": figures.texte_valeur(
                choix, Valeur(choix, None if r.masque else r.valeur, masque=bool(r.masque), traitement=r.traitement), K
            ) + (" (incomplet)" if incomplet else ""),
            "incomplet": incomplet,
        })
    rows.sort(key=lambda r: (r["serie"] != label_now, r["rang"]))
    return pd.DataFrame(rows, columns=["rang", "mois", "serie", "valeur", "affichage", "incomplet"])


# --- the page -----------------------------------------------------------------------------------------------------
if departemental:
    onglets = ["Mon département", "Évolution et classement", "Tendances mensuelles"]
    vues = [show_departement, show_evolution, show_tendances]
else:
    onglets = ["Carte", "Régions", "Écarts entre territoires", "Évolution et classement", "Tendances mensuelles"]
    vues = [show_carte, show_regions, show_ecarts, show_evolution, show_tendances]
for vue, onglet in zip(vues, st.tabs(onglets, key="onglet", on_change="rerun", bind="query-params")):
    if onglet.open:
        with onglet:
            vue()
