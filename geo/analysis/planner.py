"""The pilot planner: where N new sites reach the most people of a target group, proved optimal.

The glue the Pilot planner page and ``python -m geo plan`` share (same function, same numbers):
:func:`plan` takes the loaded data (:class:`PlanData`) and the user's choices
(:class:`PlanParams`), builds the demand weights, the "already served" mask and the coverage
matrix from the gap finder's distance tables (:mod:`geo.analysis.planinputs`), solves the
maximal covering location problem exactly (:func:`geo.analysis.mclp.solve_mclp`) and compares
the answer with the greedy choice and with the gap finder's top-N neighbourhoods
(:func:`gap_comparison`).

Pure functions, no streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from geo.analysis import gapview as gv
from geo.analysis.mclp import MCLPResult, greedy, reach_curve, solve_mclp
from geo.analysis.oa_table import MAX_CATCHMENT
from geo.analysis.planinputs import (
    LINK_WORKER_THEME,
    PLAN_THEMES,
    REACH,
    CandidateSet,
    candidate_set,
    coverage,
    demand_in_area,
    reach_weights,
    served,
)
from geo.analysis.walkaccess import DISTANCES, AccessModel
from geo.data.ptal import at_most

__all__ = [
    "CURVE_MAX",
    "MAX_SITES",
    "Plan",
    "PlanData",
    "PlanParams",
    "SITE_COLUMNS",
    "gap_comparison",
    "lsoa_summary",
    "newly_reached_by",
    "plan",
    "proof_text",
]

#: Largest number of sites (the page's slider and the command line).
MAX_SITES = 50
#: The greedy reach curve runs to this many sites.
CURVE_MAX = 50
#: The exact reach curve (one solve per k) is drawn when the plan itself was proved within
#: this many seconds; it then gets at most ``CURVE_BUDGET`` seconds in all.
CURVE_IF_UNDER = 1.5
CURVE_BUDGET = 4.0

#: Columns of the chosen-sites table (the command line's CSV), in order.
SITE_COLUMNS = [
    "number",
    "site_id",
    "name",
    "category",
    "category_label",
    "lon",
    "lat",
    "lsoa_code",
    "borough_code",
    "borough_name",
    "newly_reached",
    "cumulative",
    "share",
]


@dataclass(frozen=True)
class PlanParams:
    """The user's choices (hashable: a cache key).

    Attributes
    ----------
    theme : str
        The theme the pilots provide (:data:`geo.analysis.planinputs.PLAN_THEMES`).
    sites : tuple of str
        Candidate kinds: directory category keys, ``"upload"``, ``"oa"``.
    count : int
        Number of sites, 1 to :data:`MAX_SITES` (at most: fewer when more add no one).
    catchment : float
        Walking catchment in metres (up to 1,600).
    reach : str
        Whom to reach (:data:`geo.analysis.planinputs.REACH`).
    already_served : bool
        People with a place of the theme within the catchment count as reached already.
    boroughs : tuple of str
        The planning area (empty: London).
    ptal_max2 : bool
        Only people in neighbourhoods with PTAL 2 or lower count.
    detour : float
        Walking / straight-line factor where the street network does not reach.
    distance : str
        ``"streets"`` or ``"straight"`` (:data:`geo.analysis.walkaccess.DISTANCES`).
    time_limit : float
        Seconds for the solver (the whole solve).
    """

    theme: str = "Digital inclusion"
    sites: tuple[str, ...] = ("community_centre", "library")
    count: int = 10
    catchment: float = 800.0
    reach: str = "residents"
    already_served: bool = True
    boroughs: tuple[str, ...] = ()
    ptal_max2: bool = False
    detour: float = 1.5
    distance: str = "streets"
    time_limit: float = 10.0

    def check(self) -> None:
        """Raise a ValueError saying what to fix."""
        if self.theme not in PLAN_THEMES:
            raise ValueError(
                f"unknown theme {self.theme!r}; choose one of: " + "; ".join(PLAN_THEMES)
            )
        if not self.sites:
            raise ValueError("choose at least one kind of candidate site")
        if isinstance(self.count, bool) or int(self.count) != self.count:
            raise ValueError(f"the number of sites must be a whole number, got {self.count!r}")
        if not 1 <= self.count <= MAX_SITES:
            raise ValueError(f"the number of sites must be 1 to {MAX_SITES}, got {self.count}")
        if not 0 < self.catchment <= MAX_CATCHMENT:
            raise ValueError(f"the catchment must be more than 0 and at most {MAX_CATCHMENT:g} m")
        if self.reach not in REACH:
            raise ValueError(f"reach must be one of {', '.join(REACH)}, got {self.reach!r}")
        if self.distance not in DISTANCES:
            raise ValueError(f"distance must be one of {', '.join(DISTANCES)}")
        if not (np.isfinite(self.detour) and self.detour >= 1.0):
            raise ValueError("the detour factor must be 1 (straight line) or more")
        if not self.time_limit > 0:
            raise ValueError("the time limit must be more than 0 seconds")


@dataclass
class PlanData:
    """The loaded data a plan needs (callers cache it; nothing here modifies it).

    Attributes
    ----------
    oas : pandas.DataFrame
        :func:`geo.data.io.load_oas`.
    lsoas : geopandas.GeoDataFrame
        ``load_lsoas("iod2025")``.
    places : AccessModel or None
        The places used (bundled and/or uploaded, per the data mode) measured from the OAs.
    directory : geopandas.GeoDataFrame or None
        The same places one row each, indexed by facility id (``provision.combine``).
    oa_model : AccessModel or None
        Every OA centre measured as a place (:func:`geo.analysis.planinputs.oa_centres`).
    """

    oas: pd.DataFrame
    lsoas: gpd.GeoDataFrame
    places: AccessModel | None
    directory: gpd.GeoDataFrame | None
    oa_model: AccessModel | None


@dataclass
class Plan:
    """A solved plan and everything shown with it.

    Attributes
    ----------
    params : PlanParams
    result : geo.analysis.mclp.MCLPResult
        The solver's answer (positions into ``candidates``), bound, gap, proof, times.
    sites : pandas.DataFrame
        The chosen sites in greedy order of their gain (:data:`SITE_COLUMNS`).
    greedy : pandas.DataFrame
        The greedy heuristic's sites, the same columns.
    candidates : pandas.DataFrame
        Every candidate site in the area (:class:`geo.analysis.planinputs.CandidateSet`).
    curve : pandas.DataFrame
        ``k``, ``greedy`` reach with k sites, ``optimum`` (best found with k sites, NaN where
        not solved), ``bound``, ``proved``.
    comparison : pandas.DataFrame
        The plan, greedy and the gap finder's top-N neighbourhoods side by side.
    gap_sites : pandas.DataFrame
        The top-N gap neighbourhoods and the candidate placed in each (:func:`gap_comparison`).
    figures : dict
        ``target_total`` (the target group in the area), ``served_total`` (of whom already
        served), ``open_total`` (not yet served), ``reachable`` (not yet served, within reach
        of some candidate), ``demand_oas``, ``served_places`` (places of the theme used).
    weights : pandas.Series
        Target-group weight per OA inside the area (0 outside), aligned to ``oas``.
    served : numpy.ndarray
        Already served, per OA.
    reached_by : numpy.ndarray
        Per OA, the number (1..) of the chosen site that newly reaches it (0: none).
    area : numpy.ndarray
        Per OA, in the planning area (and PTAL filter).
    cover : scipy.sparse.csr_array
        The coverage matrix (OAs x candidates).
    """

    params: PlanParams
    result: MCLPResult
    sites: pd.DataFrame
    greedy: pd.DataFrame
    candidates: pd.DataFrame
    curve: pd.DataFrame
    comparison: pd.DataFrame
    gap_sites: pd.DataFrame
    figures: dict[str, float]
    weights: pd.Series
    served: np.ndarray
    reached_by: np.ndarray
    area: np.ndarray
    cover: sparse.csr_array = field(repr=False)


def proof_text(result: MCLPResult) -> str:
    """The solver's proof in words: optimal, or the gap to the bound after the time limit."""
    if result.proved_optimal:
        return (
            f"Proved optimal (HiGHS branch-and-cut after exact reductions) in "
            f"{result.seconds:.2f} s: no choice of at most {result.p} candidate sites reaches "
            "more."
        )
    return (
        f"Not proved optimal within the time limit ({result.seconds:.1f} s): the best plan found "
        f"reaches {result.objective:,.0f}; no plan can reach more than {result.bound:,.0f} (the "
        f"proved bound), a gap of {100 * result.gap:.2f}%. A longer time limit may close it."
    )


