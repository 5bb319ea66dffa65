"""Benchmark geo.analysis.access against PySAL ``access`` on London-sized inputs.

Run from the repository root::

    python bench/bench_access.py

Demand: the 4,994 LSOA 2021 centroids with their populations (``geo.data.io.load_lsoas("iod2025")``)
when the processed data exists, otherwise 4,994 SYNTHETIC points (a note is printed).
Supply: SYNTHETIC service points, seeded, uniformly inside London's bounding box in
EPSG:27700, with four synthetic themes. Nothing is written; a table is printed.

PySAL ``access`` needs a precomputed cost table; a dense one (demand x services rows) would not
fit in memory at these sizes, so it is given the sparse table of pairs within the catchment,
built with a k-d tree before timing (that build time is reported separately, not counted).
"""

from __future__ import annotations

import gc
import resource
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# London's extent in EPSG:27700 (min x, min y, max x, max y), from the LSOA 2021 boundaries.
LONDON_BBOX = (503_574.0, 155_850.0, 561_957.0, 200_934.0)
N_DEMAND = 4_994
SIZES = (1_000, 10_000, 100_000)
CATCHMENT = 800.0
DETOUR = 1.3
THEMES = np.array(["health", "employment", "money", "social"])
MAX_PYSAL_PAIRS = 3_000_000  # beyond this PySAL's pandas merges would take minutes / GiBs


def load_demand():
    """Real LSOA centroids if the processed layer exists, else synthetic points."""
    import geopandas as gpd

    try:
        from geo.data.io import load_lsoas

        lsoas = load_lsoas("iod2025")
        demand = gpd.GeoDataFrame(
            {"population": lsoas["population"].to_numpy(dtype=float)},
            geometry=lsoas.geometry.centroid.to_numpy(),
            index=lsoas.index,
            crs=lsoas.crs,
        )
        return (
            demand,
            f"{len(demand):,} real LSOA 2021 centroids (geo.data.io.load_lsoas('iod2025'))",
        )
    except Exception as exc:  # any failure (no file, no module yet) -> synthetic data
        rng = np.random.default_rng(42)
        x0, y0, x1, y1 = LONDON_BBOX
        demand = gpd.GeoDataFrame(
            {"population": rng.integers(1_000, 3_000, N_DEMAND).astype(float)},
            geometry=gpd.points_from_xy(
                rng.uniform(x0, x1, N_DEMAND), rng.uniform(y0, y1, N_DEMAND)
            ),
            crs=27700,
        )
        note = f"{N_DEMAND:,} SYNTHETIC demand points (LSOA data not loaded: {exc!r:.80})"
        return demand, note


def synthetic_services(n: int, seed: int):
    """``n`` SYNTHETIC services, uniform in London's bounding box, with random themes."""
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = LONDON_BBOX
    return gpd.GeoDataFrame(
        {"theme": rng.choice(THEMES, n)},
        geometry=gpd.points_from_xy(rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)),
        crs=27700,
    )


