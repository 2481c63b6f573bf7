"""The report for the Conseil départemental: one A4 PDF in French, built by one function.

`rapport(engine, compte, periode, perimetre)` computes the content for the
account (`reports.contenu`), writes the PDF and records the report in the
audit trail. The command `mlimpact rapport` and the page's download button
both call it, so they hand over the same document.

Layout: a cover (structure, département, period), a one-page summary (what is
done, produced, prevented, avoided), a section per family with its figures
and charts, the convention's objectives against the results, the avoided-cost
waterfall with its assumptions, and an annex with every definition and
parameter and its source, the data date and the version of the registry.
fpdf2 embeds DejaVu Sans (`reports.fonts`): the core fonts cannot print `€`
nor the narrow no-break space of `1 234,5 €`.
"""

from __future__ import annotations

import datetime as dt
import io
import struct

import pandas as pd
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from sqlalchemy import Engine

from indicators.models.objectifs import STATUTS
from indicators.registry import FAMILLES, REGISTRY
from indicators.types import Famille, Filtres, Perimetre, Periode
from mlimpact.access import Compte
from presentation.figures import texte_ecart, texte_nombre, texte_valeur, texte_variation
from presentation.formats import date_fr, euros
from presentation.methodology import NOTIONS
from presentation.methodology import rows as definitions
from presentation.textes import NOTES, libelle_filtres, libelle_periode, mois_incomplet
from reports import contenu as ct
from reports import figures as fig
from reports.fonts import police

POLICE = "DejaVu"
BLEU = (0, 114, 178)
GRIS = (90, 90, 90)
FOND = (232, 241, 248)
LARGEUR_UTILE = 180  # A4 width minus 15 mm margins

INTROS: dict[Famille, str] = {
    Famille.ACTIVITE: "Ce que la Mission Locale fait : les jeunes suivis, les entretiens, le budget et ce qu'il "
    "représente par jeune.",
    Famille.PRODUIT: "Ce que l'accompagnement produit pour les jeunes : un emploi, une formation, des droits "
    "ouverts, des partenaires mobilisés autour d'eux.",
    Famille.PREVENTION: "Ce que l'accompagnement prévient : les ruptures (logement, santé, ressources…) repérées "
    "et évitées, les parcours tenus sans interruption, l'installation durable au RSA.",
    Famille.IMPACT: "Ce que l'accompagnement évite à la collectivité, en euros : les allocations RSA non versées "
    "après les sorties du RSA, une fois retirées les sorties qui auraient eu lieu de toute façon et la part des "
    "autres acteurs. C'est une fourchette, pas un chiffre unique.",
}
SYNTHESE: dict[Famille, tuple[str, tuple[str, ...]]] = {
    Famille.ACTIVITE: ("Ce qui est fait", ("jeunes_suivis", "nouveaux_entrants", "entretiens", "budget_eur", "cout_par_jeune_eur")),
    Famille.PRODUIT: ("Ce que l'accompagnement produit", ("acces_emploi", "acces_emploi_durable", "acces_formation", "sorties_positives", "droits_ouverts")),
    Famille.PREVENTION: ("Ce qu'il prévient", ("ruptures_evitees", "taux_ruptures_evitees", "parcours_securises", "retours_dynamique", "sorties_rsa")),
    Famille.IMPACT: ("Ce qu'il évite", ("mois_rsa_evites", "couts_evites_bruts_eur", "couts_evites_nets_eur", "euros_evites_par_euro_cd", "euros_evites_par_euro_investi")),
}
PRECAUTIONS = (
    ("Effet d'aubaine : une partie des jeunes serait sortie du RSA sans l'accompagnement ; l'évaluation de la "
    "Garantie jeunes (DARES, 2018) suggère que c'est le cas de deux tiers à quatre cinquièmes des sorties."),
    ("Attribution : France Travail, les employeurs, les organismes de formation et les services du Département "
    "contribuent aussi ; leur part est retirée."),
    ("Fourchette : le chiffre net dépend de ces hypothèses ; il est donné dans une hypothèse prudente, centrale "
    "et favorable, jamais comme un chiffre unique."),
    ("Périmètre : seule l'allocation RSA est comptée (ni cotisations, ni impôts, ni coûts de santé évités), sur "
    "au plus douze mois après chaque sortie : l'estimation est volontairement prudente."),
)


