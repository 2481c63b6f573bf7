"""The French territories: the 18 régions and 101 départements, and their tile-grid map.

Codes follow the INSEE Code officiel géographique (régions of 2016). The list is
written here once, so the exchange format, the database constraints and the
pages all check against the same codes and show the same names.

The map is a tile grid, not a drawing of borders: every département is one
equal square placed on a grid that keeps France's shape (north at row 0, west at
column 0) and, as far as a grid allows, puts each square next to its real
neighbours. Two reasons:

* a rate shown on a map should be read by its colour, not by the area of the
  territory: on a true map Gironde covers almost a hundred times the area of
  Paris, while on the grid each counts as one square;
* no boundary geometry has to be shipped, loaded or kept up to date — a
  département is just a (column, row) pair.

The five overseas départements sit in their own row below the metropolitan
grid, with an empty row between, and Corsica to the south-east with an empty
column between it and the mainland, so the eye never reads them as neighbours
of the tiles they are next to. `grille_ascii()` prints the grid to check it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    """A région of the INSEE 2016 code."""

    code: str
    nom: str


@dataclass(frozen=True)
class Departement:
    """A département, with a label short enough for a small map tile and its tile position."""

    code: str
    nom: str
    nom_court: str  # at most 10 characters: the label of the map tile
    region: str  # code of its région
    col: int  # tile column, 0 = west
    row: int  # tile row, 0 = north


_REGIONS: tuple[tuple[str, str], ...] = (
    ("01", "Guadeloupe"),
    ("02", "Martinique"),
    ("03", "Guyane"),
    ("04", "La Réunion"),
    ("06", "Mayotte"),
    ("11", "Île-de-France"),
    ("24", "Centre-Val de Loire"),
    ("27", "Bourgogne-Franche-Comté"),
    ("28", "Normandie"),
    ("32", "Hauts-de-France"),
    ("44", "Grand Est"),
    ("52", "Pays de la Loire"),
    ("53", "Bretagne"),
    ("75", "Nouvelle-Aquitaine"),
    ("76", "Occitanie"),
    ("84", "Auvergne-Rhône-Alpes"),
    ("93", "Provence-Alpes-Côte d'Azur"),
    ("94", "Corse"),
)

# code, name, short name (<= 10 characters), région.
_DEPARTEMENTS: tuple[tuple[str, str, str, str], ...] = (
    ("01", "Ain", "Ain", "84"),
    ("02", "Aisne", "Aisne", "32"),
    ("03", "Allier", "Allier", "84"),
    ("04", "Alpes-de-Haute-Provence", "Alpes-HP", "93"),
    ("05", "Hautes-Alpes", "H.-Alpes", "93"),
    ("06", "Alpes-Maritimes", "Alpes-Mar.", "93"),
    ("07", "Ardèche", "Ardèche", "84"),
    ("08", "Ardennes", "Ardennes", "44"),
    ("09", "Ariège", "Ariège", "76"),
    ("10", "Aube", "Aube", "44"),
    ("11", "Aude", "Aude", "76"),
    ("12", "Aveyron", "Aveyron", "76"),
    ("13", "Bouches-du-Rhône", "B.-du-Rh.", "93"),
    ("14", "Calvados", "Calvados", "28"),
    ("15", "Cantal", "Cantal", "84"),
    ("16", "Charente", "Charente", "75"),
    ("17", "Charente-Maritime", "Char.-Mar.", "75"),
    ("18", "Cher", "Cher", "24"),
    ("19", "Corrèze", "Corrèze", "75"),
    ("2A", "Corse-du-Sud", "Corse-Sud", "94"),
    ("2B", "Haute-Corse", "H.-Corse", "94"),
    ("21", "Côte-d'Or", "Côte-d'Or", "27"),
    ("22", "Côtes-d'Armor", "C.-d'Armor", "53"),
    ("23", "Creuse", "Creuse", "75"),
    ("24", "Dordogne", "Dordogne", "75"),
    ("25", "Doubs", "Doubs", "27"),
    ("26", "Drôme", "Drôme", "84"),
    ("27", "Eure", "Eure", "28"),
    ("28", "Eure-et-Loir", "Eure-et-L.", "24"),
    ("29", "Finistère", "Finistère", "53"),
    ("30", "Gard", "Gard", "76"),
    ("31", "Haute-Garonne", "H.-Garonne", "76"),
    ("32", "Gers", "Gers", "76"),
    ("33", "Gironde", "Gironde", "75"),
    ("34", "Hérault", "Hérault", "76"),
    ("35", "Ille-et-Vilaine", "Ille-et-V.", "53"),
    ("36", "Indre", "Indre", "24"),
    ("37", "Indre-et-Loire", "Ind.-et-L.", "24"),
    ("38", "Isère", "Isère", "84"),
    ("39", "Jura", "Jura", "27"),
    ("40", "Landes", "Landes", "75"),
    ("41", "Loir-et-Cher", "Loir-et-C.", "24"),
    ("42", "Loire", "Loire", "84"),
    ("43", "Haute-Loire", "H.-Loire", "84"),
    ("44", "Loire-Atlantique", "Loire-Atl.", "52"),
    ("45", "Loiret", "Loiret", "24"),
    ("46", "Lot", "Lot", "76"),
    ("47", "Lot-et-Garonne", "Lot-et-G.", "75"),
    ("48", "Lozère", "Lozère", "76"),
    ("49", "Maine-et-Loire", "M.-et-L.", "52"),
    ("50", "Manche", "Manche", "28"),
    ("51", "Marne", "Marne", "44"),
    ("52", "Haute-Marne", "H.-Marne", "44"),
    ("53", "Mayenne", "Mayenne", "52"),
    ("54", "Meurthe-et-Moselle", "Meurthe-M.", "44"),
    ("55", "Meuse", "Meuse", "44"),
    ("56", "Morbihan", "Morbihan", "53"),
    ("57", "Moselle", "Moselle", "44"),
    ("58", "Nièvre", "Nièvre", "27"),
    ("59", "Nord", "Nord", "32"),
    ("60", "Oise", "Oise", "32"),
    ("61", "Orne", "Orne", "28"),
    ("62", "Pas-de-Calais", "Pas-de-C.", "32"),
    ("63", "Puy-de-Dôme", "Puy-de-D.", "84"),
    ("64", "Pyrénées-Atlantiques", "Pyr.-Atl.", "75"),
    ("65", "Hautes-Pyrénées", "H.-Pyr.", "76"),
    ("66", "Pyrénées-Orientales", "Pyr.-Or.", "76"),
    ("67", "Bas-Rhin", "Bas-Rhin", "44"),
    ("68", "Haut-Rhin", "Haut-Rhin", "44"),
    ("69", "Rhône", "Rhône", "84"),
    ("70", "Haute-Saône", "H.-Saône", "27"),
    ("71", "Saône-et-Loire", "S.-et-L.", "27"),
    ("72", "Sarthe", "Sarthe", "52"),
    ("73", "Savoie", "Savoie", "84"),
    ("74", "Haute-Savoie", "H.-Savoie", "84"),
    ("75", "Paris", "Paris", "11"),
    ("76", "Seine-Maritime", "Seine-Mar.", "28"),
    ("77", "Seine-et-Marne", "S.-et-M.", "11"),
    ("78", "Yvelines", "Yvelines", "11"),
    ("79", "Deux-Sèvres", "D.-Sèvres", "75"),
    ("80", "Somme", "Somme", "32"),
    ("81", "Tarn", "Tarn", "76"),
    ("82", "Tarn-et-Garonne", "Tarn-et-G.", "76"),
    ("83", "Var", "Var", "93"),
    ("84", "Vaucluse", "Vaucluse", "93"),
    ("85", "Vendée", "Vendée", "52"),
    ("86", "Vienne", "Vienne", "75"),
    ("87", "Haute-Vienne", "H.-Vienne", "75"),
    ("88", "Vosges", "Vosges", "44"),
    ("89", "Yonne", "Yonne", "27"),
    ("90", "Territoire de Belfort", "Belfort", "27"),
    ("91", "Essonne", "Essonne", "11"),
    ("92", "Hauts-de-Seine", "Hts-de-S.", "11"),
    ("93", "Seine-Saint-Denis", "Seine-St-D", "11"),
    ("94", "Val-de-Marne", "Val-de-M.", "11"),
    ("95", "Val-d'Oise", "Val-d'Oise", "11"),
    ("971", "Guadeloupe", "Guadeloupe", "01"),
    ("972", "Martinique", "Martinique", "02"),
    ("973", "Guyane", "Guyane", "03"),
    ("974", "La Réunion", "La Réunion", "04"),
    ("976", "Mayotte", "Mayotte", "06"),
)

# The tile grid, drawn as it is seen: one code per tile, "." for the sea and
# the neighbouring countries. Moving a code here moves its tile on every map.
# Île-de-France is spread over a 3 x 3 block around Paris (75, with 92, 93 and
# 94 touching it) so its eight small départements keep one square each.
_PLAN = """
   .   .   .   .   .   .  76  62   .   .   .   .   .
   .   .   .   .  14  27  60  80  59   .   .   .   .
   .   .   .  50  61  78  95  93  02  08   .  57   .
  29  22  35  53  72  28  92  75  77  51  55  54  67
   .  56  44  49  37  41  91  94  89  10  52  88  68
   .   .  85  79  86  36  18  45  58  21  70  90   .
   .   .   .  17  16  87  23  03  71  39  25   .   .
   .   .   .  33  24  19  63  42  69  01  74   .   .
   .   .   .  40  47  46  15  43  07  38  73   .   .
   .   .  64  32  82  81  12  48  84  26  05   .   .
   .   .   .  65  31  11  34  30  13  04  06   .  2B
   .   .   .   .  09  66   .   .   .  83   .   .  2A
   .   .   .   .   .   .   .   .   .   .   .   .   .
 971 972 973 974 976   .   .   .   .   .   .   .   .
