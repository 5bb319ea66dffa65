"""AppTest of uploads that real files bring (issue 11): the upload flow and every page.

The upload flow runs in a small script that replaces ``st.file_uploader`` by a stand-in
returning the test's file (AppTest cannot drive a file uploader), and restores it afterwards.
All files are SYNTHETIC: invented names, real-format postcodes, coordinates inside London.
"""

from __future__ import annotations

import io
import json

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.analysis.aggregate import MAX_POINTS
from geo.data import io as geo_io
from tests.conftest import ROOT

APP = ROOT / "app.py"
PAGES = [
    "app_pages/overview.py",
    "app_pages/borough.py",
    "app_pages/gaps.py",
    "app_pages/housing.py",
    "app_pages/services.py",
]


def _upload_script() -> None:
    """The upload flow with a stand-in uploader holding ``st.session_state["_test_file"]``."""
    import streamlit as st

    from app_pages import upload_ui

    name, data, kind = st.session_state["_test_file"]

    class _File:
        def __init__(self) -> None:
            self.name = name

        def getvalue(self) -> bytes:
            return data

    real = st.file_uploader
    st.file_uploader = lambda *args, **kwargs: _File()
    try:
        result = upload_ui.upload_flow(kind, key="t")
    finally:
        st.file_uploader = real
    st.session_state["_accepted"] = None if result is None else len(result[0])


