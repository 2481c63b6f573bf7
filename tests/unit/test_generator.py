"""The synthetic data generator (sample_data/generator.py): interface, format rules, realism.

Only the demo and departement scales run here (fast); the national scale is timed by hand
(docs/sample_data.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlimpact import vocab
from sample_data import generator as gen

FORMAT_MD = Path(__file__).resolve().parents[2] / "docs" / "format.md"
AS_OF = pd.Timestamp(gen.AS_OF)
START = pd.Timestamp(gen.PERIODE[0])


def _collect(scale: str, seed: int = 42):
    calls: list[tuple[str, int]] = []
    chunks = list(gen.generate(scale, seed, progress=lambda t, n: calls.append((t, n))))
    return chunks, calls


def _tables(chunks) -> dict[str, pd.DataFrame]:
    out: dict[str, list[pd.DataFrame]] = {}
    for table, frame in chunks:
        out.setdefault(table, []).append(frame)
    return {t: pd.concat(f, ignore_index=True) for t, f in out.items()}


@pytest.fixture(scope="module")
def demo_run():
    return _collect("demo")


@pytest.fixture(scope="module")
def demo(demo_run):
    return _tables(demo_run[0])


@pytest.fixture(scope="module")
def dep():
    return _tables(_collect("departement")[0])


# --- interface ---------------------------------------------------------------------------------


def test_interface_constants():
    assert set(gen.SCALES) == {"demo", "departement", "national"}
    assert gen.PERIODE == (pd.Timestamp("2023-01-01").date(), pd.Timestamp("2026-10-31").date())
    assert gen.TABLES == ("structures", "jeunes", "accompagnements", "jalons", "financements", "objectifs")
    for scale in gen.SCALES:
        est = gen.estimated_rows(scale)
        assert set(est) == set(gen.TABLES)
        assert all(isinstance(v, int) and v > 0 for v in est.values())
    assert gen.estimated_rows("national")["jeunes"] == 1_000_000
    assert 8_000_000 <= gen.estimated_rows("national")["jalons"] <= 12_000_000


def test_tables_come_in_dependency_order_and_progress_follows_each_chunk(demo_run):
    chunks, calls = demo_run
    order = [t for t, _ in chunks]
    assert sorted(set(order), key=gen.TABLES.index) == list(gen.TABLES)
    ranks = [gen.TABLES.index(t) for t in order]
    assert ranks == sorted(ranks), "all chunks of a table come before the next table"
    assert calls == [(t, len(f)) for t, f in chunks]


def test_columns_are_those_of_the_exchange_format(demo):
    from mlimpact.exchange.schema import TABLES

    for table in gen.TABLES:
        assert list(demo[table].columns) == list(gen.COLUMNS[table]) == TABLES[table].column_names
    # and those of the project's docs/format.md, in its order
    assert FORMAT_MD.exists(), f"{FORMAT_MD} is missing"
    text = FORMAT_MD.read_text(encoding="utf-8")
    for table in gen.TABLES:
        section = text.split(f"### {table}\n", 1)[1].split("\n\n", 1)[0]
        columns = re.findall(r"^\| ([a-z_]+) \|", section, flags=re.MULTILINE)
        assert [c for c in columns if c != "column"] == list(gen.COLUMNS[table])


def test_canonical_dtypes(demo):
    from mlimpact.exchange.schema import TABLES, Kind

    for table in gen.TABLES:
        frame = demo[table]
        for column in TABLES[table].columns:
            s = frame[column.name]
            if column.kind is Kind.INT:
                assert s.dtype == np.int64, column.name
            elif column.kind is Kind.BOOL:
                assert s.dtype == bool, column.name
            elif column.kind is Kind.DATE:
                assert pd.api.types.is_datetime64_dtype(s.dtype), column.name
            elif column.kind is Kind.DECIMAL:
                assert s.dtype == np.float64, column.name
                assert (s.dropna().round(2) == s.dropna()).all()
            else:
                values = s.dropna()
                assert all(type(v) is str for v in values), column.name
                assert s.isna().sum() == (s.map(lambda v: v is None)).sum(), "missing text is None"


def test_same_seed_same_data_other_seed_other_data(demo):
    again = _tables(gen.generate("demo", 42))
    for table in gen.TABLES:
        pd.testing.assert_frame_equal(demo[table], again[table])
    other = _tables(gen.generate("demo", 7))
    assert not other["jeunes"].equals(demo["jeunes"])
    assert not other["jalons"].equals(demo["jalons"])
    # the territories are the same, only their figures change
    assert other["structures"]["code_structure"].tolist() == demo["structures"]["code_structure"].tolist()


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        next(gen.generate("planetaire"))
    with pytest.raises(ValueError):
        next(gen.generate("demo", -1))
    with pytest.raises(ValueError):
        gen.estimated_rows("planetaire")


def test_batches_and_chunks_keep_ids_and_keys_consistent(monkeypatch):
    """Small batches and chunks: several of each per table, still one consistent data set."""
    monkeypatch.setattr(gen, "BATCH_JEUNES", 3_000)
    monkeypatch.setattr(gen, "CHUNK_ROWS", 10_000)
    chunks = list(gen.generate("departement", 3))
    counts: dict[str, int] = {}
    for table, frame in chunks:
        assert len(frame) <= 10_000
        assert frame.index.equals(pd.RangeIndex(len(frame)))
        counts[table] = counts.get(table, 0) + 1
    assert counts["jeunes"] == 7 and counts["accompagnements"] >= 7 and counts["jalons"] > 7
    t = _tables(chunks)
    _check_keys(t)
    ids = t["jalons"]["id_jalon"].str[1:].astype(int)
    assert (ids.diff().dropna() == 1).all() and ids.iloc[0] == 1


# --- format rules ------------------------------------------------------------------------------


def _check_keys(t: dict[str, pd.DataFrame]) -> None:
    assert t["structures"]["code_structure"].is_unique
    assert t["jeunes"]["id_jeune"].is_unique
    assert t["accompagnements"]["id_accompagnement"].is_unique
    assert t["jalons"]["id_jalon"].is_unique
    assert not t["financements"].duplicated(["code_structure", "annee", "financeur", "dispositif"]).any()
    assert not t["objectifs"].duplicated(["code_structure", "annee", "indicateur"]).any()
    structures = set(t["structures"]["code_structure"])
    jeunes = set(t["jeunes"]["id_jeune"])
    assert set(t["jeunes"]["code_structure"]) <= structures
    assert set(t["accompagnements"]["id_jeune"]) <= jeunes
    assert set(t["jalons"]["id_jeune"]) <= jeunes
    assert set(t["financements"]["code_structure"]) <= structures
    assert set(t["objectifs"]["code_structure"]) <= structures


@pytest.mark.parametrize("scale", ["demo", "departement"])
def test_keys_unique_and_references_resolve(scale, demo, dep):
    _check_keys(demo if scale == "demo" else dep)


def test_ids_are_pseudonymous(demo):
    assert demo["jeunes"]["id_jeune"].str.fullmatch(r"J\d{7}").all()
    assert demo["accompagnements"]["id_accompagnement"].str.fullmatch(r"A\d{7}").all()
    assert demo["jalons"]["id_jalon"].str.fullmatch(r"L\d{7,8}").all()


def test_enumerations_are_in_the_vocabularies(demo, dep):
    from mlimpact import territoires

    for t in (demo, dep):
        assert set(t["structures"]["departement"]) <= set(territoires.DEPARTEMENTS)
        j = t["jeunes"]
        assert set(j["sexe"]) <= set(vocab.SEXES)
        assert set(j["niveau_formation"].dropna()) <= set(vocab.NIVEAUX_FORMATION)
        a = t["accompagnements"]
        assert set(a["dispositif"]) <= set(vocab.DISPOSITIFS)
        assert set(a["motif_fin"].dropna()) <= set(vocab.MOTIFS_FIN)
        assert set(a["financeur"].dropna()) <= set(vocab.FINANCEURS)
        jl = t["jalons"]
        assert set(jl["type"]) == set(vocab.TYPES_JALON), "every jalon type occurs"
        for typ, allowed in vocab.DOMAINES_PAR_TYPE.items():
            assert set(jl.loc[jl["type"] == typ, "domaine"]) <= set(allowed), typ
        f = t["financements"]
        assert set(f["financeur"]) <= set(vocab.FINANCEURS)
        assert set(f["dispositif"]) <= set(vocab.DISPOSITIFS_FINANCEMENT)
        assert set(t["objectifs"]["indicateur"]) <= set(vocab.INDICATEUR_CODES)


def test_jeunes_rules(demo):
    j = demo["jeunes"]
    assert j["annee_naissance"].between(1950, 2026 - 14).all()
    assert j["date_premier_accueil"].dropna().between(START, AS_OF).all()
    # the first accompagnement starts on or after the premier accueil
    first = demo["accompagnements"].groupby("id_jeune")["date_debut"].min()
    pa = j.set_index("id_jeune")["date_premier_accueil"].reindex(first.index)
    assert (first[pa.notna()] >= pa[pa.notna()]).all()
    assert ((first[pa.notna()] - pa[pa.notna()]).dt.days <= 60).all()


def test_accompagnements_rules(demo, dep):
    for t in (demo, dep):
        a = t["accompagnements"]
        assert a["date_debut"].between(START, AS_OF).all()
        closed = a["date_fin"].notna()
        assert (a.loc[closed, "date_fin"] >= a.loc[closed, "date_debut"]).all()
        assert (a.loc[closed, "date_fin"] <= AS_OF).all()
        assert (a["motif_fin"].notna() == closed).all(), "motif_fin iff date_fin"
        assert 0.1 < (~closed).mean() < 0.4, "some still open at as_of"
        # spells of a jeune follow one another
        a = a.sort_values(["id_jeune", "date_debut"])
        prev_end = a.groupby("id_jeune")["date_fin"].shift(1)
        follows = prev_end.notna()
        assert (a.loc[follows, "date_debut"] > prev_end[follows]).all()


def test_referents_are_fictitious_one_per_jeune_and_the_demo_conseiller_has_jeunes(demo):
    """v1.1 `referent`: addresses of the reserved demo domain (they name nobody), one conseiller per jeune, and the
    demo mode's conseiller (`conseiller@demo.invalid`, whatever the structure) is referent in every structure."""
    from mlimpact.accounts import est_fictive

    a = demo["accompagnements"].merge(demo["jeunes"][["id_jeune", "code_structure"]], on="id_jeune")
    named = a["referent"].notna()
    assert a.loc[named, "referent"].map(est_fictive).all()
    assert 0.1 < (~named).mean() < 0.3, "some referents not filled in"
    assert (a.groupby("id_jeune")["referent"].nunique(dropna=False) == 1).all(), "all the spells of a jeune: one referent"
    mine = a[a["referent"] == "conseiller@demo.invalid"]
    assert set(mine["code_structure"]) == set(demo["structures"]["code_structure"])
    others = a.loc[named & (a["referent"] != "conseiller@demo.invalid")]
    assert (others["referent"].str.split("@").str[0].str.split(".").str[1] == others["code_structure"].str.lower()).all()


