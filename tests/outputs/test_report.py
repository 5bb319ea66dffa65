"""The borough HTML report: real figures, escaped text."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from geo.data import io
from geo.outputs.report import borough_report, table_html


def test_report_has_the_boroughs_real_figures():
    b = io.load_boroughs("iod2025").loc["E09000030"]
    lsoas = io.load_lsoas("iod2025")
    th = lsoas[lsoas.borough_code == "E09000030"].sort_values("imd_rank")[
        ["lsoa_name", "imd_decile", "imd_rank"]
    ]
    out = borough_report(
        b, th, vintage_label="IoD 2025 (LSOA 2021)", domain="imd", today=dt.date(2026, 1, 2)
    )
    assert "<h1>Tower Hamlets</h1>" in out
    assert f"{int(b.population):,}" in out
    assert th.iloc[0]["lsoa_name"] in out  # the most deprived neighbourhood is listed first
    assert out.index(th.iloc[0]["lsoa_name"]) < out.index(th.iloc[1]["lsoa_name"])
    assert f'<td class="n">{int(b.imd_avg_score_rank)}</td>' in out
    assert "No services or places were used" in out
    assert "Open Government Licence v3.0" in out and "2026-01-02" in out


def test_report_escapes_uploaded_text():
    b = io.load_boroughs("iod2025").loc["E09000001"]
    gaps = pd.DataFrame({"lsoa_name": ["<script>alert(1)</script>"], "gap": [0.9]})
    out = borough_report(
        b,
        gaps,
        vintage_label="x",
        domain="health",
        gaps=gaps,
        parameters={"<b>theme</b>": "<img src=x onerror=alert(1)>"},
    )
    assert "<script>alert" not in out and "<img" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;img src=x onerror=alert(1)&gt;" in out


def test_table_html_caps_rows_and_says_so():
    df = pd.DataFrame({"a": range(10)})
    out = table_html(df, max_rows=3)
    assert out.count("<tr>") == 4  # header + 3 rows
    assert "First 3 of 10 rows" in out


def test_report_has_housing_link_workers_and_places():
    from geo.analysis import provision

    b = io.load_boroughs("iod2025").loc["E09000030"]
    gps = io.load_services().query("category == 'gp_practice'")
    lw = provision.borough_link_workers(gps).loc["E09000030"]
    places = pd.DataFrame({"Category": ["GP practices"], "Places": [int(lw["practices"])]})
    out = borough_report(
        b,
        pd.DataFrame({"lsoa_name": ["x"]}),
        vintage_label="IoD 2025 (LSOA 2021)",
        domain="imd",
        housing=b,
        link_workers=lw,
        places=places,
    )
    assert f"{int(b.ha_households):,} households rent from a housing association" in out
    assert f"{round(float(lw['lw_per_10k']), 2)} link-worker FTE per 10,000" in out
    assert "Services and places by category" in out and "GP practices" in out


def test_pcn_report_has_its_figures_and_escapes_text():
    from geo.outputs.report import pcn_report

    figures = {  # SYNTHETIC figures
        "name": "Synthetic <b>PCN</b>",
        "has_record": True,
        "lw_fte": 2.5,
        "lw_per_10k_patients": 0.31,
        "patients": 80_000.0,
        "lw_fte_london": 2.49,
        "patients_2023": 78_000.0,
        "practices_found": 5,
        "practices": 6,
        "patients_london": 77_900.0,
        "lsoas": 321,
        "patients_outside_london": 60.0,
        "patients_residence_unknown": 40.0,
    }
    practices = pd.DataFrame(
        {"Practice": ["<script>alert(1)</script>"], "Registered patients (Dec 2025)": [9000.0]},
        index=pd.Index(["Z00001"], name="Practice code"),
    )
    hoods = pd.DataFrame({"Neighbourhood": ["Synthetic 001A"], "% of registered residents": [88.5]})
    out = pcn_report(
        figures,
        "U00000",
        practices,
        hoods,
        vintage_label="IoD 2025 (LSOA 2021)",
        icb_name="North East London ICB",
        today=dt.date(2026, 1, 2),
    )
    assert "<h1>Synthetic &lt;b&gt;PCN&lt;/b&gt;</h1>" in out
    assert "2.50 social prescribing link-worker FTE" in out and "0.31 per 10,000" in out
    assert "77,900 lived in" in out and "321 London neighbourhoods" in out
    assert "<script>alert" not in out and "&lt;script&gt;" in out
    assert "commissioned by North East London ICB" in out and "vintages" in out
    unknown = pcn_report(
        figures | {"has_record": False, "lw_fte": float("nan")},
        "U00000",
        practices,
        hoods,
        vintage_label="x",
    )
    assert "no London workforce record" in unknown and "unknown, not zero" in unknown


def test_borough_report_has_link_workers_by_registration():
    b = io.load_boroughs("iod2025").loc["E09000026"]
    reg = pd.Series({"lw_fte": 9.87, "lw_per_10k": 0.32, "lw_unknown_share": 0.352})  # SYNTHETIC
    out = borough_report(
        b,
        pd.DataFrame({"lsoa_name": ["x"]}),
        vintage_label="IoD 2025 (LSOA 2021)",
        domain="imd",
        registration=reg,
    )
    assert "9.9 link-worker FTE serve the borough's residents by GP registration" in out
    assert "0.32 per 10,000 residents" in out and "35.2%" in out and "lower bound" in out
