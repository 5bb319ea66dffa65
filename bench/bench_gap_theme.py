"""Changing the theme on the Gap finder: access from Output Areas (now) against the LSOA centre
(before issue 17, kept here only as the baseline), and ``python -m geo gaps``.

Three measurements, the baseline run in the same process (same data, same machine load):

1. **Computation** of one theme's London-wide gap table (bundled directory, 800 m, default
   settings), median of ``--repeat`` runs per theme: the baseline is the code the app ran
   before issue 17 (:func:`baseline_compute_gaps`: E2SFCA, services within reach and nearest
   service from each LSOA polygon's centroid, straight line x detour, by
   :mod:`geo.analysis.access`, and the gap table's per-row reasons as they were); now
   :func:`geo.analysis.gapview.compute_gaps` on the access model of the Output Areas (built
   once per process; its build time is printed too).
2. **Browser** (headless Chromium, Playwright): the Gap finder of all London open in the app;
   the theme is chosen in the sidebar's opened "Service theme" list and the time from that
   click until the gap map has repainted (all 4,994 neighbourhoods drawn anew, the probe of ``bench/bench_app.py``) is
   measured, for both servers in turn: the app as it is, and the app with the gap table
   computed by the baseline code (a copy of ``app.py`` in a temporary folder that patches
   ``gapview.compute_gaps`` first). Median of the changes.
3. **Command line**: wall time of ``python -m geo gaps`` (print the top 20) and ``python -m geo
   gaps --theme "Digital inclusion" --csv FILE``, median of ``--cli-runs``.

Run from the repository root: ``python bench/bench_gap_theme.py [--repeat 5] [--changes 6]
[--no-browser]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from geo.analysis import access, gap, provision, walkaccess  # noqa: E402
from geo.analysis import gapview as gv  # noqa: E402
from geo.data import io  # noqa: E402
from geo.data.directory import CATEGORIES, NO_OPEN_DATA  # noqa: E402
from geo.data.themes import THEMES  # noqa: E402

THEME_ORDER = ["Digital inclusion", "Health and wellbeing", "Employment support", "All themes"]
_SUPPLY: list = []


def _bundled_points() -> gpd.GeoDataFrame:
    if not _SUPPLY:
        directory = provision.bundled_directory(
            io.load_services(), io.load_parks(), categories=CATEGORIES, no_open_data=NO_OPEN_DATA
        )
        _SUPPLY.append(provision.access_supply(directory, io.load_park_edges()))
    return _SUPPLY[0]


# --------------------------------------------------------------------------------------------
# the baseline: the gap computation as it was before issue 17 (LSOA centroid, straight x detour)
# --------------------------------------------------------------------------------------------
def _baseline_gap_table(lsoas, need, acc, counts, nearest, catchment):
    """``geo.analysis.gap.gap_table`` as it was (one ``.loc`` per LSOA for the reasons)."""
    index = lsoas.index
    need, acc = need.reindex(index).astype(float), acc.reindex(index).astype(float)
    out = pd.DataFrame(index=index)
    for col in ("lsoa_name", "borough_name"):
        out[col] = lsoas[col]
    out["need"], out["access"], out["gap"] = need, acc, gap.gap_score(need, acc)
    ok = need.notna() & acc.notna()
    out["need_pct"] = gap._pct_rank(need[ok]).reindex(index)
    out["access_pct"] = gap._pct_rank(acc[ok]).reindex(index)
    for col in counts.columns:
        out[f"within_{col}"] = counts[col].astype("Int64")
    for col in nearest.columns:
        out[f"nearest_{col}_m"] = nearest[col].astype(float)
    phrases = gap._DOMAIN_PHRASES  # the baseline's own helpers, as they were
    deciles = lsoas[[f"{d}_decile" for d in phrases if f"{d}_decile" in lsoas.columns]]
    reasons = []
    for code in index:
        parts = [gap._deprivation_phrase(deciles.loc[code], out.at[code, "need_pct"])]
        if len(counts.columns):
            parts.append(gap._services_phrase(counts.loc[code], catchment))
        if "all" in nearest.columns:
            dist = nearest.at[code, "all"]
            parts.append(f"nearest service {gap.fmt_metres(dist)}")
        reasons.append("; ".join(parts))
    out["reason"] = reasons
    out = out.sort_values(["gap", "need"], ascending=[False, False], na_position="last")
    out.insert(0, "rank", pd.Series(np.arange(1, len(out) + 1), index=out.index, dtype="Int64"))
    out.index.name = "lsoa_code"
    return out


def baseline_compute_gaps(lsoas, model=None, params=None, homes=None):
    """The gap table from each LSOA's polygon centroid, straight line x ``params.detour`` (the
    computation before issue 17; ``model`` is ignored, the bundled points are used)."""
    services = _bundled_points()
    need = gv.compute_need(lsoas, params, homes)
    theme = params.theme
    supply = gv.in_theme(services, theme)
    acc = access.e2sfca(
        lsoas, supply, demand_col=params.demand, catchment=params.catchment,
        detour=params.detour, decay=params.decay, facility_col="facility",
    )  # fmt: skip
    within = access.services_within(
        lsoas, services, catchment=params.catchment, detour=params.detour, by="themes",
        themes=list(THEMES), facility_col="facility",
    )  # fmt: skip
    nearest = access.nearest_service(
        lsoas, services, detour=params.detour, by="themes", themes=list(THEMES)
    )
    if theme == gv.ALL_THEMES:
        cols = [*gv.themes_present(services), "all"]
        table = _baseline_gap_table(
            lsoas, need, acc, within[cols], nearest[["all"]], params.catchment
        )
    else:
        cols = [theme, "all"]
        table = _baseline_gap_table(lsoas, need, acc, within[cols], nearest[cols], params.catchment)
    classes = gap.bivariate_class(need, acc)
    table["borough_code"] = lsoas["borough_code"].reindex(table.index)
    table["bivariate_class"] = classes.reindex(table.index)
    table["class_label"] = table["bivariate_class"].map(gap.BIVARIATE_LABELS)
    table["demand"] = pd.to_numeric(lsoas[params.demand], errors="coerce").reindex(table.index)
    for col in ("ha_households", "ha_share"):
        table[col] = lsoas[col].reindex(table.index)
    return table


# --------------------------------------------------------------------------------------------
# 1. computation
# --------------------------------------------------------------------------------------------
def computation(repeat: int) -> dict:
    lsoas = io.load_lsoas("iod2025")
    _bundled_points()
    t = time.perf_counter()
    report = io.load_detour()
    streets = walkaccess.streets_context(
        io.load_walk_network(), io.load_boroughs("iod2025"), report
    )
    model = walkaccess.bundled_model(
        io.load_oas(), _bundled_points(), streets, io.load_oa_place_network(),
        detour=streets.detour,
    )  # fmt: skip
    model.prepared("iod2025", lsoas.index)
    build_s = time.perf_counter() - t
    rows = []
    for theme in THEME_ORDER:
        params = gv.GapParams(theme=theme, detour=streets.detour)
        old, new = [], []
        for _ in range(repeat):  # taking turns
            t = time.perf_counter()
            baseline_compute_gaps(lsoas, None, params)
            old.append(time.perf_counter() - t)
            t = time.perf_counter()
            gv.compute_gaps(lsoas, model, params)
            new.append(time.perf_counter() - t)
        rows.append((theme, statistics.median(old), statistics.median(new)))
    print(f"\n1. Computation of one theme's gap table (median of {repeat}; seconds)")
    print(f"   access model of the Output Areas, once per process: {build_s:.2f} s")
    print(
        f"   {'theme':24s} {'baseline (LSOA centre)':>22s} {'now (Output Areas)':>19s} {'ratio':>6s}"
    )
    for theme, o, n in rows:
        print(f"   {theme:24s} {o:22.3f} {n:19.3f} {o / n:6.1f}x")
    return {"model_build_s": build_s, "themes": rows}


# --------------------------------------------------------------------------------------------
# 2. browser: theme change until the gap map has repainted
# --------------------------------------------------------------------------------------------
BASELINE_HEADER = """# bench/bench_gap_theme.py: the app with the gap table computed as before issue 17
import sys as _sys

