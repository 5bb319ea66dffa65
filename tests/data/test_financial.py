"""Financial inclusion (food banks, credit unions) and the current pharmacy list, on the real
raw files and in the bundled directory (issue 18, points 3 and 5)."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.data import financial, io, places, sources
from geo.data.directory import CATEGORIES, FINANCIAL_INCLUSION_CAVEAT, NO_OPEN_DATA, THEME_CAVEATS

MISSING_PHARMACY_POSTCODES = [
    "SE13 5JN",
    "SM1 1NS",
    "DA14 6EQ",
    "TW6 2RQ",
    "NW10 6ND",
    "RM8 3NL",
    "NW10 2TA",
]


@pytest.fixture(scope="module")
def lookup() -> pd.DataFrame:
    """The pipeline's lookup: bundled London postcodes with an LSOA."""
    pcs = io.load_postcodes()
    return pcs[pcs["lsoa21_code"].notna()][["postcode", "easting", "northing"]]


@pytest.fixture(scope="module")
def services():
    return io.load_services()


@pytest.fixture(scope="module")
def food_banks(raw_dir, lookup):
    return financial.read_food_banks(raw_dir, lookup)


@pytest.fixture(scope="module")
def credit_unions(raw_dir, lookup):
    return financial.read_credit_unions(raw_dir, lookup)


def test_90_open_food_banks_placed_7_closed_counted_and_named(food_banks, raw_dir):
    frame, notes = food_banks
    assert len(frame) == 90 and frame["service_id"].is_unique
    src = pd.read_csv(raw_dir / sources.GIVEFOOD, dtype=str)
    assert len(src) == 97
    closed = src[src["closed"].eq("True")]
    assert len(closed) == 7
    assert "97 London rows read; 7 marked closed and left out" in notes[0]
    for name in closed["name"]:
        assert name in notes[0] and name not in set(frame["name"])
    assert "90 open food banks placed" in notes[0]
    assert "Colindale" in notes[-1]  # the source point 1.5 km off its postcode is named


def test_bundled_food_banks_in_their_stated_borough(services, raw_dir):
    rows = services[services["category"].eq("food_bank")]
    assert len(rows) == 90
    assert set(rows["themes"]) == {"Financial inclusion"}
    assert set(rows["licence"]) == {CATEGORIES["food_bank"]["licence"]}
    assert "Give Food (givefood.org.uk)" in CATEGORIES["food_bank"]["attribution"]
    src = pd.read_csv(raw_dir / sources.GIVEFOOD, dtype=str).set_index("slug")["district"]
    stated = src.reindex(rows.index.str.removeprefix("food_bank:")).to_numpy()
    assert (rows["borough_name"].to_numpy() == stated).all()
    assert "Bexley" not in set(rows["borough_name"])


def test_london_credit_unions_kept_the_others_counted(credit_unions, raw_dir, services):
    frame, notes = credit_unions
    src = pd.read_csv(raw_dir / sources.COOPSUK, dtype=str, keep_default_na=False)
    uk = src[src["Name"].str.contains("credit union", case=False)]
    assert len(uk) == 406
    assert len(frame) == 24
    assert "406 UK co-operatives" in notes[0] and "24 have" in notes[0]
    assert "382 are left out" in notes[0]  # 24 + 382 = 406: nothing lost silently
    assert "North London Credit Union (EN2 6JL, Enfield)" in notes[1]  # postcode not live
    assert "Watford Credit Union (WD17 1LA, Watford)" in notes[1]
    assert "Oxfordshire Credit Union" in set(frame["name"])  # registered office in Hayes
    assert "Credit Union Solutions (SIC 94100)" in notes[2]
    rows = services[services["category"].eq("credit_union")]
    assert len(rows) == 24 and rows["borough_code"].str.startswith("E09").all()
    assert set(rows["location_basis"]) == {financial.BY_OFFICE}
    assert set(rows["licence"]) == {"Open Data Commons Attribution License (ODC-By 1.0)"}
    assert "registered offices" in CATEGORIES["credit_union"]["label"]


def test_financial_inclusion_has_open_data_now_with_its_caveat():
    assert "Financial inclusion" not in NO_OPEN_DATA
    assert list(NO_OPEN_DATA) == ["Specialist and supported housing"]
    assert "Citizens Advice" in FINANCIAL_INCLUSION_CAVEAT
    assert "upload" in FINANCIAL_INCLUSION_CAVEAT.lower()
    assert THEME_CAVEATS["Financial inclusion"] == FINANCIAL_INCLUSION_CAVEAT
    for cat in ("food_bank", "credit_union"):
        meta = CATEGORIES[cat]
        for key in ("label", "source", "vintage", "vintage_year", "licence", "attribution"):
            assert meta[key], (cat, key)
        assert meta["themes"] == ("Financial inclusion",)


def test_1722_current_pharmacies_the_7_without_a_postcode_named(raw_dir, lookup, services):
    frame, notes = places.read_pharmacies(raw_dir, lookup)
    assert len(frame) == 1722 and frame["service_id"].is_unique
    assert "1729 active community pharmacies" in notes[0]
    assert "7 left out" in notes[1]
    for pc in MISSING_PHARMACY_POSTCODES:
        assert f"({pc})" in notes[1] and pc not in set(frame["postcode"])
    rows = services[services["category"].eq("pharmacy")]
    assert len(rows) == 1722
    assert set(rows["vintage"]) == {"March 2025"} and set(rows["vintage_year"]) == {2025}
    manifest = next(
        f for f in io.load_manifest()["files"] if f["path"] == "services/services.parquet"
    )
    assert any("7 left out" in n and "SE13 5JN" in n for n in manifest["notes"])
    assert sources.EDISPENSARY in [i["path"] for i in manifest["inputs"]]
    assert "services/nhs/pharmacy.csv" not in sources.RAW_INPUTS  # the 2020 list is gone


def test_pharmacy_reader_refuses_another_layout(tmp_path, lookup):
    bad = tmp_path / sources.EDISPENSARY
    bad.parent.mkdir(parents=True)
    bad.write_text('"FA001","A PHARMACY","Y56"\n')
    with pytest.raises(sources.SourceError, match="expected 27 columns"):
        places.read_pharmacies(tmp_path, lookup)
