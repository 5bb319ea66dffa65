"""London's five ICBs and their boroughs, and each PCN's commissioning ICB, from the December
2025 practice map (issue 18, point 2)."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.data import icb, io, sources

EXPECTED = {
    "QMJ": {"Barnet", "Camden", "Enfield", "Haringey", "Islington"},
    "QMF": {
        "City of London",
        "Barking and Dagenham",
        "Hackney",
        "Havering",
        "Newham",
        "Redbridge",
        "Tower Hamlets",
        "Waltham Forest",
    },
    "QRV": {
        "Brent",
        "Ealing",
        "Hammersmith and Fulham",
        "Harrow",
        "Hillingdon",
        "Hounslow",
        "Kensington and Chelsea",
        "Westminster",
    },
    "QKK": {"Bexley", "Bromley", "Greenwich", "Lambeth", "Lewisham", "Southwark"},
    "QWE": {
        "Croydon",
        "Kingston upon Thames",
        "Merton",
        "Richmond upon Thames",
        "Sutton",
        "Wandsworth",
    },
}


@pytest.fixture(scope="module")
def practice_icb(raw_dir):
    return icb.read_practice_icb(raw_dir)


@pytest.fixture(scope="module")
def practices() -> pd.DataFrame:
    svc = io.load_services()
    return pd.DataFrame(svc[svc["category"].eq("gp_practice")].drop(columns="geometry"))


def test_five_london_icbs_with_nhs_names(practice_icb):
    names = icb.icb_names(practice_icb)
    assert list(names.index) == ["QKK", "QMF", "QMJ", "QRV", "QWE"]
    assert names.loc["QMJ", "icb_name"] == "NHS North Central London Integrated Care Board"
    assert names.loc["QMJ", "ons_icb_code"] == "E54000028"
    for code, short in icb.ICB_SHORT_NAMES.items():
        assert names.loc[code, "icb_name"] == f"NHS {short} Integrated Care Board"


def test_bundled_icbs_each_borough_in_exactly_one():
    table = io.load_icbs()
    assert table["n_boroughs"].sum() == 33
    got = {c: set(table.loc[c, "borough_names"].split("; ")) for c in table.index}
    assert got == EXPECTED
    assert list(table["short_name"]) == [icb.ICB_SHORT_NAMES[c] for c in table.index]
    assert table["practices"].sum() == 1147


def test_same_icbs_by_code_point_district(practices, practice_icb):
    """The postcode's own district (Code-Point Admin_district_code) gives the same sets."""
    pcs = io.load_postcodes().set_index("postcode")["admin_district_code"]
    frame = practices.assign(
        borough_code=pcs.reindex(practices["postcode"]).to_numpy(),
        icb_code=practice_icb["icb_code"].reindex(practices["practice_code"]).to_numpy(),
    )
    names = io.load_boroughs()["borough_name"]
    table = icb.london_icbs(frame, icb.icb_names(practice_icb), names)
    got = {c: set(table.loc[c, "borough_names"].split("; ")) for c in table.index}
    assert got == EXPECTED


def test_a_borough_in_two_icbs_is_an_error():
    synthetic = pd.DataFrame(
        {"icb_code": ["QMJ", "QRV", "QRV"], "borough_code": ["E09000003", "E09000003", "E09000005"]}
    )
    with pytest.raises(icb.IcbError, match="E09000003: QMJ \\(1\\), QRV \\(1\\)"):
        icb.borough_icb(synthetic)


def test_pcns_spanning_two_icbs_belong_to_their_commissioning_icb(raw_dir, practice_icb):
    """Practice ICB codes follow the practice's borough, so 10 PCNs have a practice in a
    second ICB (e.g. a Richmond practice in Feltham and Bedfont PCN, North West London); a
    PCN belongs to its commissioner's ICB, as the bundled PCN table says."""
    lw = io.load_link_workers()
    spans = lw[lw["spans_icbs"]]
    assert len(spans) == 10
    assert spans.loc["U98004", "icb_code"] == "QRV"
    assert spans.loc["U98004", "icb_codes"] == "QRV; QWE"
    # West and Central PCN (Camden): its Brent practice is the larger, but both are
    # commissioned by North Central London (sub-ICB location 93C).
    assert spans.loc["U34811", "icb_code"] == "QMJ"
    # The workforce file's ICB of each PCN (where it has a London record) agrees.
    wf = pd.read_parquet(raw_dir / sources.PCN_WF, columns=["pcn_code", "icb_code"])
    wf_icb = wf.drop_duplicates("pcn_code").set_index("pcn_code")["icb_code"]
    both = lw.index[lw["has_workforce_record"]].intersection(wf_icb.index)
    assert len(both) == 195
    assert (wf_icb.reindex(both) == lw.loc[both, "icb_code"]).all()
    assert set(lw["icb_code"]) == set(EXPECTED)