_sys.path[:0] = [{root!r}, {bench!r}]
import bench_gap_theme as _bench  # noqa: E402

import geo.analysis.gapview as _gv  # noqa: E402

_gv.compute_gaps = _bench.baseline_compute_gaps
"""


def _baseline_script(tmp: Path) -> Path:
    folder = tmp / "baseline"
    folder.mkdir()
    for name in ("app_pages", "static"):
        (folder / name).symlink_to(ROOT / name)
    text = BASELINE_HEADER.format(root=str(ROOT), bench=str(ROOT / "bench"))
    body = (ROOT / "app.py").read_text().replace("from __future__ import annotations\n", "")
    (folder / "app.py").write_text(text + body)
    return folder / "app.py"


def _open_theme_list(page, theme: str):
    """Open the sidebar's theme list (not timed); returns the click that chooses ``theme``."""
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").filter(has_text="Service theme").click()
    option = page.get_by_role("option", name=theme, exact=True)
    option.wait_for()
    return option.click


def _theme_changes(browser, url: str, changes: int, timeout: float = 240) -> list[float]:
    import bench_app as ba

    context = browser.new_context(viewport={"width": 1500, "height": 1300})
    try:
        context.add_init_script(ba.PAINT_PROBE.replace("__EXPECT__", "4994"))
        page = context.new_page()
        sock = ba._Socket(page)
        page.goto(f"{url}/gaps", wait_until="commit")
        ba._poll(page, "window.__spmPaint || null", time.time() + timeout)
        sock.wait_idle(page, quiet=1.5)
        out = []
        for k in range(changes):
            theme = THEME_ORDER[k % len(THEME_ORDER)]
            for frame in page.frames:
                try:
                    frame.evaluate("window.__spmArm && window.__spmArm(4994)")
                except Exception:  # noqa: S112 (a frame navigating or detached)
                    continue
            choose = _open_theme_list(page, theme)
            t0 = page.evaluate("performance.timeOrigin + performance.now()")
            choose()
            hit = ba._poll(page, "window.__spmRepaint || null", time.time() + timeout)
            out.append((hit["t"] - t0) / 1000)
            sock.wait_idle(page, quiet=1.0)
        return out
    finally:
        context.close()