"""


def _positions(plan: str) -> dict[str, tuple[int, int]]:
    """Read the drawn grid into code -> (col, row)."""
    positions: dict[str, tuple[int, int]] = {}
    for row, line in enumerate(plan.strip("\n").splitlines()):
        for col, token in enumerate(line.split()):
            if token == ".":
                continue
            if token in positions:
                raise ValueError(f"Département {token!r} placé deux fois sur la grille.")
            positions[token] = (col, row)
    return positions


def _build() -> tuple[dict[str, Region], dict[str, Departement]]:
    """Assemble the tables and refuse, at import, any gap between the list and the grid."""
    regions = {code: Region(code, nom) for code, nom in _REGIONS}
    positions = _positions(_PLAN)
    codes = [code for code, *_ in _DEPARTEMENTS]
    if set(codes) != set(positions) or len(codes) != len(positions):
        raise ValueError(f"La grille et la liste des départements diffèrent : {sorted(set(codes) ^ set(positions))}")
    departements: dict[str, Departement] = {}
    for code, nom, nom_court, region in _DEPARTEMENTS:
        if region not in regions:
            raise ValueError(f"Région {region!r} inconnue pour le département {code!r}.")
        col, row = positions[code]
        departements[code] = Departement(code, nom, nom_court, region, col, row)
    return regions, departements


REGIONS: dict[str, Region]
DEPARTEMENTS: dict[str, Departement]
REGIONS, DEPARTEMENTS = _build()


def _normalise(code: object) -> str:
    """Accept the usual spellings of a code found in files: 1, "1", " 2a "."""
    text = str(code).strip().upper()
    return text.zfill(2) if text.isdigit() and len(text) == 1 else text


def departement(code: str) -> Departement:
    """The département of this code; KeyError with a French message if there is none."""
    try:
        return DEPARTEMENTS[_normalise(code)]
    except KeyError:
        raise KeyError(f"Département inconnu : {code!r}") from None


def region(code: str) -> Region:
    """The région of this code; KeyError with a French message if there is none."""
    try:
        return REGIONS[_normalise(code)]
    except KeyError:
        raise KeyError(f"Région inconnue : {code!r}") from None


def departements_de_region(code_region: str) -> list[Departement]:
    """The départements of a région, in code order (KeyError for an unknown région,
    so that a mistyped code is not mistaken for an empty région)."""
    code = region(code_region).code
    return [d for d in DEPARTEMENTS.values() if d.region == code]


def nom_departement(code: str) -> str:
    """The full French name of a département, for tables and titles."""
    return departement(code).nom


def nom_region(code: str) -> str:
    """The full French name of a région."""
    return region(code).nom


def grille_ascii() -> str:
    """The tile grid as text, one code per tile and "." for an empty one,
    rendered from DEPARTEMENTS (not from the drawing) to check the data itself."""
    by_position = {(d.col, d.row): d.code for d in DEPARTEMENTS.values()}
    n_cols = max(d.col for d in DEPARTEMENTS.values()) + 1
    n_rows = max(d.row for d in DEPARTEMENTS.values()) + 1
    lines = [
        "".join(f"{by_position.get((col, row), '.'):>4}" for col in range(n_cols)).rstrip() for row in range(n_rows)
    ]
    return "\n".join(lines)
