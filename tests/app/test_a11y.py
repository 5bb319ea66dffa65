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

from geo.data import io

pytestmark = pytest.mark.browser

#: axe-core release bundled by the pinned axe-playwright-python (checked by a test).
AXE_VERSION = "4.12.1"
#: The WCAG 2.0, 2.1 and 2.2 level A and AA rules of axe-core.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BOROUGH = "Tower Hamlets"


# ------------------------------------------------------------------------------------------
# screenshots (the server and the browser are the fixtures of tests/app/conftest.py)
# ------------------------------------------------------------------------------------------
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


# ------------------------------------------------------------------------------------------
# keyboard only
# ------------------------------------------------------------------------------------------
# JavaScript run in the page: the focused element, followed into frames (the map).
FOCUSED = """() => {
  let doc = document, el = document.activeElement, frames = 0, dx = 0, dy = 0;
  while (el && el.tagName === 'IFRAME') {
    const r = el.getBoundingClientRect(); dx += r.left; dy += r.top;
    frames++; doc = el.contentDocument; el = doc && doc.activeElement;
  }
  if (!el || el === doc.body) return {frames, tag: 'BODY', name: '', testid: null};
  const owner = el.closest('[data-testid]');
  const label = el.getAttribute('aria-label') || (el.labels && el.labels[0] &&
    el.labels[0].innerText) || el.innerText || el.value || '';
  // a hidden element that mirrors a drawn one (a table cell of Streamlit's canvas grid): the
  // focus shows on the nearest visible box around it
  let shown = el, r = el.getBoundingClientRect();
  while (shown.parentElement && (r.width === 0 || r.height === 0)) {
    shown = shown.parentElement; r = shown.getBoundingClientRect();
  }
  return {frames, tag: el.tagName, role: el.getAttribute('role'),
          testid: owner && owner.getAttribute('data-testid'),
          name: label.replace(/\\s+/g, ' ').trim().slice(0, 80),
          box: {x: r.left + dx, y: r.top + dy, width: r.width, height: r.height}};
}"""


def _focused(page) -> dict:
    return page.evaluate(FOCUSED)


def _focus_is_visible(page, focus: dict) -> bool:
    """The focused element looks different from when it is not focused (a focus indicator is
    drawn): its surroundings, focused and then blurred, differ in the screenshot."""
    box = focus.get("box")
    if not box or box["width"] == 0:
        return False
    view = page.viewport_size
    pad = 6
    clip = {
        "x": max(box["x"] - pad, 0),
        "y": max(box["y"] - pad, 0),
        "width": min(box["width"] + 2 * pad, view["width"] - max(box["x"] - pad, 0)),
        "height": min(box["height"] + 2 * pad, view["height"] - max(box["y"] - pad, 0)),
    }
    if clip["width"] <= 0 or clip["height"] <= 0:
        return False
    focused = page.screenshot(clip=clip)
    page.evaluate("window.__spmFocus = document.activeElement; document.activeElement.blur()")
    page.wait_for_timeout(150)
    blurred = page.screenshot(clip=clip)
    page.evaluate("window.__spmFocus.focus({preventScroll: true})")
    page.wait_for_timeout(100)
    return focused != blurred


def _tab_until(page, wanted, limit: int, visited: list[dict], check_visible: set[str]):
    """Press Tab until ``wanted(focus)``; every stop goes into ``visited``. The first stop of
    each kind (data-testid) in the page is checked for a visible focus indicator."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        page.wait_for_timeout(60)
        focus = _focused(page)
        visited.append(focus)
        kind = re.sub(r"[-\d]+$", "", focus.get("testid") or focus["tag"])  # one per grid
        if focus["frames"] == 0 and focus["tag"] != "BODY" and kind not in check_visible:
            check_visible.add(kind)
            page.wait_for_timeout(250)  # transitions of the focus style
            focus = _focused(page)  # the page may have scrolled the element into view
            assert _focus_is_visible(page, focus), f"no visible focus on {focus}"
        if wanted(focus):
            return focus
    raise AssertionError(
        "not reached by Tab; last stops: "
        + "; ".join(f"{v['tag']} {v['name']}" for v in visited[-8:])
    )


def _named(text: str):
    """The focused element in the page is named ``text`` (after an icon's name, if any)."""
    return lambda f: f["frames"] == 0 and (f["name"] == text or f["name"].endswith(" " + text))


@pytest.fixture
def kpage(browser):
    pg = browser.new_page(viewport={"width": 1400, "height": 1000})
    yield pg
    pg.close()


def test_keyboard_borough_report(kpage, app_url, shots):
    """Commissioner: choose a borough and download its report, with the keyboard only."""
    page = kpage
    page.goto(f"{app_url}/borough")
    _settle(page)
    visited: list[dict] = []
    seen: set[str] = set()
    _tab_until(page, _named("Choose a borough (or pick one in the sidebar)"), 60, visited, seen)
    order = [v["testid"] for v in visited]
    # a sensible order: skip link, the page links, the sidebar's filters, then the page
    assert order[0] == "stSkipToContent", visited[:3]
    links = [i for i, t in enumerate(order) if t == "stPageLink-NavLink"]
    assert len(links) >= 7 and links == list(range(links[0], links[0] + len(links)))
    assert order.index("stMultiSelectTagsContainer") > links[-1]  # Borough filter after them
    page.keyboard.type(BOROUGH)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"h2:has-text('{BOROUGH}')", timeout=60_000)
    _settle(page)
    visited.clear()
    _tab_until(
        page, _named("Download a report of this borough (HTML, printable)"), 400, visited, seen
    )
    frames = [v["frames"] for v in visited]
    assert 1 in frames, "the map was not reached"  # into the map frame ...
    assert frames[frames.index(1) :].count(0) > 0  # ... and out of it again: no trap
    inside = [v for v in visited if v["frames"] == 1]
    assert inside[0]["role"] == "region" and inside[0]["name"] == "Interactive map", inside[0]
    assert any(v["name"].startswith("Map layers") for v in inside), inside
    with page.expect_download(timeout=60_000) as dl:
        page.keyboard.press("Enter")
    download = dl.value
    assert download.suggested_filename == "Tower_Hamlets_report.html"
    report = Path(download.path()).read_text(encoding="utf-8")
    assert BOROUGH in report
    page.screenshot(path=str(shots / "keyboard_borough_report.png"))
    print(f"{len(visited)} tab stops from the borough choice to the report; kinds {sorted(seen)}")


