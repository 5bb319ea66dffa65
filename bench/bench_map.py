"""Page size and build time of our maps against the naive ``GeoDataFrame.explore()``.

Two views, each rendered to a full HTML page with ``m.get_root().render()``:

* London overview: all IoD2025 LSOAs coloured by IMD decile;
* one borough (default Tower Hamlets, E09000030): its LSOAs.

"ours" is :mod:`geo.web.maps` on the web layer (``load_lsoas(v, web=True)``: coverage-simplified,
EPSG:4326, rounded coordinates): the choropleth with its legend, the borough outlines and
labels, and the layer control, as the app shows them. "ours (choropleth only)" leaves the
boroughs out. "explore" is ``GeoDataFrame.explore(column=..., tooltip=[same fields])`` on the
full-resolution analysis layer (``load_lsoas(v)``, EPSG:27700) reprojected to EPSG:4326.

Needs the processed data (``data/web/*.parquet``) and matplotlib (for ``explore``).
Run ``python -m bench.bench_map`` or ``python bench/bench_map.py`` from the repository root.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import folium  # noqa: E402
import geopandas as gpd  # noqa: E402

from geo.data.io import load_boroughs, load_lsoas  # noqa: E402

COLUMN = "imd_decile"
LABEL = "IMD 2025: decile in England"
TOOLTIP = {
    "lsoa_name": "LSOA",
    "borough_name": "Borough",
    "imd_decile": "Decile (1 = most deprived 10% in England)",
    "imd_rank": "Rank in England (1 = most deprived)",
    "imd_score": "Score (higher = more deprived)",
}


def _time(build: Callable[[], folium.Map], repeat: int) -> tuple[float, float, int]:
    """Best build time, best render time (s) and page size (bytes) over ``repeat`` runs."""
    builds, renders, size = [], [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        m = build()
        t1 = time.perf_counter()
        page = m.get_root().render()
        t2 = time.perf_counter()
        builds.append(t1 - t0)
        renders.append(t2 - t1)
        size = len(page.encode("utf-8"))
    return min(builds), min(renders), size


def _ours(
    web: gpd.GeoDataFrame, boroughs: gpd.GeoDataFrame | None, highlight: list[str] | None
) -> Callable[[], folium.Map]:
    def build() -> folium.Map:
        m = web.base_map(web.total_bounds)
        web.add_choropleth(m, web, COLUMN, label=LABEL, tooltip_fields=TOOLTIP)
        if boroughs is not None:
            web.add_boroughs(m, boroughs, highlight=highlight)
        return web.finish(m)

    return build


def _explore(full: gpd.GeoDataFrame) -> Callable[[], folium.Map]:
    def build() -> folium.Map:
        # the naive approach: reproject the analysis layer and call explore()
        gdf = full.to_crs(4326)
        return gdf.explore(column=COLUMN, tooltip=list(TOOLTIP), cmap="PRGn", legend=True)

    return build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vintage", default="iod2025")
    parser.add_argument("--borough", default="E09000030", help="borough code for the 2nd view")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best kept)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    warnings.filterwarnings("ignore", category=UserWarning)  # tile key notices etc.
    web = load_lsoas(args.vintage, web=True)
    full = load_lsoas(args.vintage)
    boroughs = load_boroughs(args.vintage, web=True)
    one_web = web[web["borough_code"] == args.borough]
    one_full = full[full["borough_code"] == args.borough]
    if one_web.empty:
        parser.error(f"no LSOAs in borough {args.borough}")
    borough_name = str(one_web["borough_name"].iloc[0])

    views = {
        f"London ({len(web):,} LSOAs)": (web, full, None),
        f"{borough_name} ({len(one_web):,} LSOAs)": (one_web, one_full, [args.borough]),
    }
    results = []
    print(f"{'view':<28} {'map':<34} {'KB':>9} {'build s':>8} {'render s':>9} {'total s':>8}")
    for view, (w, f, hl) in views.items():
        rows = {
            "ours": _time(_ours(w, boroughs, hl), args.repeat),
            "ours (choropleth only)": _time(_ours(w, None, None), args.repeat),
            "explore (full res.)": _time(_explore(f), args.repeat),
        }
        for name, (b, r, size) in rows.items():
            print(f"{view:<28} {name:<34} {size / 1024:>9,.0f} {b:>8.2f} {r:>9.2f} {b + r:>8.2f}")
            results.append({"view": view, "map": name, "bytes": size, "build_s": b, "render_s": r})
        eb, er, esize = rows["explore (full res.)"]
        for ours in ("ours", "ours (choropleth only)"):
            ob, orr, osize = rows[ours]
            print(
                f"{view:<28} {'explore / ' + ours:<34} {esize / osize:>8.1f}x"
                f" {eb / ob:>7.1f}x {er / orr:>8.1f}x {(eb + er) / (ob + orr):>7.1f}x"
            )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
