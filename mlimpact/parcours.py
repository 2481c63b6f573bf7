"""One jeune's parcours, read and changed row by row: the library behind the conseillers' forms.

Every function takes the signed-in account and a connection inside a transaction
(`with engine.begin() as conn`). Each one checks the access rules before it reads
or writes, validates through the exchange format's one validation path
(`validate_record`, the import's rules), refuses a stale write (optimistic
locking on the `version` column: the caller hands back the row as it read it),
audits every change, and bumps the data version so cached figures refresh.

A refusal (`Invalide`, `Doublon`, `Conflit`, `Introuvable`, `AccesRefuse`) is
raised before anything is written. `write` runs one of these functions in its
own transaction: it retries a deadlock or a serialization failure a few times,
and turns what the database refuses (a row deleted meanwhile, a base busy too
long) into `Indisponible`, a French message; nothing is reported saved that
was not committed. Adding a jalon and deleting a jeune both lock the jeune's
row first, so the two never overlap. A jeune of another structure is reported as "introuvable",
exactly like a jeune that does not exist: the refusal must not reveal that the
identifier is in use elsewhere.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Connection, Engine, exists, func, not_, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from mlimpact import accounts, audit, store, vocab
from mlimpact.access import AccesRefuse, Compte, check_row_read, check_write
from mlimpact.exchange.schema import TABLES, Kind
from mlimpact.exchange.validation import IDENTIFYING_ADVICE, Context, identifying_text, validate_record
from mlimpact.models import Accompagnement, Audit, Jalon, Jeune

J = Jeune.__table__
A = Accompagnement.__table__
K = Jalon.__table__

RESOLUTIONS = ("rupture_evitee", "rupture_survenue")
# What counts as a contact with the young person: the follow-up family and the first appointment.
TYPES_CONTACT = ("entretien", "atelier", "contact", "premier_rdv")
# The first appointment after an orientation (as the indicator `entree_sous_30j` counts it).
PREMIER_CONTACT = ("premier_rdv", "entretien")
UN_AN = 365

INTROUVABLE = "Jeune introuvable : aucun jeune de votre structure ne porte cet identifiant."


# --- errors the forms show ---------------------------------------------------------------------------
class Introuvable(Exception):
    """No such row for this account (it may exist in another structure: we do not say)."""

    def __init__(self, message: str = INTROUVABLE):
        super().__init__(message)


class Invalide(Exception):
    """Values refused by validation: one French message per field (column name)."""

    def __init__(self, messages: dict[str, str]):
        self.messages = dict(messages)
        super().__init__(" ; ".join(f"{libelle(c)} : {m}" for c, m in self.messages.items()))


class Doublon(Invalide):
    """A jalon like one already stored (same jeune, type, date and domaine): saved only once the user confirms."""

    def __init__(self, message: str):
        self.message = message
        super().__init__({"date": message})

    def __str__(self) -> str:
        return self.message


class Indisponible(Exception):
    """The database could not take the write (busy, or a row changed under it): nothing was saved."""


OCCUPEE = (
    "La base est occupée par un autre enregistrement depuis trop longtemps : rien n'a été enregistré, "
    "réessayez dans un instant."
)
REFUSEE = (
    "L'enregistrement a été refusé par la base : une ligne liée a été supprimée ou modifiée entre-temps "
    "(par exemple le jeune). Rien n'a été enregistré ; rechargez la page pour voir l'état actuel."
)
# PostgreSQL: deadlock_detected, serialization_failure (worth a retry: the other transaction has moved on).
_RETRY_CODES = {"40P01", "40001"}
ESSAIS = 4


@dataclass(frozen=True)
class Changement:
    """One field that differs between the row as the user read it and the row stored now."""

    champ: str
    libelle: str
    lu: str
    enregistre: str


class Conflit(Exception):
    """Someone else changed (or deleted) the row since it was read: the save is refused."""

    def __init__(self, table: str, cle: str, changements: list[Changement], auteur: str | None,
                 quand: dt.datetime | None, supprime: bool = False, message: str | None = None):
        self.table, self.cle, self.changements = table, cle, changements
        self.auteur, self.quand, self.supprime = auteur, quand, supprime
        super().__init__(message or self._message())

    def _message(self) -> str:
        objet = {"jeunes": "La fiche de ce jeune", "accompagnements": "Cet accompagnement", "jalons": "Ce jalon"}[self.table]
        qui = f" par {self.auteur}" if self.auteur else ""
        quand = f" le {self.quand:%d/%m/%Y à %H:%M}" if self.quand else ""
        if self.supprime:
            return f"{objet} a été supprimé{qui}{quand} pendant que vous le consultiez : rien n'a été enregistré."
        return (
            f"{objet} a été modifié{qui}{quand} pendant que vous le modifiiez. Votre enregistrement est refusé "
            "pour ne pas écraser ce changement : relisez la version enregistrée, puis refaites votre modification."
        )


@dataclass(frozen=True)
class Enregistrement:
    """What a write did: the row as stored now, and the warnings that did not block it."""

    table: str
    cle: str
    ligne: dict
    avertissements: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Parcours:
    """Everything the parcours page shows about one jeune."""

    jeune: dict
    accompagnements: pd.DataFrame
    jalons: pd.DataFrame
    risques_ouverts: pd.DataFrame
    dernier_contact: dt.date | None

    @property
    def id_jeune(self) -> str:
        return self.jeune["id_jeune"]

    @property
    def en_cours(self) -> pd.DataFrame:
        """The accompagnements not ended."""
        return self.accompagnements[self.accompagnements["date_fin"].isna()]


# --- wording ---------------------------------------------------------------------------------------------
_LIBELLES = {c.name: c.label for t in TABLES.values() for c in t.columns}
_BOOLEENS = {c.name for t in TABLES.values() for c in t.columns if c.kind is Kind.BOOL}
_VOCABULAIRES = {
    "dispositif": vocab.DISPOSITIFS,
    "financeur": vocab.FINANCEURS,
    "motif_fin": vocab.MOTIFS_FIN,
    "domaine": vocab.ALL_DOMAINES,
    "sexe": vocab.SEXES,
    "niveau_formation": vocab.NIVEAUX_FORMATION,
    "type": {k: v[1] for k, v in vocab.TYPES_JALON.items()},
}


def libelle(champ: str) -> str:
    """The French name of a field (as the import's messages use it)."""
    return _LIBELLES.get(champ, champ)


def valeur_lisible(champ: str, valeur) -> str:
    """A stored value in French: `26/11/2026`, `Oui`, `Emploi durable`, `150,50 €`."""
    if valeur is None or (isinstance(valeur, float) and pd.isna(valeur)) or valeur == "":
        return "—"
    if isinstance(valeur, (dt.date, dt.datetime)):
        return valeur.strftime("%d/%m/%Y")
    if isinstance(valeur, bool) or champ in _BOOLEENS:  # SQLite hands booleans back as 0 / 1
        return "Oui" if valeur in (True, 1, "1", "true") else "Non"
    if champ == "montant_eur":
        return f"{float(valeur):,.2f}".replace(",", "\u202f").replace(".", ",") + "\u00a0€"
    if champ in ("date", "date_debut", "date_fin", "date_premier_accueil") and isinstance(valeur, str):
        try:
            return dt.date.fromisoformat(valeur[:10]).strftime("%d/%m/%Y")
        except ValueError:
            return valeur
    return _VOCABULAIRES.get(champ, {}).get(valeur, str(valeur))


def ligne_lisible(ligne) -> str:
    """A stored row (an audit entry's before or after) in French: `QPV : Oui ; date de fin : —`; other values
    (an import's counts) as `clé : valeur`, never Python's `True` or `None`."""
    if not isinstance(ligne, dict):
        return "—" if ligne is None else valeur_lisible("", ligne)
    return " ; ".join(f"{libelle(k)} : {ligne_lisible(v) if isinstance(v, dict) else _element_lisible(k, v)}" for k, v in ligne.items())


def _element_lisible(champ: str, valeur) -> str:
    if isinstance(valeur, (list, tuple)):
        return ", ".join(_element_lisible(champ, v) for v in valeur) or "—"
    return valeur_lisible(champ, valeur)


def liste_lisible(champ: str, valeurs: str | None) -> str:
    """Codes joined by `, ` (as the search and the worklist list the dispositifs in progress), in French."""
    return ", ".join(valeur_lisible(champ, v) for v in valeurs.split(", ")) if valeurs else "—"


# --- identifiers -----------------------------------------------------------------------------------------
_PREFIXES = {"jeunes": "J-", "accompagnements": "A-", "jalons": "L-"}


def new_identifiant(conn: Connection, table: str) -> str:
    """A fresh pseudonymous key (`L-` + 16 hex digits for a jalon): random, so never guessable nor personal."""
    key = TABLES[table].key[0]
    sql = store.sql_table(table)
    while True:
        candidate = _PREFIXES[table] + uuid.uuid4().hex[:16].upper()
        if conn.execute(select(sql.c[key]).where(sql.c[key] == candidate)).first() is None:
            return candidate


# --- reading ---------------------------------------------------------------------------------------------
def _row(result) -> dict | None:
    row = result.mappings().first()
    return None if row is None else dict(row)


def _colonnes(table: str, sql) -> list:
    return [sql.c[c] for c in TABLES[table].column_names] + [sql.c.version]


def jeune(conn: Connection, compte: Compte, id_jeune: str, lock: bool = False) -> dict:
    """The jeune's row, if the account may read it; `Introuvable` otherwise (also for another structure's).

    `lock`: hold the row until the transaction ends (`SELECT … FOR UPDATE` on PostgreSQL; on SQLite a
    no-op write takes the database's write lock first), so that a jalon added and the jeune deleted
    at the same time are done one after the other: the deletion sees, and audits, every jalon it removes.
    """
    ident = (id_jeune or "").strip()
    if ident and lock and conn.dialect.name == "sqlite":
        conn.execute(J.update().where(J.c.id_jeune == ident).values(version=J.c.version))
    query = select(*_colonnes("jeunes", J)).where(J.c.id_jeune == ident)
    if lock and conn.dialect.name != "sqlite":
        query = query.with_for_update()
    row = _row(conn.execute(query)) if ident else None
    if row is None:
        raise Introuvable()
    try:
        check_row_read(compte, row["code_structure"])
    except AccesRefuse:
        raise Introuvable() from None
    return row


def _enfant(conn: Connection, compte: Compte, table: str, cle: str) -> dict:
    """An accompagnement or jalon row (with its jeune's structure), if the account may read it."""
    sql = store.sql_table(table)
    key = TABLES[table].key[0]
    row = _row(
        conn.execute(
            select(*_colonnes(table, sql), J.c.code_structure)
            .select_from(sql.join(J, J.c.id_jeune == sql.c.id_jeune))
            .where(sql.c[key] == cle)
        )
    )
    if row is None:
        raise Introuvable(f"{'Jalon' if table == 'jalons' else 'Accompagnement'} introuvable.")
    try:
        check_row_read(compte, row["code_structure"])
    except AccesRefuse:
        raise Introuvable(f"{'Jalon' if table == 'jalons' else 'Accompagnement'} introuvable.") from None
    return row


def requete_risques_ouverts(au: dt.date, structure: str):
    """A structure's risks of rupture dated ≤ `au` and not settled by `au` — no `rupture_evitee` or
    `rupture_survenue` of the same jeune and domaine dated between the risk and `au` — oldest first:
    the stock `risques_ouverts` counts (docs/arithmetic.md). `risques_ouverts_parmi` is the same rule
    over one jeune's jalons already read."""
    issue = K.alias("issue")
    regle = exists().where(
        issue.c.id_jeune == K.c.id_jeune,
        issue.c.domaine == K.c.domaine,
        issue.c.type.in_(RESOLUTIONS),
        issue.c.date >= K.c.date,
        issue.c.date <= au,
    )
    du_jeune = J.alias("jeune_du_risque")  # an alias: never correlated with an enclosing query on jeunes
    return (
        select(K.c.id_jalon, K.c.id_jeune, K.c.date, K.c.domaine, K.c.version)
        .join(du_jeune, du_jeune.c.id_jeune == K.c.id_jeune)
        .where(du_jeune.c.code_structure == structure, K.c.type == "risque_rupture", K.c.date <= au, not_(regle))
        .order_by(K.c.date, K.c.id_jalon)
    )


RISQUES_COLONNES = ["id_jalon", "id_jeune", "date", "domaine", "version"]


def risques_ouverts_parmi(jalons: pd.DataFrame, au: dt.date, sauf: str | None = None) -> pd.DataFrame:
    """The open risks among one jeune's jalons (the rule of `requete_risques_ouverts`), oldest first.

    Computed from the rows already read: for one jeune, a query would tempt SQLite into the (type, date)
    index, a scan of every risk of the store. `sauf`: a jalon not to count as settling (the one being edited).
    In plain Python over the columns, one pass each way: pandas masks cost a tenth of a saved jalon's run.
    A risk is settled by an issue of its own jeune and domaine dated on or after it, so the latest such
    issue decides; a risk without a domaine is never settled (it matches nothing, as in SQL).
    """
    col = {c: jalons[c].tolist() for c in ("type", "date", "id_jeune", "domaine", "id_jalon")}
    derniere_issue: dict[tuple, dt.date] = {}
    for type_jalon, date, ident, domaine, id_jalon in zip(*col.values(), strict=True):
        if type_jalon in RESOLUTIONS and date <= au and id_jalon != sauf and not pd.isna(domaine):
            cle = (ident, domaine)
            if cle not in derniere_issue or date > derniere_issue[cle]:
                derniere_issue[cle] = date
    ouverts = []
    for i, (type_jalon, date, ident, domaine) in enumerate(zip(col["type"], col["date"], col["id_jeune"], col["domaine"])):
        issue = derniere_issue.get((ident, domaine))
        if type_jalon == "risque_rupture" and date <= au and (issue is None or issue < date):
            ouverts.append(i)
    valeurs = {c: col[c] if c in col else jalons[c].tolist() for c in RISQUES_COLONNES}
    frame = pd.DataFrame([[valeurs[c][i] for c in RISQUES_COLONNES] for i in ouverts], columns=RISQUES_COLONNES)
    return frame.sort_values(["date", "id_jalon"], ignore_index=True)


def _frame(conn: Connection, query, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in conn.execute(query)], columns=columns)


