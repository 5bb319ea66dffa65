"""Link workers by registration on a SYNTHETIC network whose answer is worked out by hand.

Two PCNs: P1 (2.0 FTE) with practices A (6,000 patients) and B (4,000); P2 (no workforce
record: unknown) with practice C. Where their patients live (synthetic July 2023 file):

    A: L1 300, L2 100, NO2011 100   (A's 1.2 FTE: 0.72 on L1, 0.24 on L2, 0.24 unknown)
    B: L1 100, L2 100               (B's 0.8 FTE: 0.4 on L1, 0.4 on L2)
    C: L1 200                       (unknown FTE: not added, counted as a share)
    other practices: L1 400

L1 (1,600 residents): 1.12 FTE, 7.0 per 10,000; registered 1,000, of whom 600 at the London
practices, 200 of those with P2: unknown share 1/3; 40% registered elsewhere.
L2 (800 residents): 0.64 FTE, 8.0 per 10,000, all known. In 2021, L1 split into L1a (1,200
residents) and L1b (400): 0.84 and 0.28 FTE.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.analysis import pcnview
from geo.analysis import registration as lwr

PRACTICES = pd.DataFrame(
    {
        "practice_code": ["A", "B", "C"],
        "name": ["Synthetic A", "Synthetic B", "Synthetic C"],
        "pcn_code": ["P1", "P1", "P2"],
        "pcn_name": ["Synthetic PCN 1", "Synthetic PCN 1", "Synthetic PCN 2"],
        "registered_patients": [6000.0, 4000.0, 5000.0],
        "borough_code": ["B1", "B1", "B2"],
    }
)
PCNS = pd.DataFrame(
    {
        "pcn_name": ["Synthetic PCN 1", "Synthetic PCN 2"],
        "icb_code": ["Q1", "Q1"],
        "lw_fte": [2.0, np.nan],
        "has_workforce_record": [True, False],
        "registered_patients": [10_000.0, 5_000.0],
        "lw_per_10k": [2.0, np.nan],
        "n_practices": [2, 1],
        "borough_codes": ["B1", "B2"],
    },
    index=pd.Index(["P1", "P2"], name="pcn_code"),
)
REG = pd.DataFrame(
    {
        "practice_code": ["A", "A", "A", "B", "B", "C", None],
        "lsoa11_code": ["L1", "L2", "NO2011", "L1", "L2", "L1", "L1"],
        "patients": [300, 100, 100, 100, 100, 200, 400],
    }
)
LSOA11 = pd.DataFrame(
    {"population": [1600, 800], "borough_code": ["B1", "B1"]}, index=pd.Index(["L1", "L2"])
)
LSOA21 = pd.DataFrame(
    {
        "population": [1200, 400, 800],
        "lsoa11_codes": ["L1", "L1", "L2"],
        "lsoa_change": ["S", "S", "U"],
        "borough_code": ["B1", "B1", "B1"],
        "lsoa_name": ["L1a", "L1b", "L2"],
        "borough_name": "Synthetic",
        "imd_decile": [1, 2, 3],
    },
    index=pd.Index(["L1a", "L1b", "L2"]),
)


@pytest.fixture(scope="module")
def m() -> lwr.RegistrationMeasure:
    return lwr.measure(PRACTICES, PCNS, REG, LSOA21, LSOA11)


def test_lsoa_2011_by_hand(m):
    t = m.lsoa11
    assert t.loc["L1", "lw_fte"] == pytest.approx(0.72 + 0.4)
    assert t.loc["L2", "lw_fte"] == pytest.approx(0.24 + 0.4)
    assert t.loc["L1", "lw_per_10k"] == pytest.approx(7.0)
    assert t.loc["L2", "lw_per_10k"] == pytest.approx(8.0)
    assert t.loc["L1", "patients_registered"] == 1000
    assert t.loc["L1", "patients_london_practices"] == 600
    assert t.loc["L1", "lw_unknown_share"] == pytest.approx(1 / 3)
    assert not t.loc["L1", "lw_complete"] and t.loc["L2", "lw_complete"]
    assert t.loc["L1", "elsewhere_share"] == pytest.approx(0.4)


def test_figures_by_hand(m):
    f = m.figures
    assert f["fte_total"] == pytest.approx(2.0) and f["fte_placed"] == pytest.approx(2.0)
    assert f["fte_london_lsoas"] == pytest.approx(1.76)
    assert f["fte_residence_unknown"] == pytest.approx(0.24)
    assert f["fte_outside_london"] == pytest.approx(0.0) and f["fte_not_placed"] == 0


def test_split_lsoa_shares_by_population(m):
    t = m.lsoa21
    assert t.loc["L1a", "lw_fte"] == pytest.approx(0.84)
    assert t.loc["L1b", "lw_fte"] == pytest.approx(0.28)
    assert t.loc["L1a", "lw_per_10k"] == pytest.approx(7.0)  # same rate as its parent
    assert t.loc["L1a", "lw_unknown_share"] == pytest.approx(1 / 3)
    assert t.loc["L2", "lsoa_change"] == "U"
    b = lwr.borough_measure(t, LSOA21["borough_code"])
    assert b.loc["B1", "lw_fte"] == pytest.approx(1.76)
    assert b.loc["B1", "lw_per_10k"] == pytest.approx(10_000 * 1.76 / 2400)


def test_pcn_view_by_hand(m):
    hoods = pcnview.pcn_neighbourhoods(m, "P1", "iod2025", LSOA21)
    # P1 has 400 patients in L1 (of 1,000 registered: 40%), 200 in L2 (of 200: 100%)
    assert hoods.loc["L2", "pcn_patients"] == 200 and hoods.loc["L2", "pcn_share"] == 1.0
    assert hoods.loc["L1a", "pcn_patients"] == pytest.approx(300)  # 400 x 1,200 / 1,600
    assert hoods.loc["L1a", "pcn_share"] == pytest.approx(0.4)
    fig = pcnview.pcn_figures(m, PCNS, "P1")
    assert fig["patients_2023"] == 700 and fig["patients_london"] == 600
    assert fig["patients_residence_unknown"] == 100 and fig["lw_fte_london"] == pytest.approx(1.76)
    unknown = pcnview.pcn_figures(m, PCNS, "P2")
    assert not unknown["has_record"] and np.isnan(unknown["lw_fte_london"])
    assert pcnview.pcn_options(PCNS, boroughs=("B2",)) == ["P2"]
