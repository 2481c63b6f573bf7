"""A director's words of a year: the year's facts and one or two anonymised parcours stories, per structure.

The qualitative side of « ruptures évitées, parcours sécurisés », printed in the
report for the Département. Free text: it is refused when it holds an
identifying detail, by the project's one check (`mlimpact.exchange.validation.
identifying_text`: a social security number, a phone number, an e-mail
address — what a jalon's comment is warned about and an identifier refused
for) or invisible or direction-reversing characters (the import's check);
written only by the structure's director (or an administrator), audited with
the text before and after, and it bumps the data version. Pages show it in a
text area or as plain text, never as Markdown or HTML.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from mlimpact import audit, store
from mlimpact.access import AccesRefuse, Compte
from mlimpact.exchange.validation import _INVISIBLE, identifying_text
from mlimpact.models import NoteAnnuelle

TABLE = "notes_annuelles"
CHAMPS = ("faits", "recits")
LONGUEUR_MAX = 4000
NOMS_CHAMPS = {"faits": "Faits marquants", "recits": "Parcours racontés"}


class NoteInvalide(ValueError):
    """A text refused, with one French message per problem."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__(" ; ".join(messages))


def problemes(champ: str, texte: str) -> list[str]:
    """What makes a text unfit to be stored and printed (French messages; [] when it is fine)."""
    nom = NOMS_CHAMPS.get(champ, champ)
    out = []
    if len(texte) > LONGUEUR_MAX:
        out.append(f"{nom} : {len(texte)} caractères, {LONGUEUR_MAX} au plus.")
    trouve = identifying_text(texte)
    if trouve:
        out.append(f"{nom} : le texte semble contenir {trouve} ; retirez toute donnée qui permettrait d'identifier un jeune.")
    if _INVISIBLE.search(texte):
        out.append(f"{nom} : caractères invisibles ou d'inversion du sens d'écriture interdits.")
    return out


def lire(conn: Connection, code_structure: str, annee: int) -> dict[str, str]:
    """The structure's words of the year ({"faits": "", "recits": ""} when none)."""
    row = conn.execute(
        select(NoteAnnuelle.faits, NoteAnnuelle.recits).where(
            NoteAnnuelle.code_structure == code_structure, NoteAnnuelle.annee == annee
        )
    ).first()
    return {"faits": row[0] if row else "", "recits": row[1] if row else ""}


def check_write(compte: Compte, code_structure: str) -> None:
    """Only the structure's director, or an administrator, writes its words."""
    if compte.role == "admin":
        return
    if compte.role != "directeur" or compte.code_structure != code_structure:
        raise AccesRefuse("Seule la direction de la structure peut écrire les faits et les parcours de l'année.")


def enregistrer(conn: Connection, compte: Compte, code_structure: str, annee: int, faits: str, recits: str) -> bool:
    """Store the words of a year (checked, audited, data version bumped); False when nothing changed."""
    check_write(compte, code_structure)
    apres = {"faits": (faits or "").strip(), "recits": (recits or "").strip()}
    messages = [m for champ in CHAMPS for m in problemes(champ, apres[champ])]
    if messages:
        raise NoteInvalide(messages)
    avant = lire(conn, code_structure, annee)
    if avant == apres:
        return False
    existe = conn.execute(
        select(NoteAnnuelle.annee).where(NoteAnnuelle.code_structure == code_structure, NoteAnnuelle.annee == annee)
    ).first()
    table = NoteAnnuelle.__table__
    if existe:
        conn.execute(
            table.update()
            .where(table.c.code_structure == code_structure, table.c.annee == annee)
            .values(**apres)
        )
    else:
        conn.execute(table.insert().values(code_structure=code_structure, annee=annee, **apres))
    audit.record(
        conn, compte.email, "update" if existe else "create", TABLE, cle=f"{code_structure}:{annee}",
        avant=avant if existe else None, apres=apres, detail=f"Faits et parcours de l'année {annee}",
    )
    store.bump_data_version(conn)
    return True