def read_parcours(conn: Connection, compte: Compte, id_jeune: str, today: dt.date) -> Parcours:
    """The jeune, their accompagnements (oldest first), jalons (newest first) and open risks."""
    row = jeune(conn, compte, id_jeune)
    ident = row["id_jeune"]
    acc_cols = TABLES["accompagnements"].column_names + ["version"]
    accompagnements = _frame(
        conn, select(*_colonnes("accompagnements", A)).where(A.c.id_jeune == ident).order_by(A.c.date_debut, A.c.id_accompagnement), acc_cols
    )
    jal_cols = TABLES["jalons"].column_names + ["version"]
    jalons = _frame(
        conn, select(*_colonnes("jalons", K)).where(K.c.id_jeune == ident).order_by(K.c.date.desc(), K.c.id_jalon.desc()), jal_cols
    )
    risques = risques_ouverts_parmi(jalons, today)
    risques["jours"] = [(today - d).days for d in risques["date"]]
    contacts = jalons.loc[jalons["type"].isin(TYPES_CONTACT), "date"]
    return Parcours(row, accompagnements, jalons, risques, contacts.max() if len(contacts) else None)


# --- search ------------------------------------------------------------------------------------------------
RISQUES_FILTRE = {"tous": "Tous", "avec": "Avec un risque ouvert", "sans": "Sans risque ouvert"}


