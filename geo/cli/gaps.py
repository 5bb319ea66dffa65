"""Write the London-wide gap table (one row per LSOA), as the Gap finder computes it.

``python -m geo gaps [--theme THEME] [--vintage iod2025|iod2019] [--catchment METRES]
[--detour FACTOR] [--distance streets|straight] [--borough CODE] [--csv PATH]``: the bundled
data only (no uploads), need weights and decay at the Gap finder's defaults. The table is
:func:`geo.analysis.gapview.compute_gaps` (the function behind the page's table) on the bundled
directory's access model (:func:`geo.analysis.walkaccess.bundled_model`); :func:`export_columns`
picks its columns. Without ``--csv`` the top 20 rows are printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from geo.analysis import gapview as gv
from geo.analysis import provision, walkaccess
from geo.cli import options
from geo.cli.bundled import bundled_access
from geo.data import io
from geo.data.directory import NO_OPEN_DATA
from geo.data.indicators import VINTAGES

__all__ = ["COLUMNS", "add_arguments", "export_columns", "gap_table", "run"]

#: Columns written, in order.
COLUMNS = [
    "lsoa_code",
    "lsoa_name",
    "borough_code",
    "borough_name",
    "need",
    "need_pct",
    "access",
    "access_pct",
    "gap",
    "rank",
    "reach_share",
    "nearest_m",
    "within",
    "reason",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    parser.add_argument(
        "--theme",
        type=options.theme_chooser(list(dict.fromkeys([gv.ALL_THEMES, *provision.SERVICE_THEMES]))),
        default=gv.ALL_THEMES,
        help='a theme as the sidebar shows it, e.g. "Digital inclusion" (default: All themes)',
    )
    parser.add_argument("--vintage", choices=list(VINTAGES), default="iod2025")
    options.add_walking_arguments(parser)
    parser.add_argument(
        "--borough",
        metavar="CODE",
        help="only the rows of this borough (E09...; ranks stay London's)",
    )
    parser.add_argument("--csv", type=Path, metavar="PATH", help="write the table here (CSV)")


def export_columns(table: pd.DataFrame, theme: str) -> pd.DataFrame:
    """The gap table's columns for the command line (:data:`COLUMNS`), London order kept.

    ``within`` is the places within reach of the average resident of the theme (all themes:
    any place).
    """
    key = f"within_{theme}" if f"within_{theme}" in table.columns else "within_all"
    out = table.assign(within=table[key]).reset_index()
    out["rank"] = out["rank"].astype("Int64")
    return out[COLUMNS]


def gap_table(
    *,
    theme: str = gv.ALL_THEMES,
    vintage: str = "iod2025",
    catchment: float = 800.0,
    detour: float | None = None,
    distance: str = "streets",
    data_dir: Path | None = None,
) -> tuple[pd.DataFrame, gv.GapParams, walkaccess.AccessModel]:
    """The London-wide gap table on the bundled data, with the Gap finder's defaults otherwise.

    Returns
    -------
    tuple
        :func:`geo.analysis.gapview.compute_gaps` output, the parameters used and the model.
    """
    data = bundled_access(detour, distance, data_dir)
    detour, model = data.detour, data.model
    params = gv.GapParams(
        vintage=vintage, theme=theme, catchment=float(catchment), detour=detour, distance=distance
    )
    table = gv.compute_gaps(io.load_lsoas(vintage, data_dir=data_dir), model, params)
    return table, params, model


def run(args: argparse.Namespace) -> int:
    """Compute, then write the CSV or print the top 20; 2 with a message for bad input."""
    t0 = time.perf_counter()
    if args.theme in NO_OPEN_DATA:
        print(
            f"error: {args.theme}: {provision.NO_DATA_TEXT}. {NO_OPEN_DATA[args.theme]} Access "
            "to it is not known, so there is no gap table for it.",
            file=sys.stderr,
        )
        return 2
    try:
        table, params, model = gap_table(
            theme=args.theme,
            vintage=args.vintage,
            catchment=args.catchment,
            detour=args.detour,
            distance=args.distance,
        )
    except io.DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = export_columns(table, args.theme)
    if args.borough:
        known = set(table["borough_code"])
        if args.borough not in known:
            print(
                f"error: --borough {args.borough}: not a London borough code of {args.vintage} "
                f"(E09000001 to E09000033)",
                file=sys.stderr,
            )
            return 2
        out = out[out["borough_code"] == args.borough]
    where = (
        f"on the street network where it covers both ends, else straight line x {params.detour:.3f}"
        if params.distance == "streets"
        else f"straight line x {params.detour:.3f} everywhere"
    )
    print(
        f"{params.theme}, {VINTAGES[params.vintage]['label']}, catchment "
        f"{params.catchment:,.0f} m, walking {where} ({model.network_share:.1%} of OA-place "
        f"pairs on the network); {len(out):,} rows in {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        out.to_csv(args.csv, index=False)
        print(f"wrote {args.csv}", file=sys.stderr)
        return 0
    print(
        f"{'rank':>5}  {'lsoa_code':<9}  {'lsoa_name':<30} {'need':>5} {'gap':>6} "
        f"{'reach_share':>11} {'nearest_m':>9} {'within':>6}"
    )
    for row in out.head(20).itertuples(index=False):
        print(
            f"{row.rank!s:>5}  {row.lsoa_code:<9}  {row.lsoa_name[:30]:<30} {row.need:5.2f} "
            f"{row.gap:6.3f} {row.reach_share:11.3f} {row.nearest_m:9,.0f} {row.within:6.1f}\n"
            f"       {row.reason}"
        )
    return 0