class RapportPDF(FPDF):
    """A4 portrait, DejaVu Sans, a running footer with the structure, the period and the page number."""

    def __init__(self, pied: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.pied = pied
        fonts = police()
        self.add_font(POLICE, "", str(fonts[""]))
        self.add_font(POLICE, "B", str(fonts["B"]))
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=18)
        self.set_font(POLICE, size=10)
        self.set_title("Rapport d'activité et d'impact")
        self.set_author("Parcours & Impact")
        self.set_lang("fr")

    def footer(self) -> None:
        if self.page_no() == 1:
            return
        self.set_y(-13)
        self.set_font(POLICE, size=8)
        self.set_text_color(*GRIS)
        self.cell(0, 5, self.pied, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"page {self.page_no()} / {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    # --- building blocks -----------------------------------------------------------------------
    def titre(self, text: str, size: int = 16) -> None:
        self.set_font(POLICE, "B", size)
        self.set_text_color(*BLEU)
        self.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.set_font(POLICE, size=10)
        self.ln(2)

    def sous_titre(self, text: str, garde: float = 18) -> None:
        """A heading kept on the same page as the first `garde` mm of what follows it."""
        self.place_pour(garde)
        self.set_font(POLICE, "B", 12)
        self.multi_cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(POLICE, size=10)
        self.ln(1)

    def paragraphe(self, text: str, size: float = 10, couleur=(0, 0, 0)) -> None:
        self.set_font(POLICE, size=size)
        self.set_text_color(*couleur)
        self.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.set_font(POLICE, size=10)
        self.ln(1.5)

    def place_pour(self, hauteur: float) -> None:
        """Start a new page unless `hauteur` mm still fit on this one."""
        if self.get_y() + hauteur > self.page_break_trigger:
            self.add_page()

    def graphique(self, chart, largeur: float = LARGEUR_UTILE, legende: str = "", titre: str = "") -> None:
        """A chart as a PNG (kept whole on one page with its heading), with its caption."""
        data = fig.png(chart)
        w_px, h_px = struct.unpack(">II", data[16:24])
        hauteur = largeur * h_px / w_px
        if hauteur > 200:
            largeur, hauteur = largeur * 200 / hauteur, 200
        self.place_pour(hauteur + (8 if legende else 3) + (9 if titre else 0))
        if titre:
            self.sous_titre(titre, garde=0)
        self.image(io.BytesIO(data), x=self.l_margin + (LARGEUR_UTILE - largeur) / 2, w=largeur, h=hauteur)
        self.set_y(self.get_y() + 1)
        if legende:
            self.paragraphe(legende, size=8, couleur=GRIS)
        self.ln(2)

    def tableau(self, frame: pd.DataFrame, largeurs: tuple[float, ...] | None = None, size: float = 8.5, droite: set[int] | None = None) -> None:
        """A table with a heading row; columns in `droite` (numbers) aligned right."""
        if frame.empty:
            self.paragraphe("Aucune ligne.", size=9, couleur=GRIS)
            return
        droite = droite or set()
        self.set_font(POLICE, size=size)
        self.place_pour(20)
        align = tuple("RIGHT" if i in droite else "LEFT" for i in range(len(frame.columns)))
        with self.table(
            col_widths=largeurs,
            text_align=align,
            line_height=size * 0.5 + 1,
            headings_style=FontFace(emphasis="BOLD", fill_color=FOND),
            borders_layout="HORIZONTAL_LINES",
            padding=1,
        ) as table:
            head = table.row()
            for col in frame.columns:
                head.cell(str(col))
            for values in frame.itertuples(index=False):
                row = table.row()
                for value in values:
                    row.cell("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))
        self.set_font(POLICE, size=10)
        self.ln(3)


# --- the document -------------------------------------------------------------------------------------
def render(c: ct.Contenu) -> bytes:
    """The PDF of a computed content (no database access)."""
    d = c.demande
    pied = f"Parcours & Impact — {c.libelle_perimetre} — {libelle_periode(d.periode)}"
    pdf = RapportPDF(pied)
    _couverture(pdf, c)
    _synthese(pdf, c)
    _objectifs(pdf, c)
    _notes(pdf, c)
    for famille in Famille:
        _famille(pdf, c, famille)
    _effets(pdf, c)
    _annexe(pdf, c)
    return bytes(pdf.output())


def _couverture(pdf: RapportPDF, c: ct.Contenu) -> None:
    d = c.demande
    pdf.add_page()
    pdf.set_y(45)
    pdf.set_font(POLICE, size=12)
    pdf.set_text_color(*GRIS)
    pdf.cell(0, 8, "Parcours & Impact", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*BLEU)
    pdf.set_font(POLICE, "B", 24)
    pdf.multi_cell(0, 12, "Rapport d'activité et d'impact", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(POLICE, size=14)
    pdf.multi_cell(0, 8, "pour le Conseil départemental", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(18)
    lignes = [
        ("Structure", c.libelle_perimetre),
        ("Département", _departement(c)),
        ("Période", libelle_periode(d.periode)),
        ("Public", libelle_filtres(d.filtres)),
        ("Données au", date_fr(d.as_of)),
        ("Édité le", c.genere_le.strftime("%d/%m/%Y à %H:%M")),
    ]
    for label, value in lignes:
        pdf.set_font(POLICE, "B", 12)
        pdf.cell(40, 9, label)
        pdf.set_font(POLICE, size=12)
        pdf.multi_cell(0, 9, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(14)
    note = mois_incomplet(d.periode, d.as_of)
    if note:
        pdf.paragraphe(note, size=10, couleur=GRIS)
    if c.k <= 1:
        pdf.paragraphe(
            "Document de la structure : les effectifs y figurent sans secret statistique (y compris ceux de moins "
            "de 11 jeunes). À partager avec le Conseil départemental, pas à publier tel quel.",
            size=10, couleur=GRIS,
        )
    pdf.paragraphe(
        f"Définitions des indicateurs : version {c.version_registre}. Paramètres du modèle d'impact : version "
        f"{c.params.version}. Voir l'annexe.",
        size=9, couleur=GRIS,
    )


def _departement(c: ct.Contenu) -> str:
    from mlimpact.territoires import nom_departement

    if not c.departement:
        return "—"
    return f"{c.departement} — {nom_departement(c.departement)}"


def _v(c: ct.Contenu, code: str) -> str:
    return texte_valeur(code, c.figures[code][0], c.k or 11)


def _synthese(pdf: RapportPDF, c: ct.Contenu) -> None:
    pdf.add_page()
    pdf.titre("L'essentiel")
    pdf.paragraphe(
        f"{c.libelle_perimetre}, {libelle_periode(c.demande.periode)}. Entre parenthèses : la période de "
        f"comparaison, {libelle_periode(c.demande.periode_comparaison)}.", size=9, couleur=GRIS,
    )
    for famille, (titre, codes) in SYNTHESE.items():
        pdf.set_fill_color(*FOND)
        pdf.set_font(POLICE, "B", 12)
        pdf.set_text_color(*BLEU)
        pdf.cell(0, 8, f"  {titre}", fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1)
        for code in codes:
            _actuel, precedent = c.figures[code]
            pdf.set_font(POLICE, size=10)
            pdf.cell(95, 6.5, REGISTRY[code].libelle)
            pdf.set_font(POLICE, "B", 10)
            pdf.cell(40, 6.5, _v(c, code), align="R")
            pdf.set_font(POLICE, size=9)
            pdf.set_text_color(*GRIS)
            pdf.cell(0, 6.5, f"({texte_valeur(code, precedent, c.k or 11)})", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(0, 0, 0)
        if famille is Famille.IMPACT:
            pdf.paragraphe(_phrase_fourchette(c), size=9)
            pdf.paragraphe(_phrase_departement(c), size=9)
        pdf.ln(3)


def _phrase_fourchette(c: ct.Contenu) -> str:
    imp = c.impact
    if imp.masque or imp.cas is None:
        return "Montant couvert par le secret statistique."
    cas = imp.cas.set_index("cas")["couts_evites_nets_eur"]
    return (
        f"Allocations RSA évitées nettes : entre {euros(cas['bas'])} (hypothèse prudente) et {euros(cas['haut'])} "
        f"(hypothèse favorable), {euros(cas['central'])} dans l'hypothèse centrale."
    )


def _phrase_departement(c: ct.Contenu) -> str:
    """The Département's return in one sentence: its own money, the range, the break-even; then every financeur."""
    imp = c.impact
    if imp.masque or imp.cas is None:
        return ""
    cd = imp.cas.set_index("cas")["euros_par_euro_cd"]
    tous = imp.cas.set_index("cas")["euros_par_euro_investi"]
    text = ""
    if cd["central"] is not None:
        text += (
            f"Pour le Département, qui verse le RSA : {fig.texte_ratio(cd['central'])} d'allocations évitées par euro "
            f"qu'il a mis dans l'accompagnement ({euros(imp.budget_cd)} sur la période), de {fig.texte_ratio(cd['bas'])} "
            f"à {fig.texte_ratio(cd['haut'])} selon les hypothèses. {imp.phrase_point_mort_cd} "
        )
    else:
        text += f"{imp.phrase_point_mort_cd} "
    if tous["central"] is not None:
        text += (
            f"Rapporté au budget de tous les financeurs ({euros(imp.budget)}) : {fig.texte_ratio(tous['central'])} par "
            f"euro. {imp.phrase_point_mort}"
        )
    return text.strip()


def _tableau_famille(c: ct.Contenu, famille: Famille) -> pd.DataFrame:
    objectifs = {} if c.objectifs is None else {r.indicateur: r for r in c.objectifs.itertuples(index=False)}
    rows = []
    for code, ind in REGISTRY.items():
        if ind.famille is not famille:
            continue
        actuel, precedent = c.figures[code]
        obj = objectifs.get(code)
        rows.append(
            {
                "Indicateur": ind.libelle,
                "Valeur": texte_valeur(code, actuel, c.k or 11),
                "Comparaison": texte_valeur(code, precedent, c.k or 11),
                "Évolution": texte_variation(code, actuel, precedent),
                f"Objectif {c.annee_objectifs}": "" if obj is None else texte_nombre(code, obj.cible),
                "Statut": "" if obj is None else STATUTS[obj.statut].replace("Objectif ", "").replace("Année en cours : ", ""),
            }
        )
    return pd.DataFrame(rows)


def _famille(pdf: RapportPDF, c: ct.Contenu, famille: Famille) -> None:
    pdf.add_page()
    pdf.titre(FAMILLES[famille])
    pdf.paragraphe(INTROS[famille])
    pdf.paragraphe(f"Comparaison : {libelle_periode(c.demande.periode_comparaison)}.{_note_objectifs(c)}", size=8.5, couleur=GRIS)
    pdf.tableau(_tableau_famille(c, famille), largeurs=(50, 28, 28, 28, 26, 20), droite={1, 2, 3, 4})
    pdf.graphique(fig.tendance(c.tendances, famille), legende=_legende_tendance(c), titre="Évolution depuis le début de la période")
    if famille is Famille.ACTIVITE:
        _themes(pdf, c, ("public", "parcours"))
    elif famille is Famille.PRODUIT:
        _themes(pdf, c, ("etayage",))
    elif famille is Famille.PREVENTION:
        pdf.graphique(
            fig.risques(c.risques), titre="Les risques de rupture par domaine, et comment ils se sont terminés",
            legende="Risques repérés : évités, survenus, ou encore en cours à la fin de la période.",
        )
        _themes(pdf, c, ("departement",))
        pdf.sous_titre("Combien de temps les jeunes restent au RSA", garde=90)
        pdf.paragraphe(
            "Part des jeunes encore au RSA, mois après mois depuis leur entrée, par année d'entrée (estimation de "
            "Kaplan–Meier : un droit encore ouvert à la date des données compte jusqu'à cette date, sans être compté "
            "comme un échec). Tous les jeunes de la structure entrés au RSA, sans filtre de public.", size=9,
        )
        if len(c.courbe):
            pdf.graphique(fig.courbe_rsa(c.courbe))
        else:
            pdf.paragraphe("Aucune entrée au RSA sur ces années.", size=9, couleur=GRIS)
    else:
        _impact(pdf, c)


def _note_objectifs(c: ct.Contenu) -> str:
    """Under a filter or another period, the objectives' status is not that of the « Valeur » column: say so."""
    d, a = c.demande, c.annee_objectifs
    if c.objectifs is None or c.objectifs.empty:
        return ""
    if d.periode == Periode(dt.date(a, 1, 1), dt.date(a, 12, 31)) and not d.filtres.actifs():
        return ""
    return (
        f" Les objectifs et leur statut portent sur le résultat de la structure sur toute l'année {a}, tous publics "
        "(page des objectifs), pas sur la colonne « Valeur »."
    )


def _legende_tendance(c: ct.Contenu) -> str:
    return (
        f"{ct.titre_tendance(c.demande)}. Un mois incomplet (données arrêtées en cours de mois) est signalé."
    )


def _themes(pdf: RapportPDF, c: ct.Contenu, noms: tuple[str, ...]) -> None:
    for nom in noms:
        titre, _ = ct.THEMES[nom]
        pdf.sous_titre(titre, garde=60)
        if nom == "departement":
            rows = [{"Indicateur": REGISTRY[code].libelle, "Valeur": _v(c, code)} for code in ct.CHIFFRES_RSA]
            pdf.tableau(pd.DataFrame(rows), largeurs=(120, 60), droite={1})
        tables = c.ventilations[nom]
        titres = [fig.titre_ventilation(t) for t in tables]
        pdf.graphique(fig.barres_groupees(tables, titres))


def _impact(pdf: RapportPDF, c: ct.Contenu) -> None:
    imp = c.impact
    if imp.masque:
        pdf.sous_titre("Du montant brut au montant net")
        pdf.paragraphe(imp.phrase_point_mort)
    else:
        pdf.graphique(
            fig.cascade(imp.cascade), titre="Du montant brut au montant net",
            legende="Hypothèse centrale. Les déductions retirent les sorties qui auraient eu lieu sans "
            "l'accompagnement, puis la part des autres acteurs.",
        )
        pdf.tableau(fig.table_cascade(imp.cascade), largeurs=(70, 30, 40, 40), droite={1, 2, 3})
        pdf.graphique(fig.fourchette(imp.cas), largeur=150, titre="Une fourchette, pas un chiffre")
        pdf.tableau(fig.table_cas(imp.cas), largeurs=(28, 20, 24, 24, 24, 30, 30), droite={1, 2, 3, 4, 5, 6})
        _retours(pdf, c)
    pdf.sous_titre("Les hypothèses et leurs sources", garde=60)
    pdf.tableau(fig.table_hypotheses(imp.hypotheses, compact=True), largeurs=(42, 48, 17, 17, 56), droite={1, 2, 3}, size=7.5)
    if c.params.modifie:
        pdf.paragraphe(_phrase_modification(c), size=9)
    pdf.sous_titre("Précautions de lecture", garde=40)
    for text in PRECAUTIONS:
        pdf.paragraphe(f"•  {text}", size=9)


def _retours(pdf: RapportPDF, c: ct.Contenu) -> None:
    """The return for the Département first (the RSA is its money), then every financeur, each named."""
    imp = c.impact
    pdf.sous_titre("Ce que le RSA évité représente pour chaque financeur", garde=50)
    pdf.paragraphe(_phrase_departement(c), size=9)
    if imp.retours is not None and len(imp.retours):
        table = fig.table_retours(imp.retours).drop(columns=["Lecture"])
        pdf.tableau(table, largeurs=(40, 30, 30, 36, 44), droite={1, 2, 3}, size=8)
        pdf.paragraphe(
            "Le RSA est versé par le Département : les allocations évitées ne se rapportent qu'à son financement et, "
            "pour mémoire, à l'ensemble des financements. L'État (CEJ, PACEA), le FSE et les autres financeurs "
            "financent d'autres résultats (emploi, formation, droits ouverts), présentés dans les sections précédentes.",
            size=8.5, couleur=GRIS,
        )


def _phrase_modification(c: ct.Contenu) -> str:
    text = f"Paramètres modifiés par la direction de la structure : version « {c.params.version} »."
    m = c.modification_params
    if m:
        quand = m["horodatage"]
        quand = quand.strftime("%d/%m/%Y") if isinstance(quand, dt.datetime | dt.date) else str(quand)[:10]
        text += f" Dernière modification le {quand} par {m['auteur']} (journal d'audit)."
    return text


def _objectifs(pdf: RapportPDF, c: ct.Contenu) -> None:
    """Objectives against results, right after « L'essentiel »: what a Département reads first."""
    pdf.add_page()
    pdf.titre(f"Objectifs de la convention {c.annee_objectifs} et résultats")
    if c.objectifs is None or c.objectifs.empty:
        pdf.paragraphe("Aucun objectif de convention n'est enregistré pour cette année.")
        return
    pdf.paragraphe(
        f"Résultats de la structure sur l'année {c.annee_objectifs} entière, sans filtre de public. Tant que l'année "
        "n'est pas terminée à la date des données, le résultat est provisoire (« en cours »).", size=9,
    )
    rows = []
    for r in c.objectifs.itertuples(index=False):
        rows.append(
            {
                "Indicateur": r.libelle,
                "Objectif": texte_nombre(r.indicateur, r.cible),
                "Résultat": texte_nombre(r.indicateur, None if pd.isna(r.resultat) else float(r.resultat)),
                "Écart": "—" if pd.isna(r.ecart) else texte_ecart(r.indicateur, float(r.ecart)),  # « pt » for a ratio
                "Statut": r.statut_libelle,
            }
        )
    pdf.tableau(pd.DataFrame(rows), largeurs=(55, 28, 28, 22, 47), droite={1, 2, 3})


def _notes(pdf: RapportPDF, c: ct.Contenu) -> None:
    """The director's words of the year (faits marquants, parcours anonymised), in their own section."""
    textes = [(titre, c.notes.get(champ, "").strip()) for champ, titre in NOTES.items()]
    if not any(t for _, t in textes):
        return
    pdf.add_page()
    pdf.titre(f"L'année {c.annee_objectifs} en mots")
    pdf.paragraphe(
        "Écrit par la direction de la structure ; les parcours sont anonymisés (aucun nom, aucune date de naissance, "
        "aucun lieu précis).", size=9, couleur=GRIS,
    )
    for titre, texte in textes:
        if texte:
            pdf.sous_titre(titre)
            pdf.paragraphe(texte)


def _annexe(pdf: RapportPDF, c: ct.Contenu) -> None:
    pdf.add_page()
    pdf.titre("Annexe : définitions, paramètres et sources")
    pdf.paragraphe(
        f"Données au {date_fr(c.demande.as_of)} (date du jalon le plus récent enregistré). Définitions des "
        f"indicateurs : version {c.version_registre}. Paramètres du modèle d'impact : version {c.params.version}. "
        "Chaque chiffre de ce rapport est calculé une seule fois, selon les définitions ci-dessous, par le même "
        "moteur que l'application.", size=9,
    )
    pdf.sous_titre("Notions communes")
    for name, text in NOTIONS:
        pdf.paragraphe(f"{name} : {text}", size=8.5)
    famille = None
    for r in definitions():
        if r["famille"] != famille:
            famille = r["famille"]
            pdf.sous_titre(FAMILLES[Famille(famille)])
        pdf.place_pour(22)
        pdf.set_font(POLICE, "B", 9)
        pdf.multi_cell(0, 5, f"{r['libelle']} ({r['code']})", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        lines = [str(r["definition"])]
        if r["precision"]:
            lines.append(f"Règle de calcul : {r['precision']}")
        lines.append(f"Numérateur : {r['numerateur']}. Dénominateur : {r['denominateur']}. Unité : {r['unite']} ; {r['sens']}.")
        pdf.paragraphe("\n".join(lines), size=8)
    pdf.sous_titre("Paramètres du modèle d'impact", garde=60)
    pdf.paragraphe(
        "Coûts évités nets = coûts évités bruts × (1 − effet d'aubaine) × (1 − part des autres acteurs). "
        f"Version : {c.params.version}.", size=9,
    )
    pdf.tableau(fig.table_hypotheses(c.impact.hypotheses), largeurs=(50, 22, 20, 20, 68), droite={1, 2, 3}, size=7.5)
    if c.params.modifie:
        pdf.paragraphe(_phrase_modification(c), size=9)
    pdf.paragraphe(
        f"Source des montants du RSA : {c.params.source_rsa}. {_montants_en(c.params.annee_prix)}", size=8.5,
    )
    if c.k > 1:
        pdf.paragraphe(
            f"Secret statistique : chiffres légèrement perturbés (« ≈ »), toujours de la même façon pour les mêmes "
            f"jeunes, pour qu'aucun petit effectif ne se retrouve par différence ; effectifs de 1 à {c.k - 1} "
            f"masqués (« < {c.k} », « secret »).",
            size=8.5,
        )


def _effets(pdf: RapportPDF, c: ct.Contenu) -> None:
    """« Ce qui marche »: the forest plot, its table, the balance and the words of caution."""
    from presentation import effets as textes

    r = c.effets
    if r is None:
        return
    pdf.add_page()
    pdf.titre(f"{textes.TITRE} : les actions et ce qui les suit")
    pdf.paragraphe(
        "Pour chaque action, l'écart de résultat entre les jeunes qui l'ont reçue et des jeunes comparables qui ne "
        "l'ont pas reçue le même mois (même structure, dispositif, âge, sexe, niveau, QPV, FRR, RQTH, ancienneté, "
        "parcours antérieur). « Associé à » ne veut pas dire « causé par » ; un intervalle qui contient zéro signifie "
        "« non démontré ».",
        size=9.5,
    )
    if not r.effets:
        pdf.paragraphe("Aucune comparaison possible sur cette période (recul de 6 mois ou effectifs insuffisants).", size=9)
    else:
        pdf.paragraphe(textes.contexte(r), size=8.5, couleur=GRIS)
        montres = [e for e in r.effets if e.traitement != "masque"]
        if montres:
            pdf.graphique(
                textes.foret(r, largeur=300), titre="Écarts ajustés et leurs intervalles à 95 %",
                legende="Point plein : intervalle qui exclut zéro ; losange creux et trait pointillé : non démontré. "
                "Bleu : dans le bon sens (plus d'emploi, moins de ruptures) ; orange : dans le mauvais sens.",
            )
        table = textes.table(r).drop(columns=[textes.COLONNES["e_value"]])
        pdf.tableau(table, largeurs=(30, 34, 18, 30, 18, 16, 18, 16), droite={2, 3, 4, 5, 6}, size=7)
        pdf.sous_titre("Équilibre des groupes après ajustement", garde=40)
        pdf.tableau(textes.resume_equilibre(r), size=7, droite={1, 2, 3, 4, 5})
    for ligne in textes.exclusions(r):
        pdf.paragraphe(f"Non estimé — {ligne}", size=8.5, couleur=GRIS)
    pdf.paragraphe(
        "Hypothèses : pas de facteur non mesuré qui influencerait à la fois l'action et le résultat, une vraie chance "
        "pour chaque jeune de recevoir ou non l'action, des jalons saisis complètement. L'E-value de la méthodologie "
        "dit quelle force un tel facteur devrait avoir pour effacer l'écart.",
        size=8.5,
    )


def _montants_en(annee_prix: str) -> str:
    """« Montants en euros courants : … . » — a sentence, never a lower-case fragment after a full stop."""
    text = annee_prix.strip().rstrip(".")
    return f"Montants en {text}." if text else ""


# --- the one function --------------------------------------------------------------------------------------
def rapport(
    engine: Engine,
    compte: Compte,
    periode: Periode,
    perimetre: Perimetre,
    filtres: Filtres = Filtres(),
    as_of: dt.date | None = None,
    comparaison: Periode | None = None,
) -> bytes:
    """The PDF report for this account and scope, recorded in the audit trail (the CLI and the page call this).

    `comparaison`: the period the changes are against (None: the period just before).
    """
    return ct.document(
        engine, compte, periode, perimetre, filtres, as_of, render,
        action="report", objet="rapport", nom="Rapport PDF",
        details=lambda contenu, data: {"format": "pdf", "parametres": contenu.params.version, "octets": len(data)},
        comparaison=comparaison,
    )


def nom_fichier(perimetre: Perimetre, periode: Periode, extension: str = "pdf") -> str:
    """`rapport_ML13001_2025-01-01_2025-12-31.pdf`."""
    return f"rapport_{perimetre.code or 'national'}_{periode.debut.isoformat()}_{periode.fin.isoformat()}.{extension}"


__all__ = ["nom_fichier", "rapport", "render"]