def test_keyboard_top_gap_in_a_borough(kpage, app_url, shots):
    """Commissioner: find the biggest gap in a borough, with the keyboard only."""
    page = kpage
    page.goto(f"{app_url}/gaps")
    _settle(page)
    visited: list[dict] = []
    seen: set[str] = set()
    _tab_until(
        page,
        lambda f: f["testid"] == "stMultiSelectTagsContainer" and f["name"] == "Borough",
        40,
        visited,
        seen,
    )
    page.keyboard.type("Hackney")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.wait_for_selector("h2:has-text('Neighbourhoods ranked by gap: Hackney')", timeout=90_000)
    _settle(page)
    first = page.locator("[data-testid=stMarkdown] ol li").first.inner_text()
    assert first.startswith("Hackney "), first
    visited.clear()
    _tab_until(page, _named("Download this table (CSV)"), 150, visited, seen)
    grid = [v for v in visited if (v["testid"] or "").startswith("glide-cell")]
    print(f"{len(visited)} tab stops to the download, {len(grid)} in tables")
    with page.expect_download(timeout=60_000) as dl:
        page.keyboard.press("Enter")
    table = pd.read_csv(dl.value.path(), comment="#", encoding="utf-8-sig")
    name = table["Neighbourhood"].iloc[0]
    assert first.startswith(f"{name} (Hackney), gap "), (first, name)  # the list's first = table's
    page.screenshot(path=str(shots / "keyboard_top_gap.png"))


def test_keyboard_upload_stock_list(kpage, app_url, shots, tmp_path):
    """Housing association: upload a stock list and read its figures, with the keyboard only."""
    page = kpage
    path = _synthetic_stock(tmp_path / "synthetic_stock.csv")
    page.goto(f"{app_url}/housing")
    _settle(page)
    visited: list[dict] = []
    seen: set[str] = set()
    uploader = _tab_until(
        page,
        lambda f: (
            f["frames"] == 0
            and f["testid"] in ("stFileUploaderDropzone",)
            or (f["tag"] == "BUTTON" and f["name"].lower().startswith(("browse", "upload")))
        ),
        120,
        visited,
        seen,
    )
    assert uploader["tag"] == "BUTTON", uploader
    with page.expect_file_chooser(timeout=30_000) as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(str(path))
    page.wait_for_selector("text=Where your homes are", timeout=120_000)
    _settle(page)
    metric = page.locator("[data-testid=stMetric]").filter(has_text="Homes placed")
    assert metric.locator("[data-testid=stMetricValue]").inner_text() == "120"  # 40 x 3 units
    # the results are reachable from the keyboard: the table tabs switch with the arrow keys
    visited.clear()
    _tab_until(page, lambda f: f["role"] == "tab" and f["name"] == "By borough", 200, visited, seen)
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(300)
    assert _focused(page)["name"] == "By neighbourhood (LSOA)"
    assert (
        page.get_by_role("tab", name="By neighbourhood (LSOA)").get_attribute("aria-selected")
        == "true"
    )
    page.screenshot(path=str(shots / "keyboard_upload.png"))