def test_jalons_rules(demo, dep):
    for t in (demo, dep):
        jl = t["jalons"]
        assert jl["date"].min() >= START
        assert jl["date"].max() == AS_OF, "as_of (latest jalon) is 2026-10-31"
        named = jl["type"].isin(list(vocab.DOMAINES_PAR_TYPE))
        assert jl.loc[named, "domaine"].notna().all()
        assert jl.loc[~named, "domaine"].isna().all()
        faj = jl["type"].isin(list(vocab.TYPES_AVEC_MONTANT))
        assert jl.loc[~faj, "montant_eur"].isna().all()
        assert jl.loc[faj, "montant_eur"].between(50, 500).all()
        com = jl["commentaire"].dropna()
        assert 0.02 < len(com) / len(jl) < 0.15, "commentaire mostly empty"
        assert com.str.len().max() <= 500
        assert not com.str.contains(r"@|\d{2}[ .]?\d{2}[ .]?\d{2}[ .]?\d{2}").any(), "no email or phone"
        # ordered by jeune and date, ids in that order
        assert jl["id_jalon"].is_monotonic_increasing
        assert jl["id_jeune"].is_monotonic_increasing


def test_ruptures_resolve_risks_of_the_same_domaine(dep):
    jl = dep["jalons"]
    risks = jl[jl["type"] == "risque_rupture"][["id_jeune", "domaine", "date"]]
    res = jl[jl["type"].isin(["rupture_evitee", "rupture_survenue"])][["id_jeune", "domaine", "date", "id_jalon"]]
    m = res.merge(risks, on=["id_jeune", "domaine"], suffixes=("", "_risque"))
    m = m[m["date_risque"] <= m["date"]]
    assert set(m["id_jalon"]) == set(res["id_jalon"]), "every outcome follows a risk of its domaine"
    n = len(risks)
    ev = (jl["type"] == "rupture_evitee").sum() / n
    su = (jl["type"] == "rupture_survenue").sum() / n
    assert 0.50 <= ev <= 0.70 and 0.15 <= su <= 0.32 and ev + su < 0.97, (ev, su)
    share = risks["domaine"].value_counts(normalize=True)
    assert set(share.index[:3]) == {"logement", "ressources", "sante"}