def newly_reached_by(
    cover: sparse.csr_array, open_weight: np.ndarray, order: np.ndarray
) -> np.ndarray:
    """Per demand row, the number (1..) of the first site in ``order`` that reaches it, among
    rows with a positive ``open_weight`` (not yet served, in the area); 0 for none."""
    out = np.zeros(cover.shape[0], dtype=np.int64)
    if not len(order):
        return out
    sub = sparse.csc_array(cover[:, np.asarray(order, dtype=np.int64)])
    for number in range(len(order), 0, -1):  # the first site in the order wins
        rows = sub.indices[sub.indptr[number - 1] : sub.indptr[number]]
        out[rows] = number
    out[~(open_weight > 0)] = 0
    return out


def _site_table(
    candidates: pd.DataFrame, positions: np.ndarray, gains: np.ndarray, total: float
) -> pd.DataFrame:
    rows = candidates.iloc[np.asarray(positions, dtype=np.int64)].reset_index(drop=True)
    rows.insert(0, "number", np.arange(1, len(rows) + 1))
    rows["newly_reached"] = np.asarray(gains, dtype=float)
    rows["cumulative"] = rows["newly_reached"].cumsum()
    rows["share"] = rows["cumulative"] / total if total > 0 else 0.0
    return rows[SITE_COLUMNS]


