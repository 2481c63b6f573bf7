"""`mlimpact indicateurs`: every indicator for a scope and a period (docs/cli.md).

The command only parses arguments, gets the figures and prints them: JSON and
CSV for machines (the "Output contract of the CLI" of docs/arithmetic.md, with
each figure's `traitement`), a French table for people.

With `--compte EMAIL` it speaks as that account: the figures come from the
service every page uses (`indicators.disclosure.service`), so the scope is
checked (refused: exit 2) and the account's disclosure rule applied (exact for
its own structure, perturbed and small counts suppressed outside it). Without
it, the administrator's exact figures from the engine, which `--min-cell K`
masks figure by figure (`indicators.disclosure.masking`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import click

from indicators.types import Echelon, Filtres, Nature, Perimetre, Periode, Valeur
from mlimpact import vocab
from mlimpact.cli.common import database_errors, db_option, ensure_schema, fail, open_engine, out

DEFAULT_MIN_CELL = 11  # k of the secret statistique above the structure level
CSV_COLUMNS = ("code", "famille", "valeur", "numerateur", "denominateur", "unite", "masque", "traitement")


class DateFr(click.ParamType):
    """A date written 2025-01-31 or 31/01/2025."""

    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        self.fail(f"« {value} » n'est pas une date (attendu AAAA-MM-JJ ou JJ/MM/AAAA).", param, ctx)


DATE = DateFr()


def _choice(values) -> click.Choice:
    return click.Choice(list(values), case_sensitive=True)


def perimetre_from(structure: str | None, departement: str | None, region: str | None) -> Perimetre:
    given = [
        (e, c)
        for e, c in ((Echelon.STRUCTURE, structure), (Echelon.DEPARTEMENT, departement), (Echelon.REGION, region))
        if c
    ]
    if len(given) > 1:
        raise fail("choisissez un seul périmètre : --structure, --departement ou --region.")
    if not given:
        return Perimetre()
    echelon, code = given[0]
    code = code.strip()
    if echelon is not Echelon.STRUCTURE:
        code = code.upper()
        code = code.zfill(2) if code.isdigit() and len(code) == 1 else code
    return Perimetre(echelon, code)


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "table"]),
    default="table",
    help="json ou csv pour les traitements automatiques, table (par défaut) pour la lecture.",
)


def period_and_scope(sans_perimetre: str):
    """The options --debut, --fin, --structure, --departement and --region of the commands that compute figures."""
    options = [
        click.option("--debut", type=DATE, help="Premier jour de la période (AAAA-MM-JJ ou JJ/MM/AAAA), obligatoire."),
        click.option("--fin", type=DATE, help="Dernier jour de la période, inclus, obligatoire."),
        click.option("--structure", metavar="CODE", help="Une Mission Locale (code_structure)."),
        click.option("--departement", metavar="CODE", help="Un département (code INSEE : 13, 2A, 974…)."),
        click.option(
            "--region", metavar="CODE", help=f"Une région (code INSEE 2016 : 93, 32…). Sans périmètre : {sans_perimetre}."
        ),
    ]

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def register(app: click.Group) -> None:
    """Add `indicateurs` to the `mlimpact` group (through the group, so its help speaks French)."""
    app.command("indicateurs")(indicateurs)


@period_and_scope("national")
@click.option(
    "--dispositif", type=_choice(vocab.DISPOSITIFS), help="Seuls les accompagnements de ce dispositif comptent."
)
@click.option("--sexe", type=_choice(vocab.SEXES), help="Seulement les jeunes de ce sexe (F ou H).")
@click.option("--tranche-age", "tranche_age", type=_choice(vocab.TRANCHES_AGE), help="Seulement cette tranche d'âge.")
@click.option("--qpv", is_flag=True, default=None, help="Seulement les jeunes résidant en quartier prioritaire.")
@click.option(
    "--frr", is_flag=True, default=None, help="Seulement les jeunes résidant en zone France Ruralités Revitalisation."
)
@click.option("--rqth", is_flag=True, default=None, help="Seulement les jeunes ayant une RQTH.")
@click.option("--niveau", type=_choice(vocab.NIVEAUX_FORMATION), help="Seulement ce niveau de formation.")
@click.option(
    "--min-cell",
    "min_cell",
    type=int,
    metavar="K",
    help="Secret statistique : masquer les effectifs de 1 à K − 1 (0 : aucun masque). "
    "Par défaut : aucun pour une structure, 11 au-delà. Sans effet avec --compte (le seuil est celui des paramètres).",
)
@click.option(
    "--compte",
    "email",
    metavar="EMAIL",
    help="Calculer exactement ce que voit ce compte : son périmètre (par défaut le sien), son secret statistique.",
)
@click.option("--as-of", "as_of", type=DATE, help="Date des données (par défaut : le jalon le plus récent de la base).")
@format_option
@db_option
def indicateurs(
    debut,
    fin,
    structure,
    departement,
    region,
    dispositif,
    sexe,
    tranche_age,
    qpv,
    frr,
    rqth,
    niveau,
    min_cell,
    email,
    as_of,
    fmt,
    db,
) -> None:
    """Calcule tous les indicateurs d'un périmètre sur une période (définitions : docs/indicateurs.md)."""
    from indicators.disclosure.masking import mask_values
    from indicators.engine import PerimetreInconnu, compute, resolve_as_of

    for name, value in (("--debut", debut), ("--fin", fin)):
        if value is None:
            raise click.UsageError(f"option manquante : {name} DATE.")
    if min_cell is not None and min_cell < 0:
        raise fail(f"--min-cell attend un entier positif ou nul, pas {min_cell}.")
    if min_cell is not None and email:
        raise fail("--min-cell ne s'utilise pas avec --compte : le secret statistique est celui du compte.")
    if debut > fin:
        raise fail(f"la période commence le {debut:%d/%m/%Y}, après sa fin le {fin:%d/%m/%Y}.")
    perimetre = perimetre_from(structure, departement, region)
    filtres = Filtres(
        dispositif=dispositif,
        sexe=sexe,
        tranche_age=tranche_age,
        niveau_formation=niveau,
        qpv=qpv or None,
        frr=frr or None,
        rqth=rqth or None,
    )
    periode = Periode(debut, fin)
    engine = open_engine(db)
    with database_errors():
        ensure_schema(engine)
        try:
            if email:
                values, k, perimetre = as_account(engine, email, periode, perimetre, filtres, as_of, given=perimetre != Perimetre())
            else:
                values = compute(engine, periode, perimetre, filtres, as_of)
                k = min_cell if min_cell is not None else (0 if perimetre.echelon is Echelon.STRUCTURE else DEFAULT_MIN_CELL)
                values = mask_values(values, k)
        except PerimetreInconnu as exc:
            raise fail(str(exc)) from None
        as_of = resolve_as_of(engine, as_of)
    if fmt == "json":
        click.echo(json.dumps(as_json(periode, perimetre, filtres, as_of, values), ensure_ascii=False, indent=2))
    elif fmt == "csv":
        click.echo(as_csv(values), nl=False)
    else:
        print_table(periode, perimetre, filtres, as_of, values, k)