def _flow(name: str, data: bytes, kind: str = "stock") -> AppTest:
    at = AppTest.from_function(_upload_script, default_timeout=120)
    at.session_state["_test_file"] = (name, data, kind)
    return at.run()


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_hostile_file_name_shown_as_plain_text() -> None:
    at = _flow("[x](javascript:alert(1)).csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    assert not at.exception
    assert len(at.error) == 1
    body = at.error[0].value
    # every Markdown character of the name is escaped, so it renders as the literal name
    assert r"\[x\]\(javascript\:alert\(1\)\)\.csv" in body
    assert "](javascript" not in body
    assert "PNG image" in body


def test_hostile_column_names_in_warnings_are_escaped() -> None:
    data = b"postcode,**bold**,**bold**\nSW1A 1AA,a,b\n"
    at = _flow("synthetic.csv", data)
    texts = [w.value for w in at.warning]
    assert any(r"\*\*bold\*\*" in t for t in texts), texts
    assert not any("'**bold**'" in t for t in texts)


def _workbook() -> bytes:
    book = openpyxl.Workbook()
    cover = book.active
    cover.title = "Cover"
    cover.append(["Synthetic Housing: stock return"])
    cover.append(["See the Stock sheet"])
    stock = book.create_sheet("Stock")
    stock.append(["Scheme", "Latitude", "Longitude", "Units"])
    stock.append(["Synthetic Court", 51.5014, -0.1419, 3])
    stock.append(["Synthetic House", 51.52, -0.07, 4])
    notes = book.create_sheet("Notes")
    notes.append(["Column", "Meaning"])
    notes.append(["Units", "homes"])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_workbook_data_sheet_found_and_user_can_pick_another() -> None:
    at = _flow("synthetic_return.xlsx", _workbook())
    assert not at.exception
    sheet = next(s for s in at.selectbox if s.label == "Sheet")
    assert sheet.options == ["Cover", "Stock", "Notes"]
    assert sheet.value == "Stock"
    assert _metrics(at)["Rows read"] == "2"
    assert _metrics(at)["Accepted (on the map)"] == "2"
    assert at.session_state["_accepted"] == 2
    sheet.select("Notes").run()
    assert not at.exception
    assert any("No location column" in e.value for e in at.error)
    assert at.session_state["_accepted"] is None


@pytest.mark.parametrize(
    ("name", "data", "read", "accepted"),
    [
        (  # European export: semicolons, decimal commas
            "synthetic_eu.csv",
            "Naam;Latitude;Longitude\nSynthetic 1;51,5014;-0,1419\nSynthetic 2;51,52;-0,07\n".encode(
                "cp1252"
            ),
            "2",
            "2",
        ),
        (  # trailing delimiters on every row
            "synthetic_trailing.csv",
            b"name,latitude,longitude\nSynthetic 1,51.5014,-0.1419,\nSynthetic 2,51.52,-0.07,,\n",
            "2",
            "2",
        ),
        (  # degrees, minutes and seconds; one unreadable
            "synthetic_dms.csv",
            (
                "name,latitude,longitude\n"
                "Synthetic 1,51\u00b030'26\"N,0\u00b007'39\"W\n"
                "Synthetic 2,51\u00b031'12\"N,0\u00b004'12\"W\n"
                "Synthetic 3,51\u00b075'00\"N,0\u00b004'12\"W\n"
            ).encode(),
            "3",
            "2",
        ),
        (  # an HTML table saved as .xls
            "synthetic_export.xls",
            b"<html><body><table><tr><th>Scheme</th><th>Lat</th><th>Lng</th></tr>"
            b"<tr><td>Synthetic 1</td><td>51.5014</td><td>-0.1419</td></tr></table></body></html>",
            "1",
            "1",
        ),
    ],
)
def test_real_world_stock_files_are_read(name: str, data: bytes, read: str, accepted: str) -> None:
    at = _flow(name, data)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    metrics = _metrics(at)
    assert metrics["Rows read"] == read and metrics["Accepted (on the map)"] == accepted


def test_dms_rejection_reason_is_listed() -> None:
    data = "name,latitude,longitude\nSynthetic,51\u00b075'00\"N,0\u00b004'12\"W\n".encode()
    at = _flow("synthetic_dms.csv", data)
    reasons = at.dataframe[1].value  # [0] is the first rows of the file
    assert reasons["Reason"].tolist() == ["degrees/minutes/seconds not understood"]


def test_open_referral_v3_page_with_services_without_location() -> None:
    def service(i: int, location: dict | None) -> dict:
        return {
            "id": f"s{i}",
            "name": f"Synthetic service {i}",
            "status": "active",
            "taxonomy_terms": [{"id": "t", "name": "Debt advice"}],
            "service_at_locations": [{"id": f"sal{i}", "location": location}] if location else [],
        }

    page = {
        "total_items": 3,
        "page_number": 1,
        "contents": [
            service(1, {"id": "l1", "latitude": 51.5014, "longitude": -0.1419}),
            service(2, None),
            service(3, {"id": "l3", "name": "Online only"}),
        ],
    }
    at = _flow("synthetic_oruk_v3.json", json.dumps(page).encode(), kind="services")
    assert not at.exception
    assert _metrics(at) == {"Rows read": "3", "Accepted (on the map)": "1", "Rejected": "2"}
    reasons = at.dataframe[1].value
    assert reasons.set_index("Reason")["Rows"].to_dict() == {"no location": 2}


# ------------------------------------------------------------------------------------------
# A 200,000-row stock list (and a very large directory) on every page
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def big_stock() -> gpd.GeoDataFrame:
    """200,000 SYNTHETIC homes at random LSOA points, in the session's standard columns."""
    lsoas = geo_io.load_lsoas("iod2025")
    rng = np.random.default_rng(11)
    n = 200_000
    pick = rng.integers(0, len(lsoas), n)
    points = lsoas.representative_point().to_numpy()[pick]
    empty = pd.array([pd.NA] * n, dtype="string")
    return gpd.GeoDataFrame(
        {
            "row": np.arange(2, n + 2),
            "location_source": "latitude/longitude",
            "borough_code": lsoas["borough_code"].to_numpy()[pick],
            "borough_name": lsoas["borough_name"].to_numpy()[pick],
            "lsoa_code": lsoas.index.to_numpy()[pick],
            "label": [f"Synthetic home {i}" for i in range(n)],
            "units": 1,
            "tenure": empty,
            "provider": empty,
            "uprn": empty,
        },
        geometry=points,
        crs=27700,
    )


@pytest.mark.parametrize("page", PAGES)
def test_200000_homes_render_on_every_page(page: str, big_stock: gpd.GeoDataFrame) -> None:
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    at.session_state["stock"] = big_stock
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    if page in ("app_pages/overview.py", "app_pages/housing.py"):
        notes = [c.value for c in at.caption if "one marker per neighbourhood" in c.value]
        assert notes and "200,000 home locations" in notes[0]


def test_too_many_services_in_a_theme_are_aggregated(big_stock: gpd.GeoDataFrame) -> None:
    n = MAX_POINTS + 5_000
    services = gpd.GeoDataFrame(
        {
            "row": np.arange(2, n + 2),
            "name": [f"Synthetic service {i}" for i in range(n)],
            "theme": "Digital inclusion",
            "capacity": np.nan,
            "borough_code": big_stock["borough_code"].to_numpy()[:n],
            "lsoa_code": big_stock["lsoa_code"].to_numpy()[:n],
        },
        geometry=big_stock.geometry.to_numpy()[:n],
        crs=27700,
    )
    for page in ("app_pages/services.py", "app_pages/gaps.py", "app_pages/overview.py"):
        at = AppTest.from_file(str(APP), default_timeout=300).run()
        at.session_state["services"] = services
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        notes = [c.value for c in at.caption if "one marker per neighbourhood and theme" in c.value]
        assert notes, page