def gap_comparison(
    data: PlanData,
    params: PlanParams,
    candidates: CandidateSet,
    cover: sparse.csr_array,
    open_weight: np.ndarray,
) -> tuple[pd.DataFrame, str]:
    """A site in each of the gap finder's top-N neighbourhoods of the area (N = the number of
    sites), for comparison with the plan.

    The gap finder's table for the theme (:func:`geo.analysis.gapview.compute_gaps`: its
    default need index, the plan's catchment, detour and distance; ranked by need alone when
    no place provides the theme) gives the neighbourhoods of the area (and of PTAL 2 or lower
    with that filter) in London rank order. In each, the candidate site inside it that newly
    reaches the most of the target group (given the sites placed before it) is placed; a
    neighbourhood without a candidate inside gets none.

    Returns
    -------
    tuple
        The table (``rank``, ``lsoa_code``, ``lsoa_name``, ``gap`` or ``need``, ``site`` (a
        candidate position or -1), ``newly_reached``) and what it was ranked by.
    """
    lsoas = data.lsoas
    gparams = gv.GapParams(
        vintage="iod2025",
        theme=params.theme,
        catchment=float(params.catchment),
        detour=float(params.detour),
        distance=params.distance,
    )
    has_places = (
        data.places is not None
        and params.theme in data.places.supply.themes
        and data.places.supply.theme_mask(params.theme).any()
    )
    if has_places:
        table = gv.compute_gaps(lsoas, data.places, gparams)
        by, score = "gap (need percentile minus access percentile)", "gap"
    else:
        table = gv.need_only_table(lsoas, gparams)
        by, score = "need alone (no place provides the theme, so access is not known)", "need"
    table = table[table["rank"].notna()].sort_values("rank")
    if params.boroughs:
        table = table[table["borough_code"].isin(params.boroughs)]
    if params.ptal_max2:
        low = at_most(lsoas["ptal"], "2").reindex(table.index).fillna(False)
        table = table[low.to_numpy(dtype=bool)]
    top = table.head(int(params.count))
    left = open_weight.astype(float).copy()
    in_lsoa = candidates.sites.groupby("lsoa_code").indices
    rows = []
    for code, rec in top.iterrows():
        cols = np.asarray(in_lsoa.get(code, []), dtype=np.int64)
        site, gain = -1, 0.0
        if len(cols):
            gains = cover[:, cols].T.astype(float) @ left
            best = int(np.argmax(gains))
            site, gain = int(cols[best]), float(gains[best])
            reached = cover[:, [site]].indices
            left[reached] = 0.0
        rows.append(
            {
                "rank": int(rec["rank"]),
                "lsoa_code": code,
                "lsoa_name": rec["lsoa_name"],
                score: float(rec[score]),
                "site": site,
                "newly_reached": gain,
            }
        )
    columns = ["rank", "lsoa_code", "lsoa_name", score, "site", "newly_reached"]
    return pd.DataFrame(rows, columns=columns), by


