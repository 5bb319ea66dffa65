"""The running app against a naive ``GeoDataFrame.explore()`` Streamlit app.

Five measurements, each next to the same measurement of the "explore() baseline" in the same
process where the baseline can do it:

1. **Script rerun time** (``streamlit.testing.v1.AppTest``): ``app.py`` (London overview page)
   and a generated baseline script get the same sidebar changes (Indicator IMD <-> health,
   deciles 1-10 -> 1-3, Borough -> Tower Hamlets), the two taking turns step by step;
   ``at.run()`` is timed, median of ``--repeat``. "rerun, no change" is a rerun in which
   nothing on the map changes (what another widget, a download or an expander costs).
   "first script run" is each app's first run with its data caches empty (shared modules
   imported beforehand). The overview page also draws metrics and captions (its borough
   chart and table only when "Compare boroughs" is opened); the baseline is only the map.
   The app is also run with ``--services`` synthetic service points (made-up locations and
   names, in the session as an uploaded directory would be).
2. **Map payload**: the bytes of the ``st_folium`` component message (leaflet script, header,
   html and, for the app, the layers sent for a map update) as captured from the AppTest
   element tree for all London, after an indicator change and for Tower Hamlets, raw and
   gzip-compressed (``gzip -6``, an estimate for a compressing transport).
3. **Browser** (headless Chromium, Playwright; both apps started with ``python -m streamlit
   run``). Each load opens a new browser context; a probe in every frame notes, inside the
   browser, the first animation frame after the frame's Leaflet map holds the expected number
   of polygons (4,994 London LSOAs, or Tower Hamlets'). Reported: time to first map paint from
   navigation start (one cold load, then the median of ``--loads`` warm loads for ``/`` and
   ``/?borough=E09000030``, apps alternating), the bytes received over the websocket until
   then, and, on the loaded London page, the time from choosing another Indicator (or
   another decile range, or Tower Hamlets in the Borough box) in the sidebar until the
   map has repainted with newly drawn polygons, and the websocket bytes that change
   brought. "map iframe created at" is when the frame showing the map started loading.
   "3a" repeats the changes on the app's London page after switching on every layer of the
   map's layer list (a click each, as a user would), and counts the circle markers drawn
   before and after each change (the layers must stay on and their points not pile up).
   A third server runs the baseline with the app's one server setting (Nagle's algorithm
   off, ``app_pages/server.py``); only its first paint is measured, printed under the table.
4. **Peak RSS** (``VmHWM`` from ``/proc/PID/status``) of each server after the browser loads.
5. **Concurrency** (the app only): ``--sessions`` (20) websocket clients on 127.0.0.1 open
   sessions at the same time, each loading one page of a mixed list (overview, borough
   view, gap finder, housing, services, method; with varied selections in the URL),
   fetching the static geometry as a browser would and then navigating to a second page,
   ``--rounds`` times. Errors (script exceptions, failed requests, timeouts), run times,
   the server's peak RSS and its CPU time and memory per session are reported. Requests
   stop by themselves after the bounded loops.

The baseline is what a naive app would do: ``st.cache_data`` around
``geo.data.io.load_lsoas("iod2025")`` (full resolution, EPSG:27700), the same filters
(``geo.analysis.selection.filter_lsoas``), ``explore(column=..., categorical=True, cmap="PRGn",
tooltip=<the app's tooltip fields>)`` and ``st_folium(..., returned_objects=[])``, with the
same local Leaflet assets (``app_pages.common.use_local_assets``). It has no borough outlines.
It is written to a temporary directory that gets a ``static`` symlink to this repository's
``static/`` (Streamlit serves ``/app/static`` from next to the main script) and is run with
this repository as the working directory, so ``.streamlit/config.toml`` applies to both apps.
The app also switches Nagle's algorithm off on its server's sockets (``app_pages/server.py``,
from ``app.py``'s first run); the baseline, as a naive app, does not.

Needs the processed data, matplotlib (for ``explore``), Playwright and Debian's ``chromium``
(``--no-browser`` skips parts 3 and 4). Run from the repository root::

    python bench/bench_app.py            # about 5-6 minutes
    python bench/bench_app.py --repeat 5 --loads 5 --json bench/results/bench_app.json

Servers and the browser are stopped and the temporary files removed on exit.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import logging
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

OURS = "app (ours)"
BASELINE = "explore() baseline"
#: The baseline with the app's one server setting (Nagle's algorithm off), first paint only.
BASELINE_NODELAY = "explore() baseline + TCP_NODELAY"
OURS_SERVICES = "app (ours) with services"
BOROUGH = "E09000030"  # Tower Hamlets
BOROUGH_NAME = "Tower Hamlets"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# The naive app. Same widget keys as app_pages.common.sidebar_selection, so the same AppTest
# flow drives both; the borough can also come from ?borough= like in the app.
EXPLORE_APP = '''\
"""explore() baseline: the naive way to show the LSOA deprivation map (generated by
bench/bench_app.py)."""

import sys

sys.path.insert(0, {root!r})

import streamlit as st
from streamlit_folium import st_folium

from app_pages.common import use_local_assets
from app_pages.mapping import MAP_HEIGHT, tooltip_fields
from geo.data import io
from geo.data.indicators import DOMAIN_LABELS, DOMAINS
from geo.analysis.selection import Selection, filter_lsoas

use_local_assets()
{tuning}

@st.cache_data
def lsoas():
    return io.load_lsoas("iod2025")


@st.cache_data
def borough_names():
    return io.load_boroughs("iod2025")["borough_name"].sort_values()


names = borough_names()
if "boroughs" not in st.session_state:
    st.session_state["boroughs"] = [
        c for v in st.query_params.get_all("borough") for c in v.split(",") if c in names.index
    ]
sb = st.sidebar
boroughs = sb.multiselect(
    "Borough", list(names.index), format_func=lambda c: names[c], key="boroughs"
)
domain = sb.selectbox("Indicator", list(DOMAINS), format_func=DOMAIN_LABELS.get, key="domain")
deciles = sb.slider("Deciles shown", 1, 10, (1, 10), key="deciles")
sel = Selection(domain=domain, boroughs=tuple(boroughs), deciles=tuple(deciles))
fields = tooltip_fields(sel)
m = filter_lsoas(lsoas(), sel).explore(
    column=f"{{domain}}_decile",
    categorical=True,
    cmap="PRGn",
    tooltip=list(fields),
    tooltip_kwds={{"aliases": list(fields.values())}},
    legend=True,
)
st_folium(m, height=MAP_HEIGHT, use_container_width=True, returned_objects=[], key="map")
'''

# Runs in every frame before its own scripts. In a map frame it looks every 10 ms for a Leaflet
# map holding at least the expected number of polygons (the top page's window.__spmExpect, else
# __EXPECT__; a timer: an animation-frame loop started this early did not survive the frame's
# start-up), then notes the time of the next animation frame, i.e. after Leaflet's canvas redraw
# scheduled when the layers were added. window.__spmArm(n) does the same for polygons added to
# the map after it was called (a map update in the same frame, new or re-used polygons).
PAINT_PROBE = """
(() => {
  if (window.top === window) return;
  const expected = () => {
    try { return window.top.__spmExpect || __EXPECT__; } catch (e) { return __EXPECT__; }
  };
  const now = () => performance.timeOrigin + performance.now();
  function maps() {
    const out = new Set();  // the same map sits under several names
    if (typeof window.L === 'undefined' || !document.querySelector('.leaflet-container')) {
      return out;
    }
    for (const key of Object.keys(window)) {
      const v = window[key];
      if (v && v instanceof L.Map) out.add(v);
    }
    return out;
  }
  function polygons() {
    let n = 0;
    for (const m of maps()) m.eachLayer(l => { if (l instanceof L.Polygon) n++; });
    return n;
  }
  function watch(count, expect, done) {
    const timer = setInterval(() => {
      let n = 0;
      try { n = count(); } catch (e) { n = 0; }  // a map half built: look again
      if (n < expect()) return;
      clearInterval(timer);
      const frame = performance.timeOrigin;
      requestAnimationFrame(() => { done({t: now(), polygons: n, frame: frame}); });
    }, 10);
    return timer;
  }
  watch(polygons, expected, r => { window.__spmPaint = r; });
  let armed = null;
  window.__spmArm = (expect) => {
    if (armed) { clearInterval(armed.timer); armed.map.off('layeradd', armed.fn); }
    const fresh = new Set();
    const map = maps().values().next().value;
    const fn = e => { if (e.layer instanceof L.Polygon) fresh.add(e.layer); };
    map.on('layeradd', fn);
    window.__spmRepaint = null;
    const count = () => { let n = 0; for (const l of fresh) if (l._map) n++; return n; };
    armed = {map, fn, timer: watch(count, () => expect, r => { window.__spmRepaint = r; })};
  };
})();
"""

MIXED_PAGES: list[tuple[str, str]] = [
    ("", ""),
    ("borough", f"borough={BOROUGH}"),
    ("gaps", ""),
    ("", "indicator=health&deciles=1-3"),
    ("housing", ""),
    ("borough", "borough=E09000001&indicator=income"),
    ("services", ""),
    ("", "borough=E09000012&measure=score"),
    ("method", ""),
    ("gaps", "borough=E09000022&indicator=employment"),
]
MAP_PAGES = {"", "borough", "gaps", "housing", "services"}


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def _quiet() -> None:
    """Silence Streamlit's bare-mode and folium/geopandas notices in this process."""
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)


