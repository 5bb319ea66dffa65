"""Place N pilot sites where they reach the most people of a target group (exact MCLP).

``python -m geo plan --theme THEME --sites CATEGORY[,CATEGORY...] --count N [--catchment
METRES] [--detour FACTOR] [--distance streets|straight] [--reach residents|deprived10|
deprived20|age65|disabled|ha] [--borough CODE[,CODE...] | --icb CODE] [--ptal-max2]
[--time-limit SECONDS] [--count-served] [--csv PATH]`` on the bundled data (no uploads):
people already within reach of a place of THEME count as served unless ``--count-served``.
``--sites`` takes the category keys of ``geo.data.directory.CATEGORIES`` and ``oa`` (every
Output Area centre). The plan is :func:`geo.analysis.planner.plan`, the function behind the
Pilot planner page, on the bundled directory's access model; :func:`plan_data` loads it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from geo.analysis import planinputs, planner, walkaccess
from geo.analysis.selection import icb_boroughs
from geo.cli import options
from geo.cli.bundled import bundled_access
from geo.data import io
from geo.data.directory import CATEGORIES

__all__ = ["add_arguments", "plan_data", "run", "run_plan"]


def _sites(value: str) -> tuple[str, ...]:
    known = [*CATEGORIES, planinputs.OA_SITES]
    keys = tuple(dict.fromkeys(k.strip() for k in value.split(",") if k.strip()))
    bad = [k for k in keys if k not in known]
    if bad or not keys:
        raise argparse.ArgumentTypeError(
            f"unknown candidate sites {', '.join(bad) or value!r}; use one or more of: "
            + ", ".join(known)
            + f" (comma-separated; {planinputs.OA_SITES} = every Output Area centre)"
        )
    return keys


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= planner.MAX_SITES:
        raise argparse.ArgumentTypeError(
            f"the number of sites must be a whole number from 1 to {planner.MAX_SITES}"
        )
    return number


def _seconds(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError("the time limit must be more than 0 seconds")
    return number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    parser.add_argument(
        "--theme",
        type=options.theme_chooser(planinputs.PLAN_THEMES),
        required=True,
        help='the theme the pilots provide, as the sidebar shows it, e.g. "Digital inclusion"; '
        f'or "{planinputs.LINK_WORKER_THEME}" (no place provides it: nobody counts as served)',
    )
    parser.add_argument(
        "--sites",
        type=_sites,
        required=True,
        metavar="CATEGORY[,CATEGORY...]",
        help="candidate sites: category keys (" + ", ".join(CATEGORIES) + ") and/or "
        f"{planinputs.OA_SITES} (every Output Area centre)",
    )
    parser.add_argument("--count", type=_count, required=True, metavar="N", help="sites, 1-50")
    options.add_walking_arguments(parser)
    parser.add_argument(
        "--reach",
        choices=list(planinputs.REACH),
        default="residents",
        help="whom to reach (default residents): "
        # argparse formats help with %: "10%" must be "10%%"
        + "; ".join(f"{k}: {v}" for k, v in planinputs.REACH_SHORT.items()).replace("%", "%%"),
    )
    area = parser.add_mutually_exclusive_group()
    area.add_argument(
        "--borough", metavar="CODE[,CODE...]", help="plan within these boroughs (E09...)"
    )
    area.add_argument("--icb", metavar="CODE", help="plan within an ICB's boroughs (e.g. QMF)")
    parser.add_argument(
        "--ptal-max2",
        action="store_true",
        help="only people in neighbourhoods with PTAL 2 or lower (TfL PTAL 2015) count",
    )
    parser.add_argument(
        "--count-served",
        action="store_true",
        help="count people already within reach of a place of THEME too (default: they are "
        "served and not counted)",
    )
    parser.add_argument(
        "--time-limit",
        type=_seconds,
        default=10.0,
        metavar="SECONDS",
        help="solver time limit (default 10, as the page); when hit, the best plan is written "
        "with the gap to the proved bound",
    )
    parser.add_argument("--csv", type=Path, metavar="PATH", help="write the chosen sites here")


def plan_data(
    *,
    sites: tuple[str, ...],
    detour: float | None = None,
    distance: str = "streets",
    data_dir: Path | None = None,
) -> tuple[planner.PlanData, float]:
    """The bundled data for :func:`geo.analysis.planner.plan` and the detour used.

    The Output Area centres are measured as places only when ``sites`` asks for them.
    """
    data = bundled_access(detour, distance, data_dir)
    oas, detour, streets = data.oas, data.detour, data.streets
    oa_model = None
    if planinputs.OA_SITES in sites:
        oa_model = walkaccess.upload_model(
            oas, planinputs.oa_centres(oas), streets, detour=detour, distance=distance
        )
    lsoas = io.load_lsoas("iod2025", data_dir=data_dir)
    return planner.PlanData(oas, lsoas, data.model, data.directory, oa_model), detour


def run_plan(args: argparse.Namespace, boroughs: tuple[str, ...]) -> planner.Plan:
    """The plan the arguments ask for (bundled data)."""
    data, detour = plan_data(sites=args.sites, detour=args.detour, distance=args.distance)
    params = planner.PlanParams(
        theme=args.theme,
        sites=args.sites,
        count=args.count,
        catchment=args.catchment,
        reach=args.reach,
        already_served=not args.count_served,
        boroughs=boroughs,
        ptal_max2=args.ptal_max2,
        detour=detour,
        distance=args.distance,
        time_limit=args.time_limit,
    )
    return planner.plan(data, params)


def _area(args: argparse.Namespace) -> tuple[str, ...]:
    """The planning area's borough codes (ValueError with what to fix)."""
    known = set(io.load_boroughs("iod2025").index)
    if args.icb:
        icbs = icb_boroughs(io.load_icbs())
        if args.icb not in icbs:
            raise ValueError(f"--icb {args.icb}: not a London ICB; one of {', '.join(icbs)}")
        return tuple(icbs[args.icb])
    if args.borough:
        codes = tuple(dict.fromkeys(c.strip() for c in args.borough.split(",") if c.strip()))
        bad = [c for c in codes if c not in known]
        if bad:
            raise ValueError(
                f"--borough {', '.join(bad)}: not a London borough code (E09000001 to E09000033)"
            )
        return codes
    return ()