def as_account(engine, email: str, periode, perimetre: Perimetre, filtres, as_of, given: bool):
    """(figures, k, scope) as the account `email` sees them: its scope when none is given, checked; its rule.

    An unknown account or a scope out of its reach: exit 2 with the French reason.
    """
    from indicators.disclosure import service
    from indicators.disclosure.rule import rule_for
    from mlimpact.access import AccesRefuse, default_perimetre
    from mlimpact.accounts import get_account

    with engine.connect() as conn:
        compte = get_account(conn, email)
    if compte is None:
        raise fail(f"aucun compte pour « {email} » (voir mlimpact utilisateur).")
    if not given:
        perimetre = default_perimetre(compte)
    try:
        values = service.compute(engine, compte, periode, perimetre, filtres, as_of)
    except AccesRefuse as exc:
        raise fail(f"{exc} (compte {compte.email}, rôle {compte.role}).") from None
    return values, rule_for(engine, compte, perimetre).k, perimetre


# --- output ------------------------------------------------------------------------------------------------
def _number(value, code: str):
    """Counts as integers, other figures as they are (JSON numbers)."""
    from indicators.registry import REGISTRY

    if value is None:
        return None
    if REGISTRY[code].nature is Nature.COUNT:
        return int(value)
    return value


def rows(values: dict[str, Valeur]) -> list[dict]:
    """The rows of the output contract: code, famille, valeur, numerateur, denominateur, unite, masque, traitement."""
    from indicators.registry import REGISTRY

    out = []
    for code, v in values.items():
        d = REGISTRY[code]
        out.append(
            {
                "code": code,
                "famille": d.famille.value,
                "valeur": _number(v.valeur, code),
                "numerateur": None if v.numerateur is None else int(v.numerateur),
                "denominateur": None if v.denominateur is None else int(v.denominateur),
                "unite": d.unite,
                "masque": bool(v.masque),
                "traitement": v.traitement,
            }
        )
    return out


