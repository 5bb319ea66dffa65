"""Accessibility (issue 20): axe-core on every page and map frame, keyboard-only tasks, reflow.

axe-core comes from axe-playwright-python (requirements-dev.txt pins the release and with it
the axe-core version, :data:`AXE_VERSION`). The pages are found from the app's own page links
in the sidebar, so a page added later is checked too. Each page is checked in the page and
inside every frame it holds (the map is a streamlit-folium frame), with no upload and again
after a synthetic stock list and a synthetic service directory were uploaded in the same
session. Screenshots go to ``test-artifacts/a11y/``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pandas as pd
import pytest
import test_browser as harness

from geo import io

pytestmark = pytest.mark.browser

#: axe-core release bundled by the pinned axe-playwright-python (checked by a test).
AXE_VERSION = "4.12.1"
#: The WCAG 2.0, 2.1 and 2.2 level A and AA rules of axe-core.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BOROUGH = "Tower Hamlets"


# ------------------------------------------------------------------------------------------
# harness: one server and one browser for the module
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def app_url():
    if not Path(harness.CHROMIUM).exists():
        pytest.skip("Chromium is not installed; .ci/run installs it")
    proc, url = harness._start_server()
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=harness.CHROMIUM, args=harness.ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(artifacts) -> Path:
    out = artifacts / "a11y"
    out.mkdir(exist_ok=True)
    return out


def _settle(page, timeout: float = 120) -> None:
    """Wait until the script has finished running and any map has drawn its layers."""
    deadline = time.time() + timeout
    page.wait_for_selector("h1", timeout=timeout * 1000)
    quiet = 0
    while time.time() < deadline and quiet < 4:  # two seconds without a running script
        running = page.locator("[data-testid=stStatusWidget]").count()
        quiet = 0 if running else quiet + 1
        page.wait_for_timeout(500)
    if page.locator("iframe[title*='st_folium'], iframe[title*='map' i]").count():
        while time.time() < deadline:
            if any(_drawn(f) for f in page.frames[1:]):
                break
            page.wait_for_timeout(500)
    page.wait_for_timeout(800)


def _drawn(frame) -> bool:
    try:
        return frame.evaluate(
            "!!document.querySelector('.leaflet-container') && "
            "document.querySelectorAll('.leaflet-overlay-pane canvas, "
            ".leaflet-overlay-pane path, .leaflet-spm-boroughs-pane path').length > 0"
        )
    except Exception:  # frame navigating or detached
        return False


# ------------------------------------------------------------------------------------------
# axe
# ------------------------------------------------------------------------------------------
def _axe_script() -> str:
    from axe_playwright_python.sync_playwright import Axe

    return Axe().axe_script


def axe_violations(frame, tags: list[str] | None = WCAG_TAGS) -> list[dict]:
    """axe-core's violations in one document (a page or a frame), frames not followed."""
    frame.evaluate(_axe_script())
    options: dict = {"resultTypes": ["violations"], "iframes": False}
    if tags:
        options["runOnly"] = {"type": "tag", "values": tags}
    return frame.evaluate("(o) => axe.run(document, o)", options)["violations"]


def audit(page) -> dict[str, list[str]]:
    """``{"page" | frame URL: ["rule (n nodes): target ...", ...]}`` for the page and each of
    its frames; empty lists when clean."""
    out: dict[str, list[str]] = {}
    for frame in page.frames:
        if frame.url in ("", "about:blank") or frame.is_detached():
            continue
        where = "page" if frame == page.main_frame else frame.url.split("?")[0]
        found = axe_violations(frame)
        out[where] = [
            f"{v['id']} ({len(v['nodes'])}): {v['nodes'][0]['target']} "
            f"{v['nodes'][0]['failureSummary'][:200]}"
            for v in found
        ]
    return out


def _nav_links(page) -> list[tuple[str, str]]:
    """(label, href) of the sidebar's page links (the label without its icon's name)."""
    links = page.get_by_test_id("stSidebar").locator("a[data-testid=stPageLink-NavLink]")
    return [(a.inner_text().strip().splitlines()[-1], a.get_attribute("href")) for a in links.all()]