def test_rsa_parcours(dep):
    jl = dep["jalons"]
    a = dep["accompagnements"]
    rsa_jeunes = set(a.loc[a["dispositif"] == "RSA", "id_jeune"])
    opened = jl[jl["type"] == "rsa_ouverture"].groupby("id_jeune")["date"].min()
    assert rsa_jeunes <= set(opened.index)
    sorties = jl[jl["type"] == "rsa_sortie"]
    assert (sorties["date"].to_numpy() >= opened.reindex(sorties["id_jeune"]).to_numpy()).all()
    # some come back to the RSA
    assert (jl[jl["type"] == "rsa_ouverture"].groupby("id_jeune").size() > 1).any()
    sanctions = jl[jl["type"] == "rsa_sanction"]
    remob = jl[jl["type"] == "rsa_remobilisation"]
    assert 0.5 < len(remob) / len(sanctions) < 0.9
    assert set(sanctions["id_jeune"]) <= rsa_jeunes


def test_orientations_are_followed_after_a_delay(dep):
    jl = dep["jalons"]
    o = jl[jl["type"] == "orientation_recue"][["id_jeune", "date"]].reset_index(drop=True)
    follow = jl[jl["type"].isin(["premier_rdv", "entretien"])][["id_jeune", "date"]]
    m = o.reset_index().merge(follow, on="id_jeune", suffixes=("", "_suite"))
    m = m[m["date_suite"] >= m["date"]]
    delay = (m.groupby("index")["date_suite"].min() - o["date"].reindex(m.groupby("index").size().index)).dt.days
    assert 12 <= delay.median() <= 28
    assert (delay > 30).mean() > 0.05, "a tail beyond 30 days"
    assert len(delay) < len(o), "some never followed"


