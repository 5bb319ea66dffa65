"""Browser tests of issue 18: the PCN view of TOWER NETWORK PCN (its practices and the map of
where its patients live) and the ICB choice, in headless Chromium. Uses the server and
browser helpers of ``test_browser.py``; screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import pytest
import test_browser as harness
from playwright.sync_api import expect

from geo.data import io

pytestmark = pytest.mark.browser
TOWER_NETWORK = "U37286"


def test_pcn_view_shows_practices_and_where_patients_live(browser, app_url, artifacts):
    page = browser.new_page(viewport={"width": 1500, "height": 3000})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{app_url}/pcn?pcn={TOWER_NETWORK}")
    page.wait_for_selector(f"h2:has-text('TOWER NETWORK PCN ({TOWER_NETWORK})')", timeout=120_000)
    pcn = io.load_link_workers().loc[TOWER_NETWORK]
    practices = pcn["practice_codes"].split("; ")
    reg = io.load_registrations()
    lsoas = io.load_lsoas("iod2019")
    # LSOAs 2021 with its patients: the 2011 LSOAs where they live, split ones as their pieces
    l11 = set(reg.loc[reg["practice_code"].isin(practices), "lsoa11_code"]) & set(lsoas.index)
    l21 = io.load_lsoas("iod2025")
    n21 = int(l21["lsoa11_codes"].str.split("; ").map(lambda cs: bool(set(cs) & l11)).sum())
    # the neighbourhoods, the practices and the borough names (markers, which come in one
    # file with the outlines), then no more changes (the neighbourhoods come per borough)
    frame, counts = harness._map_frame(
        page,
        timeout=120,
        ready=lambda c: c["polygons"] >= n21 and c["circles"] >= 6 and c["markers"] >= 1,
    )
    counts = harness._steady_counts(frame)
    near = counts["polygons"] - n21  # the rest are borough outlines
    assert 1 <= near < 33, counts
    assert counts["circles"] == len(practices) == 6, counts  # its practices on the map
    legend = frame.content()
    assert "share of the neighbourhood" in legend and "50% or more" in legend
    # the practices' table and the neighbourhoods' table (drawn on canvases), and the text
    expect(page.get_by_test_id("stDataFrame")).to_have_count(2, timeout=120_000)
    expect(page.get_by_text("Where its patients live").first).to_be_visible(timeout=120_000)
    expect(page.get_by_text("Most of its patients live in").first).to_be_visible(timeout=120_000)
    assert f"pcn={TOWER_NETWORK}" in page.url
    assert dialogs == []
    page.screenshot(path=str(artifacts / "pcn_tower_network.png"), full_page=True)
    page.close()


def test_icb_link_shows_its_boroughs(browser, app_url, artifacts):
    page = browser.new_page(viewport={"width": 1500, "height": 1300})
    page.goto(f"{app_url}/?icb=QMF&indicator=ptal")
    icb = io.load_icbs().loc["QMF"]
    lsoas = io.load_lsoas("iod2025")
    n = int(lsoas["borough_code"].isin(icb["borough_codes"].split("; ")).sum())
    frame, counts = harness._map_frame(page, timeout=120, ready=lambda c: c["polygons"] >= n)
    icb_box = page.get_by_role("combobox", name="Integrated Care Board (ICB)")
    assert icb_box.input_value() == "North East London"
    assert "icb=QMF" in page.url
    assert "PTAL 1a (very poor)" in frame.content()  # every band named in the legend
    page.wait_for_timeout(1000)
    page.screenshot(path=str(artifacts / "icb_north_east_ptal.png"), full_page=True)
    page.close()