def _go(page, label: str) -> None:
    """Switch page with the sidebar's link (keeps the session and its uploads)."""
    href = dict(_nav_links(page))[label]
    page.get_by_test_id("stSidebar").locator(f"a[href='{href}']").click()


def _visit_all_pages(page, shots: Path, tag: str) -> dict[str, dict[str, list[str]]]:
    """Open every page through the sidebar's links (same session) and run axe on each."""
    results = {}
    names = [name for name, _ in _nav_links(page)]
    assert len(names) >= 7, names  # six pages and the accessibility statement
    for name in names:
        _go(page, name)
        _settle(page)
        results[name] = audit(page)
        page.screenshot(path=str(shots / f"axe_{tag}_{_slug(name)}.png"), full_page=True)
        if name == "Borough view":  # the list of boroughs, then one borough
            page.get_by_test_id("stMain").get_by_test_id("stSelectbox").click()
            page.keyboard.type(BOROUGH)
            page.keyboard.press("Enter")
            page.wait_for_selector(f"h2:has-text('{BOROUGH}')", timeout=60_000)
            _settle(page)
            results[f"{name}: {BOROUGH}"] = audit(page)
            page.screenshot(path=str(shots / f"axe_{tag}_borough.png"), full_page=True)
    return results


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def test_axe_is_the_pinned_release():
    from axe_playwright_python.sync_playwright import Axe

    assert f"axe v{AXE_VERSION}" in Axe().axe_script[:300]


def _synthetic_stock(path: Path, n: int = 40) -> Path:
    lsoas = io.load_lsoas("iod2025")
    pts = lsoas.sample(n, random_state=20).representative_point().to_crs(4326)
    pd.DataFrame(
        {
            "Scheme name": [f"Synthetic scheme {i}" for i in range(n)],
            "Latitude": pts.y.round(6).to_numpy(),
            "Longitude": pts.x.round(6).to_numpy(),
            "Units": 3,
        }
    ).to_csv(path, index=False)
    return path


def _synthetic_services(path: Path, n: int = 24) -> Path:
    lsoas = io.load_lsoas("iod2025")
    pts = lsoas.sample(n, random_state=21).representative_point().to_crs(4326)
    themes = ["Digital inclusion", "Money and debt advice", "Employment support"]
    pd.DataFrame(
        {
            "Service name": [f"Synthetic service {i}" for i in range(n)],
            "Theme": [themes[i % len(themes)] for i in range(n)],
            "Latitude": pts.y.round(6).to_numpy(),
            "Longitude": pts.x.round(6).to_numpy(),
        }
    ).to_csv(path, index=False)
    return path


def _upload(page, path: Path, wait_text: str) -> None:
    page.wait_for_selector("input[type=file]", state="attached", timeout=60_000)
    page.set_input_files("input[type=file]", str(path))
    page.wait_for_selector(f"text={wait_text}", timeout=120_000)
    _settle(page)


def test_axe_every_page_no_upload_then_with_uploads(browser, app_url, shots, tmp_path):
    """Zero WCAG 2.x A/AA violations on every page and in every map frame, before and after
    the user's uploads (same browser session throughout)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    _settle(page)
    before = _visit_all_pages(page, shots, "no_upload")

    _go(page, "Housing associations")
    _upload(page, _synthetic_stock(tmp_path / "synthetic_stock.csv"), "Where your homes are")
    _go(page, "Service directory")
    _upload(
        page,
        _synthetic_services(tmp_path / "synthetic_services.csv"),
        "Your services by theme",
    )
    assert "Homes: 40" in page.get_by_test_id("stSidebar").inner_text()
    after = _visit_all_pages(page, shots, "upload")
    page.close()

    frames_checked = sum(len(r) - 1 for r in before.values())
    print("pages:", list(before), "map frames checked:", frames_checked)
    assert frames_checked >= 4  # overview, borough, gaps, services (+ housing after upload)
    bad = {
        f"{state}: {name}: {where}": found
        for state, results in (("no upload", before), ("upload", after))
        for name, by_frame in results.items()
        for where, found in by_frame.items()
        if found
    }
    assert not bad, "\n".join(f"{k}\n  " + "\n  ".join(v) for k, v in bad.items())