def as_json(periode: Periode, perimetre: Perimetre, filtres: Filtres, as_of, values) -> dict:
    return {
        "periode": {"debut": periode.debut.isoformat(), "fin": periode.fin.isoformat()},
        "perimetre": {"niveau": perimetre.echelon.value, "code": perimetre.code},
        "filtres": filtres.actifs(),
        "as_of": None if as_of is None else as_of.isoformat(),
        "indicateurs": rows(values),
    }


def as_csv(values: dict[str, Valeur]) -> str:
    """The same rows with a header, as the exports write them: `;`, decimal comma, booleans 1/0."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows(values):
        writer.writerow([_csv_cell(row[c]) for c in CSV_COLUMNS])
    return buffer.getvalue()


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    return str(value)


def print_table(periode, perimetre, filtres, as_of, values, k: int) -> None:
    from rich.table import Table

    from indicators.registry import FAMILLES_COURTES, REGISTRY
    from presentation.figures import texte_valeur
    from presentation.formats import date_fr

    where = "France entière" if perimetre.code is None else f"{_echelon_fr(perimetre.echelon)} {perimetre.code}"
    title = f"Indicateurs du {date_fr(periode.debut)} au {date_fr(periode.fin)} — {where}"
    table = Table(title=title, title_justify="left")
    table.add_column("Indicateur")
    for column in ("Valeur", "Numérateur", "Dénominateur"):
        table.add_column(column, justify="right", no_wrap=True)
    famille = None
    for code, v in values.items():
        d = REGISTRY[code]
        if d.famille is not famille:
            famille = d.famille
            table.add_section()
            table.add_row(f"[bold]{FAMILLES_COURTES[famille]}[/bold]", "", "", "")
        shown = texte_valeur(code, v, k)
        table.add_row(f"  {d.libelle}", shown, _int_fr(v.numerateur), _int_fr(v.denominateur))
    out.print(table)
    notes = [f"Données au {date_fr(as_of)}." if as_of else "Base sans jalon."]
    if filtres.actifs():
        notes.append("Filtres : " + ", ".join(f"{k_}={v_}" for k_, v_ in filtres.actifs().items()) + ".")
    if any(v.traitement == "perturbe" for v in values.values()):
        notes.append(f"Secret statistique : chiffres perturbés (« ≈ »), effectifs de 1 à {k - 1} masqués.")
    else:
        notes.append(f"Secret statistique : effectifs de 1 à {k - 1} masqués." if k > 1 else "Sans secret statistique.")
    out.print(" ".join(notes), markup=False)


def _echelon_fr(echelon: Echelon) -> str:
    return {Echelon.STRUCTURE: "structure", Echelon.DEPARTEMENT: "département", Echelon.REGION: "région"}[echelon]


def _int_fr(value) -> str:
    from presentation.formats import entier

    return "" if value is None else entier(int(value))
