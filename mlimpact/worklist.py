"""The conseillers' worklist: what needs doing in the structure, with the days it has waited.

Three lists, each a query on the structure's own rows (read only after the access
check), and each about jeunes whose parcours is still going on: open risks of
rupture of jeunes in an accompagnement in progress (the jeune left longest
without contact first), jeunes in an accompagnement in progress without contact
for more than 60 or 90 days (risk of décrochage), and orientations received
without a first appointment after 15 or 30 days. Every row says which dispositifs
are in progress and who is the referent, so a conseiller can put their own jeunes
first (`mes_jeunes`). Marking a risk averted or occurred writes the jalon through
`mlimpact.parcours`, the one write path of the forms.

Waits are counted up to `au`, the date of the structure's data (`date_des_donnees`):
its latest jalon, not the server's day. A structure fed by a monthly import holds
nothing after the day of its export; counted from today, every jeune would look
silent for the weeks since, and the list would fill with false alarms.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, exists, func, or_, select

from mlimpact import parcours
from mlimpact.access import Compte

J, A, K = parcours.J, parcours.A, parcours.K

SEUILS_CONTACT = (60, 90)
SEUILS_ORIENTATION = (15, 30)
# Orientations older than this are history, not work: they leave the list.
HORIZON_ORIENTATIONS = 365
ISSUES = {"evitee": "rupture_evitee", "survenue": "rupture_survenue"}
LOT = 5_000


def _structure(compte: Compte, code_structure: str | None) -> str:
    return parcours.structure_lisible(compte, code_structure)


def date_des_donnees(conn: Connection, compte: Compte, today: dt.date, code_structure: str | None = None) -> dt.date:
    """The date the structure's data describe: its latest jalon (never after `today`); `today` when it has none."""
    structure = _structure(compte, code_structure)
    latest = conn.execute(
        select(func.max(K.c.date)).join(J, J.c.id_jeune == K.c.id_jeune).where(J.c.code_structure == structure, K.c.date <= today)
    ).scalar()
    return parcours.store_date(latest) or today


def en_cours(au: dt.date) -> tuple:
    """The conditions of an accompagnement in progress on `au`: started, and not ended before."""
    return A.c.date_debut <= au, or_(A.c.date_fin.is_(None), A.c.date_fin >= au)


def _suivi(conn: Connection, ids: list[str], au: dt.date) -> tuple[list[str], list[str]]:
    """For each jeune: the dispositifs of their accompagnements in progress, and their referents (comma-separated)."""
    dispositifs: dict[str, list[str]] = {}
    referents: dict[str, list[str]] = {}
    for start in range(0, len(ids), LOT):
        batch = ids[start : start + LOT]
        query = (
            select(A.c.id_jeune, A.c.dispositif, A.c.referent)
            .where(A.c.id_jeune.in_(batch), *en_cours(au))
            .order_by(A.c.dispositif, A.c.referent)
        )
        for ident, disp, referent in conn.execute(query):
            dispositifs.setdefault(ident, []).append(disp)
            if referent:
                referents.setdefault(ident, []).append(referent)
    joined = lambda found: [", ".join(dict.fromkeys(found.get(i, []))) for i in ids]
    return joined(dispositifs), joined(referents)


def _with_suivi(conn: Connection, frame: pd.DataFrame, au: dt.date) -> pd.DataFrame:
    frame["dispositifs"], frame["referents"] = _suivi(conn, frame["id_jeune"].tolist(), au)
    return frame


def mes_jeunes(frame: pd.DataFrame, compte: Compte, seulement: bool = False) -> pd.DataFrame:
    """The rows of the jeunes `compte` is referent of (an accompagnement in progress names them) first, the
    list's order kept within each part; `seulement`: those rows alone."""
    mine = frame["referents"].map(lambda refs: compte.email in refs.split(", ") if refs else False)
    if seulement:
        return frame[mine].reset_index(drop=True)
    return pd.concat([frame[mine], frame[~mine]], ignore_index=True)


