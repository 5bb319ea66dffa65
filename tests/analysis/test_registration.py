"""Link-worker FTE by where patients live (GP registration), on the real NHS files (issue 18,
point 1). The figures are the issue's: 1,141 of 1,147 London practices in the July 2023 file,
422.3 FTE placed, 419.55 of them on London LSOAs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.analysis import registration as lwr
from geo.analysis.gapview import GapParams
from geo.data import io, sources
from geo.data.registrations import NO_LSOA, read_registrations_lsoa


@pytest.fixture(scope="module")
def m() -> lwr.RegistrationMeasure:
    svc = io.load_services()
    gps = svc[svc["category"].eq("gp_practice")]
    return lwr.measure(
        gps,
        io.load_link_workers(),
        io.load_registrations(),
        io.load_lsoas("iod2025"),
        io.load_lsoas("iod2019"),
    )


def test_bundled_table_is_the_july_2023_file_for_london(raw_dir):
    reg = read_registrations_lsoa(raw_dir)
    assert len(reg) == 868_505 and reg["practice_code"].nunique() == 6_378
    assert reg["patients"].sum() == 62_581_556
    table = io.load_registrations()
    ours = table[table["practice_code"].notna()]
    # every row of a London practice, as in the file
    raw = reg[reg["practice_code"].isin(set(ours["practice_code"]))]
    assert len(raw) == len(ours) and raw["patients"].sum() == ours["patients"].sum()
    # a London LSOA's rows add up to its residents at every practice in England
    london = io.load_lsoas("iod2019").index
    by_lsoa = table.groupby("lsoa11_code")["patients"].sum().reindex(london)
    expected = reg[reg["lsoa11_code"].isin(london)].groupby("lsoa11_code")["patients"].sum()
    pd.testing.assert_series_equal(
        by_lsoa, expected.reindex(london), check_names=False, check_dtype=False
    )


def test_1141_of_1147_practices_found_the_6_others_named(m):
    assert (m.figures["practices"], m.figures["practices_found"]) == (1147, 1141)
    missing = m.not_found
    assert sorted(missing.index) == ["Y06826", "Y07040", "Y08082", "Y08371", "Y08402", "Y08411"]
    in_pcn = missing[missing["fte_status"].eq(lwr.FTE_KNOWN)]
    assert sorted(in_pcn.index) == ["Y08371", "Y08411"]
    assert set(missing.loc[["Y06826", "Y07040", "Y08082", "Y08402"], "fte_status"]) == {
        lwr.FTE_NO_PCN
    }
    assert in_pcn["lw_fte_allocated"].sum() == pytest.approx(m.figures["fte_not_placed"])
    notes = next(
        f["notes"]
        for f in io.load_manifest()["files"]
        if f["path"] == "services/registrations_lsoa.parquet"
    )
    assert "1141 of 1147" in notes[0]
    assert "Y08371 BEAM PARK MEDICAL PRACTICE" in notes[1] and "0.2721 FTE" in notes[1]
    assert "Y08411 ONE CARE LEWISHAM" in notes[1] and "placed on no LSOA" in notes[1]


def test_fte_placed_by_registration_sums(m):
    s = m.figures
    assert s["fte_total"] == pytest.approx(422.58, abs=0.005)
    assert round(s["fte_placed"], 1) == 422.3
    assert s["fte_not_placed"] == pytest.approx(0.28, abs=0.005)
    # 419.55 FTE on patients living in London LSOAs (the "419.5"), the rest on
    # patients living outside London (2.55) or with no known LSOA (0.196)
    assert s["fte_london_lsoas"] == pytest.approx(419.55, abs=0.005)
    assert s["fte_outside_london"] == pytest.approx(2.55, abs=0.005)
    assert s["fte_residence_unknown"] == pytest.approx(0.196, abs=0.001)
    parts = s["fte_london_lsoas"] + s["fte_outside_london"] + s["fte_residence_unknown"]
    assert parts == pytest.approx(s["fte_placed"], abs=1e-9)
    assert m.lsoa11["lw_fte"].sum() == pytest.approx(s["fte_london_lsoas"], abs=1e-9)
    assert m.lsoa21["lw_fte"].sum() == pytest.approx(s["fte_london_lsoas"], abs=1e-9)


def test_one_lsoa_equals_the_hand_sum_over_its_practices(raw_dir, m):
    """E01000001 (City of London 001A) recomputed straight from the three raw NHS files."""
    code = "E01000001"
    mp = pd.read_parquet(raw_dir / sources.PRAC_MAP)
    mp = mp[mp["extract_date"].eq("01Dec2025") & mp["comm_region_code"].eq("Y56")]
    n = pd.read_parquet(raw_dir / sources.PRAC_REG)
    n = n[n["extract_date"].eq("2025-12-01")].set_index("code")["number_of_patients"]
    wf = pd.read_parquet(raw_dir / sources.PCN_WF)
    wf = wf[wf["comm_region_code"].eq("Y56")]
    lw = wf[wf["detailed_staff_role"].str.contains("Social Prescribing Link Worker")]
    csv = pd.read_csv(raw_dir / sources.REG_LSOA, dtype=str)
    csv["NUMBER_OF_PATIENTS"] = csv["NUMBER_OF_PATIENTS"].astype(int)
    here = csv[csv["LSOA_CODE"].eq(code)]
    total, used = 0.0, 0
    for _, row in here.iterrows():
        prac = mp[mp["practice_code"].eq(row["PRACTICE_CODE"])]
        if prac.empty or prac["pcn_code"].iloc[0] == "U":
            continue
        pcn = prac["pcn_code"].iloc[0]
        if pcn not in set(wf["pcn_code"]):
            continue  # no workforce record: unknown, not added
        pcn_fte = round(lw.loc[lw["pcn_code"].eq(pcn), "full_time_equivalent"].sum(), 4)
        pcn_patients = n.reindex(mp.loc[mp["pcn_code"].eq(pcn), "practice_code"]).sum()
        prac_fte = pcn_fte * n[row["PRACTICE_CODE"]] / pcn_patients
        prac_total = csv.loc[csv["PRACTICE_CODE"].eq(row["PRACTICE_CODE"]), "NUMBER_OF_PATIENTS"]
        total += prac_fte * row["NUMBER_OF_PATIENTS"] / prac_total.sum()
        used += 1
    assert used >= 5
    assert m.lsoa11.loc[code, "lw_fte"] == pytest.approx(total, rel=1e-12)
    pop = io.load_lsoas("iod2019").loc[code, "population"]
    assert m.lsoa11.loc[code, "lw_per_10k"] == pytest.approx(10_000 * total / pop)


def test_unknown_fte_is_a_share_of_patients_never_filled_in(m):
    for t in (m.lsoa11, m.lsoa21):
        share = t["lw_unknown_share"]
        assert share.between(0, 1).all()
        assert (t["lw_complete"] == share.eq(0)).all()
        parts = t["patients_known"] + t["patients_unknown"] + t["patients_no_pcn"]
        np.testing.assert_allclose(parts, t["patients_london_practices"], rtol=1e-12)
        assert t["patients_london_practices"].le(t["patients_registered"] + 1e-9).all()
    # some LSOAs have most of their patients with a PCN without a workforce record
    assert m.lsoa11["lw_unknown_share"].max() > 0.9
    assert (m.lsoa11["lw_unknown_share"] > 0.5).sum() > 50
    # their FTE is the known FTE only: the unknown PCNs' practices contribute nothing
    unknown = m.placed[m.placed["fte_status"].eq(lwr.FTE_NO_RECORD)]
    assert unknown["lw_fte"].isna().all()


def test_lsoa_2021_keeps_totals_and_splits_by_population(m):
    l21 = io.load_lsoas("iod2025")
    t11, t21 = m.lsoa11, m.lsoa21
    assert len(t21) == 4994 and len(t11) == 4835
    for col in ("lw_fte", "patients_registered", "patients_unknown"):
        assert t21[col].sum() == pytest.approx(t11[col].sum(), rel=1e-12)
    split = l21[l21["lsoa_change"].eq("S")]
    parent = split["lsoa11_codes"].iloc[0]
    kids = split.index[split["lsoa11_codes"].eq(parent)]
    assert len(kids) >= 2
    pop = l21.loc[kids, "population"]
    np.testing.assert_allclose(
        t21.loc[kids, "lw_fte"], t11.loc[parent, "lw_fte"] * pop / pop.sum(), rtol=1e-12
    )
    merged = l21[l21["lsoa_change"].eq("M")].iloc[0]
    parents = merged["lsoa11_codes"].split("; ")
    assert len(parents) >= 2
    assert t21.loc[merged.name, "lw_fte"] == pytest.approx(t11.loc[parents, "lw_fte"].sum())
    assert t21.loc[merged.name, "lw_per_10k"] == pytest.approx(
        10_000 * t21.loc[merged.name, "lw_fte"] / merged["population"]
    )


def test_borough_fte_by_registration_equals_the_sum_of_its_lsoas(m):
    l21, l11 = io.load_lsoas("iod2025"), io.load_lsoas("iod2019")
    boroughs = lwr.borough_measure(m.lsoa21, l21["borough_code"])
    assert len(boroughs) == 33
    # independently: the practice x LSOA rows summed by the borough of the LSOA 2011
    rows = m.placed[m.placed["lsoa11_code"].isin(l11.index)]
    direct = (
        rows["lw_fte"]
        .fillna(0)
        .groupby(l11["borough_code"].reindex(rows["lsoa11_code"]).to_numpy())
        .sum()
    )
    np.testing.assert_allclose(boroughs["lw_fte"], direct.reindex(boroughs.index), rtol=1e-9)
    by_hand = m.lsoa21["lw_fte"].groupby(l21["borough_code"]).sum()
    np.testing.assert_allclose(boroughs["lw_fte"], by_hand.reindex(boroughs.index), rtol=1e-12)
    np.testing.assert_allclose(
        lwr.borough_measure(m.lsoa11, l11["borough_code"])["lw_fte"],
        boroughs["lw_fte"],
        rtol=1e-9,
    )
    assert boroughs["population"].sum() == pytest.approx(8_799_631)
    # a third of Redbridge's residents registered in London are with a PCN of unknown FTE
    assert 0.3 < boroughs.loc["E09000026", "lw_unknown_share"] < 0.4
    camden = boroughs.loc["E09000007"]
    assert camden["lw_per_10k"] == pytest.approx(10_000 * camden["lw_fte"] / camden["population"])


def test_pcn_shares_of_lsoa_patients(m):
    pcn11, t11 = m.pcn11, m.lsoa11
    assert pcn11["pcn_share"].between(0, 1).all()
    by_lsoa = pcn11.groupby("lsoa11_code")["pcn_patients"].sum()
    in_pcn = t11["patients_known"] + t11["patients_unknown"]
    np.testing.assert_allclose(by_lsoa.reindex(t11.index).fillna(0), in_pcn, rtol=1e-12)
    pcn21 = m.pcn21
    assert pcn21["pcn_share"].between(0, 1 + 1e-12).all()
    assert pcn21["pcn_patients"].sum() == pytest.approx(pcn11["pcn_patients"].sum())
    l21 = io.load_lsoas("iod2025")
    u = l21.index[l21["lsoa_change"].eq("U")][0]
    a = pcn11[pcn11["lsoa11_code"].eq(u)].set_index("pcn_code")["pcn_share"]
    b = pcn21[pcn21["lsoa21_code"].eq(u)].set_index("pcn_code")["pcn_share"]
    pd.testing.assert_series_equal(a.sort_index(), b.sort_index(), check_names=False)


def test_pcn_residence_totals(m):
    res = m.residence
    # 1,147 practices, 15 in no PCN, 2 in a PCN but not in the July 2023 file
    assert res["practices_found"].sum() == 1147 - 15 - 2
    parts = res[["patients_london", "patients_outside_london", "patients_residence_unknown"]]
    assert (parts.sum(axis=1) == res["patients"]).all()
    assert res["lw_fte_london"].sum() == pytest.approx(m.lsoa11["lw_fte"].sum())
    pcns = io.load_link_workers()
    unknown = pcns.index[~pcns["has_workforce_record"]]
    assert res.loc[res.index.intersection(unknown), "lw_fte_london"].isna().all()
    assert m.placed["lsoa11_code"].eq(NO_LSOA).any()


def test_cross_border_pcn_is_unknown_and_named(raw_dir):
    """Loughton, Buckhurst Hill and Chigwell PCN (U01096) has one London practice (F81062)
    and six in Essex; its workforce record (1.0 link-worker FTE) is filed under the East of
    England region (Y61), so the bundled PCN table (London records only) calls it unknown,
    and the manifest says so."""
    pcns = io.load_link_workers()
    assert not pcns.loc["U01096", "has_workforce_record"]
    wf = pd.read_parquet(raw_dir / sources.PCN_WF)
    rec = wf[wf["pcn_code"].eq("U01096")]
    assert set(rec["comm_region_code"]) == {"Y61"}
    lw = rec[rec["detailed_staff_role"].str.contains("Social Prescribing Link Worker")]
    assert lw["full_time_equivalent"].sum() == pytest.approx(1.0)
    assert pcns.loc["U01096", "practice_codes"] == "F81062"
    notes = next(
        f["notes"]
        for f in io.load_manifest()["files"]
        if f["path"].endswith("link_workers.parquet")
    )
    assert any("U01096" in n and "Y61" in n and "Known limitation" in n for n in notes)


def test_reg_gaps_rank_low_fte_high_need_first(m):
    lsoas = io.load_lsoas("iod2025")
    table = lwr.reg_gaps(lsoas, m.lsoa21, GapParams())
    assert len(table) == 4994 and table["rank"].iloc[0] == 1
    assert not any(c.startswith("within_") for c in table.columns)
    mostly_unknown = table["lw_unknown_share"].gt(lwr.UNKNOWN_MAJORITY)
    known = table[~mostly_unknown]
    np.testing.assert_allclose(
        known["access"] * 10_000, m.lsoa21["lw_per_10k"].reindex(known.index), rtol=1e-12
    )
    partial = known[known["lw_unknown_share"].gt(0)]
    assert partial["reason"].str.contains("a lower bound").all()
    full = known[known["lw_unknown_share"].eq(0)]
    assert not full["reason"].str.contains("lower bound").any()
    # where most residents' PCNs have no workforce record the access is unknown, not zero:
    # no gap, no rank, no class, and the reason says so
    unknown = table[mostly_unknown]
    assert len(unknown) > 0
    assert unknown["access"].isna().all() and unknown["gap"].isna().all()
    assert unknown["rank"].isna().all() and unknown["bivariate_class"].isna().all()
    assert unknown["reason"].str.contains("link-worker capacity unknown, not ranked").all()
    assert table["rank"].dropna().max() == len(known)
    top = table.iloc[0]
    assert top["lw_unknown_share"] <= lwr.UNKNOWN_MAJORITY