def structure_lisible(compte: Compte, code_structure: str | None) -> str:
    structure = code_structure or compte.code_structure
    if not structure:
        raise AccesRefuse("Choisissez une structure.")
    check_row_read(compte, structure)
    return structure


def search(
    conn: Connection,
    compte: Compte,
    today: dt.date,
    identifiant: str = "",
    dispositif: str | None = None,
    risques: str = "tous",
    sans_contact_depuis: int | None = None,
    code_structure: str | None = None,
    limite: int = 200,
) -> pd.DataFrame:
    """The structure's jeunes matching the filters: identifier (part of it), open dispositif, open risks,
    no contact for more than N days. One row per jeune, with what the filters look at."""
    structure = structure_lisible(compte, code_structure)
    conditions = [J.c.code_structure == structure]
    ident = (identifiant or "").strip()
    if ident:
        conditions.append(J.c.id_jeune.contains(ident, autoescape=True))
    if dispositif:
        conditions.append(exists().where(A.c.id_jeune == J.c.id_jeune, A.c.dispositif == dispositif, A.c.date_fin.is_(None)))
    ids = select(J.c.id_jeune).where(*conditions).order_by(J.c.id_jeune)
    # Open risks and last contacts come from one plain query each, then filter here: their plans stay good
    # whatever the planner's statistics (none yet on PostgreSQL right after a big import).
    keep = []
    risques_par_jeune = pd.Series([r.id_jeune for r in conn.execute(requete_risques_ouverts(today, structure))]).value_counts()
    ouverts = set(risques_par_jeune.index)
    if risques in ("avec", "sans"):
        keep.append((lambda i: i in ouverts) if risques == "avec" else (lambda i: i not in ouverts))
    if sans_contact_depuis:
        derniers = derniers_contacts(conn, structure=structure)
        limite_date = today - dt.timedelta(days=sans_contact_depuis)
        keep.append(lambda i: derniers.get(i) is None or derniers[i] < limite_date)
    if keep:
        wanted = [i for i in conn.execute(ids).scalars() if all(test(i) for test in keep)][:limite]
    else:
        wanted = list(conn.execute(ids.limit(limite)).scalars())
    if not sans_contact_depuis:
        derniers = derniers_contacts(conn, jeunes=wanted)
    if not wanted:
        return pd.DataFrame(columns=["id_jeune", "dispositifs", "risques_ouverts", "dernier_contact", "jours_sans_contact"])
    found = pd.DataFrame({"id_jeune": wanted, "dernier_contact": [derniers.get(i) for i in wanted]}, dtype=object)
    en_cours = conn.execute(
        select(A.c.id_jeune, A.c.dispositif).where(A.c.id_jeune.in_(wanted), A.c.date_fin.is_(None)).order_by(A.c.dispositif)
    ).all()
    dispositifs: dict[str, list[str]] = {}
    for ident_jeune, disp in en_cours:
        dispositifs.setdefault(ident_jeune, []).append(disp)
    found["dispositifs"] = [", ".join(dict.fromkeys(dispositifs.get(i, []))) for i in wanted]
    found["risques_ouverts"] = [int(risques_par_jeune.get(i, 0)) for i in wanted]
    found["jours_sans_contact"] = [None if d is None else (today - d).days for d in found["dernier_contact"]]
    return found[["id_jeune", "dispositifs", "risques_ouverts", "dernier_contact", "jours_sans_contact"]]