_TUNING = """
from app_pages.server import tune_once

tune_once()  # as app.py does
"""


def _write_baseline(tmp: Path, nodelay: bool = False) -> Path:
    """The baseline script in ``tmp`` (with ``nodelay``, plus the app's TCP_NODELAY switch)."""
    script = tmp / ("_explore_app_nodelay.py" if nodelay else "_explore_app.py")
    script.write_text(EXPLORE_APP.format(root=str(ROOT), tuning=_TUNING if nodelay else ""))
    if not (tmp / "static").exists():
        (tmp / "static").symlink_to(ROOT / "static", target_is_directory=True)
    return script


def synthetic_services(n: int, seed: int = 0):
    """``n`` SYNTHETIC services (made-up names at random points inside London LSOAs), in the
    form of an accepted upload (``app_pages.upload_ui.standardise``), EPSG:27700."""
    import geopandas as gpd
    import numpy as np

    from geo.data import io
    from geo.data.themes import THEMES

    lsoas = io.load_lsoas("iod2025")
    rng = np.random.default_rng(seed)
    picks = lsoas.iloc[rng.integers(0, len(lsoas), n)]
    points = picks.representative_point().translate(0, 0).to_numpy()
    jitter = rng.normal(0, 40, (n, 2))
    xs = np.array([p.x for p in points]) + jitter[:, 0]
    ys = np.array([p.y for p in points]) + jitter[:, 1]
    return gpd.GeoDataFrame(
        {
            "row": np.arange(2, n + 2),
            "location_source": "coordinates",
            "borough_code": picks["borough_code"].to_numpy(),
            "borough_name": picks["borough_name"].to_numpy(),
            "lsoa_code": picks.index.to_numpy(),
            "name": [f"Synthetic service {i}" for i in range(n)],
            "theme": [THEMES[i % len(THEMES)] for i in range(n)],
            "capacity": np.nan,
            "description": "synthetic",
            "opening_hours": None,
            "contact": None,
            "website": None,
        },
        geometry=gpd.points_from_xy(xs, ys),
        crs=27700,
    )