def risques_ouverts(conn: Connection, compte: Compte, au: dt.date, code_structure: str | None = None,
                    domaine: str | None = None) -> pd.DataFrame:
    """Open risks of rupture of the structure's jeunes in an accompagnement in progress (of one `domaine`, if
    given), by urgency: the jeune left longest without contact since the risk first — `silence`, the days since
    the later of the risk and the last contact — then the oldest risk. With the days each risk has been open."""
    structure = _structure(compte, code_structure)
    query = parcours.requete_risques_ouverts(au, structure).where(exists().where(A.c.id_jeune == K.c.id_jeune, *en_cours(au)))
    if domaine:
        query = query.where(K.c.domaine == domaine)
    rows = conn.execute(query).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=parcours.RISQUES_COLONNES)
    frame["jours"] = [(au - d).days for d in frame["date"]]
    contacts = parcours.derniers_contacts(conn, jeunes=list(dict.fromkeys(frame["id_jeune"])))
    frame["dernier_contact"] = [contacts.get(i) for i in frame["id_jeune"]]
    frame["silence"] = [(au - max(d, c or d)).days for d, c in zip(frame["date"], frame["dernier_contact"], strict=True)]
    frame = frame.sort_values(["silence", "date", "id_jalon"], ascending=[False, True, True], ignore_index=True)
    return _with_suivi(conn, frame, au)


def sans_contact(conn: Connection, compte: Compte, au: dt.date, seuil: int = SEUILS_CONTACT[0],
                 code_structure: str | None = None) -> pd.DataFrame:
    """Jeunes in an accompagnement in progress whose last sign of contact — the latest entretien, atelier, contact
    or premier rendez-vous, or the start of the latest accompagnement in progress if later — is more than `seuil`
    days old on `au`. Longest silence first."""
    structure = _structure(compte, code_structure)
    ouvert = (A.c.id_jeune == J.c.id_jeune, *en_cours(au))
    dernier = (
        select(func.max(K.c.date))
        .where(K.c.id_jeune == J.c.id_jeune, K.c.type.in_(parcours.TYPES_CONTACT), K.c.date <= au)
        .scalar_subquery()
    )
    debut = select(func.max(A.c.date_debut)).where(*ouvert).scalar_subquery()
    query = select(J.c.id_jeune, dernier.label("dernier"), debut.label("debut")).where(
        J.c.code_structure == structure, exists().where(*ouvert)
    )
    rows = [(i, parcours.store_date(d), parcours.store_date(b)) for i, d, b in conn.execute(query)]
    limite = au - dt.timedelta(days=seuil)
    # The start of the accompagnement in progress is a contact too (a jeune is met to sign it).
    kept = [(i, d, b, max(d or b, b)) for i, d, b in rows if max(d or b, b) < limite]
    frame = pd.DataFrame([k[:3] for k in kept], columns=["id_jeune", "dernier_contact", "debut_accompagnement"])
    frame["jours"] = [(au - ref).days for *_, ref in kept]
    frame = frame.sort_values(["jours", "id_jeune"], ascending=[False, True], ignore_index=True)
    return _with_suivi(conn, frame, au)


def orientations_sans_rdv(conn: Connection, compte: Compte, au: dt.date, seuil: int = SEUILS_ORIENTATION[0],
                          horizon: int = HORIZON_ORIENTATIONS, code_structure: str | None = None) -> pd.DataFrame:
    """Orientations received more than `seuil` days before `au` (and within `horizon` days) with no premier_rdv
    or entretien of the same jeune on or after them (as `entree_sous_30j` counts a follow-up). Oldest first.

    A jeune just oriented often has no accompagnement yet: the orientation stays unless the jeune's parcours is
    over — an accompagnement ended since the orientation, and none in progress.

    Plain queries (the orientations, then their jeunes' latest first appointment) rather than one anti-join:
    each uses its index whatever the planner's statistics (a fresh import has none yet on PostgreSQL).
    """
    structure = _structure(compte, code_structure)
    query = (
        select(K.c.id_jalon, K.c.id_jeune, K.c.date)
        .join(J, J.c.id_jeune == K.c.id_jeune)
        .where(
            J.c.code_structure == structure,
            K.c.type == "orientation_recue",
            K.c.date < au - dt.timedelta(days=seuil),
            K.c.date >= au - dt.timedelta(days=horizon),
        )
        .order_by(K.c.date, K.c.id_jalon)
    )
    orientations = [(i, j, parcours.store_date(d)) for i, j, d in conn.execute(query)]
    dernier_rdv: dict[str, dt.date] = {}
    ids = list(dict.fromkeys(j for _, j, _ in orientations))
    for start in range(0, len(ids), LOT):
        # Grouped by type, filtered here: a `type IN` in SQL would tempt SQLite into the (type, date) index.
        rows = conn.execute(
            select(K.c.id_jeune, K.c.type, func.max(K.c.date))
            .where(K.c.id_jeune.in_(ids[start : start + LOT]))
            .group_by(K.c.id_jeune, K.c.type)
        )
        for j, type_jalon, d in rows:
            if type_jalon in parcours.PREMIER_CONTACT:
                d = parcours.store_date(d)
                dernier_rdv[j] = max(d, dernier_rdv.get(j, d))
    waiting = [(i, j, d) for i, j, d in orientations if j not in dernier_rdv or dernier_rdv[j] < d]
    frame = _with_suivi(conn, pd.DataFrame(waiting, columns=["id_jalon", "id_jeune", "date"]), au)
    fins = _dernieres_fins(conn, list(dict.fromkeys(frame["id_jeune"])))
    over = [not disp and fins.get(j) is not None and fins[j] >= d for j, d, disp in zip(frame["id_jeune"], frame["date"], frame["dispositifs"], strict=True)]
    frame = frame[[not o for o in over]].reset_index(drop=True)
    frame["jours"] = [(au - d).days for d in frame["date"]]
    return frame