def derniers_contacts(conn: Connection, jeunes: list[str] | None = None, structure: str | None = None) -> dict[str, dt.date]:
    """Each jeune's latest contact (TYPES_CONTACT), for some jeunes or a whole structure.

    Grouped by type and filtered here: a `type IN` in SQL tempts SQLite into the (type, date) index,
    a scan of every entretien of the store, where the (id_jeune, date) index reads only these jeunes.
    """
    query = select(K.c.id_jeune, K.c.type, func.max(K.c.date)).group_by(K.c.id_jeune, K.c.type)
    if structure is not None:
        query = query.join(J, J.c.id_jeune == K.c.id_jeune).where(J.c.code_structure == structure)
    if jeunes is not None:
        query = query.where(K.c.id_jeune.in_(jeunes))
    out: dict[str, dt.date] = {}
    for i, type_jalon, d in conn.execute(query):
        if type_jalon in TYPES_CONTACT:
            d = store_date(d)
            out[i] = max(d, out.get(i, d))
    return out


def store_date(value) -> dt.date | None:
    """A date from an aggregate (SQLite hands back text for max(date))."""
    if isinstance(value, dt.date):
        return value
    if value is None or pd.isna(value):
        return None
    return dt.date.fromisoformat(str(value)[:10])


# --- validation and warnings ---------------------------------------------------------------------------------
def _validate(table: str, valeurs: dict, today: dt.date) -> dict:
    typed, messages = validate_record(table, valeurs, Context(today))
    if messages:
        raise Invalide(messages)
    return typed


def jalon_warnings(conn: Connection, ligne: dict, today: dt.date) -> list[str]:
    """What is worth a second look but does not block the save (French sentences)."""
    out = []
    if ligne["date"] < today - dt.timedelta(days=UN_AN):
        out.append(f"La date du jalon ({ligne['date']:%d/%m/%Y}) remonte à plus d'un an : vérifiez l'année.")
    if ligne["type"] in RESOLUTIONS:
        siens = _frame(conn, select(*_colonnes("jalons", K)).where(K.c.id_jeune == ligne["id_jeune"]), TABLES["jalons"].column_names + ["version"])
        ouverts = risques_ouverts_parmi(siens, ligne["date"], sauf=ligne["id_jalon"])
        if not (ouverts["domaine"] == ligne["domaine"]).any():
            issue = "évitée" if ligne["type"] == "rupture_evitee" else "survenue"
            out.append(
                f"Rupture {issue} sans risque de rupture ouvert dans le domaine « {valeur_lisible('domaine', ligne['domaine'])} » "
                "à cette date : pensez à enregistrer aussi le risque détecté."
            )
    trouve = identifying_text(ligne.get("commentaire"))
    if trouve:  # the import's check too (one rule for both)
        out.append(f"Le commentaire semble contenir {trouve} : {IDENTIFYING_ADVICE}")
    return out