def _expected_counts() -> dict[str, int]:
    """LSOAs drawn after each change of the browser flow (both apps filter the same way)."""
    from geo.data import io

    lsoas = io.load_lsoas("iod2025")
    th = lsoas["borough_code"] == BOROUGH
    return {
        "london": len(lsoas),
        "borough": int(th.sum()),
        "indicator": len(lsoas),
        "deciles": int((lsoas["health_decile"] <= 9).sum()),
        "switch_borough": int((th & (lsoas["health_decile"] <= 9)).sum()),
    }


# --------------------------------------------------------------------------------------------
# 1 and 2: AppTest reruns and the component payload
# --------------------------------------------------------------------------------------------
def _component_args(at) -> dict[str, Any]:
    comps = [c for c in at.get("component_instance") if "st_folium" in c.proto.component_name]
    if len(comps) != 1:
        raise RuntimeError(f"expected one st_folium component, found {len(comps)}")
    raw = comps[0].proto.json_args
    args = json.loads(raw)
    keys = ("script", "header", "html", "feature_group", "layer_control")
    page = "".join(args.get(k) or "" for k in keys)
    return {
        "map_bytes": len(page.encode()),
        "map_gzip_bytes": len(gzip.compress(page.encode(), 6)),
        "message_bytes": len(raw.encode()),
    }


def _timed_run(at) -> float:
    t0 = time.perf_counter()
    at.run()
    dt = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(f"script raised: {at.exception[0].message}")
    return dt


def _steps(repeat: int) -> list[tuple[str | None, Callable[[Any], Any]]]:
    """(what is timed or None for an untimed reset, widget change) in the order they run."""

    def domain(value: str) -> Callable[[Any], Any]:
        return lambda at: at.selectbox(key="domain").set_value(value)

    def deciles(value: tuple[int, int]) -> Callable[[Any], Any]:
        return lambda at: at.slider(key="deciles").set_value(value)

    def boroughs(value: list[str]) -> Callable[[Any], Any]:
        return lambda at: at.multiselect(key="boroughs").set_value(value)

    steps: list[tuple[str | None, Callable[[Any], Any]]] = []
    steps += [("rerun", lambda at: None)] * repeat
    # imd -> health -> imd ...: every run is an all-London change
    steps += [("indicator", domain("health" if i % 2 == 0 else "imd")) for i in range(repeat)]
    steps.append((None, domain("imd")))
    for _ in range(repeat):
        steps += [("deciles", deciles((1, 3))), (None, deciles((1, 10)))]
    for _ in range(repeat):
        steps += [("borough", boroughs([BOROUGH])), (None, boroughs([]))]
    return steps


def apptest_flow(
    scripts: dict[str, Path], repeat: int, services: int = 0
) -> dict[str, dict[str, Any]]:
    """Time reruns of each script for each filter change; capture the map payloads.

    The apps take turns step by step, so a busy machine slows both alike. With ``services``,
    an extra run of the app (named ``OURS_SERVICES``) has that many synthetic services in
    its session.
    """
    # Import what both scripts use first, so that "first run" times data loading and the
    # first map, not Python imports paid only by whichever app runs first.
    import folium  # noqa: F401
    import mapclassify  # noqa: F401
    import matplotlib.pyplot  # noqa: F401
    import streamlit_folium  # noqa: F401
    from streamlit.testing.v1 import AppTest

    import app_pages.mapping  # noqa: F401
    from geo.data import io

    ats = {
        name: AppTest.from_file(str(path), default_timeout=600) for name, path in scripts.items()
    }
    if services:
        ats[OURS_SERVICES] = AppTest.from_file(str(scripts[OURS]), default_timeout=600)
        ats[OURS_SERVICES].session_state["services"] = synthetic_services(services)
    out: dict[str, dict[str, Any]] = {name: {} for name in ats}
    for name, at in ats.items():
        io.clear_cache()  # geo.data.io memoises file reads per process: empty it for each app
        out[name]["first_run"] = _timed_run(at)
        out[name]["payload_london"] = _component_args(at)
    for label, change in _steps(repeat):
        for name, at in ats.items():
            change(at)
            dt = _timed_run(at)
            if label is not None:
                out[name].setdefault(label, []).append(dt)
                if f"payload_{label}" not in out[name] and label != "rerun":
                    out[name][f"payload_{label}"] = _component_args(at)
    return out


# --------------------------------------------------------------------------------------------
# 3 and 4: real servers in headless Chromium
# --------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``python -m streamlit run SCRIPT`` from the repository root, stopped by :meth:`stop`."""

    def __init__(self, script: Path, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log_file = log.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(script),
                "--server.port",
                str(self.port),
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
            ],
            cwd=ROOT,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"server did not start: {self.log.read_text()[-2000:]}")

    def memory_mb(self) -> dict[str, float]:
        """Peak (VmHWM) and current (VmRSS) resident memory in MB."""
        out = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0]) / 1024
        return out

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log_file.close()


class _Socket:
    """Counts the bytes received over the page's websocket(s) and when the last frame came."""

    def __init__(self, page) -> None:
        self.bytes = 0
        self.last = time.time()
        page.on("websocket", self._attach)

    def _attach(self, ws) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        self.bytes += len(payload)
        self.last = time.time()

    def wait_idle(self, page, quiet: float = 1.0, limit: float = 20.0) -> None:
        """Until no frame came for ``quiet`` seconds (Playwright delivers events while it
        waits, so this waits with ``page.wait_for_timeout``)."""
        end = time.time() + limit
        while time.time() < end and time.time() - self.last < quiet:
            page.wait_for_timeout(100)