def test_keyboard_map(kpage, app_url, shots):
    """The map by keyboard: focus, pan, zoom, read the centre, the layer list, and out again."""
    page = kpage
    page.goto(f"{app_url}/?borough=E09000030")
    _settle(page)
    frame = next(f for f in page.frames[1:] if _drawn(f))
    visited: list[dict] = []
    _tab_until(page, lambda f: f["frames"] == 1 and f["role"] == "region", 80, visited, set())
    the_map = "Object.values(window).find(v => v instanceof L.Map)"
    view = (
        f"() => {{ const m = {the_map}; "
        "const c = m.getCenter(); return [c.lat, c.lng, m.getZoom()]; }"
    )
    # a visible focus ring on the map (inside the frame)
    box = frame.frame_element().bounding_box()
    clip = {"x": box["x"], "y": box["y"], "width": 200, "height": 120}
    focused = page.screenshot(clip=clip)
    frame.evaluate("document.activeElement.blur()")
    page.wait_for_timeout(150)
    assert page.screenshot(clip=clip) != focused
    frame.evaluate("document.querySelector('.leaflet-container').focus()")
    start = frame.evaluate(view)
    page.keyboard.press("Enter")
    live = frame.locator(".spm-map-live")
    live.wait_for(timeout=5_000)
    text = live.inner_text()
    assert text.startswith("At the centre of the map: Neighbourhood (LSOA): Tower Hamlets"), text
    assert "decile" in text
    # waited for (not a fixed pause): the pan and zoom animations end late on a busy machine
    page.keyboard.press("ArrowRight")  # panned east, same zoom
    frame.wait_for_function(
        f"s => {the_map}.getCenter().lng > s[1] && {the_map}.getZoom() === s[2]",
        arg=start,
        timeout=10_000,
    )
    page.keyboard.press("Equal")  # "+"
    frame.wait_for_function(f"s => {the_map}.getZoom() > s[2]", arg=start, timeout=10_000)
    page.wait_for_timeout(400)  # the zoom animation's last frame, for the screenshot
    page.screenshot(path=str(shots / "keyboard_map_readout.png"))
    # Tab: zoom in, zoom out, then the layer list's button
    names = []
    for _ in range(3):
        page.keyboard.press("Tab")
        names.append(_focused(page)["name"])
    assert names == ["Zoom in", "Zoom out", "Map layers: show or hide layers"], names
    toggle = frame.locator(".leaflet-control-layers-toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    # a busy page: the frame's timers are held back while the list opens and the first layer
    # is switched (Leaflet's own Enter handler ignores clicks in the list until a timer runs;
    # on a loaded machine that timer ran late and the first Space was lost)
    frame.evaluate("window.spmHeldTimeout = window.setTimeout; window.setTimeout = () => 0;")
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    first = _focused(page)
    assert first["tag"] == "INPUT" and first["frames"] == 1, first
    checked = frame.evaluate("document.activeElement.checked")
    page.keyboard.press("Space")  # switch the first layer off (or on)
    page.wait_for_timeout(300)
    assert frame.evaluate("document.activeElement.checked") is (not checked)
    frame.evaluate("window.setTimeout = window.spmHeldTimeout")
    page.keyboard.press("Space")
    page.screenshot(path=str(shots / "keyboard_map_layers.png"))
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert _focused(page)["name"] == "Map layers: show or hide layers"
    for _ in range(10):  # and on out of the map: no keyboard trap
        page.keyboard.press("Tab")
        if _focused(page)["frames"] == 0:
            break
    assert _focused(page)["frames"] == 0


# ------------------------------------------------------------------------------------------
# reflow: 320 CSS px wide (WCAG 1.4.10) and 200% zoom of a 1280 px window (WCAG 1.4.4)
# ------------------------------------------------------------------------------------------
# JavaScript run in the page: elements of the page's content that reach beyond its width
# (tables, charts and maps scroll or scale inside their own frames and are left out).
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const e of document.querySelectorAll('[data-testid=stMain] *')) {
    if (e.closest('[data-testid=stDataFrame], iframe, [data-testid=stVegaLiteChart]')) continue;
    const r = e.getBoundingClientRect();
    if (r.width && r.right > width + 1) out.push(`${e.tagName} ${Math.round(r.right)}px`);
  }
  return {scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 10)};
}"""


@pytest.mark.parametrize(("mode", "width", "scale"), [("320px", 320, 1), ("zoom200", 640, 2)])
def test_reflow_every_page(browser, app_url, shots, mode, width, scale):
    """Nothing cut off sideways at 320 px or at 200% zoom; screenshots of each page (full
    height) for a person to look at."""
    wide = browser.new_page(viewport={"width": 1400, "height": 900})
    wide.goto(app_url)
    _settle(wide)
    links = _nav_links(wide)
    wide.close()
    problems = {}
    for name, href in links:
        page = browser.new_page(viewport={"width": width, "height": 900}, device_scale_factor=scale)
        url = href if href.startswith("http") else f"{app_url}/{href.lstrip('/')}"
        if name == "Borough view":
            url += "?borough=E09000030"
        page.goto(url)
        _settle(page)
        height = page.evaluate(
            "Math.max(...[...document.querySelectorAll('[data-testid=stMain] *')]"
            ".map(e => e.scrollHeight))"
        )
        page.set_viewport_size({"width": width, "height": min(int(height), 12_000)})
        page.wait_for_timeout(1000)
        found = page.evaluate(OVERFLOWING)
        page.screenshot(path=str(shots / f"reflow_{mode}_{_slug(name)}.png"))
        if found["scroll"] > found["width"] or found["out"]:
            problems[name] = found
        page.close()
    assert not problems, problems