# --- optimistic locking ------------------------------------------------------------------------------------
def derniere_ecriture(conn: Connection, table: str, ligne: dict, version: int | None, actions=("create", "update", "delete")):
    """The audit entry (auteur, horodatage) that produced `version` of a row — or, with None, that deleted it."""
    key = TABLES[table].key[0]
    entries = conn.execute(
        select(Audit.auteur, Audit.horodatage, Audit.action, Audit.avant, Audit.apres)
        .where(Audit.table_name == table, Audit.cle == ligne["id_jeune"], Audit.action.in_(actions))
        .order_by(Audit.id.desc())
        .limit(500)
    ).all()
    for auteur, quand, action, avant, apres in entries:
        row = apres if action != "delete" else avant
        if not isinstance(row, dict) or row.get(key) != ligne[key]:
            continue
        if (version is None and action == "delete") or (version is not None and row.get("version") == version):
            return auteur, quand
    return None, None


def version_conflict(conn: Connection, compte: Compte, table: str, attendu: dict, actuel: dict | None) -> Conflit:
    key = TABLES[table].key[0]
    auteur, quand = derniere_ecriture(conn, table, attendu, None if actuel is None else actuel["version"])
    changements = []
    if actuel is not None:
        for champ in TABLES[table].column_names:
            if champ != key and champ in attendu and attendu[champ] != actuel.get(champ):
                changements.append(
                    Changement(champ, libelle(champ), valeur_lisible(champ, attendu.get(champ)), valeur_lisible(champ, actuel.get(champ)))
                )
    return Conflit(table, attendu[key], changements, auteur, quand, supprime=actuel is None)


def _cle_audit(ligne: dict) -> str:
    """Audit key of a jeune's rows (their record, spells, jalons): the jeune's id, so their whole history is
    one equality lookup (the row's own id is in `avant`/`apres`)."""
    return ligne["id_jeune"]


def _sans_structure(table: str, ligne: dict) -> dict:
    """A child row as stored (the structure was joined in for the access check only)."""
    return ligne if table == "jeunes" else {k: v for k, v in ligne.items() if k != "code_structure"}


def _update(conn: Connection, compte: Compte, table: str, attendu: dict, actuel: dict, nouveau: dict, auteur: str) -> dict:
    """UPDATE … WHERE key AND version = the version read; 0 rows means someone else was first."""
    sql = store.sql_table(table)
    key = TABLES[table].key[0]
    if actuel["version"] != attendu.get("version"):
        raise version_conflict(conn, compte, table, attendu, actuel)
    valeurs = {c: nouveau[c] for c in TABLES[table].column_names if c != key}
    done = conn.execute(
        sql.update().where(sql.c[key] == attendu[key], sql.c.version == attendu["version"]).values(**valeurs, version=sql.c.version + 1)
    )
    if done.rowcount != 1:
        again = _row(conn.execute(select(*_colonnes(table, sql)).where(sql.c[key] == attendu[key])))
        raise version_conflict(conn, compte, table, attendu, again)
    apres = {**{c: nouveau[c] for c in TABLES[table].column_names}, "version": attendu["version"] + 1}
    audit.record(conn, auteur, "update", table, _cle_audit(apres), _sans_structure(table, actuel), apres)
    store.bump_data_version(conn)
    return apres


def lock(conn: Connection, compte: Compte, table: str, attendu: dict, actuel: dict) -> None:
    """Lock the row at the version read, or refuse: `UPDATE … SET version = version WHERE key AND version`.

    Changes nothing, but takes the row (PostgreSQL) or the database (SQLite) for
    this transaction, so checks made next cannot be overtaken by another writer;
    and it fails, before anything is written, if the row changed since it was read.
    """
    sql = store.sql_table(table)
    key = TABLES[table].key[0]
    if actuel["version"] != attendu.get("version"):
        raise version_conflict(conn, compte, table, attendu, actuel)
    done = conn.execute(
        sql.update().where(sql.c[key] == attendu[key], sql.c.version == attendu["version"]).values(version=sql.c.version)
    )
    if done.rowcount != 1:
        again = _row(conn.execute(select(*_colonnes(table, sql)).where(sql.c[key] == attendu[key])))
        raise version_conflict(conn, compte, table, attendu, again)


def _delete(conn: Connection, compte: Compte, table: str, attendu: dict, actuel: dict, auteur: str, detail: str | None = None,
               avant: dict | None = None) -> None:
    sql = store.sql_table(table)
    key = TABLES[table].key[0]
    if actuel["version"] != attendu.get("version"):
        raise version_conflict(conn, compte, table, attendu, actuel)
    done = conn.execute(sql.delete().where(sql.c[key] == attendu[key], sql.c.version == attendu["version"]))
    if done.rowcount != 1:
        again = _row(conn.execute(select(*_colonnes(table, sql)).where(sql.c[key] == attendu[key])))
        raise version_conflict(conn, compte, table, attendu, again)
    audit.record(conn, auteur, "delete", table, _cle_audit(actuel), avant or _sans_structure(table, actuel), None, detail)
    store.bump_data_version(conn)


def _reread_for_write(conn: Connection, compte: Compte, table: str, cle: str) -> dict:
    """The stored row (access-checked); a row gone since it was read is a conflict, not a mystery."""
    if table == "jeunes":
        row = jeune(conn, compte, cle)
    else:
        row = _enfant(conn, compte, table, cle)
    check_write(compte, table, row["code_structure"])
    return row


def row_to_update(conn: Connection, compte: Compte, table: str, attendu: dict) -> dict:
    try:
        return _reread_for_write(conn, compte, table, attendu[TABLES[table].key[0]])
    except Introuvable:
        if attendu.get("id_jeune") and table != "jeunes":
            jeune(conn, compte, attendu["id_jeune"])  # the jeune itself must still be readable
        raise version_conflict(conn, compte, table, attendu, None) from None


