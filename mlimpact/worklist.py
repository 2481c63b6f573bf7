"""The conseillers' worklist: what needs doing in the structure, with the days it has waited.

Three lists, each a query on the structure's own rows (read only after the access
check): open risks of rupture (oldest first), jeunes in an open accompagnement
without contact for more than 60 or 90 days (risk of décrochage), and
orientations received without a first appointment after 15 or 30 days. Marking
a risk averted or occurred writes the jalon through `mlimpact.parcours`, the one
write path of the forms.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, exists, func, select

from mlimpact import parcours
from mlimpact.access import Compte

J, A, K = parcours.J, parcours.A, parcours.K

SEUILS_CONTACT = (60, 90)
SEUILS_ORIENTATION = (15, 30)
# Orientations older than this are history, not work: they leave the list.
HORIZON_ORIENTATIONS = 365
ISSUES = {"evitee": "rupture_evitee", "survenue": "rupture_survenue"}


def _structure(compte: Compte, code_structure: str | None) -> str:
    return parcours.structure_lisible(compte, code_structure)


def risques_ouverts(conn: Connection, compte: Compte, today: dt.date, code_structure: str | None = None) -> pd.DataFrame:
    """Open risks of rupture of the structure, oldest first, with the days they have been open."""
    structure = _structure(compte, code_structure)
    rows = conn.execute(parcours.requete_risques_ouverts(today, structure)).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["id_jalon", "id_jeune", "date", "domaine", "version"])
    frame["jours"] = [(today - d).days for d in frame["date"]]
    return frame


def sans_contact(conn: Connection, compte: Compte, today: dt.date, seuil: int = SEUILS_CONTACT[0],
                 code_structure: str | None = None) -> pd.DataFrame:
    """Jeunes in an open accompagnement whose last sign of contact — the latest entretien, atelier, contact or
    premier rendez-vous, or the start of the latest accompagnement in progress if later — is more than `seuil`
    days old. Longest silence first."""
    structure = _structure(compte, code_structure)
    ouvert = (A.c.id_jeune == J.c.id_jeune, A.c.date_fin.is_(None), A.c.date_debut <= today)
    dernier = (
        select(func.max(K.c.date))
        .where(K.c.id_jeune == J.c.id_jeune, K.c.type.in_(parcours.TYPES_CONTACT), K.c.date <= today)
        .scalar_subquery()
    )
    debut = select(func.max(A.c.date_debut)).where(*ouvert).scalar_subquery()
    query = select(J.c.id_jeune, dernier.label("dernier"), debut.label("debut")).where(
        J.c.code_structure == structure, exists().where(*ouvert)
    )
    rows = [(i, parcours.store_date(d), parcours.store_date(b)) for i, d, b in conn.execute(query)]
    limite = today - dt.timedelta(days=seuil)
    # The start of the accompagnement in progress is a contact too (a jeune is met to sign it).
    kept = [(i, d, b, max(d or b, b)) for i, d, b in rows if max(d or b, b) < limite]
    frame = pd.DataFrame([k[:3] for k in kept], columns=["id_jeune", "dernier_contact", "debut_accompagnement"])
    frame["jours"] = [(today - ref).days for *_, ref in kept]
    frame["dispositifs"] = _dispositifs_en_cours(conn, frame["id_jeune"].tolist())
    return frame.sort_values(["jours", "id_jeune"], ascending=[False, True], ignore_index=True)


def _dispositifs_en_cours(conn: Connection, ids: list[str]) -> list[str]:
    found: dict[str, list[str]] = {}
    for start in range(0, len(ids), 5_000):
        batch = ids[start : start + 5_000]
        query = select(A.c.id_jeune, A.c.dispositif).where(A.c.id_jeune.in_(batch), A.c.date_fin.is_(None)).order_by(A.c.dispositif)
        for ident, disp in conn.execute(query):
            found.setdefault(ident, []).append(disp)
    return [", ".join(dict.fromkeys(found.get(i, []))) for i in ids]


def orientations_sans_rdv(conn: Connection, compte: Compte, today: dt.date, seuil: int = SEUILS_ORIENTATION[0],
                          horizon: int = HORIZON_ORIENTATIONS, code_structure: str | None = None) -> pd.DataFrame:
    """Orientations received more than `seuil` days ago (and within `horizon` days) with no premier_rdv or
    entretien of the same jeune on or after them (as `entree_sous_30j` counts a follow-up). Oldest first.

    Two plain queries (the orientations, then their jeunes' latest first appointment) rather than one anti-join:
    each uses its index whatever the planner's statistics (a fresh import has none yet on PostgreSQL).
    """
    structure = _structure(compte, code_structure)
    query = (
        select(K.c.id_jalon, K.c.id_jeune, K.c.date)
        .join(J, J.c.id_jeune == K.c.id_jeune)
        .where(
            J.c.code_structure == structure,
            K.c.type == "orientation_recue",
            K.c.date < today - dt.timedelta(days=seuil),
            K.c.date >= today - dt.timedelta(days=horizon),
        )
        .order_by(K.c.date, K.c.id_jalon)
    )
    orientations = [(i, j, parcours.store_date(d)) for i, j, d in conn.execute(query)]
    dernier_rdv: dict[str, dt.date] = {}
    ids = list(dict.fromkeys(j for _, j, _ in orientations))
    for start in range(0, len(ids), 5_000):
        # Grouped by type, filtered here: a `type IN` in SQL would tempt SQLite into the (type, date) index.
        rows = conn.execute(
            select(K.c.id_jeune, K.c.type, func.max(K.c.date))
            .where(K.c.id_jeune.in_(ids[start : start + 5_000]))
            .group_by(K.c.id_jeune, K.c.type)
        )
        for j, type_jalon, d in rows:
            if type_jalon in parcours.PREMIER_CONTACT:
                d = parcours.store_date(d)
                dernier_rdv[j] = max(d, dernier_rdv.get(j, d))
    waiting = [(i, j, d) for i, j, d in orientations if j not in dernier_rdv or dernier_rdv[j] < d]
    frame = pd.DataFrame(waiting, columns=["id_jalon", "id_jeune", "date"])
    frame["jours"] = [(today - d).days for d in frame["date"]]
    return frame


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