def browser(changes: int) -> dict:
    import bench_app as ba
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        servers = {
            "now": ba.Server(ROOT / "app.py", tmp / "now.log"),
            "baseline": ba.Server(_baseline_script(tmp), tmp / "baseline.log"),
        }
        try:
            for s in servers.values():
                s.wait_ready()
            with sync_playwright() as p:
                chromium = p.chromium.launch(
                    executable_path=ba.CHROMIUM, args=ba.CHROMIUM_ARGS, headless=True
                )
                results = {name: [] for name in servers}
                for _ in range(2):  # two rounds, servers taking turns
                    for name, s in servers.items():
                        results[name] += _theme_changes(chromium, s.url, changes // 2)
                chromium.close()
        finally:
            for s in servers.values():
                s.stop()
    old, new = statistics.median(results["baseline"]), statistics.median(results["now"])
    print("\n2. Theme change on the Gap finder (all London) until the gap map has repainted")
    print(
        f"   baseline (LSOA centre): median {old:.2f} s  {[round(v, 2) for v in results['baseline']]}"
    )
    print(f"   now (Output Areas):     median {new:.2f} s  {[round(v, 2) for v in results['now']]}")
    print(f"   ratio {old / new:.1f}x")
    return results


# --------------------------------------------------------------------------------------------
# 3. the command line
# --------------------------------------------------------------------------------------------
def command_line(runs: int) -> dict:
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "python -m geo gaps": [sys.executable, "-m", "geo", "gaps"],
            'python -m geo gaps --theme "Digital inclusion" --csv FILE': [
                sys.executable, "-m", "geo", "gaps", "--theme", "Digital inclusion", "--csv",
                str(Path(tmp) / "gaps.csv"),
            ],
        }  # fmt: skip
        print(f"\n3. Command line, wall time (median of {runs})")
        for label, cmd in commands.items():
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
                times.append(time.perf_counter() - t)
            out[label] = times
            print(f"   {label:60s} {statistics.median(times):.2f} s")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--changes", type=int, default=8)
    parser.add_argument("--cli-runs", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    computation(args.repeat)
    if not args.no_browser:
        browser(args.changes)
    command_line(args.cli_runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