# --- jeunes ----------------------------------------------------------------------------------------------------
CHAMPS_JEUNE = ("annee_naissance", "sexe", "niveau_formation", "qpv", "frr", "rqth", "date_premier_accueil")


def create_jeune(conn: Connection, compte: Compte, valeurs: dict, today: dt.date, code_structure: str | None = None) -> Enregistrement:
    """A new jeune of the account's structure; an empty identifier gets a generated pseudonymous one."""
    structure = code_structure if compte.role == "admin" and code_structure else compte.code_structure
    check_write(compte, "jeunes", structure)
    ident = str(valeurs.get("id_jeune") or "").strip() or new_identifiant(conn, "jeunes")
    ligne = _validate("jeunes", {**{c: valeurs.get(c) for c in CHAMPS_JEUNE}, "id_jeune": ident, "code_structure": structure}, today)
    deja = "Cet identifiant est déjà utilisé ; choisissez-en un autre (un identifiant pseudonyme, unique)."
    if conn.execute(select(J.c.id_jeune).where(J.c.id_jeune == ligne["id_jeune"])).first() is not None:
        raise Invalide({"id_jeune": deja})
    try:
        conn.execute(J.insert().values(**ligne, version=1))
    except IntegrityError:  # created by someone else at the same instant; the caller's transaction rolls back
        raise Invalide({"id_jeune": deja}) from None
    ligne = {**ligne, "version": 1}
    audit.record(conn, compte.email, "create", "jeunes", ligne["id_jeune"], None, ligne)
    store.bump_data_version(conn)
    return Enregistrement("jeunes", ligne["id_jeune"], ligne)


def update_jeune(conn: Connection, compte: Compte, attendu: dict, valeurs: dict, today: dt.date) -> Enregistrement:
    """Change the jeune's description; `attendu` is the row as read (with its version)."""
    actuel = row_to_update(conn, compte, "jeunes", attendu)
    ligne = _validate(
        "jeunes",
        {**{c: valeurs.get(c, actuel.get(c)) for c in CHAMPS_JEUNE}, "id_jeune": actuel["id_jeune"], "code_structure": actuel["code_structure"]},
        today,
    )
    apres = _update(conn, compte, "jeunes", attendu, actuel, ligne, compte.email)
    return Enregistrement("jeunes", apres["id_jeune"], apres)


def delete_jeune(conn: Connection, compte: Compte, attendu: dict) -> None:
    """Delete the jeune with all their accompagnements and jalons; the audit keeps what was deleted.

    The jeune's row is locked first: a jalon being added waits, or is committed before the children
    are read, so none disappears in the cascade without its line in the audit."""
    try:
        jeune(conn, compte, attendu["id_jeune"], lock=True)
    except Introuvable:
        raise version_conflict(conn, compte, "jeunes", attendu, None) from None
    actuel = row_to_update(conn, compte, "jeunes", attendu)
    ident = actuel["id_jeune"]
    lock(conn, compte, "jeunes", attendu, actuel)
    enfants = {
        "accompagnements": [dict(r) for r in conn.execute(select(*_colonnes("accompagnements", A)).where(A.c.id_jeune == ident)).mappings()],
        "jalons": [dict(r) for r in conn.execute(select(*_colonnes("jalons", K)).where(K.c.id_jeune == ident)).mappings()],
    }
    conn.execute(K.delete().where(K.c.id_jeune == ident))
    conn.execute(A.delete().where(A.c.id_jeune == ident))
    detail = f"avec {len(enfants['accompagnements'])} accompagnement(s) et {len(enfants['jalons'])} jalon(s)"
    _delete(conn, compte, "jeunes", attendu, actuel, compte.email, detail, {**actuel, **enfants})


# --- accompagnements -----------------------------------------------------------------------------------------
CHAMPS_ACCOMPAGNEMENT = ("dispositif", "date_debut", "date_fin", "motif_fin", "financeur", "referent")


def _check_referent(conn: Connection, ligne: dict, code_structure: str, avant: dict | None = None) -> None:
    """The referent must be an account of the jeune's structure (or empty): checked when it is set or changed,
    so a spell whose referent's account was deleted since can still be edited."""
    if avant is not None and (avant.get("referent") or None) == (ligne.get("referent") or None):
        return
    refus = accounts.referent_refuse(conn, ligne.get("referent"), code_structure)
    if refus:
        raise Invalide({"referent": refus})


def open_accompagnement(conn: Connection, compte: Compte, id_jeune: str, valeurs: dict, today: dt.date) -> Enregistrement:
    """Open a spell in a dispositif (no end date yet)."""
    row = jeune(conn, compte, id_jeune)
    check_write(compte, "accompagnements", row["code_structure"])
    ligne = _validate(
        "accompagnements",
        {
            "id_accompagnement": new_identifiant(conn, "accompagnements"),
            "id_jeune": row["id_jeune"],
            "dispositif": valeurs.get("dispositif"),
            "date_debut": valeurs.get("date_debut"),
            "financeur": valeurs.get("financeur"),
            "referent": valeurs.get("referent"),
        },
        today,
    )
    _check_referent(conn, ligne, row["code_structure"])
    conn.execute(A.insert().values(**ligne, version=1))
    ligne = {**ligne, "version": 1}
    audit.record(conn, compte.email, "create", "accompagnements", _cle_audit(ligne), None, ligne)
    store.bump_data_version(conn)
    return Enregistrement("accompagnements", ligne["id_accompagnement"], ligne)