# --- scales and realism ------------------------------------------------------------------------


def test_demo_scale(demo):
    from mlimpact import territoires

    s = demo["structures"]
    assert len(s) == 12
    assert s["departement"].nunique() == 6
    assert {territoires.DEPARTEMENTS[d].region for d in s["departement"]}.__len__() == 3
    assert s["code_structure"].str.fullmatch(r"ML(\d{2}|2A|2B|\d{3})\d{3}").all()
    assert (s["code_structure"].str[2:-3] == s["departement"]).all()
    assert s["nom"].str.startswith("Mission Locale ").all() and s["nom"].is_unique
    assert len(demo["jeunes"]) == 6_000
    per_structure = demo["jeunes"]["code_structure"].value_counts()
    assert per_structure.min() < 60, "a very small structure, for the secret statistique"
    assert 6_000 <= len(demo["accompagnements"]) <= 9_000
    assert 42_000 <= len(demo["jalons"]) <= 57_000, "about 8-9 jalons per jeune"
    assert 12 * 4 * 3 <= len(demo["financements"]) <= 12 * 4 * 6
    assert set(demo["financements"]["annee"]) == {2023, 2024, 2025, 2026}
    assert set(demo["objectifs"]["annee"]) == {2025, 2026}
    assert set(demo["objectifs"]["code_structure"]) == set(s["code_structure"])
    est = gen.estimated_rows("demo")
    for table in gen.TABLES:
        assert 0.75 * est[table] <= len(demo[table]) <= 1.25 * est[table], table


def test_departement_scale(dep):
    s = dep["structures"]
    assert len(s) == 4 and s["departement"].nunique() == 1
    assert len(dep["jeunes"]) == 20_000
    assert dep["jeunes"]["code_structure"].value_counts().min() > 500


def test_structures_plan_matches_the_data(demo):
    plan = gen.structures_plan("demo", 42)
    counts = demo["jeunes"]["code_structure"].value_counts()
    assert dict(zip(plan["code_structure"], plan["jeunes"], strict=True)) == counts.to_dict()


def test_jeunes_profile(dep):
    j = dep["jeunes"]
    assert 0.45 <= (j["sexe"] == "F").mean() <= 0.55
    assert 0.30 <= (j["niveau_formation"] == "infra3").mean() <= 0.40
    assert 0.10 <= j["qpv"].mean() <= 0.35
    assert 0.0 < j["frr"].mean() <= 0.30
    assert 0.025 <= j["rqth"].mean() <= 0.055
    assert not (j["qpv"] & j["frr"]).any()
    # 16 to 29 at the first contact (year of birth: the age or one more year back)
    first = dep["jalons"].groupby("id_jeune")["date"].min()
    age = first.dt.year - j.set_index("id_jeune")["annee_naissance"].reindex(first.index)
    assert age.between(15, 30).all() and age.median() <= 22 and age.max() >= 29