def _poll(page, expr: str, deadline: float) -> Any:
    while time.time() < deadline:
        for frame in page.frames:
            try:
                value = frame.evaluate(expr)
            except Exception:  # frame navigating or detached
                continue
            if value:
                return value
        page.wait_for_timeout(20)
    raise RuntimeError(f"timed out waiting for {expr}")


def _change_indicator(page) -> Callable[[], None]:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").filter(has_text="Indicator").click()
    option = page.get_by_role("option", name="Health deprivation and disability")
    option.wait_for()
    return option.click


def _change_deciles(page) -> Callable[[], None]:
    thumb = page.get_by_test_id("stSidebar").get_by_role("slider").nth(1)
    thumb.focus()
    return lambda: thumb.press("ArrowLeft")  # upper decile 10 -> 9


def _change_borough(page) -> Callable[[], None]:
    box = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").first
    box.click()
    page.keyboard.type(BOROUGH_NAME)
    page.get_by_role("option", name=BOROUGH_NAME).wait_for()
    return lambda: page.keyboard.press("Enter")


def _circles(page) -> int:
    """Circle markers on the page's Leaflet map(s)."""
    n = 0
    for frame in page.frames:
        with contextlib.suppress(Exception):  # a frame navigating or detached
            if frame.evaluate("typeof L !== 'undefined' && !!window.L.Map"):
                n += frame.evaluate(COUNT_CIRCLES)
    return n


def _switch_layers_on(page, named: str = "", timeout: float = 60) -> int:
    """Click every unticked entry of the map's layer list whose name contains ``named`` (all
    of them by default), as a user would; wait until circle markers are drawn and their
    number stops changing; that number."""
    for frame in page.frames:
        with contextlib.suppress(Exception):  # a frame navigating or detached
            frame.evaluate(
                "(named) => document.querySelectorAll('.leaflet-control-layers-overlays label')"
                ".forEach(l => { const i = l.querySelector('input');"
                " if (l.innerText.includes(named) && !i.checked) i.click(); })",
                named,
            )
    last, end = -1, time.time() + timeout
    while time.time() < end:
        page.wait_for_timeout(500)
        n = _circles(page)
        if n == last and n > 0:
            return n
        last = n
    return last


CHANGES: dict[str, Callable[[Any], Callable[[], None]]] = {
    "indicator": _change_indicator,
    "deciles": _change_deciles,
    "switch_borough": _change_borough,
}


def _load(
    browser,
    url: str,
    expect: dict[str, int],
    view: str,
    changes: bool,
    timeout: float = 180,
    all_layers: bool = False,
) -> dict[str, Any]:
    """One page load in a new context: first paint, websocket bytes, and (``changes``) the
    repaint time and websocket bytes of each sidebar change in :data:`CHANGES`.

    With ``all_layers``, every layer in the map's layer list is switched on (as a user would,
    by clicking it) before the changes; the circle markers drawn are counted then and after
    each change (``*_circles``)."""
    context = browser.new_context(viewport={"width": 1500, "height": 1300})
    try:
        context.add_init_script(PAINT_PROBE.replace("__EXPECT__", str(expect[view])))
        page = context.new_page()
        sock = _Socket(page)
        page.goto(url, wait_until="commit")
        hit = _poll(page, "window.__spmPaint || null", time.time() + timeout)
        start = page.evaluate("performance.timeOrigin")
        out: dict[str, Any] = {
            "paint": (hit["t"] - start) / 1000,
            "frame": (hit["frame"] - start) / 1000,
            "polygons": int(hit["polygons"]),
        }
        sock.wait_idle(page)
        out["ws_bytes"] = sock.bytes
        if all_layers:
            out["circles"] = _switch_layers_on(page)
        if not changes:
            return out
        for name, prepare in CHANGES.items():
            commit = prepare(page)
            page.evaluate(f"window.__spmExpect = {expect[name]}")  # for a new map frame
            for frame in page.frames:
                with contextlib.suppress(Exception):  # a frame navigating or detached
                    frame.evaluate(f"window.__spmArm && window.__spmArm({expect[name]})")
            sock.wait_idle(page, quiet=0.5)
            sock.bytes = 0
            t0 = page.evaluate("performance.timeOrigin + performance.now()")
            commit()
            expr = (
                "window.__spmRepaint || (window.__spmPaint && window.__spmPaint.frame > "
                f"{t0} ? window.__spmPaint : null)"
            )
            hit = _poll(page, expr, time.time() + timeout)
            out[f"{name}_repaint"] = (hit["t"] - t0) / 1000
            out[f"{name}_polygons"] = int(hit["polygons"])
            sock.wait_idle(page)
            out[f"{name}_ws_bytes"] = sock.bytes
            if all_layers:
                out[f"{name}_circles"] = _circles(page)
            page.keyboard.press("Escape")
        return out
    finally:
        context.close()


