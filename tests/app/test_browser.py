"""Browser tests: start the app, open it in headless Chromium (Playwright), look at the map.

Needs Debian's ``chromium`` (``.ci/run`` installs it). Without it the tests are skipped, except
in CI (``CI=true``) where a missing browser is a failure. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect

from app_pages.mapping import nearby_boroughs
from geo.data import io

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# JavaScript run inside the map's frame: count Leaflet layers by kind.
COUNT_LAYERS = """() => {
  const out = {paths: 0, polygons: 0, circles: 0, markers: 0, clusters: 0};
  const maps = new Set();
  for (const key of Object.keys(window)) {
    const v = window[key];
    if (v && v instanceof L.Map) maps.add(v);  // the same map can sit under several names
  }
  for (const v of maps) {
    v.eachLayer(l => {
      if (l instanceof L.Polygon) out.polygons++;
      if (l instanceof L.Path) out.paths++;
      if (l instanceof L.CircleMarker) out.circles++;
      if (l instanceof L.Marker) out.markers++;
      if (L.MarkerClusterGroup && l instanceof L.MarkerClusterGroup) out.clusters += l.getLayers().length;
    });
  }
  return out;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    """Start the app on a free loopback port; its log goes to a file (a pipe could fill up)."""
    port = _free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 (open for the server's lifetime)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    log.seek(0)
    pytest.fail(f"the app did not start: {log.read().decode(errors='replace')[-2000:]}")


@pytest.fixture
def page(browser):
    pg = browser.new_page(viewport={"width": 1500, "height": 1300})
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs
    yield pg
    pg.close()


def _map_frame(page, timeout: float = 90, ready=lambda counts: counts["paths"] > 0):
    """The frame holding the Leaflet map, once ``ready(layer counts)`` holds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for frame in page.frames:
            try:
                if frame.evaluate(
                    "typeof L !== 'undefined' && !!document.querySelector('.leaflet-container')"
                ):
                    counts = frame.evaluate(COUNT_LAYERS)
                    if ready(counts):
                        return frame, counts
            except Exception:  # frame navigating or detached
                pass
        time.sleep(0.5)
    raise AssertionError("no Leaflet map with drawn layers appeared")


def _steady_counts(frame, timeout: float = 30, quiet: float = 1.0) -> dict:
    """The map's layer counts once they have not changed for ``quiet`` seconds: the
    neighbourhoods come from one static file per borough and the borough outlines and labels
    from another, and any of them can arrive last."""
    deadline = time.time() + timeout
    last, since = None, time.time()
    while time.time() < deadline:
        counts = frame.evaluate(COUNT_LAYERS)
        if counts != last:
            last, since = counts, time.time()
        elif time.time() - since >= quiet:
            break
        time.sleep(0.25)
    return last


def test_overview_map_draws_all_london(page, app_url, artifacts):
    start = time.perf_counter()
    page.goto(app_url)
    # the shapes come from static files after the map script: wait until all are drawn
    frame, counts = _map_frame(page, ready=lambda c: c["polygons"] >= 4994 + 33)
    first_paint = time.perf_counter() - start
    # 4,994 LSOA polygons plus 33 borough outlines (web layers)
    assert counts["polygons"] == 4994 + 33, counts
    assert frame.locator(".leaflet-control-layers").count() == 1
    assert "most deprived 10%" in frame.content()  # the legend is part of the map
    # Leaflet came from the one bundled script (geo/web/jsbundle.py), its style sheet applied
    # from it with image URLs that load (the layer list's icon)
    scripts = frame.evaluate("[...document.scripts].map(s => s.src).filter(Boolean)")
    assert any("/app/static/spm/spm_leaflet.js" in src for src in scripts), scripts
    assert not any(src.endswith(("leaflet.js", "spm_map.js")) for src in scripts), scripts
    icon = frame.evaluate(
        "getComputedStyle(document.querySelector('.leaflet-control-layers-toggle')).backgroundImage"
    )
    assert "/app/static/vendor/leaflet/images/layers" in icon, icon
    loaded = frame.evaluate(
        """(url) => new Promise(ok => { const i = new Image(); i.onload = () => ok(i.width);
        i.onerror = () => ok(0); i.src = url; })""",
        icon.split('"')[1],
    )
    assert loaded > 0
    page.wait_for_timeout(1500)
    page.screenshot(path=str(artifacts / "overview.png"), full_page=True)
    print(f"first map paint {first_paint:.1f} s, layers {counts}")


def test_link_opens_same_selection(page, app_url, artifacts):
    page.goto(f"{app_url}/?borough=E09000030&indicator=health&deciles=1-3")
    lsoas = io.load_lsoas("iod2025")
    expected = ((lsoas.borough_code == "E09000030") & lsoas.health_decile.between(1, 3)).sum()
    near = nearby_boroughs(io.load_boroughs("iod2025", web=True), ["E09000030"])
    frame, counts = _map_frame(page, ready=lambda c: c["polygons"] >= expected + len(near))
    counts = _steady_counts(frame)  # nothing more arrives
    assert 1 < len(near) < 33  # Tower Hamlets and its neighbours only
    assert counts["polygons"] == expected + len(near), counts
    expect(page.get_by_text("Tower Hamlets").first).to_be_visible(timeout=120_000)
    assert "indicator=health" in page.url and "borough=E09000030" in page.url
    page.screenshot(path=str(artifacts / "tower_hamlets_health.png"), full_page=True)


def test_upload_stock_list_shows_points(page, app_url, artifacts, tmp_path):
    lsoas = io.load_lsoas("iod2025")
    pts = lsoas.sample(60, random_state=3).representative_point().to_crs(4326)
    synthetic = pd.DataFrame(
        {
            "Scheme name": [f"Synthetic scheme {i}" for i in range(60)],
            "Latitude": pts.y.round(6).astype(str).to_numpy(),
            "Longitude": pts.x.round(6).astype(str).to_numpy(),
            "Units": 2,
        }
    )
    synthetic.loc[0, "Scheme name"] = "<img src=x onerror=alert(1)>"
    synthetic.loc[1, ["Latitude", "Longitude"]] = ["not a number", "x"]
    path = tmp_path / "synthetic_stock.csv"
    synthetic.to_csv(path, index=False)

    page.goto(f"{app_url}/housing")
    page.wait_for_selector("input[type=file]", state="attached", timeout=60_000)
    page.set_input_files("input[type=file]", str(path))
    page.wait_for_selector("text=Where your homes are", timeout=90_000)
    metrics: list[str] = []

    def upload_summary(values: list[str]) -> bool:  # after the Census baseline's four metrics
        return any(values[i : i + 3] == ["60", "59", "1"] for i in range(len(values)))

    for _ in range(120):  # the report renders while the script is still running
        metrics = page.locator("[data-testid=stMetricValue]").all_inner_texts()
        if upload_summary(metrics):
            break
        page.wait_for_timeout(500)
    assert upload_summary(metrics), metrics  # rows read = accepted + rejected
    # the homes come with the map; the 33 borough-name labels from a static file, which can
    # arrive later: wait for both
    frame, counts = _map_frame(
        page, ready=lambda c: c["circles"] + c["clusters"] > 0 and c["markers"] >= 33
    )
    print("upload layers", counts)
    # 33 borough-name labels are markers too; the 59 accepted homes come on top
    assert counts["circles"] + counts["clusters"] + counts["markers"] - 33 == 59, counts
    page.wait_for_timeout(1500)
    page.screenshot(path=str(artifacts / "housing_upload.png"), full_page=True)
    # a map update (another indicator) moves the same 59 homes into the new layer group
    frame.evaluate("window.__sameFrame = 'yes'")
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(
        has_text="Indicator"
    ).click()
    page.get_by_role("option", name="Income", exact=True).click()
    deadline = time.time() + 60
    while time.time() < deadline and "Income" not in (
        frame.evaluate("(document.querySelector('.spm-legend-title') || {}).textContent") or ""
    ):
        page.wait_for_timeout(200)
    page.wait_for_timeout(500)
    assert frame.evaluate("window.__sameFrame") == "yes"
    after = frame.evaluate(COUNT_LAYERS)
    assert after["circles"] == counts["circles"] == 59, (counts, after)
    assert page.dialogs == []  # the HTML in a scheme name never ran


# JavaScript run inside the map's frame: the screen position of a point (lat, lon) and what is
# drawn where (the neighbourhoods on one canvas, the borough outlines as SVG above it).
MAP_STATE = """([lat, lon]) => {
  let map = null;
  for (const key of Object.keys(window)) {
    if (window[key] instanceof L.Map) { map = window[key]; break; }
  }
  const p = map.latLngToContainerPoint([lat, lon]);
  const box = map.getContainer().getBoundingClientRect();
  const legend = document.querySelector('.spm-legend-title');
  return {
    x: box.left + p.x, y: box.top + p.y,
    canvases: document.querySelectorAll('.leaflet-overlay-pane canvas').length,
    overlaySvgPaths: document.querySelectorAll('.leaflet-overlay-pane path').length,
    boroughPaths: document.querySelectorAll('.leaflet-spm-boroughs-pane path').length,
    boroughPaneZ: getComputedStyle(document.querySelector('.leaflet-spm-boroughs-pane')).zIndex,
    legend: legend ? legend.textContent : null,
  };
}"""


def test_hover_tooltip_and_restyle_in_place(page, app_url, artifacts):
    """Hovering a neighbourhood shows its (escaped) tooltip; a new indicator restyles the map
    in the same frame, without reloading the map or its geometry."""
    lsoas = io.load_lsoas("iod2025", web=True)
    code = "E01000005"  # City of London 001E, near the middle of the map
    point = lsoas.loc[[code]].to_crs(27700).representative_point().to_crs(4326).iloc[0]
    page.goto(app_url)
    frame, _ = _map_frame(page, ready=lambda c: c["polygons"] >= 4994 + 33)
    state = frame.evaluate(MAP_STATE, [point.y, point.x])
    assert state["canvases"] == 1 and state["overlaySvgPaths"] == 0  # polygons on canvas
    assert state["boroughPaths"] == 33 and int(state["boroughPaneZ"]) > 400  # outlines on top
    assert state["legend"].startswith("Index of Multiple Deprivation (IMD) decile")
    frame_box = page.locator("iframe[title*='st_folium']").first.bounding_box()
    page.mouse.move(frame_box["x"] + state["x"], frame_box["y"] + state["y"])
    tooltip = frame.locator(".leaflet-tooltip").first
    tooltip.wait_for(timeout=10_000)
    text = tooltip.inner_text()
    assert lsoas.loc[code, "lsoa_name"] in text and "City of London" in text
    assert "Neighbourhood (LSOA)" in text and "IMD decile" not in text
    share = lsoas.loc[code, "ha_share"] * 100  # a percentage, not a fraction
    assert f"Housing association share of households (%)\t{share:.1f}" in text, text
    page.screenshot(path=str(artifacts / "overview_tooltip.png"))

    frame.evaluate("window.__sameFrame = 'yes'")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").filter(has_text="Indicator").click()
    page.get_by_role("option", name="Health deprivation and disability").click()
    deadline = time.time() + 60
    while time.time() < deadline:
        state = frame.evaluate(MAP_STATE, [point.y, point.x])
        if state["legend"] and state["legend"].startswith("Health"):
            break
        page.wait_for_timeout(200)
    assert state["legend"].startswith("Health deprivation and disability decile")
    assert frame.evaluate("window.__sameFrame") == "yes"  # the map was updated, not reloaded
    counts = frame.evaluate(COUNT_LAYERS)
    assert counts["polygons"] == 4994 + 33, counts  # the old layer was replaced, not kept
    page.mouse.move(frame_box["x"] + state["x"] + 1, frame_box["y"] + state["y"] + 1)
    page.wait_for_timeout(300)
    text = frame.locator(".leaflet-tooltip").first.inner_text()
    assert "Health deprivation and disability decile" in text and "IMD decile" in text


# JavaScript run inside the map's frame: each layer-control entry's name and whether it is on.
LAYER_CHOICES = """() => Array.from(
  document.querySelectorAll('.leaflet-control-layers-overlays label')
).map(l => [l.innerText.trim(), l.querySelector('input').checked])"""


BOROUGH = "E09000030"  # Tower Hamlets


def test_layer_choices_survive_a_new_selection(page, app_url, artifacts):
    """Layers the user switches on (or off) in the layer control stay so when the selection
    changes and the map's layers are replaced."""
    places = io.load_services()
    n_gp = int(((places["category"] == "gp_practice") & (places["borough_code"] == BOROUGH)).sum())
    page.goto(f"{app_url}/?borough={BOROUGH}")
    frame, _ = _map_frame(page, ready=lambda c: c["polygons"] > 100)
    frame.locator(".leaflet-control-layers").hover()
    before = dict(frame.evaluate(LAYER_CHOICES))
    gp = next(n for n in before if n.startswith("● GP practices"))
    boroughs = "Boroughs"
    assert before[gp] is False and before[boroughs] is True  # the map's defaults
    frame.locator("label", has_text=gp).locator("input").click()
    frame.locator("label", has_text=boroughs).locator("input").click()
    assert frame.evaluate(COUNT_LAYERS)["circles"] == n_gp > 0  # the borough's practices
    page.mouse.move(5, 5)

    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").filter(has_text="Indicator").click()
    page.get_by_role("option", name="Income", exact=True).click()
    deadline = time.time() + 60
    after: dict = {}
    while time.time() < deadline:
        after = dict(frame.evaluate(LAYER_CHOICES))
        if any(n.startswith("Deprivation: Income") for n in after):
            break
        page.wait_for_timeout(200)
    page.wait_for_timeout(500)
    after = dict(frame.evaluate(LAYER_CHOICES))
    assert any(n.startswith("Deprivation: Income") for n in after), after  # new layers
    assert after[gp] is True and after[boroughs] is False, after  # the user's choices kept
    others = [n for n in after if n.startswith("●") and n != gp]
    assert others and not any(after[n] for n in others), after  # the rest as the map says
    counts = frame.evaluate(COUNT_LAYERS)
    assert counts["circles"] == n_gp, counts  # the same GP practices, drawn once
    page.screenshot(path=str(artifacts / "layer_choices_kept.png"))


# JavaScript run inside the map's frame: the screen position of a circle marker whose tooltip
# shows a PCN's link-worker rate (a GP practice of the link-worker layer), or null.
GP_MARKER_POSITION = """() => {
  for (const key of Object.keys(window)) {
    const v = window[key];
    if (!(v && v instanceof L.Map)) continue;
    let found = null;
    v.eachLayer(l => {
      if (found || !(l instanceof L.CircleMarker)) return;
      // a GeoJSON marker carries its values; a canvas marker gets its tooltip from its group
      const tip = l._spmGroup && l._spmGroup._tooltip && l._spmGroup._tooltip._content;
      const values = l.feature
        ? Object.values(l.feature.properties || {}).map(String)
        : [typeof tip === 'function' ? String(tip(l)) : ''];
      if (!values.some(t => t.indexOf('FTE per 10,000 patients') >= 0)) return;
      const p = v.latLngToContainerPoint(l.getLatLng());
      const size = v.getSize();
      if (p.x > 20 && p.y > 20 && p.x < size.x - 20 && p.y < size.y - 20) found = {x: p.x, y: p.y};
    });
    if (found) return found;
  }
  return null;
}"""


def test_overview_lists_bundled_layers_and_gp_hover(page, app_url, artifacts):
    page.goto(f"{app_url}/?indicator=lw_per_10k&borough=E09000030")
    frame, counts = _map_frame(page, ready=lambda c: c["circles"] > 20)
    control = frame.locator(".leaflet-control-layers")
    control.hover()  # the control is collapsed when there are many layers
    names = control.inner_text()
    for layer in (
        "Housing association homes",
        "GP practices (NHS England, December 2025)",
        "Pharmacies",
        "Libraries",
        "Community centres",
        "Parks",
        "Places of worship",
        "Jobcentre Plus",
        "Link workers per 10,000 patients",
        "old data",
    ):
        assert layer in names, (layer, names)
    assert "Link-worker FTE per 10,000 registered patients" in frame.content()  # its legend
    page.mouse.move(5, 5)
    pos = frame.evaluate(GP_MARKER_POSITION)
    assert pos is not None, counts
    box = frame.frame_element().bounding_box()
    container = frame.evaluate(
        "() => { const r = document.querySelector('.leaflet-container')"
        ".getBoundingClientRect(); return {x: r.left, y: r.top}; }"
    )
    page.mouse.move(box["x"] + container["x"] + pos["x"], box["y"] + container["y"] + pos["y"])
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.first.wait_for(timeout=10_000)
    text = tooltip.first.inner_text()
    assert "Primary Care Network" in text and "FTE per 10,000 patients" in text, text
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "gp_practice_hover.png"), full_page=False)
    print("gp tooltip:", text.replace("\n", " | "))