def plan(data: PlanData, params: PlanParams, *, curve: bool = True) -> Plan:
    """Solve the plan: the exact MCLP, greedy, the reach curve and the gap comparison.

    Parameters
    ----------
    data : PlanData
        The loaded data.
    params : PlanParams
        The choices (checked: a ValueError says what to fix).
    curve : bool, default True
        Also compute the exact optimum for k = 1..count (one solve each) when the plan itself
        was proved in under :data:`CURVE_IF_UNDER` seconds (at most :data:`CURVE_BUDGET`
        seconds in all); the greedy curve to :data:`CURVE_MAX` sites is always computed.

    Returns
    -------
    Plan
    """
    params.check()
    n = len(data.oas)
    w_all = reach_weights(data.oas, data.lsoas, params.reach)
    area = demand_in_area(data.oas, data.lsoas, params.boroughs, ptal_max2=params.ptal_max2)
    weights = w_all.where(area, 0.0)
    w = weights.to_numpy(float)
    is_served = (
        served(data.places, params.theme, params.catchment, n)
        if params.already_served and params.theme != LINK_WORKER_THEME
        else np.zeros(n, dtype=bool)
    )
    cands = candidate_set(
        params.sites,
        oas=data.oas,
        lsoas=data.lsoas,
        places=data.places,
        directory=data.directory,
        oa_model=data.oa_model,
        boroughs=params.boroughs,
    )
    cover = coverage(cands, params.catchment, n)
    result = solve_mclp(cover, w, int(params.count), is_served, time_limit=params.time_limit)
    open_w = np.where(is_served, 0.0, w)
    target_total = float(w.sum())
    g_sites, g_gains = greedy(cover, w, int(params.count), is_served)
    reachable = np.asarray(cover.sum(axis=1)).ravel() > 0
    exact: bool | int = False
    if curve and result.proved_optimal and result.seconds < CURVE_IF_UNDER:
        exact = int(params.count)
    rc = reach_curve(
        cover,
        w,
        CURVE_MAX,
        is_served,
        exact=exact,
        time_limit=params.time_limit,
        budget=CURVE_BUDGET,
    )
    curve_frame = pd.DataFrame(
        {
            "k": rc["k"],
            "greedy": rc["greedy"],
            "optimum": rc.get("optimal", np.full(CURVE_MAX, np.nan)),
            "bound": rc.get("bound", np.full(CURVE_MAX, np.nan)),
            "proved": rc.get("proved", np.zeros(CURVE_MAX, bool)),
        }
    )
    # a solve the budget cut short says little: only proved optima are drawn besides the plan
    unproved = ~curve_frame["proved"].to_numpy(bool)
    curve_frame.loc[unproved, ["optimum", "bound"]] = np.nan
    k = int(params.count)  # the plan itself is the optimum for k = count
    curve_frame.loc[k - 1, ["optimum", "bound", "proved"]] = [
        result.objective,
        result.bound,
        result.proved_optimal,
    ]
    sites = _site_table(cands.sites, result.sites, result.newly_reached, target_total)
    greedy_table = _site_table(cands.sites, g_sites, g_gains, target_total)
    gap_sites, ranked_by = gap_comparison(data, params, cands, cover, open_w)
    placed = gap_sites[gap_sites["site"] >= 0]
    figures = {
        "target_total": target_total,
        "served_total": float(w[is_served].sum()),
        "open_total": float(open_w.sum()),
        "reachable": float(open_w[reachable].sum()),
        "demand_oas": int(area.sum()),
        "candidates": len(cands.sites),
        "served_places": int(
            data.places.supply.theme_mask(params.theme).sum()
            if data.places is not None and params.theme in data.places.supply.themes
            else 0
        ),
    }
    comparison = _comparison(result, g_gains, placed, len(gap_sites), ranked_by, target_total)
    return Plan(
        params=params,
        result=result,
        sites=sites,
        greedy=greedy_table,
        candidates=cands.sites,
        curve=curve_frame,
        comparison=comparison,
        gap_sites=gap_sites.assign(
            site_name=[cands.sites["name"].iloc[s] if s >= 0 else None for s in gap_sites["site"]]
        ),
        figures=figures,
        weights=weights,
        served=is_served,
        reached_by=newly_reached_by(cover, open_w, result.sites),
        area=area,
        cover=cover,
    )