def run(args: argparse.Namespace) -> int:
    """Solve, print the objective and the proof, write the CSV or print the sites."""
    t0 = time.perf_counter()
    try:
        boroughs = _area(args)
        result = run_plan(args, boroughs)
    except (ValueError, io.DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    r, p, f = result.result, result.params, result.figures
    who = planinputs.REACH_SHORT[p.reach]
    where = (
        f"on the street network where it covers both ends, else straight line x {p.detour:.3f}"
        if p.distance == "streets"
        else f"straight line x {p.detour:.3f} everywhere"
    )
    print(
        f"{p.theme}; {len(result.candidates):,} candidate sites ({', '.join(p.sites)}); "
        f"{p.count} sites; catchment {p.catchment:,.0f} m walking {where}; reach: {who}; "
        f"area: {', '.join(boroughs) if boroughs else 'London'}"
        + ("; PTAL 2 or lower only" if p.ptal_max2 else ""),
        file=sys.stderr,
    )
    if p.theme in planinputs.THEME_NOTES:
        print(planinputs.THEME_NOTES[p.theme], file=sys.stderr)
    elif p.already_served and not f["served_places"]:
        print(
            f"no place of {p.theme} in the bundled data: nobody counts as served", file=sys.stderr
        )
    print(
        f"target group in the area {f['target_total']:,.0f}; already served "
        f"{f['served_total']:,.0f}; not yet served {f['open_total']:,.0f}, of whom within reach "
        f"of a candidate {f['reachable']:,.0f}"
    )
    print(f"objective (newly reached {who}): {r.objective:,.0f} with {len(r.sites)} sites")
    if not f["reachable"]:
        print(
            "no candidate site reaches anyone not yet served: everyone within reach of these "
            "candidates already has a place of the theme"
        )
    print(
        f"proved optimal: {'yes' if r.proved_optimal else 'no'}; bound {r.bound:,.0f}; gap "
        f"{100 * r.gap:.3f}%; solver {r.seconds:.2f} s"
        + ("" if r.proved_optimal else " (not proved optimal within the time limit)")
    )
    for row in result.comparison.itertuples(index=False):
        sites = f"{row[1]} site" + ("" if row[1] == 1 else "s")
        print(f"  {row[0]}: {row[2]:,.0f} with {sites} ({100 * row[4]:.1f}% of the plan)")
    print(f"{time.perf_counter() - t0:.1f} s in all", file=sys.stderr)
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        result.sites.to_csv(args.csv, index=False)
        print(f"wrote {args.csv}", file=sys.stderr)
        return 0
    for row in result.sites.itertuples(index=False):
        print(
            f"{row.number:>3}  {row.newly_reached:>9,.0f} {row.cumulative:>10,.0f}  "
            f"{str(row.name)[:40]:<40} {row.category:<17} {row.borough_name}"
        )
    return 0