def best_time(fn: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    """Fastest wall time of ``repeat`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_mib(fn: Callable[[], object]) -> float:
    """Peak Python/numpy heap (tracemalloc) during one run, MiB."""
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def pysal_cost_table(demand, supply, catchment: float, detour: float):
    """Sparse PySAL cost table: (origin, dest, cost) for the pairs within the catchment."""
    import pandas as pd
    from scipy.spatial import cKDTree

    dxy = np.column_stack([demand.geometry.x, demand.geometry.y])
    sxy = np.column_stack([supply.geometry.x, supply.geometry.y])
    sdm = cKDTree(dxy).sparse_distance_matrix(
        cKDTree(sxy), catchment / detour * (1 + 1e-12), output_type="ndarray"
    )
    return pd.DataFrame({"origin": sdm["i"], "dest": sdm["j"], "cost": sdm["v"] * detour})


def pysal_e2sfca(demand, supply, cost_df, catchment: float) -> np.ndarray:
    """E2SFCA (step decay) with PySAL access on the given cost table."""
    import pandas as pd
    from access import Access, weights

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = Access(
            demand_df=pd.DataFrame(
                {"geoid": np.arange(len(demand)), "pop": demand["population"].to_numpy()}
            ),
            demand_index="geoid",
            demand_value="pop",
            supply_df=pd.DataFrame({"geoid": np.arange(len(supply)), "cap": 1.0}),
            supply_index="geoid",
            supply_value="cap",
            cost_df=cost_df,
            cost_origin="origin",
            cost_dest="dest",
            cost_name="cost",
        )
        out = model.enhanced_two_stage_fca(
            name="e2", max_cost=catchment, weight_fn=weights.step_fn({catchment: 1})
        )
    return out["e2_cap"].reindex(np.arange(len(demand))).fillna(0.0).to_numpy()


def main() -> None:
    import logging

    from geo.analysis.access import e2sfca, nearest_service, services_within

    logging.getLogger("access").setLevel(logging.WARNING)
    demand, note = load_demand()
    print(f"demand: {note}")
    print(
        "supply: SYNTHETIC services, seeded, uniform in London's bounding box (EPSG:27700), "
        f"4 themes; detour {DETOUR}; step decay; times = best of 3 runs"
    )
    runs = [(n, CATCHMENT) for n in SIZES] + [(SIZES[-1], 1_600.0)]
    header = (
        f"{'services':>9} {'catch m':>7} {'pairs':>9} | {'e2sfca s':>8} {'within s':>8} "
        f"{'nearest s':>9} {'peak MiB':>8} | {'pysal s':>8} {'ratio':>7} {'max|diff|':>9} "
        f"{'(cost tbl s)':>12}"
    )
    print(header)
    print("-" * len(header))
    notes = []
    for n, catchment in runs:
        supply = synthetic_services(n, seed=n)
        t_e2, ours = best_time(lambda s=supply, c=catchment: e2sfca(demand, s, catchment=c))
        t_in, counts = best_time(
            lambda s=supply, c=catchment: services_within(demand, s, catchment=c, by="theme")
        )
        t_nn, _ = best_time(lambda s=supply: nearest_service(demand, s, by="theme"))
        mem = max(
            peak_mib(lambda s=supply, c=catchment: e2sfca(demand, s, catchment=c)),
            peak_mib(
                lambda s=supply, c=catchment: services_within(demand, s, catchment=c, by="theme")
            ),
            peak_mib(lambda s=supply: nearest_service(demand, s, by="theme")),
        )
        pairs = int(counts["all"].sum())
        if pairs > MAX_PYSAL_PAIRS:
            pysal_txt = f"{'skipped':>8} {'':>7} {'':>9} {'':>12}"
            notes.append(f"PySAL skipped at {n:,} services / {catchment:.0f} m ({pairs:,} pairs)")
        else:
            t_cost, cost_df = best_time(
                lambda s=supply, c=catchment: pysal_cost_table(demand, s, c, DETOUR), repeat=1
            )
            t_py, theirs = best_time(
                lambda s=supply, c=catchment, cd=cost_df: pysal_e2sfca(demand, s, cd, c),
                repeat=1 if n >= 100_000 else 3,
            )
            diff = float(np.max(np.abs(ours.to_numpy() - theirs)))
            pysal_txt = f"{t_py:8.3f} {t_py / t_e2:6.1f}x {diff:9.1e} {t_cost:12.3f}"
        print(
            f"{n:>9,} {catchment:>7.0f} {pairs:>9,} | {t_e2:8.3f} {t_in:8.3f} {t_nn:9.3f} "
            f"{mem:8.1f} | {pysal_txt}"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(
        "ratio = PySAL e2sfca time / geo.analysis.access e2sfca time (PySAL is given the sparse cost "
        "table; building it is the last column, not counted)."
    )
    print(
        "peak MiB = tracemalloc peak of the largest of the three geo.analysis.access calls (numpy "
        "arrays; the k-d trees' C++ nodes are not traced)."
    )
    print(f"process max RSS over the whole run (incl. PySAL): {rss:,.0f} MiB")
    for line in notes:
        print(line)


if __name__ == "__main__":
    main()
