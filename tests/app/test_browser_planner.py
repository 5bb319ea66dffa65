"""The Pilot planner and What a closure costs in headless Chromium, on the bundled data."""

from __future__ import annotations

import pytest
import test_browser as harness
from playwright.sync_api import expect

from geo.data import io

pytestmark = pytest.mark.browser
TOWER_HAMLETS = "E09000030"


@pytest.fixture
def page(browser):
    pg = browser.new_page(viewport={"width": 1500, "height": 1300})
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    yield pg
    assert not dialogs  # nothing from the data ever ran as script
    pg.close()


def test_planner_link_draws_the_sites_and_their_reach(page, app_url, artifacts):
    """A shared link: Tower Hamlets, 5 sites at any Output Area centre, housing association
    households. The map draws the neighbourhoods, 5 reach circles and 5 numbered sites."""
    page.goto(f"{app_url}/planner?borough={TOWER_HAMLETS}&plan_sites=oa&plan_count=5&plan_reach=ha")
    lsoas = io.load_lsoas("iod2025")
    n_th = int((lsoas["borough_code"] == TOWER_HAMLETS).sum())
    frame, counts = harness._map_frame(
        page, timeout=180, ready=lambda c: c["polygons"] >= n_th and c["markers"] >= 5
    )
    counts = harness._steady_counts(frame)
    numbers = frame.evaluate(
        "[...document.querySelectorAll('.leaflet-marker-icon')].map(e => e.textContent.trim())"
        ".filter(t => /^[0-9]+$/.test(t))"
    )
    assert sorted(map(int, numbers)) == [1, 2, 3, 4, 5], numbers  # the site numbers
    assert counts["circles"] >= 5, counts  # the reach circles (L.Circle) at least
    expect(page.get_by_text("Proved optimal (HiGHS").first).to_be_visible(timeout=120_000)
    expect(page.get_by_text("Newly reached (housing association households)").first).to_be_visible(
        timeout=120_000
    )
    text = frame.content()
    assert "Share of the housing association households newly reached" in text  # the legend
    assert "plan_count=5" in page.url and "plan_sites=oa" in page.url
    page.screenshot(path=str(artifacts / "pilot_planner.png"), full_page=True)


def test_planner_form_changes_the_plan(page, app_url):
    page.goto(f"{app_url}/planner?borough={TOWER_HAMLETS}&plan_count=2")
    page.get_by_text("Proved optimal (HiGHS").first.wait_for(timeout=180_000)
    expect(page.get_by_text("no choice of at most 2 candidate sites").first).to_be_visible(
        timeout=120_000
    )
    slider = page.get_by_role("slider", name="Number of sites")
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.get_by_role("button", name="Find the best sites").click()
    page.get_by_text("no choice of at most 3 candidate sites").first.wait_for(timeout=180_000)
    assert "plan_count=3" in page.url


def test_closure_page_on_bundled_data(page, app_url, artifacts):
    page.goto(f"{app_url}/closures?borough=E09000007")
    page.get_by_text("Residents left with no place in reach").first.wait_for(timeout=180_000)
    expect(page.get_by_text("Together: the worst 5").first).to_be_visible(timeout=120_000)
    expect(page.get_by_text("Proved optimal in").first).to_be_visible(timeout=120_000)
    page.screenshot(path=str(artifacts / "closure_cost.png"), full_page=True)