def update_accompagnement(conn: Connection, compte: Compte, attendu: dict, valeurs: dict, today: dt.date) -> Enregistrement:
    """Change any field of a spell (its jeune excepted); closing is a change with a date_fin and a motif."""
    actuel = row_to_update(conn, compte, "accompagnements", attendu)
    ligne = _validate(
        "accompagnements",
        {
            **{c: valeurs.get(c, actuel.get(c)) for c in CHAMPS_ACCOMPAGNEMENT},
            "id_accompagnement": actuel["id_accompagnement"],
            "id_jeune": actuel["id_jeune"],
        },
        today,
    )
    _check_referent(conn, ligne, actuel["code_structure"], actuel)
    apres = _update(conn, compte, "accompagnements", attendu, actuel, ligne, compte.email)
    return Enregistrement("accompagnements", apres["id_accompagnement"], apres)


def close_accompagnement(conn: Connection, compte: Compte, attendu: dict, date_fin: dt.date | None, motif_fin: str | None,
                          today: dt.date) -> Enregistrement:
    """Close a spell: an end date and its motif, both required."""
    messages = {}
    if date_fin is None or str(date_fin).strip() == "":
        messages["date_fin"] = "obligatoire pour clore l'accompagnement."
    if not motif_fin:
        messages["motif_fin"] = "obligatoire pour clore l'accompagnement : choisissez le motif de fin."
    if messages:
        raise Invalide(messages)
    return update_accompagnement(conn, compte, attendu, {"date_fin": date_fin, "motif_fin": motif_fin}, today)


def referents_proposes(conn: Connection, compte: Compte, code_structure: str) -> list[str]:
    """What the forms offer as referent of a spell of the structure: its conseillers' and directeurs' accounts,
    the signed-in account first when it is one of them; in the demo (no account), the signed-in demo account
    and the fictitious referents of the structure's data."""
    structure = structure_lisible(compte, code_structure)
    proposes = accounts.referents(conn, structure)
    fictifs = conn.execute(
        select(A.c.referent).distinct().join(J, J.c.id_jeune == A.c.id_jeune)
        .where(J.c.code_structure == structure, A.c.referent.like(f"%@{accounts.DEMO_DOMAIN}"))
        .order_by(A.c.referent)
    ).scalars()
    proposes += [r for r in fictifs if r not in proposes]
    soi = compte.email if compte.code_structure == structure and (compte.email in proposes or accounts.est_fictive(compte.email)) else None
    return [soi, *[r for r in proposes if r != soi]] if soi else proposes


def delete_accompagnement(conn: Connection, compte: Compte, attendu: dict) -> None:
    actuel = row_to_update(conn, compte, "accompagnements", attendu)
    _delete(conn, compte, "accompagnements", attendu, actuel, compte.email)


# --- jalons ----------------------------------------------------------------------------------------------------
CHAMPS_JALON = ("date", "type", "domaine", "montant_eur", "commentaire")


def _valeurs_jalon(valeurs: dict) -> dict:
    """Fields the type does not take are dropped (a form may keep a stale domaine after a type change)."""
    out = {c: valeurs.get(c) for c in CHAMPS_JALON}
    type_jalon = out["type"]
    if type_jalon in vocab.TYPES_JALON:
        if type_jalon not in vocab.DOMAINES_PAR_TYPE:
            out["domaine"] = None
        if type_jalon not in vocab.TYPES_AVEC_MONTANT:
            out["montant_eur"] = None
    if isinstance(out["commentaire"], str) and not out["commentaire"].strip():
        out["commentaire"] = None
    return out


def add_jalon(conn: Connection, compte: Compte, id_jeune: str, valeurs: dict, today: dt.date,
              doublon_confirme: bool = False) -> Enregistrement:
    """Record a milestone; its identifier is generated (conseillers never type it).

    The jeune's row is locked for the rest of the transaction (see `jeune`) once the values are checked.
    A jalon like one already stored raises `Doublon` unless `doublon_confirme`."""
    row = jeune(conn, compte, id_jeune)
    check_write(compte, "jalons", row["code_structure"])
    ligne = _validate(  # before the lock: checking the values is the slow part, and needs no one to wait
        "jalons",
        {**_valeurs_jalon(valeurs), "id_jalon": new_identifiant(conn, "jalons"), "id_jeune": row["id_jeune"]},
        today,
    )
    jeune(conn, compte, id_jeune, lock=True)  # still there, and held until the commit
    if not doublon_confirme:
        check_duplicate(conn, ligne)
    avertissements = jalon_warnings(conn, ligne, today)
    conn.execute(K.insert().values(**ligne, version=1))
    ligne = {**ligne, "version": 1}
    audit.record(conn, compte.email, "create", "jalons", _cle_audit(ligne), None, ligne)
    store.bump_data_version(conn)
    return Enregistrement("jalons", ligne["id_jalon"], ligne, avertissements)


def update_jalon(conn: Connection, compte: Compte, attendu: dict, valeurs: dict, today: dt.date,
                 doublon_confirme: bool = False) -> Enregistrement:
    """Change a milestone; `attendu` is the row as read (with its version). Made like another one of the
    jeune's jalons (same type, date and domaine): `Doublon` unless `doublon_confirme`."""
    actuel = row_to_update(conn, compte, "jalons", attendu)
    merged = {c: valeurs.get(c, actuel.get(c)) for c in CHAMPS_JALON}
    ligne = _validate("jalons", {**_valeurs_jalon(merged), "id_jalon": actuel["id_jalon"], "id_jeune": actuel["id_jeune"]}, today)
    if not doublon_confirme and any(ligne[c] != actuel[c] for c in ("type", "date", "domaine")):
        check_duplicate(conn, ligne)
    avertissements = jalon_warnings(conn, ligne, today)
    apres = _update(conn, compte, "jalons", attendu, actuel, ligne, compte.email)
    return Enregistrement("jalons", apres["id_jalon"], apres, avertissements)