def _services_load(browser, url: str, csv: Path, n: int, timeout: float = 600) -> dict[str, Any]:
    """Upload ``csv`` (``n`` synthetic services) on the Service directory page, go to the
    London overview in the same session, switch the uploaded services on in the layer list,
    then change the Indicator: paint and repaint times, websocket bytes, and the points
    drawn before and after the change."""
    expect = _expected_counts()
    context = browser.new_context(viewport={"width": 1500, "height": 1300})
    try:
        context.add_init_script(PAINT_PROBE.replace("__EXPECT__", str(expect["london"])))
        page = context.new_page()
        sock = _Socket(page)
        page.goto(url + "/services", wait_until="commit")
        page.wait_for_selector("input[type=file]", state="attached", timeout=timeout * 1000)
        page.set_input_files("input[type=file]", str(csv))
        page.wait_for_selector("text=Services by theme", timeout=timeout * 1000)
        sock.wait_idle(page, quiet=2.0, limit=120)  # the upload is read and the page drawn
        link = page.get_by_test_id("stSidebarNav").get_by_text("London overview")
        sock.bytes = 0
        t0 = page.evaluate("performance.timeOrigin + performance.now()")
        link.click()
        new_paint = f"window.__spmPaint && window.__spmPaint.frame > {t0}"
        hit = _poll(page, f"{new_paint} ? window.__spmPaint : null", time.time() + timeout)
        out: dict[str, Any] = {"nav_paint": (hit["t"] - t0) / 1000}
        sock.wait_idle(page)
        out["nav_ws_bytes"] = sock.bytes
        frame = next(f for f in page.frames if f.evaluate(f"!!({new_paint})"))
        out["points"] = _switch_layers_on(page, "Your services")
        commit = _change_indicator(page)
        frame.evaluate(f"window.__spmArm({expect['indicator']})")
        sock.wait_idle(page, quiet=0.5)
        sock.bytes = 0
        t0 = page.evaluate("performance.timeOrigin + performance.now()")
        commit()
        expr = (
            "window.__spmRepaint || (window.__spmPaint && window.__spmPaint.frame > "
            f"{t0} ? window.__spmPaint : null)"
        )
        hit = _poll(page, expr, time.time() + timeout)
        out["indicator_repaint"] = (hit["t"] - t0) / 1000
        sock.wait_idle(page)
        out["indicator_ws_bytes"] = sock.bytes
        out["points_after"] = frame.evaluate(COUNT_CIRCLES)
        out["n"] = n
        return out
    finally:
        context.close()


COUNT_CIRCLES = """() => {
  for (const key of Object.keys(window)) {
    const v = window[key];
    if (v instanceof L.Map) {
      let n = 0;
      v.eachLayer(l => { if (l instanceof L.CircleMarker) n++; });
      return n;
    }
  }
  return 0;
}"""


