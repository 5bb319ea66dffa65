r"""Access measured where people live: Output Areas, aggregated to LSOAs by residents.

Demand is the 26,369 London Output Areas (OA, 2021) at their ONS population-weighted centroids,
weighted by Census 2021 usual residents (``data/demand/london_oas.parquet``). Every measure is
computed per OA from one :class:`geo.analysis.oa_table.DistanceTable` (every OA-place pair
within 1,600 m walking: on the street network where it covers both ends, else straight line x
detour) and then aggregated to the OA's LSOA (2021, or 2011 for IoD 2019) with the OA
residents as weights. Everything that depends on the selection (theme, catchment <= 1,600 m,
decay, demand, capacity) is a pass over that table, so a theme change costs milliseconds.

Measures per LSOA :math:`L` with OAs :math:`i \in L`, residents :math:`P_i`,
:math:`P_L = \sum_{i \in L} P_i`, catchment :math:`d_0`, places :math:`j` of the theme:

- ``access``: E2SFCA (Luo & Qi 2009) with OA demand,
  :math:`R_j = S_j / \sum_{i} D_i W(d_{ij})` over *all* London OAs within :math:`d_0`,
  :math:`A_i = \sum_j R_j W(d_{ij})`, and :math:`A_L = \sum_{i \in L} P_i A_i / P_L`.
  :math:`D_i` is the demand (residents by default; residents aged 65+ or disabled residents
  spread from the LSOA counts by :func:`spread_to_oas`), :math:`S_j` the capacity (1 by
  default), :math:`W` the decay of :func:`decay_weights`.
- ``within``: places within reach for the average resident,
  :math:`\sum_{i \in L} P_i N_i / P_L` with :math:`N_i = \#\{j: d_{ij} \le d_0\}`.
- ``reach_share``: share of residents whose OA has at least one place within reach,
  :math:`\sum_{i \in L} P_i [N_i \ge 1] / P_L` (0 to 1).
- ``nearest_m``: walking distance to the nearest place for the median resident: the
  population-weighted (lower) median of the OAs' nearest distances, i.e. the smallest
  :math:`m` with :math:`\sum_{i \in L: n_i \le m} P_i \ge P_L / 2`. An OA's nearest distance
  :math:`n_i` comes from the table; beyond it (nothing within 1,600 m) it is the straight line
  to the nearest point times the detour, and at least 1,600 m
  (:func:`geo.analysis.oa_table.nearest_beyond`).

An LSOA whose OAs have no residents (none in London) falls back to equal OA weights.

References
----------
Luo, W. & Qi, Y. (2009) An enhanced two-step floating catchment area (E2SFCA) method for
measuring spatial accessibility to primary care physicians. *Health & Place* 15(4),
1100-1107. doi:10.1016/j.healthplace.2009.06.002

Dai, D. (2010) Black residential segregation, disparities in spatial access to health care
facilities, and late-stage breast cancer diagnosis in metropolitan Detroit. *Health & Place*
16(5), 1038-1052.

Geurs, K. T. & van Wee, B. (2004) Accessibility evaluation of land-use and transport
strategies: review and research directions. *Journal of Transport Geography* 12(2), 127-140.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from geo.analysis.oa_table import ALL, DistanceTable, Supply, nearest_beyond, origin_counts

__all__ = [
    "DECAYS",
    "Prepared",
    "decay_weights",
    "lsoa_measures",
    "nearest_by_theme",
    "prepare",
    "reach_by_theme",
    "spread_to_oas",
    "weighted_median",
    "within_by_theme",
]

Decay = Literal["step", "gaussian", "gaussian_dai"]

#: Distance-decay functions (as in :func:`geo.analysis.access.e2sfca`).
DECAYS: tuple[str, ...] = ("step", "gaussian", "gaussian_dai")

_EXP_HALF = float(np.exp(-0.5))


# --------------------------------------------------------------------------------------------
# per-vintage preparation
# --------------------------------------------------------------------------------------------
@dataclass
class Prepared:
    """What the measures need: the table, the places, the OAs and their LSOAs (:func:`prepare`).

    Attributes
    ----------
    table : DistanceTable
        OA-facility walking distances (origins = OAs).
    supply : Supply
        The places.
    oa_xy : numpy.ndarray
        OA centroids (for the beyond-the-table nearest distance).
    population : numpy.ndarray
        Residents per OA (float).
    lsoa : numpy.ndarray
        int64 LSOA position of each OA.
    lsoa_index : pandas.Index
        LSOA codes (the result index).
    lsoa_population : numpy.ndarray
        Residents per LSOA (sum of its OAs).
    weight : numpy.ndarray
        Each OA's share of its LSOA's residents (equal shares where an LSOA has none).
    """

    table: DistanceTable
    supply: Supply
    oa_xy: np.ndarray
    population: np.ndarray
    lsoa: np.ndarray
    lsoa_index: pd.Index
    lsoa_population: np.ndarray
    weight: np.ndarray
    _nearest_cache: dict = field(default_factory=dict, repr=False)
    _mask_cache: dict = field(default_factory=dict, repr=False)

    def facility_mask(self, theme: Hashable) -> np.ndarray:
        """Boolean per facility for ``theme`` (cached)."""
        if theme not in self._mask_cache:
            self._mask_cache[theme] = self.supply.theme_mask(theme)
        return self._mask_cache[theme]

    def nearest_oa(self, theme: Hashable) -> np.ndarray:
        """Walking metres from each OA to its nearest place of ``theme`` (cached; NaN when the
        theme has no place; :func:`geo.analysis.oa_table.nearest_beyond`)."""
        if theme not in self._nearest_cache:
            self._nearest_cache[theme] = nearest_beyond(self.table, self.supply, self.oa_xy, theme)
        return self._nearest_cache[theme]


def prepare(
    oas: pd.DataFrame,
    supply: Supply,
    table: DistanceTable,
    *,
    lsoa_col: str = "lsoa21_code",
    population_col: str = "population",
    lsoa_index: pd.Index | None = None,
) -> Prepared:
    """Bundle the OA table, supply and distance table for :func:`lsoa_measures`.

    Parameters
    ----------
    oas : pandas.DataFrame
        One row per OA, in the table's origin order: ``x``, ``y``, ``population_col`` and
        ``lsoa_col`` (``"lsoa21_code"`` for IoD 2025, ``"lsoa11_code"`` for IoD 2019).
    supply : Supply
        The places the table was built from.
    table : DistanceTable
        :func:`geo.analysis.oa_table.distance_table` output with the OAs as origins.
    lsoa_index : pandas.Index or None
        LSOA codes of the result, in order; default the sorted codes in ``oas``. Every LSOA
        must have at least one OA.

    Returns
    -------
    Prepared
        Ready for :func:`lsoa_measures`.
    """
    if len(oas) != table.n_origin or supply.n_facilities != table.n_facility:
        raise ValueError("the OA table or supply does not match the distance table; rebuild it")
    pop = pd.to_numeric(oas[population_col], errors="coerce").to_numpy(float)
    if np.isnan(pop).any() or (pop < 0).any():
        raise ValueError(f"oas[{population_col!r}] must be numbers >= 0")
    codes = oas[lsoa_col].astype(str)
    index = pd.Index(sorted(codes.unique())) if lsoa_index is None else pd.Index(lsoa_index)
    lsoa = index.get_indexer(codes)
    if (lsoa < 0).any():
        raise ValueError(f"{int((lsoa < 0).sum())} OA(s) have an LSOA not in lsoa_index")
    counts = np.bincount(lsoa, minlength=len(index))
    if (counts == 0).any():
        raise ValueError(
            f"{int((counts == 0).sum())} LSOA(s) have no OA, e.g. {index[counts == 0][0]}"
        )
    lsoa_pop = np.bincount(lsoa, weights=pop, minlength=len(index))
    lp = lsoa_pop[lsoa]
    weight = np.where(lp > 0, pop / np.where(lp > 0, lp, 1.0), 1.0 / counts[lsoa])
    return Prepared(
        table=table,
        supply=supply,
        oa_xy=oas[["x", "y"]].to_numpy(float),
        population=pop,
        lsoa=lsoa.astype(np.int64),
        lsoa_index=index.rename("lsoa_code"),
        lsoa_population=lsoa_pop,
        weight=weight,
    )


def spread_to_oas(prep: Prepared, lsoa_counts: pd.Series) -> np.ndarray:
    r"""An LSOA count (e.g. residents aged 65+, disabled residents) spread over its OAs.

    There is no OA table of these counts, so each OA gets its LSOA's count in proportion to
    its residents: :math:`D_i = C_L \, P_i / P_L` (equal shares where :math:`P_L = 0`).
    Missing LSOA counts are 0.

    Returns
    -------
    numpy.ndarray
        Demand per OA (float), in the OA order of ``prep``.
    """
    counts = pd.to_numeric(lsoa_counts, errors="coerce").reindex(prep.lsoa_index).fillna(0.0)
    return counts.to_numpy(float)[prep.lsoa] * prep.weight


# --------------------------------------------------------------------------------------------
# measures
# --------------------------------------------------------------------------------------------
def decay_weights(cost: np.ndarray, catchment: float, decay: str) -> np.ndarray:
    r"""Distance-decay weight :math:`W(d)` of pairs inside the catchment :math:`d_0`.

    ``"step"``: 1. ``"gaussian"``: :math:`\exp(-\tfrac12 (d/d_0)^2)` (0.61 at the edge).
    ``"gaussian_dai"``: :math:`(\exp(-\tfrac12 (d/d_0)^2) - e^{-1/2}) / (1 - e^{-1/2})`
    (Dai 2010; 0 at the edge). As in ``geo.access.e2sfca``.
    """
    if decay == "step":
        return np.ones_like(cost)
    gauss = np.exp(-0.5 * (cost / catchment) ** 2)
    if decay == "gaussian":
        return gauss
    if decay == "gaussian_dai":
        return (gauss - _EXP_HALF) / (1.0 - _EXP_HALF)
    raise ValueError(f"decay must be one of {DECAYS}, got {decay!r}")


def _to_lsoa(prep: Prepared, values: np.ndarray) -> np.ndarray:
    """Population-weighted mean per LSOA of per-OA values (1-D or 2-D, OAs first)."""
    w = prep.weight
    n = len(prep.lsoa_index)
    if values.ndim == 1:
        return np.bincount(prep.lsoa, weights=values * w, minlength=n)
    return np.column_stack(
        [
            np.bincount(prep.lsoa, weights=values[:, k] * w, minlength=n)
            for k in range(values.shape[1])
        ]
    )


def weighted_median(
    values: np.ndarray, weights: np.ndarray, groups: np.ndarray, n_groups: int
) -> np.ndarray:
    r"""Lower weighted median per group: the smallest :math:`v` with half the weight at or below.

    .. math:: m_g = \min\{v_k : \sum_{i \in g,\, v_i \le v_k} w_i \ge \tfrac12 \sum_{i \in g} w_i\}

    Groups whose weights are all 0 use equal weights. NaN values sort last (a group with only
    NaN gets NaN).

    Examples
    --------
    >>> weighted_median(np.array([100., 900., 300.]), np.array([1., 1., 3.]),
    ...                 np.array([0, 0, 0]), 1)
    array([300.])
    """
    values = np.asarray(values, float)
    weights = np.asarray(weights, float)
    groups = np.asarray(groups, np.int64)
    total = np.bincount(groups, weights=weights, minlength=n_groups)
    w = np.where(total[groups] > 0, weights, 1.0)
    total = np.bincount(groups, weights=w, minlength=n_groups)
    key = np.where(np.isnan(values), np.inf, values)
    order = np.lexsort((key, groups))
    g, v, ws = groups[order], values[order], w[order]
    cum = np.cumsum(ws)
    start = np.searchsorted(g, np.arange(n_groups))
    before = np.concatenate([[0.0], cum])[start]
    within = cum - before[g]
    reached = within * 2 >= total[g] * (1 - 1e-12)
    out = np.full(n_groups, np.nan)
    hit = np.flatnonzero(reached)
    first = hit[np.r_[True, g[hit][1:] != g[hit][:-1]]] if len(hit) else hit
    out[g[first]] = v[first]
    return out


def lsoa_measures(
    prep: Prepared,
    theme: Hashable = ALL,
    *,
    catchment: float = 800.0,
    decay: Decay = "step",
    demand: np.ndarray | None = None,
    use_capacity: bool = False,
) -> pd.DataFrame:
    """Access, places within reach, share of residents in reach and median nearest, per LSOA.

    See the module docstring for the formulas.

    Parameters
    ----------
    prep : Prepared
        :func:`prepare` output.
    theme : hashable, default "all"
        A theme of ``prep.supply.themes`` or :data:`ALL`.
    catchment : float, default 800
        Walking metres, at most the table's ``max_distance``.
    decay : {"step", "gaussian", "gaussian_dai"}
        E2SFCA decay (:func:`decay_weights`); counts and shares use the plain catchment.
    demand : numpy.ndarray or None
        Demand per OA for E2SFCA step 1 (e.g. residents aged 65+ apportioned to OAs); default
        the residents.
    use_capacity : bool, default False
        Use each facility's capacity as :math:`S_j` (else 1).

    Returns
    -------
    pandas.DataFrame
        Indexed by LSOA code: ``access`` (places per resident; x 1,000 for per 1,000),
        ``within`` (population-weighted mean count), ``reach_share`` (0-1), ``nearest_m``
        (median resident), ``population``. ``attrs`` holds the parameters.
    """
    t = prep.table
    if not (0 < catchment <= t.max_distance):
        raise ValueError(
            f"catchment must be in (0, {t.max_distance:g}] metres (the distance table's range), "
            f"got {catchment!r}"
        )
    if decay not in DECAYS:
        raise ValueError(f"decay must be one of {DECAYS}, got {decay!r}")
    fmask = prep.facility_mask(theme)
    sel = fmask[t.facility] & (t.distance <= catchment)
    oa, fac, dist = t.origin[sel], t.facility[sel], t.distance[sel]
    dem = prep.population if demand is None else np.asarray(demand, float)
    if dem.shape != prep.population.shape:
        raise ValueError("demand must have one value per OA")
    cap = np.ones(t.n_facility)
    if use_capacity:
        # unknown capacity: the median known capacity of the theme's places (else 1)
        cap = prep.supply.capacity.copy()
        known = cap[fmask & ~np.isnan(cap)]
        cap[np.isnan(cap)] = float(np.median(known)) if len(known) else 1.0
    w = decay_weights(dist, catchment, decay)
    reached = np.bincount(fac, weights=dem[oa] * w, minlength=t.n_facility)
    ratio = np.zeros(t.n_facility)
    np.divide(cap, reached, out=ratio, where=reached > 0)
    access_oa = np.bincount(oa, weights=ratio[fac] * w, minlength=t.n_origin)
    count_oa = np.bincount(oa, minlength=t.n_origin).astype(float)
    nearest_oa = prep.nearest_oa(theme)
    out = pd.DataFrame(
        {
            "access": _to_lsoa(prep, access_oa),
            "within": _to_lsoa(prep, count_oa),
            # a share: at most 1 (sums of residents' weights can exceed it by rounding)
            "reach_share": np.minimum(_to_lsoa(prep, (count_oa >= 1).astype(float)), 1.0),
            "nearest_m": weighted_median(
                nearest_oa, prep.population, prep.lsoa, len(prep.lsoa_index)
            ),
            "population": prep.lsoa_population,
        },
        index=prep.lsoa_index,
    )
    out.attrs.update(
        {"theme": theme, "catchment": float(catchment), "decay": decay, "detour": t.detour}
    )
    return out


def within_by_theme(
    prep: Prepared, *, catchment: float = 800.0, themes: Sequence[Hashable] | None = None
) -> pd.DataFrame:
    r"""Places within reach for the average resident, per theme and ``"all"``, per LSOA.

    Returns
    -------
    pandas.DataFrame
        Indexed by LSOA code; a column per theme, then ``"all"`` (float: population-weighted
        mean counts, :math:`\sum_{i \in L} P_i N_i / P_L`).
    """
    counts = origin_counts(prep.table, prep.supply, catchment=catchment, themes=themes)
    return pd.DataFrame(
        _to_lsoa(prep, counts.to_numpy(float)), index=prep.lsoa_index, columns=counts.columns
    )


def reach_by_theme(
    prep: Prepared, *, catchment: float = 800.0, themes: Sequence[Hashable] | None = None
) -> pd.DataFrame:
    """Share of each LSOA's residents with at least one place of each theme within reach.

    Returns
    -------
    pandas.DataFrame
        Indexed by LSOA code; a column per theme, then ``"all"`` (0 to 1).
    """
    counts = origin_counts(prep.table, prep.supply, catchment=catchment, themes=themes)
    return pd.DataFrame(
        np.minimum(_to_lsoa(prep, (counts.to_numpy(float) >= 1).astype(float)), 1.0),
        index=prep.lsoa_index,
        columns=counts.columns,
    )


def nearest_by_theme(prep: Prepared, themes: Sequence[Hashable] | None = None) -> pd.DataFrame:
    """Walking metres to the nearest place for the median resident, per theme and ``"all"``."""
    order = [*(prep.supply.themes if themes is None else themes), ALL]
    n = len(prep.lsoa_index)
    data = {th: weighted_median(prep.nearest_oa(th), prep.population, prep.lsoa, n) for th in order}
    return pd.DataFrame(data, index=prep.lsoa_index)