# ------------------------------------------------------------------------------------------
# Issue 11: a shared sub-page link on a fresh server, a 200,000-row list, a hostile file name
# ------------------------------------------------------------------------------------------
# Records whether Streamlit's "Page not found" modal is ever drawn (it can be short-lived).
WATCH_PAGE_NOT_FOUND = """
window.__pageNotFound = false;
new MutationObserver(() => {
  if (document.body && document.body.innerText.includes('Page not found')) {
    window.__pageNotFound = true;
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def test_shared_subpage_link_on_a_fresh_server(browser, artifacts):
    """Streamlit 1.41-1.43 showed 'Page not found' over the right page here (streamlit#9992);
    requirements.txt asks for 1.44.1 or later, where the first load of /gaps is clean."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed")
    proc, url = start_server()  # its first session is the shared link
    try:
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.add_init_script(WATCH_PAGE_NOT_FOUND)
        page.goto(f"{url}/gaps?borough=E09000030&indicator=health")
        page.wait_for_selector("h1:has-text('Gap finder')", timeout=90_000)
        page.wait_for_selector("text=Pilot finder", timeout=90_000)
        page.wait_for_timeout(2000)
        assert page.evaluate("window.__pageNotFound") is False
        assert "/gaps" in page.url and "borough=E09000030" in page.url
        expect(page.get_by_text("Tower Hamlets").first).to_be_visible(timeout=120_000)
        page.screenshot(path=str(artifacts / "shared_gaps_link_first_load.png"))
        page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_large_stock_list_is_aggregated_not_an_exception(page, app_url, artifacts, tmp_path):
    lsoas = io.load_lsoas("iod2025")
    rng = np.random.default_rng(11)
    n = 200_000
    pts = lsoas.representative_point().to_crs(4326)
    pick = rng.integers(0, len(lsoas), n)
    synthetic = pd.DataFrame(
        {
            "Property ref": [f"SYN{i:06d}" for i in range(n)],
            "Latitude": (pts.y.to_numpy()[pick] + rng.normal(0, 1e-5, n)).round(6),
            "Longitude": (pts.x.to_numpy()[pick] + rng.normal(0, 1e-5, n)).round(6),
        }
    )
    path = tmp_path / "synthetic_200000_homes.csv"
    synthetic.to_csv(path, index=False)
    page.goto(f"{app_url}/housing")
    page.wait_for_selector("input[type=file]", state="attached", timeout=60_000)
    page.set_input_files("input[type=file]", str(path))
    page.wait_for_selector("text=one marker per neighbourhood", timeout=240_000)
    rows_read = page.locator("[data-testid=stMetric]").filter(has_text="Rows read")
    assert rows_read.locator("[data-testid=stMetricValue]").inner_text() == "200,000"
    accepted = page.locator("[data-testid=stMetric]").filter(has_text="Accepted")
    assert accepted.locator("[data-testid=stMetricValue]").inner_text() == "200,000"
    assert page.locator("[data-testid=stException]").count() == 0
    frame, counts = _map_frame(page, timeout=120, ready=lambda c: c["circles"] > 0)
    # one circle per neighbourhood holding homes, never 200,000 markers
    assert 1000 < counts["circles"] <= 4994, counts
    # ... fetched once as a file (geo.web.maps.publish_points), not carried in the map update
    fetched = frame.evaluate(
        "performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => n.includes('/media/'))"
    )
    assert len(fetched) == 1, fetched
    page.wait_for_timeout(1500)
    page.screenshot(path=str(artifacts / "housing_200000_homes.png"), full_page=True)
    assert page.dialogs == []


def test_hostile_file_name_shown_as_text(page, app_url, artifacts, tmp_path):
    name = "[x](javascript:alert(1)) **bold** <img src=x onerror=alert(2)>.csv"
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    page.goto(f"{app_url}/housing")
    page.wait_for_selector("input[type=file]", state="attached", timeout=60_000)
    page.set_input_files("input[type=file]", str(path))
    alert = page.locator("[data-testid=stAlertContentError]").first
    alert.wait_for(timeout=60_000)
    text = alert.inner_text()
    assert f"{name} could not be used" in text, text
    assert alert.locator("a").count() == 0  # no link made from the name
    assert alert.locator("strong, b, img").count() == 0  # no bold, no image either
    page.screenshot(path=str(artifacts / "hostile_file_name.png"), full_page=True)
    assert page.dialogs == []