def test_dispositifs_durations_and_exits(dep):
    a = dep["accompagnements"]
    share = a["dispositif"].value_counts(normalize=True)
    assert share["CEJ"] + share["PACEA"] > 0.5
    assert 0.08 <= share["RSA"] <= 0.18
    assert 0.02 <= share["ASE"] <= 0.06
    assert 0.02 <= share["OF"] <= 0.07
    closed = a[a["date_fin"].notna()]
    days = (closed["date_fin"] - closed["date_debut"]).dt.days
    med = days.groupby(closed["dispositif"]).median()
    assert med["OF"] < med["CEJ"] < med["RSA"]
    assert days[closed["dispositif"] == "CEJ"].max() <= 366
    assert days[closed["dispositif"] == "PACEA"].max() <= 731
    pos = closed["motif_fin"].isin(list(vocab.MOTIFS_POSITIFS)).mean()
    abandon = (closed["motif_fin"] == "abandon").mean()
    assert 0.40 <= pos <= 0.55 and 0.15 <= abandon <= 0.25, (pos, abandon)
    assert a["financeur"].notna().mean() > 0.85
    assert (a.loc[a["dispositif"] == "RSA", "financeur"] == "CD").mean() > 0.85
    assert (a.loc[a["dispositif"] == "CEJ", "financeur"] == "ETAT").mean() > 0.85


def test_entries_are_seasonal(dep):
    first = dep["jalons"].groupby("id_jeune")["date"].min()
    by_month = first.dt.month.value_counts()
    assert by_month[9] > 1.4 * by_month[8] and by_month[10] > 1.4 * by_month[8]
    assert by_month[1] > by_month[8]


def test_positive_situations_near_exits(dep):
    a = dep["accompagnements"]
    jl = dep["jalons"]
    exits = a[a["motif_fin"] == "alternance"][["id_jeune", "date_fin"]]
    alt = jl[jl["type"] == "alternance"][["id_jeune", "date"]]
    m = exits.merge(alt, on="id_jeune")
    near = m[(m["date"] <= m["date_fin"]) & (m["date"] >= m["date_fin"] - pd.Timedelta(days=21))]
    assert near["id_jeune"].nunique() >= 0.85 * exits["id_jeune"].nunique()


def test_financements_and_objectifs(demo):
    f = demo["financements"]
    assert (f["montant_eur"] >= 0).all()
    a = demo["accompagnements"].merge(demo["jeunes"][["id_jeune", "code_structure"]], on="id_jeune")
    for year in (2024, 2025):
        d1, d2 = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
        active = a[(a["date_debut"] <= d2) & (a["date_fin"].isna() | (a["date_fin"] >= d1))]
        suivis = active.groupby("code_structure")["id_jeune"].nunique()
        budget = f[f["annee"] == year].groupby("code_structure")["montant_eur"].sum()
        per_jeune = budget / suivis
        assert per_jeune.between(800, 2500).all(), per_jeune
    assert set(f.loc[f["financeur"] == "CD", "dispositif"]) <= {"RSA", "TOUS"}
    assert set(f.loc[f["financeur"] == "ETAT", "dispositif"]) <= {"TOUS", "CEJ"}
    o = demo["objectifs"]
    ratios = o[o["indicateur"].isin(["acces_emploi", "entree_sous_30j", "taux_ruptures_evitees"])]
    assert ratios["cible"].between(0, 100).all()
    assert (o.loc[o["indicateur"] == "jeunes_rsa_suivis", "cible"] % 1 == 0).all()
    assert {"acces_emploi", "entree_sous_30j", "taux_ruptures_evitees"} <= set(o["indicateur"])


def test_departements_differ():
    plan = gen.structures_plan("national", 42)
    prof = plan.drop_duplicates("departement")
    assert len(prof) == 101
    assert prof["profil_delai"].std() > 3
    assert prof["profil_p_evitee"].std() > 0.02
    assert prof["profil_rsa"].std() > 0.1
    assert len(plan) == 440 and plan["jeunes"].sum() == 1_000_000 and plan["nom"].is_unique
    assert (plan["jeunes"] < 60).sum() >= 5, "a few very small structures"
    # the same département keeps its character at every scale
    demo = gen.structures_plan("demo", 42).drop_duplicates("departement").set_index("departement")
    nat = prof.set_index("departement")
    pd.testing.assert_series_equal(demo["profil_delai"], nat.loc[demo.index, "profil_delai"])