def browser_flow(
    apps: dict[str, Path],
    loads: int,
    tmp: Path,
    services: int = 0,
    paint_only: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    expect = _expected_counts()
    servers: dict[str, Server] = {}
    out: dict[str, Any] = {name: {} for name in apps}
    try:
        for name, script in apps.items():
            servers[name] = Server(script, tmp / f"{name.split()[0]}.log")
        for server in servers.values():
            server.wait_ready()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                views = {"london": "/", "borough": f"/?borough={BOROUGH}"}
                for view, path in views.items():
                    for name, server in servers.items():
                        res = out[name]
                        if view == "london":  # the server's first session: cold caches
                            res["cold"] = _load(browser, server.url + path, expect, view, False)
                        res[view] = []
                    for _ in range(loads):  # interleaved, so drift hits both alike
                        for name, server in servers.items():
                            changes = view == "london" and name not in paint_only
                            out[name][view].append(
                                _load(browser, server.url + path, expect, view, changes)
                            )
                # the app again with every layer of its layer list switched on
                out[OURS]["all_layers"] = [
                    _load(browser, servers[OURS].url + "/", expect, "london", True, all_layers=True)
                    for _ in range(loads)
                ]
                for name, server in servers.items():
                    out[name]["mem_all"] = server.memory_mb()
                if services:
                    csv = tmp / "synthetic_services.csv"
                    pts = synthetic_services(services).to_crs(4326)
                    table = pts[["name", "theme"]].rename(
                        columns={"name": "Service name", "theme": "Theme"}
                    )
                    table["Latitude"] = pts.geometry.y.round(6)
                    table["Longitude"] = pts.geometry.x.round(6)
                    table.to_csv(csv, index=False)
                    out[OURS]["services"] = _services_load(
                        browser, servers[OURS].url, csv, services
                    )
                    out[OURS]["mem_services"] = servers[OURS].memory_mb()
            finally:
                browser.close()
    finally:
        for server in servers.values():
            server.stop()
    return out


# --------------------------------------------------------------------------------------------
# 5: concurrent sessions
# --------------------------------------------------------------------------------------------
async def _script_run(ws, page: str, query: str, cached: set[str]) -> dict[str, Any]:
    """One script run over the websocket, as the browser asks for it; bytes and errors."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_name = page
    msg.rerun_script.cached_message_hashes.extend(sorted(cached))
    t0 = time.perf_counter()
    await ws.send(msg.SerializeToString())
    received, errors = 0, []
    while True:
        raw = await ws.recv()
        received += len(raw)
        fmsg = ForwardMsg()
        fmsg.ParseFromString(raw)
        if fmsg.metadata.cacheable:
            cached.add(fmsg.hash)
        kind = fmsg.WhichOneof("type")
        if (
            kind == "delta"
            and fmsg.delta.WhichOneof("type") == "new_element"
            and fmsg.delta.new_element.WhichOneof("type") == "exception"
        ):
            errors.append(fmsg.delta.new_element.exception.message)
        if kind == "script_finished":
            break
    return {"seconds": time.perf_counter() - t0, "bytes": received, "errors": errors}


def _fetch_geometry(url: str) -> int:
    """GET the static LSOA geometry as a browser would (gzip accepted); bytes received."""
    from geo.web import staticgeom

    req = urllib.request.Request(
        url + staticgeom.web_layer("lsoa", "iod2025").url, headers={"Accept-Encoding": "gzip"}
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        return len(r.read())


async def _session(
    url: str, visits: list[tuple[str, str]], barrier, runs: list, errors: list
) -> None:
    import asyncio

    import websockets

    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    try:
        async with websockets.connect(
            ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=120
        ) as ws:
            cached: set[str] = set()
            for page, query in visits:
                run = await asyncio.wait_for(_script_run(ws, page, query, cached), 300)
                run["page"] = page or "overview"
                runs.append(run)
                errors.extend(f"{run['page']}?{query}: {e}" for e in run["errors"])
                if page in MAP_PAGES:
                    await asyncio.to_thread(_fetch_geometry, url)
            await barrier.wait()  # every session open at once while the server is sampled
    except Exception as exc:  # a failed session is an error of the run, not of the bench
        errors.append(f"{visits}: {type(exc).__name__}: {exc}")
        barrier.abort()


async def _concurrent(server: Server, sessions: int, rounds: int) -> dict[str, Any]:
    import asyncio

    runs: list[dict[str, Any]] = []
    errors: list[str] = []
    peak_live = 0.0
    for r in range(rounds):
        barrier = asyncio.Barrier(sessions + 1)
        tasks = [
            asyncio.create_task(
                _session(
                    server.url,
                    [
                        MIXED_PAGES[(i + r) % len(MIXED_PAGES)],
                        MIXED_PAGES[(i + r + 3) % len(MIXED_PAGES)],
                    ],
                    barrier,
                    runs,
                    errors,
                )
            )
            for i in range(sessions)
        ]
        try:
            await asyncio.wait_for(barrier.wait(), 900)
            peak_live = max(peak_live, server.memory_mb()["VmRSS"])
        except (asyncio.BrokenBarrierError, TimeoutError):
            errors.append(f"round {r + 1}: not every session finished")
        await asyncio.gather(*tasks, return_exceptions=True)
    return {"runs": runs, "errors": errors, "rss_all_open": peak_live}


def concurrency_flow(script: Path, sessions: int, rounds: int, tmp: Path) -> dict[str, Any]:
    """``sessions`` websocket sessions at once on a fresh server, ``rounds`` times."""
    import asyncio

    server = Server(script, tmp / "concurrency.log")
    try:
        server.wait_ready()
        # warm-up: one session per page, one after the other (data caches, imports)
        warm = asyncio.run(_concurrent_warmup(server))
        idle = server.memory_mb()["VmRSS"]
        cpu0 = server.cpu_seconds()
        t0 = time.perf_counter()
        res = asyncio.run(_concurrent(server, sessions, rounds))
        res["wall"] = time.perf_counter() - t0
        res["cpu"] = server.cpu_seconds() - cpu0
        res["rss_idle"] = idle
        res["mem"] = server.memory_mb()
        res["warmup_errors"] = warm
        res["sessions"] = sessions
        res["rounds"] = rounds
        return res
    finally:
        server.stop()


async def _concurrent_warmup(server: Server) -> list[str]:
    import asyncio

    runs: list[dict[str, Any]] = []
    errors: list[str] = []
    for visit in MIXED_PAGES:
        barrier = asyncio.Barrier(1)
        await _session(server.url, [visit], barrier, runs, errors)
    return errors


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------
def _table(rows: list[tuple[str, str, float | None, float | None]]) -> str:
    head = f"{'measure':<50} {'view':<15} {OURS:>12} {BASELINE:>19} {'baseline/ours':>14}"
    lines = [head, "-" * len(head)]
    for measure, view, ours, base in rows:
        o = f"{ours:,.0f}" if ours is not None else "-"
        b = f"{base:,.0f}" if base is not None else "-"
        r = f"{base / ours:.1f}x" if ours and base is not None else "-"
        lines.append(f"{measure:<50} {view:<15} {o:>12} {b:>19} {r:>14}")
    return "\n".join(lines)


def _rows(results: dict[str, Any], services: int) -> list[tuple[str, str, Any, Any]]:
    o, b = results[OURS], results[BASELINE]
    oa, ba = o["apptest"], b["apptest"]
    ms: Callable[[dict, str], float] = lambda r, k: _median_ms(r[k])  # noqa: E731
    kb: Callable[[dict, str, str], float] = lambda r, p, k: r[p][k] / 1024  # noqa: E731
    rows: list[tuple[str, str, Any, Any]] = [
        (
            "1. first script run, cold caches (ms)",
            "London",
            oa["first_run"] * 1000,
            ba["first_run"] * 1000,
        ),
        ("1. rerun, no change on the map (ms, median)", "London", ms(oa, "rerun"), ms(ba, "rerun")),
        (
            "1. Indicator IMD <-> health (ms, median)",
            "London",
            ms(oa, "indicator"),
            ms(ba, "indicator"),
        ),
        ("1. Deciles 1-10 -> 1-3 (ms, median)", "London", ms(oa, "deciles"), ms(ba, "deciles")),
        (
            "1. Borough -> Tower Hamlets (ms, median)",
            BOROUGH_NAME,
            ms(oa, "borough"),
            ms(ba, "borough"),
        ),
    ]
    for view, key in (
        ("London", "payload_london"),
        ("London, health", "payload_indicator"),
        ("London, 1-3", "payload_deciles"),
        (BOROUGH_NAME, "payload_borough"),
    ):
        rows.append(
            (
                "2. map component message (KB)",
                view,
                kb(oa, key, "message_bytes"),
                kb(ba, key, "message_bytes"),
            )
        )
        rows.append(
            (
                "2. the same, gzip -6 of the map parts (KB)",
                view,
                kb(oa, key, "map_gzip_bytes"),
                kb(ba, key, "map_gzip_bytes"),
            )
        )
    if services:
        sa = results[OURS_SERVICES]["apptest"]
        tag = f"+{services:,} svc"
        rows += [
            ("1s. rerun, no change on the map (ms, median)", tag, ms(sa, "rerun"), ms(ba, "rerun")),
            (
                "1s. Indicator IMD <-> health (ms, median)",
                tag,
                ms(sa, "indicator"),
                ms(ba, "indicator"),
            ),
            ("1s. Deciles 1-10 -> 1-3 (ms, median)", tag, ms(sa, "deciles"), ms(ba, "deciles")),
            (
                "1s. Borough -> Tower Hamlets (ms, median)",
                tag,
                ms(sa, "borough"),
                ms(ba, "borough"),
            ),
            (
                "2s. map component message, London (KB)",
                tag,
                kb(sa, "payload_london", "message_bytes"),
                kb(ba, "payload_london", "message_bytes"),
            ),
            (
                "2s. map component message, indicator (KB)",
                tag,
                kb(sa, "payload_indicator", "message_bytes"),
                kb(ba, "payload_indicator", "message_bytes"),
            ),
        ]
    if "browser" in o:
        ob, bb = o["browser"], b["browser"]

        def med(r: dict, view: str, key: str, scale: float = 1000) -> float:
            return statistics.median(x[key] for x in r[view]) * scale

        rows += [
            (
                "3. first map paint, cold server (ms)",
                "London",
                ob["cold"]["paint"] * 1000,
                bb["cold"]["paint"] * 1000,
            ),
            (
                "3. first map paint (ms, median)",
                "London",
                med(ob, "london", "paint"),
                med(bb, "london", "paint"),
            ),
            (
                "3. websocket bytes, page load (KB, median)",
                "London",
                med(ob, "london", "ws_bytes", 1 / 1024),
                med(bb, "london", "ws_bytes", 1 / 1024),
            ),
            (
                "3. Indicator -> health: until repainted (ms)",
                "London",
                med(ob, "london", "indicator_repaint"),
                med(bb, "london", "indicator_repaint"),
            ),
            (
                "3. Indicator -> health: websocket bytes (KB)",
                "London",
                med(ob, "london", "indicator_ws_bytes", 1 / 1024),
                med(bb, "london", "indicator_ws_bytes", 1 / 1024),
            ),
            (
                "3. Deciles -> 1-9: until repainted (ms)",
                "London",
                med(ob, "london", "deciles_repaint"),
                med(bb, "london", "deciles_repaint"),
            ),
            (
                "3. Deciles -> 1-9: websocket bytes (KB)",
                "London",
                med(ob, "london", "deciles_ws_bytes", 1 / 1024),
                med(bb, "london", "deciles_ws_bytes", 1 / 1024),
            ),
            (
                "3. switch to Tower Hamlets: until repainted (ms)",
                BOROUGH_NAME,
                med(ob, "london", "switch_borough_repaint"),
                med(bb, "london", "switch_borough_repaint"),
            ),
            (
                "3. first map paint (ms, median)",
                BOROUGH_NAME,
                med(ob, "borough", "paint"),
                med(bb, "borough", "paint"),
            ),
            (
                "3. (map iframe created at, ms, median)",
                "London",
                med(ob, "london", "frame"),
                med(bb, "london", "frame"),
            ),
            (
                "3. (map iframe created at, ms, median)",
                BOROUGH_NAME,
                med(ob, "borough", "frame"),
                med(bb, "borough", "frame"),
            ),
            *(
                (
                    f"3a. every layer on: {label} (ms)"
                    if key.endswith("repaint")
                    else f"3a. every layer on: {label} (KB)",
                    "London" if "borough" not in key else BOROUGH_NAME,
                    med(ob, "all_layers", key, 1000 if key.endswith("repaint") else 1 / 1024),
                    med(bb, "london", key, 1000 if key.endswith("repaint") else 1 / 1024),
                )
                for key, label in (
                    ("indicator_repaint", "Indicator -> health, until repainted"),
                    ("indicator_ws_bytes", "Indicator -> health, websocket bytes"),
                    ("deciles_repaint", "Deciles -> 1-9, until repainted"),
                    ("deciles_ws_bytes", "Deciles -> 1-9, websocket bytes"),
                    ("switch_borough_repaint", "switch to Tower Hamlets, until repainted"),
                )
                if "all_layers" in ob
            ),
            *(
                [
                    (
                        "3s. overview after the upload: map paint (ms)",
                        f"+{services:,} svc",
                        ob["services"]["nav_paint"] * 1000,
                        med(bb, "london", "paint"),
                    ),
                    (
                        "3s. Indicator -> health: until repainted (ms)",
                        f"+{services:,} svc",
                        ob["services"]["indicator_repaint"] * 1000,
                        med(bb, "london", "indicator_repaint"),
                    ),
                    (
                        "3s. Indicator -> health: websocket bytes (KB)",
                        f"+{services:,} svc",
                        ob["services"]["indicator_ws_bytes"] / 1024,
                        med(bb, "london", "indicator_ws_bytes", 1 / 1024),
                    ),
                ]
                if "services" in ob
                else []
            ),
            (
                "4. server peak RSS after all loads (MB)",
                "both views",
                ob["mem_all"]["VmHWM"],
                bb["mem_all"]["VmHWM"],
            ),
        ]
    return rows


def _concurrency_report(c: dict[str, Any]) -> str:
    runs = c["runs"]
    secs = sorted(r["seconds"] for r in runs)
    p95 = secs[min(len(secs) - 1, int(round(0.95 * (len(secs) - 1))))] if secs else float("nan")
    n = c["sessions"] * c["rounds"]
    per_page: dict[str, list[float]] = {}
    for r in runs:
        per_page.setdefault(r["page"], []).append(r["seconds"])
    pages = ", ".join(
        f"{p} {statistics.median(v) * 1000:,.0f}" for p, v in sorted(per_page.items())
    )
    lines = [
        f"5. {c['sessions']} concurrent sessions x {c['rounds']} rounds (2 page runs each) on "
        f"127.0.0.1, app only: {len(runs)} script runs in {c['wall']:.1f} s",
        f"   errors: {len(c['errors'])}"
        + ("" if not c["errors"] else " - " + "; ".join(c["errors"][:5])),
        f"   script run time: median {statistics.median(secs) * 1000:,.0f} ms, "
        f"p95 {p95 * 1000:,.0f} ms, max {secs[-1] * 1000:,.0f} ms"
        if secs
        else "   no runs",
        f"   median run time by page (ms): {pages}",
        f"   server CPU: {c['cpu']:.1f} s in all, {c['cpu'] / n:.2f} s per session",
        f"   server RSS: idle after warm-up {c['rss_idle']:,.0f} MB, with all "
        f"{c['sessions']} sessions open {c['rss_all_open']:,.0f} MB "
        f"({(c['rss_all_open'] - c['rss_idle']) / c['sessions']:,.1f} MB per session), "
        f"peak {c['mem']['VmHWM']:,.0f} MB (goal <= 1,536 MB)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="AppTest runs per change")
    parser.add_argument("--loads", type=int, default=3, help="warm browser loads per view")
    parser.add_argument(
        "--services",
        type=int,
        default=8000,
        help="synthetic service points for the AppTest run with services (0: none)",
    )
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions (0: skip)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of concurrent sessions")
    parser.add_argument("--no-browser", action="store_true", help="skip parts 3 and 4")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    _quiet()
    if not args.no_browser and not Path(CHROMIUM).exists():
        parser.error(f"Chromium not found at {CHROMIUM}; install it or pass --no-browser")

    started = time.perf_counter()
    print("load average at the start " + " / ".join(f"{x:.1f}" for x in os.getloadavg()))
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench_app_") as tmpdir:
        tmp = Path(tmpdir)
        apps = {OURS: ROOT / "app.py", BASELINE: _write_baseline(tmp)}
        print("AppTest: both scripts ...", flush=True)
        for name, res in apptest_flow(apps, args.repeat, args.services).items():
            results[name] = {"apptest": res}
        if not args.no_browser:
            print("Chromium: both servers (and the baseline with TCP_NODELAY) ...", flush=True)
            browser_apps = {**apps, BASELINE_NODELAY: _write_baseline(tmp, nodelay=True)}
            for name, res in browser_flow(
                browser_apps, args.loads, tmp, args.services, frozenset({BASELINE_NODELAY})
            ).items():
                results.setdefault(name, {})["browser"] = res
        if args.sessions:
            print(f"{args.sessions} concurrent sessions ...", flush=True)
            results["concurrency"] = concurrency_flow(apps[OURS], args.sessions, args.rounds, tmp)

    rows = _rows(results, args.services)
    print()
    print(_table(rows))
    print()
    print(f"AppTest runs per change: {args.repeat}; ratio > 1 means the baseline is slower/larger.")
    if args.services:
        print(
            f"1s/2s: the app with {args.services:,} SYNTHETIC service points in the session "
            "(all themes shown), against the same baseline numbers."
        )
    if "browser" in results[OURS]:
        print(
            f"Browser: median of {args.loads} warm loads (new context each) after one cold load;"
            " the changes are made on the loaded London page, one after the other."
        )
        for name in (OURS, BASELINE):
            res = results[name]["browser"]
            print(
                f"Leaflet polygons drawn, {name}: London {res['london'][-1]['polygons']:,}, "
                f"{BOROUGH_NAME} {res['borough'][-1]['polygons']:,}"
            )
        tuned = results.get(BASELINE_NODELAY, {}).get("browser")
        if tuned:
            ours = results[OURS]["browser"]
            parts = []
            for view, label in (("london", "London"), ("borough", BOROUGH_NAME)):
                o = _median_ms([r["paint"] for r in ours[view]])
                t = _median_ms([r["paint"] for r in tuned[view]])
                parts.append(f"{label} {o:,.0f} vs {t:,.0f} ms ({t / o:.2f}x)")
            print(
                f"First map paint (median), app (ours) vs {BASELINE_NODELAY} (the baseline "
                "with the app's one server setting, app_pages/server.py): " + "; ".join(parts)
            )
        every = results[OURS]["browser"].get("all_layers")
        if every:
            kept = [(r["circles"], r["indicator_circles"], r["deciles_circles"]) for r in every]
            print(
                "3a: the app's London page with every layer of its layer list switched on "
                "(a click each); circle markers drawn (on, after indicator, after deciles): "
                + "; ".join(f"{a:,} / {b:,} / {c:,}" for a, b, c in kept)
                + "; the baseline column repeats its plain London numbers."
            )
        svc = results[OURS]["browser"].get("services")
        if svc:
            print(
                f"3s: {svc['n']:,} SYNTHETIC services uploaded on the Service directory page, then "
                f"the London overview opened from the sidebar (same session) and its 'Your "
                f"services' layer switched on; circle markers drawn: {svc['points']:,} (after "
                f"the indicator change {svc.get('points_after', 0):,}); the baseline column "
                "repeats its London numbers."
            )
    if "concurrency" in results:
        print()
        print(_concurrency_report(results["concurrency"]))
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Total time {time.perf_counter() - started:.0f} s; load average at the end {load}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"rows": rows, "raw": results}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