def _dernieres_fins(conn: Connection, ids: list[str]) -> dict[str, dt.date]:
    """Each jeune's latest end of accompagnement."""
    found: dict[str, dt.date] = {}
    for start in range(0, len(ids), LOT):
        query = select(A.c.id_jeune, func.max(A.c.date_fin)).where(A.c.id_jeune.in_(ids[start : start + LOT])).group_by(A.c.id_jeune)
        found.update({j: parcours.store_date(d) for j, d in conn.execute(query) if d is not None})
    return found


def mark_risque(conn: Connection, compte: Compte, risque: dict, issue: str, today: dt.date,
                   date: dt.date | None = None) -> parcours.Enregistrement:
    """Record that an open risk was averted (`evitee`) or occurred (`survenue`): a jalon of the same jeune
    and domaine. `risque` is the row as listed (with its version). Two conseillers marking the same risk
    at once: the second waits for the first (the risk row is locked), then is refused."""
    type_jalon = ISSUES[issue]
    jour = date or today
    actuel = parcours.row_to_update(conn, compte, "jalons", risque)
    if actuel["type"] != "risque_rupture":
        raise parcours.Invalide({"type": "ce jalon n'est pas un risque de rupture."})
    if jour < actuel["date"]:
        raise parcours.Invalide({"date": f"la date de l'issue précède celle du risque ({actuel['date']:%d/%m/%Y})."})
    if jour > today:
        raise parcours.Invalide({"date": f"la date de l'issue est dans le futur (après le {today:%d/%m/%Y})."})
    # Lock the risk at the version listed: a second conseiller marking it waits here, then sees the first issue.
    parcours.lock(conn, compte, "jalons", risque, actuel)
    autre = conn.execute(
        select(K.c.id_jalon, K.c.type, K.c.date)
        .where(
            K.c.id_jeune == actuel["id_jeune"],
            K.c.domaine == actuel["domaine"],
            K.c.type.in_(parcours.RESOLUTIONS),
            K.c.date >= actuel["date"],
        )
        .limit(1)
    ).first()
    if autre is not None:
        raise _deja_traite(conn, actuel, autre)
    return parcours.add_jalon(conn, compte, actuel["id_jeune"], {"date": jour, "type": type_jalon, "domaine": actuel["domaine"]}, today)


def _deja_traite(conn: Connection, risque: dict, autre) -> parcours.Conflit:
    auteur, quand = parcours.derniere_ecriture(conn, "jalons", {"id_jeune": risque["id_jeune"], "id_jalon": autre.id_jalon}, 1, ("create",))
    issue = "rupture évitée" if autre.type == "rupture_evitee" else "rupture survenue"
    par = f" par {auteur}" if auteur else ""
    message = f"Ce risque a déjà été traité ({issue} le {parcours.store_date(autre.date):%d/%m/%Y}{par}) : rien n'a été enregistré."
    return parcours.Conflit("jalons", risque["id_jalon"], [], auteur, quand, message=message)
