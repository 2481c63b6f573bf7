"""A small exchange-format data set written as text, and helpers to put it in files."""

from __future__ import annotations

from pathlib import Path

SMALL = {
    "structures": """code_structure;nom;departement
ML13001;Mission Locale Marseille Nord;13
ML84001;Mission Locale du Grand Avignon;84
""",
    "jeunes": """id_jeune;code_structure;annee_naissance;sexe;niveau_formation;qpv;frr;rqth;date_premier_accueil
J001;ML13001;2004;F;infra3;1;0;0;2024-01-15
J002;ML13001;2001;H;4;0;0;1;
J003;ML84001;2007;F;;0;1;0;2025-03-02
""",
    "accompagnements": """id_accompagnement;id_jeune;dispositif;date_debut;date_fin;motif_fin;financeur
A001;J001;RSA;2024-01-15;2025-02-28;emploi_durable;CD
A002;J002;CEJ;2025-01-10;;;ETAT
A003;J003;OF;2025-03-02;2025-06-30;reprise_scolarite;
""",
    "jalons": """id_jalon;id_jeune;date;type;domaine;montant_eur;commentaire
K001;J001;2024-01-15;orientation_recue;;;
K002;J001;2024-01-29;premier_rdv;;;Premier échange, « projet » à préciser
K003;J001;2024-03-01;risque_rupture;logement;;
K004;J001;2024-03-20;rupture_evitee;logement;;
K005;J001;2024-04-02;aide_faj;;150,5;
K006;J002;2025-02-01;entretien;;;=1+1
K007;J002;2025-02-15;mobilisation_partenaire;caf;;
K008;J003;2025-04-01;reprise_scolarite;;;
""",
    "financements": """code_structure;annee;financeur;dispositif;montant_eur
ML13001;2025;CD;RSA;120000
ML13001;2025;ETAT;TOUS;350000,75
""",
    "objectifs": """code_structure;annee;indicateur;cible
ML13001;2025;acces_emploi;40
ML13001;2025;entree_sous_30j;70,5
""",
}

ROWS = {name: text.count("\n") - 1 for name, text in SMALL.items()}


def write_tables(folder: Path, tables: dict[str, str] | None = None, encoding: str = "utf-8") -> Path:
    """Write each table as `<name>.csv` in `folder` and return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in (tables or SMALL).items():
        (folder / f"{name}.csv").write_bytes(content.encode(encoding))
    return folder


def write_file(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path