def _comparison(
    result: MCLPResult,
    greedy_gains: np.ndarray,
    placed: pd.DataFrame,
    n_gap: int,
    ranked_by: str,
    total: float,
) -> pd.DataFrame:
    best = result.objective

    def row(method: str, n_sites: int, reached: float, note: str) -> dict:
        return {
            "Method": method,
            "Sites": n_sites,
            "Newly reached": reached,
            "Share of the target group": reached / total if total > 0 else 0.0,
            "Of the plan's reach": reached / best if best > 0 else (1.0 if reached == 0 else 0.0),
            "Note": note,
        }

    label = "Plan: proved optimum" if result.proved_optimal else "Plan: best found, not proved"
    return pd.DataFrame(
        [
            row(
                label,
                len(result.sites),
                best,
                "exact MCLP (HiGHS)"
                if result.proved_optimal
                else f"bound {result.bound:,.0f}, gap {100 * result.gap:.2f}%",
            ),
            row(
                "Greedy: one site at a time",
                len(greedy_gains),
                float(np.sum(greedy_gains)),
                "each step the candidate reaching the most people not yet reached",
            ),
            row(
                "Gap finder's top neighbourhoods",
                len(placed),
                float(placed["newly_reached"].sum()),
                f"the best candidate inside each of the top {n_gap} neighbourhoods of the area "
                f"ranked by {ranked_by}"
                + (
                    f"; {n_gap - len(placed)} of them have no candidate site inside"
                    if len(placed) < n_gap
                    else ""
                ),
            ),
        ]
    )


def lsoa_summary(result: Plan, oas: pd.DataFrame, lsoas: pd.DataFrame) -> pd.DataFrame:
    """The plan per neighbourhood of the area: the target group, the share already served,
    the share the plan newly reaches and which sites reach it.

    Returns
    -------
    pandas.DataFrame
        Indexed by LSOA 2021 code (the neighbourhoods with demand in the area): ``lsoa_name``,
        ``borough_name``, ``target``, ``served``, ``newly_reached``, ``served_share``,
        ``reached_share`` (of ``target``; NaN where it is 0) and ``sites`` (numbers of the
        chosen sites that newly reach some of it, e.g. "1, 4").
    """
    codes = oas["lsoa21_code"].to_numpy()
    area = result.area
    w = result.weights.to_numpy(float)
    frame = pd.DataFrame(
        {
            "lsoa_code": codes,
            "target": w,
            "served": np.where(result.served, w, 0.0),
            "newly_reached": np.where(result.reached_by > 0, w, 0.0),
            "site": result.reached_by,
            "in_area": area,
        }
    )
    frame = frame[frame["in_area"]]
    out = frame.groupby("lsoa_code")[["target", "served", "newly_reached"]].sum()
    sites = (
        frame[frame["site"] > 0]
        .groupby("lsoa_code")["site"]
        .agg(lambda s: ", ".join(str(v) for v in sorted(set(s))))
    )
    out["sites"] = sites.reindex(out.index).fillna("")
    out["served_share"] = out["served"] / out["target"].where(out["target"] > 0)
    out["reached_share"] = out["newly_reached"] / out["target"].where(out["target"] > 0)
    out.insert(0, "borough_name", lsoas["borough_name"].reindex(out.index).to_numpy())
    out.insert(0, "lsoa_name", lsoas["lsoa_name"].reindex(out.index).to_numpy())
    return out