def check_duplicate(conn: Connection, ligne: dict) -> None:
    """`Doublon` when another jalon of the jeune has the same type, date and domaine (what a second save of one
    form gives)."""
    domaine = K.c.domaine.is_(None) if ligne.get("domaine") is None else K.c.domaine == ligne["domaine"]
    autre = conn.execute(
        select(K.c.id_jalon).where(
            K.c.id_jeune == ligne["id_jeune"], K.c.type == ligne["type"], K.c.date == ligne["date"], domaine,
            K.c.id_jalon != ligne["id_jalon"],
        ).limit(1)
    ).first()
    if autre is None:
        return
    raise Doublon(
        f"Ce jeune a déjà un jalon « {valeur_lisible('type', ligne['type'])} » au {ligne['date']:%d/%m/%Y} "
        f"({autre.id_jalon}) : c'est peut-être un doublon, rien n'a été enregistré. S'il s'agit bien d'un autre "
        "jalon, cochez « Enregistrer quand même » puis enregistrez de nouveau."
    )


def delete_jalon(conn: Connection, compte: Compte, attendu: dict) -> None:
    actuel = row_to_update(conn, compte, "jalons", attendu)
    _delete(conn, compte, "jalons", attendu, actuel, compte.email)


# --- one write, one transaction ----------------------------------------------------------------------------------
def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)


def write(engine: Engine, action: Callable[[Connection], object], essais: int = ESSAIS, pause: float = 0.05):
    """Run `action(conn)` in a transaction of its own and return its result, once committed.

    A deadlock or a serialization failure (PostgreSQL) is retried up to `essais` times, the whole
    transaction again; a base still busy (SQLite's lock held past its busy timeout, or deadlocks
    every time) raises `Indisponible` with OCCUPEE, and a constraint the database refuses (a row
    deleted meanwhile) with REFUSEE. The refusals of the library pass through unchanged.
    """
    for essai in range(1, essais + 1):
        try:
            with engine.begin() as conn:
                return action(conn)
        except IntegrityError as exc:
            raise Indisponible(REFUSEE) from exc
        except OperationalError as exc:
            if _sqlstate(exc) in _RETRY_CODES and essai < essais:
                time.sleep(pause * essai)
                continue
            if _sqlstate(exc) in _RETRY_CODES or "locked" in str(exc.orig) or "busy" in str(exc.orig):
                raise Indisponible(OCCUPEE) from exc
            raise
    raise AssertionError("unreachable")


# --- history -----------------------------------------------------------------------------------------------------
ACTIONS = {"create": "Création", "update": "Modification", "delete": "Suppression", "import": "Import", "export": "Export",
           "report": "Rapport", "purge": "Purge", "login": "Connexion"}
OBJETS = {"jeunes": "Fiche du jeune", "accompagnements": "Accompagnement", "jalons": "Jalon"}


def _resume(table: str, avant: dict | None, apres: dict | None) -> str:
    """What an audit entry changed, in French: `date : 01/10/2026 → 03/10/2026 ; type : …`."""
    champs = TABLES[table].column_names
    key = TABLES[table].key[0]
    if avant and apres:
        parts = [
            f"{libelle(c)} : {valeur_lisible(c, avant.get(c))} → {valeur_lisible(c, apres.get(c))}"
            for c in champs
            if c not in (key, "id_jeune", "code_structure") and avant.get(c) != apres.get(c)
        ]
        return " ; ".join(parts) or "aucun champ modifié"
    ligne = apres or avant or {}
    if table == "jalons":
        parts = [valeur_lisible("type", ligne.get("type")), valeur_lisible("date", ligne.get("date"))]
        if ligne.get("domaine"):
            parts.append(valeur_lisible("domaine", ligne["domaine"]))
        return " · ".join(parts)
    if table == "accompagnements":
        return f"{valeur_lisible('dispositif', ligne.get('dispositif'))} du {valeur_lisible('date_debut', ligne.get('date_debut'))}"
    return ""


def historique(conn: Connection, compte: Compte, id_jeune: str, limite: int = 500) -> pd.DataFrame:
    """Every audited change of the jeune's rows, newest first (imports are audited as whole files)."""
    row = jeune(conn, compte, id_jeune)
    ident = row["id_jeune"]
    query = (
        select(Audit.horodatage, Audit.auteur, Audit.action, Audit.table_name, Audit.cle, Audit.avant, Audit.apres, Audit.detail)
        .where(Audit.table_name.in_(list(OBJETS)), Audit.cle == ident)
        .order_by(Audit.id.desc())
        .limit(limite)
    )
    rows = []
    for quand, auteur, action, table, _cle, avant, apres, detail in conn.execute(query):
        resume = _resume(table, avant, apres)
        if detail:
            resume = f"{resume} ({detail})" if resume else detail
        ligne = apres if isinstance(apres, dict) else avant if isinstance(avant, dict) else {}
        rows.append((quand, auteur, ACTIONS.get(action, action), OBJETS[table], ligne.get(TABLES[table].key[0], ident), resume))
    return pd.DataFrame(rows, columns=["Quand", "Qui", "Action", "Objet", "Identifiant", "Ce qui a changé"])


def _plain(value):
    if value is None or isinstance(value, (str, dt.date)):
        return value
    if pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def lignes(frame: pd.DataFrame) -> Iterable[dict]:
    """Rows of a read frame as plain Python dicts (dates as dates, None for missing): what `attendu` expects."""
    for record in frame.to_dict("records"):
        yield {k: _plain(v) for k, v in record.items()}
