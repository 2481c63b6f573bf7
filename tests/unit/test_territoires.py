"""The reference list of territories and its tile grid: complete, consistent, and shaped like France."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from mlimpact import territoires

OUTRE_MER = ("971", "972", "973", "974", "976")
EXPECTED_CODES = (
    [f"{n:02d}" for n in range(1, 20)]
    + ["2A", "2B"]
    + [f"{n:02d}" for n in range(21, 96)]
    + list(OUTRE_MER)
)

# Real land borders between metropolitan départements, each pair listed once
# (under the first code in the list order).
VOISINS = """
01: 38 39 69 71 73 74
02: 08 51 59 60 77 80
03: 18 23 42 58 63 71
04: 05 06 13 26 83 84
05: 26 38 73
06: 83
07: 26 30 38 42 43 48 84
08: 51 55
09: 11 31 66
10: 21 51 52 77 89
11: 31 34 66 81
12: 15 30 34 46 48 81 82
13: 30 83 84
14: 27 50 61
15: 19 43 46 48 63
16: 17 24 79 86 87
17: 24 33 79 85
18: 23 36 41 45 58
19: 23 24 46 63 87
2A: 2B
21: 39 52 58 70 71 89
22: 29 35 56
23: 36 63 87
24: 33 46 47 87
25: 39 70 90
26: 38 84
27: 28 60 61 76 78 95
28: 41 45 61 72 78 91
29: 56
30: 34 48 84
31: 32 65 81 82
32: 40 47 64 65 82
33: 40 47
34: 81
35: 44 49 50 53 56
36: 37 41 86 87
37: 41 49 72 86
38: 42 69 73
39: 70 71
40: 47 64
41: 45 72
42: 43 63 69 71
43: 48 63
44: 49 56 85
45: 58 77 89 91
46: 47 82
47: 82
49: 53 72 79 85 86
50: 53 61
51: 52 55 77
52: 55 70 88
53: 61 72
54: 55 57 67 88
55: 88
57: 67
58: 71 89
59: 62 80
60: 76 77 80 95
61: 72
62: 80
64: 65
67: 68 88
68: 88 90
69: 71
70: 88 90
73: 74
75: 92 93 94
76: 80
77: 89 91 93 94 95
78: 91 92 95
79: 85 86
81: 82
86: 87
88: 90
91: 92 94
92: 93 94 95
93: 94 95
"""


def _voisins() -> list[tuple[str, str]]:
    pairs = []
    for line in VOISINS.strip().splitlines():
        code, others = line.split(":")
        pairs += [(code, other) for other in others.split()]
    return pairs


def _distance(a: str, b: str) -> int:
    """Chebyshev distance between two tiles: 1 for tiles that touch, even by a corner."""
    da, db = territoires.departement(a), territoires.departement(b)
    return max(abs(da.col - db.col), abs(da.row - db.row))


def _metropole() -> list[territoires.Departement]:
    return [d for d in territoires.DEPARTEMENTS.values() if d.code not in OUTRE_MER]


# --- the lists --------------------------------------------------------------------------------


def test_101_departements_with_the_expected_codes_in_code_order():
    assert len(territoires.DEPARTEMENTS) == 101
    assert list(territoires.DEPARTEMENTS) == EXPECTED_CODES
    assert "20" not in territoires.DEPARTEMENTS
    assert all(code == d.code for code, d in territoires.DEPARTEMENTS.items())


def test_18_regions_ordered_by_code():
    assert len(territoires.REGIONS) == 18
    assert list(territoires.REGIONS) == sorted(territoires.REGIONS)
    assert set(territoires.REGIONS) == {
        "84", "27", "53", "24", "94", "44", "32", "11", "28", "75", "76", "52", "93", "01", "02", "03", "04", "06",
    }
    assert all(code == r.code for code, r in territoires.REGIONS.items())


def test_every_departement_belongs_to_a_region_and_every_region_has_one():
    assert {d.region for d in territoires.DEPARTEMENTS.values()} == set(territoires.REGIONS)


@pytest.mark.parametrize(
    ("region", "count"),
    [
        ("84", 12), ("27", 8), ("53", 4), ("24", 6), ("94", 2), ("44", 10), ("32", 5), ("11", 8), ("28", 5),
        ("75", 12), ("76", 13), ("52", 5), ("93", 6), ("01", 1), ("02", 1), ("03", 1), ("04", 1), ("06", 1),
    ],
)
def test_departements_per_region(region, count):
    deps = territoires.departements_de_region(region)
    assert len(deps) == count
    assert [d.code for d in deps] == [c for c in territoires.DEPARTEMENTS if c in {d.code for d in deps}]


def test_ile_de_france_and_overseas_regions():
    idf = [d.code for d in territoires.departements_de_region("11")]
    assert idf == ["75", "77", "78", "91", "92", "93", "94", "95"]
    for region, code in zip(("01", "02", "03", "04", "06"), OUTRE_MER, strict=True):
        assert [d.code for d in territoires.departements_de_region(region)] == [code]


def test_french_names():
    nom = territoires.nom_departement
    assert nom("22") == "Côtes-d'Armor"
    assert nom("63") == "Puy-de-Dôme"
    assert nom("2A") == "Corse-du-Sud"
    assert nom("90") == "Territoire de Belfort"
    assert nom("974") == "La Réunion"
    assert territoires.nom_region("11") == "Île-de-France"
    assert territoires.nom_region("93") == "Provence-Alpes-Côte d'Azur"
    assert territoires.nom_region("84") == "Auvergne-Rhône-Alpes"
    assert len({d.nom for d in territoires.DEPARTEMENTS.values()}) == 101


def test_short_names_fit_a_tile_and_are_distinct():
    courts = [d.nom_court for d in territoires.DEPARTEMENTS.values()]
    assert all(0 < len(c) <= 10 for c in courts), [c for c in courts if len(c) > 10]
    assert len(set(courts)) == len(courts)
    assert territoires.departement("13").nom_court == "B.-du-Rh."


def test_records_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        territoires.departement("75").nom = "Lutèce"  # type: ignore[misc]


# --- the tile grid ----------------------------------------------------------------------------


def test_one_departement_per_tile():
    tiles = Counter((d.col, d.row) for d in territoires.DEPARTEMENTS.values())
    assert max(tiles.values()) == 1
    assert all(d.col >= 0 and d.row >= 0 for d in territoires.DEPARTEMENTS.values())


def test_overseas_share_one_row_below_the_mainland_with_an_empty_row_between():
    rows = {territoires.departement(c).row for c in OUTRE_MER}
    assert len(rows) == 1
    (row,) = rows
    assert row >= max(d.row for d in _metropole()) + 2


def test_metropolitan_grid_has_a_typical_size():
    cols = {d.col for d in _metropole()}
    rows = {d.row for d in _metropole()}
    assert min(cols) == 0 and min(rows) == 0
    assert 12 <= len(cols) <= 15 and 11 <= len(rows) <= 13


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("75", "92"), ("75", "93"), ("75", "94"), ("13", "84"), ("33", "24"), ("69", "01"), ("59", "62"), ("29", "22"),
        ("67", "68"), ("2A", "2B"), ("06", "83"), ("64", "40"), ("31", "09"), ("44", "85"), ("35", "53"),
    ],
)
def test_real_neighbours_are_close(a, b):
    assert _distance(a, b) <= 2


def test_most_real_neighbours_touch():
    pairs = _voisins()
    assert len(pairs) == len({frozenset(p) for p in pairs}) == 238
    distances = {p: _distance(*p) for p in pairs}
    assert max(distances.values()) <= 2, {p: d for p, d in distances.items() if d > 2}
    assert sum(d == 1 for d in distances.values()) >= 0.9 * len(pairs)


def test_paris_touches_its_three_neighbours():
    assert all(_distance("75", c) == 1 for c in ("92", "93", "94"))


def test_north_is_up_and_west_is_left():
    nord = territoires.departement("59").row
    assert all(nord < territoires.departement(c).row for c in ("13", "66", "64"))
    assert territoires.departement("29").col < territoires.departement("67").col
    assert territoires.departement("29").col == min(d.col for d in _metropole())


def test_corsica_lies_apart_to_the_south_east():
    corse = [territoires.departement(c) for c in ("2A", "2B")]
    mainland = [d for d in _metropole() if d.region != "94"]
    assert territoires.departement("2B").row < territoires.departement("2A").row
    for d in corse:
        assert d.col > territoires.departement("06").col
        assert d.row >= territoires.departement("06").row
        assert all(max(abs(d.col - m.col), abs(d.row - m.row)) >= 2 for m in mainland)


def test_ascii_rendering_shows_every_code_once():
    text = territoires.grille_ascii()
    tokens = text.split()
    assert Counter(t for t in tokens if t != ".") == Counter(EXPECTED_CODES)
    lines = text.splitlines()
    assert len(lines) == max(d.row for d in territoires.DEPARTEMENTS.values()) + 1
    assert lines[territoires.departement("75").row].split()[territoires.departement("75").col] == "75"


# --- look-ups ---------------------------------------------------------------------------------


def test_lookups():
    assert territoires.departement("2B").region == "94"
    assert territoires.nom_departement("75") == "Paris"
    assert territoires.nom_region("04") == "La Réunion"


def test_usual_spellings_of_a_code_are_accepted():
    assert territoires.departement("1").code == "01"
    assert territoires.departement(" 2a ").code == "2A"
    assert territoires.nom_departement(75) == "Paris"  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["20", "00", "96", "975", "2C", "", "Paris"])
def test_unknown_departement_is_a_french_key_error(code):
    with pytest.raises(KeyError, match="Département inconnu"):
        territoires.departement(code)
    with pytest.raises(KeyError, match="Département inconnu"):
        territoires.nom_departement(code)


def test_unknown_region_is_a_key_error_not_an_empty_list():
    with pytest.raises(KeyError, match="Région inconnue"):
        territoires.departements_de_region("99")
    with pytest.raises(KeyError, match="Région inconnue"):
        territoires.nom_region("05")
