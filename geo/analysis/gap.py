"""Need, access and the gap between them; bivariate classes; a pilot-site finder.

All functions take (Geo)DataFrames/Series indexed by ``lsoa_code`` and return new objects
aligned to that index. Conventions:

- *need* is higher where there is more need (IoD domain scores: higher = more deprived);
- *access* is higher where more provision is in reach (e.g. :func:`geo.analysis.access.e2sfca`);
- *gap* is higher where need is high relative to access.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix

from geo.data.indicators import DOMAINS

__all__ = [
    "BIVARIATE_COLOURS",
    "BIVARIATE_LABELS",
    "DEFAULT_NEED_WEIGHTS",
    "bivariate_class",
    "gap_score",
    "gap_table",
    "need_index",
    "PILOT_WEIGHTS",
    "pilot_candidates",
    "pilot_priority",
    "rook_adjacency",
]

#: Default weights of :func:`pilot_priority`: need, lack of access, housing association homes.
PILOT_WEIGHTS: Mapping[str, float] = {"need": 0.4, "access": 0.4, "homes": 0.2}

#: Default weights of :func:`need_index`: the domains social prescribing most directly answers.
DEFAULT_NEED_WEIGHTS: Mapping[str, float] = {"health": 1.0, "income": 1.0, "employment": 1.0}

#: Short plain-English names of the domains, used in reason texts (order = priority).
_DOMAIN_PHRASES: dict[str, str] = {
    "imd": "overall deprivation",
    "health": "health",
    "income": "income",
    "employment": "employment",
    "education": "education and skills",
    "housing": "barriers to housing and services",
    "environment": "living environment",
    "crime": "crime",
}

#: 3x3 bivariate palette, key ``"{need class}-{access class}"`` (need 3 = highest need,
#: access 1 = lowest access). Colours: the "DkViolet2" palette of the R package biscale
#: (Prener, Grossenbacher & Zehr), after Grossenbacher & Zehr (2019): grey to wine red
#: along need, grey to blue along access. It avoids a red/green contrast, so the
#: priority class "3-1" (wine) stays distinct from "1-3" (blue) for the common forms of
#: colour-vision deficiency.
BIVARIATE_COLOURS: dict[str, str] = {
    "1-1": "#d3d3d3",
    "2-1": "#ba8890",
    "3-1": "#9e3547",
    "1-2": "#8aa6c2",
    "2-2": "#7a6b84",
    "3-2": "#682a41",
    "1-3": "#4279b0",
    "2-3": "#3a4e78",
    "3-3": "#311e3b",
}

#: Plain-English meaning of each class of :func:`bivariate_class` (thirds of the LSOAs shown).
BIVARIATE_LABELS: dict[str, str] = {
    "3-1": "Higher need, lower access: the biggest gap",
    "3-2": "Higher need, middle access",
    "3-3": "Higher need, higher access: need is met by nearby services",
    "2-1": "Middle need, lower access",
    "2-2": "Middle need, middle access",
    "2-3": "Middle need, higher access",
    "1-1": "Lower need, lower access",
    "1-2": "Lower need, middle access",
    "1-3": "Lower need, higher access: well served",
}


# --------------------------------------------------------------------------------------------
# private helpers
# --------------------------------------------------------------------------------------------
def _zscore(values: pd.Series) -> pd.Series:
    """(x - mean) / std with the population std (ddof=0); 0 everywhere if std is 0."""
    x = pd.to_numeric(values, errors="raise").astype(float)
    std = x.std(ddof=0)
    if not np.isfinite(std) or std == 0:
        return x * 0.0  # keeps NaN where x is NaN
    return (x - x.mean()) / std


def _pct_rank(values: pd.Series) -> pd.Series:
    """Percentile rank in [0, 1]: (average rank - 1) / (n - 1); 0.5 for a single value."""
    n = int(values.notna().sum())
    ranks = values.rank(method="average")
    if n <= 1:
        return ranks * 0 + 0.5
    return (ranks - 1.0) / (n - 1.0)


def _quantile_class(values: pd.Series, k: int) -> pd.Series:
    """Class 1..k by quantile, ties kept together in the lower class.

    ``class = ceil(k * r / n)`` with ``r`` the minimum rank of tied values: with distinct
    values this puts the lowest n/k values in class 1 (as ``pandas.qcut`` would); a block of
    ties (e.g. many LSOAs with no services in reach) is never split between classes.
    """
    n = int(values.notna().sum())
    r = values.rank(method="min")
    out = pd.Series(pd.NA, index=values.index, dtype="Int64")
    ok = r.notna()
    rk = r[ok].astype(np.int64).to_numpy()
    out[ok] = np.clip(-(-k * rk // max(n, 1)), 1, k)
    return out


def fmt_metres(metres: float) -> str:
    """'870 m' below a kilometre (to 10 m), else '1.4 km' (995 m rounds to '1.0 km')."""
    tens = int(round(metres, -1))
    return f"{tens:d} m" if tens < 1000 else f"{metres / 1000:.1f} km"


def _fmt_catchment(metres: float) -> str:
    return f"{metres:,.0f} m" if metres < 10_000 else f"{metres / 1000:g} km"


def _join_words(words: Sequence[str], conj: str = "and") -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conj} {words[-1]}"


def _deprivation_phrase(row: Mapping, need_pct: float) -> str:
    """'In England's most deprived 10% for health and income' or a need-percentile phrase."""
    for decile, share in ((1, "10%"), (2, "20%")):
        hits = [phrase for d, phrase in _DOMAIN_PHRASES.items() if row.get(f"{d}_decile") == decile]
        if hits:
            extra = len(hits) - 3
            more = [f"{extra} more domain{'s' if extra > 1 else ''}"] if extra > 0 else []
            shown = hits[:3] + more
            return f"In England's most deprived {share} for {_join_words(shown)}"
    if pd.isna(need_pct):
        return "Need not known"
    return f"Need higher than {need_pct:.0%} of the other LSOAs compared"


def _services_phrase(counts: Mapping, catchment: float) -> str:
    where = f"within {_fmt_catchment(catchment)}"
    total = counts.get("all")
    themes = [c for c in counts.keys() if c != "all"]  # noqa: SIM118 (a Series iterates values)
    if total is not None and total == 0:
        return f"no services {where}"
    missing = [str(t) for t in themes if counts[t] == 0]
    if missing:
        return f"no {_join_words(missing, 'or')} services {where}"
    if total is None:
        return f"services of every theme {where}"
    return f"{int(total)} service{'s' if total != 1 else ''} {where}"


def _check_lsoas(lsoas: pd.DataFrame) -> None:
    if not lsoas.index.is_unique:
        raise ValueError("lsoas index (lsoa_code) must be unique")


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
def need_index(
    lsoas: pd.DataFrame,
    weights: Mapping[str, float] | None = None,
    *,
    ha_share: pd.Series | None = None,
    ha_boost: float = 1.0,
) -> pd.Series:
    r"""Composite need index from IoD domain scores (higher = more need).

    .. math::

        \mathrm{need}_i = \sum_d \frac{w_d}{\sum_e w_e}\, z_{di}
                         + b\, h_i, \qquad
        z_{di} = \frac{s_{di} - \bar s_d}{\sigma_d}

    where :math:`s_{di}` is the ``{d}_score`` column, :math:`\bar s_d` and :math:`\sigma_d` its
    mean and population standard deviation (ddof=0) across the rows given (so the index is
    relative to the LSOAs passed in, e.g. London), :math:`w_d` the weights, :math:`h_i` the
    optional housing-association share and :math:`b` = ``ha_boost``. The need index is in
    standard-deviation units: with :math:`b = 1` an LSOA where every home is a housing
    association home moves up by one standard deviation of a single domain. A domain with no
    variation (:math:`\sigma_d = 0`) contributes 0. A missing score gives a missing need.
    IoD scores are "higher = more deprived" for every domain, so no sign flips are needed.

    Parameters
    ----------
    lsoas : pandas.DataFrame
        One row per LSOA with ``{d}_score`` columns (see ``docs/ARCHITECTURE.md``).
    weights : mapping of domain -> float, optional
        Non-negative weights of the domains imd, income, employment, education, health, crime,
        housing, environment; normalised to sum to 1; zero-weight domains are ignored.
        Default :data:`DEFAULT_NEED_WEIGHTS` (health, income, employment equally).
    ha_share : pandas.Series, optional
        Share (0..1) of homes in each LSOA owned by housing associations, indexed like
        ``lsoas``; missing LSOAs count as 0.
    ha_boost : float, default 1.0
        :math:`b` above (non-negative).

    Returns
    -------
    pandas.Series
        ``need`` aligned to ``lsoas.index``.

    Raises
    ------
    ValueError
        Unknown domain, negative or all-zero weights, missing score column, ``ha_share``
        outside 0..1.
    """
    _check_lsoas(lsoas)
    weights = dict(DEFAULT_NEED_WEIGHTS if weights is None else weights)
    unknown = sorted(set(weights) - set(DOMAINS))
    if unknown:
        raise ValueError(f"unknown IoD domain(s) {unknown}; choose from {', '.join(DOMAINS)}")
    bad = {d: w for d, w in weights.items() if not (np.isfinite(w) and w >= 0)}
    if bad:
        raise ValueError(f"weights must be finite and >= 0, got {bad}")
    total = float(sum(weights.values()))
    if total <= 0:
        raise ValueError("at least one domain weight must be above 0 (all weights are zero)")
    used = {d: w / total for d, w in weights.items() if w > 0}
    missing = [f"{d}_score" for d in used if f"{d}_score" not in lsoas.columns]
    if missing:
        raise ValueError(f"lsoas lacks the score column(s) {missing}")

    need = pd.Series(0.0, index=lsoas.index)
    for d, w in used.items():
        need = need + w * _zscore(lsoas[f"{d}_score"])
    if ha_share is not None:
        if not (np.isfinite(ha_boost) and ha_boost >= 0):
            raise ValueError(f"ha_boost must be finite and >= 0, got {ha_boost!r}")
        share = pd.to_numeric(ha_share, errors="raise").reindex(lsoas.index).fillna(0.0)
        if ((share < 0) | (share > 1)).any():
            raise ValueError("ha_share must be a share between 0 and 1 (not a percentage)")
        need = need + ha_boost * share
    return need.rename("need")


def gap_score(need: pd.Series, access: pd.Series) -> pd.Series:
    r"""Gap = need percentile rank minus access percentile rank.

    .. math:: \mathrm{gap}_i = p(\mathrm{need}_i) - p(\mathrm{access}_i), \qquad
              p(x_i) = \frac{\mathrm{rank}(x_i) - 1}{n - 1}

    with average ranks for ties, over the rows where both values are present. Each
    percentile is in [0, 1], so the gap is in [-1, 1]: 1 is the highest need with the lowest
    access, 0 means need and access are ranked alike, negative values are better served
    than their need. Ranks make the score independent of the units and skew of both
    measures.

    Parameters
    ----------
    need : pandas.Series
        Need per LSOA (e.g. :func:`need_index`).
    access : pandas.Series
        Access per LSOA (e.g. :func:`geo.analysis.access.e2sfca`), aligned by index to ``need``.

    Returns
    -------
    pandas.Series
        ``gap`` aligned to ``need.index``; NaN where need or access is missing.
    """
    access = access.reindex(need.index)
    ok = need.notna() & access.notna()
    gap = _pct_rank(need[ok].astype(float)) - _pct_rank(access[ok].astype(float))
    return gap.reindex(need.index).rename("gap")


def bivariate_class(need: pd.Series, access: pd.Series, k: int = 3) -> pd.Series:
    """Bivariate class ``"{need class}-{access class}"`` by quantiles of each measure.

    Each measure is cut into ``k`` quantile classes (1 = lowest third for k=3) with
    ``class = ceil(k * r / n)``, ``r`` the minimum rank among tied values: distinct values
    give equal-count classes (as ``pandas.qcut``), while tied values (e.g. many LSOAs with
    no access at all) stay together in the lower class. Need class ``k`` = highest need;
    access class 1 = lowest access, so ``"3-1"`` (k=3) is the priority gap. Colours and
    words: :data:`BIVARIATE_COLOURS`, :data:`BIVARIATE_LABELS`.

    Parameters
    ----------
    need, access : pandas.Series
        Aligned by index (``access`` is reindexed to ``need``).
    k : int, default 3
        Classes per measure (the palette and labels are for 3).

    Returns
    -------
    pandas.Series
        Strings such as ``"3-1"`` (object dtype) aligned to ``need.index``; None where
        either measure is missing.
    """
    if not isinstance(k, int) or k < 2:
        raise ValueError(f"k must be an integer >= 2, got {k!r}")
    access = access.reindex(need.index)
    ok = need.notna() & access.notna()
    cn = _quantile_class(need[ok].astype(float), k)
    ca = _quantile_class(access[ok].astype(float), k)
    labels = cn.astype(str) + "-" + ca.astype(str)
    values = np.full(len(need), None, dtype=object)
    values[ok.to_numpy()] = labels.to_numpy(dtype=object)
    return pd.Series(values, index=need.index, dtype=object, name="bivariate_class")


def gap_table(
    lsoas: pd.DataFrame,
    need: pd.Series,
    access: pd.Series,
    counts: pd.DataFrame,
    nearest: pd.DataFrame,
    *,
    catchment: float | None = None,
) -> pd.DataFrame:
    """Ranked table of LSOAs by gap, with a plain-English reason per row.

    Parameters
    ----------
    lsoas : pandas.DataFrame
        LSOAs indexed by ``lsoa_code`` with ``lsoa_name``, ``borough_name`` and optionally
        ``{d}_decile`` columns (used in the reason).
    need, access : pandas.Series
        As for :func:`gap_score`.
    counts : pandas.DataFrame
        :func:`geo.analysis.access.services_within` output (theme columns and ``"all"``).
    nearest : pandas.DataFrame
        :func:`geo.analysis.access.nearest_service` output (theme columns and ``"all"``).
    catchment : float, optional
        Catchment in metres quoted in the reason; default ``counts.attrs["catchment"]`` or
        800.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``lsoa_code`` and sorted by gap (largest first, missing last), with
        ``rank`` (1 = biggest gap; ties broken by higher need), ``lsoa_name``,
        ``borough_name``, ``need``, ``access``, ``gap``, ``need_pct`` and ``access_pct``
        (0..1 percentile ranks), ``within_{theme}`` / ``within_all`` (services in the
        catchment), ``nearest_{theme}_m`` / ``nearest_all_m`` (metres) and ``reason``, e.g.
        "In England's most deprived 10% for health; no employment services
        within 800 m; nearest service 1.4 km".
    """
    _check_lsoas(lsoas)
    index = lsoas.index
    if catchment is None:
        catchment = float(counts.attrs.get("catchment", 800.0))
    need = need.reindex(index).astype(float)
    access = access.reindex(index).astype(float)
    out = pd.DataFrame(index=index)
    for col in ("lsoa_name", "borough_name"):
        out[col] = lsoas[col] if col in lsoas.columns else pd.Series(pd.NA, index=index)
    out["need"] = need
    out["access"] = access
    out["gap"] = gap_score(need, access)
    ok = need.notna() & access.notna()
    out["need_pct"] = _pct_rank(need[ok]).reindex(index)
    out["access_pct"] = _pct_rank(access[ok]).reindex(index)
    counts = counts.reindex(index)
    nearest = nearest.reindex(index)
    for col in counts.columns:
        out[f"within_{col}"] = counts[col].astype("Int64")
    for col in nearest.columns:
        out[f"nearest_{col}_m"] = nearest[col].astype(float)

    decile_cols = [f"{d}_decile" for d in _DOMAIN_PHRASES if f"{d}_decile" in lsoas.columns]
    # plain rows (dicts), not one .loc per LSOA: this loop runs on every selection change
    deciles = lsoas[decile_cols].to_dict("records")
    need_pct = out["need_pct"].to_numpy()
    count_rows = counts.to_dict("records") if len(counts.columns) else None
    nearest_all = nearest["all"].to_numpy() if "all" in nearest.columns else None
    reasons = []
    for k in range(len(index)):
        parts = [_deprivation_phrase(deciles[k], need_pct[k])]
        if count_rows is not None:
            parts.append(_services_phrase(count_rows[k], catchment))
        if nearest_all is not None:
            dist = nearest_all[k]
            parts.append(
                "no services loaded" if pd.isna(dist) else f"nearest service {fmt_metres(dist)}"
            )
        reasons.append("; ".join(parts))
    out["reason"] = reasons

    out = out.sort_values(["gap", "need"], ascending=[False, False], na_position="last")
    rank = pd.Series(np.arange(1, len(out) + 1), index=out.index, dtype="Int64")
    rank[out["gap"].isna()] = pd.NA
    out.insert(0, "rank", rank)
    out.index.name = "lsoa_code"
    return out


def pilot_priority(
    need_pct: pd.Series,
    access_pct: pd.Series,
    homes: pd.Series | None = None,
    weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    r"""Priority of each LSOA for a housing-association-led pilot: need, access gap and homes.

    .. math::

        \mathrm{priority}_i = \frac{w_n\, p(\mathrm{need}_i) + w_a\,(1 - p(\mathrm{access}_i))
            + w_h\, p(h_i)}{w_n + w_a + w_h}

    with :math:`p` the London percentile ranks of :func:`gap_table` (``need_pct``,
    ``access_pct``) and :math:`p(h_i)` the percentile rank of the housing association homes
    :math:`h_i` (e.g. Census 2021 housing association households, or the user's homes). With
    :math:`w_n = w_a` and :math:`w_h = 0` it orders LSOAs exactly as the gap does
    (gap = :math:`p(\mathrm{need}) - p(\mathrm{access})`). Values run from 0 to 1.

    Parameters
    ----------
    need_pct, access_pct : pandas.Series
        Percentile ranks 0..1 (``gap_table`` columns), same index.
    homes : pandas.Series, optional
        Housing association homes or households per LSOA; None or all-missing drops the term.
    weights : mapping, optional
        ``need``, ``access``, ``homes`` (non-negative; default :data:`PILOT_WEIGHTS`).

    Returns
    -------
    pandas.DataFrame
        Aligned to ``need_pct.index``: ``priority``, ``need_pct``, ``lack_of_access``
        (1 - access_pct), ``homes_pct`` (NaN without homes), ``homes``; ``attrs["weights"]``
        holds the normalised weights used.
    """
    w = dict(PILOT_WEIGHTS if weights is None else weights)
    bad = {k: v for k, v in w.items() if k not in PILOT_WEIGHTS or not (np.isfinite(v) and v >= 0)}
    if bad:
        raise ValueError(f"pilot weights must be need/access/homes >= 0, got {bad}")
    index = need_pct.index
    out = pd.DataFrame(index=index)
    out["need_pct"] = pd.to_numeric(need_pct, errors="raise").astype(float)
    out["lack_of_access"] = 1.0 - pd.to_numeric(access_pct, errors="raise").reindex(index)
    h = None if homes is None else pd.to_numeric(homes, errors="raise").reindex(index)
    if h is None or h.notna().sum() == 0:
        w["homes"] = 0.0
        out["homes_pct"] = np.nan
        out["homes"] = np.nan
    else:
        out["homes"] = h.fillna(0.0)
        out["homes_pct"] = _pct_rank(out["homes"])
    total = sum(w.get(k, 0.0) for k in PILOT_WEIGHTS)
    if total <= 0:
        raise ValueError("at least one pilot weight must be above 0")
    used = {k: w.get(k, 0.0) / total for k in PILOT_WEIGHTS}
    score = used["need"] * out["need_pct"] + used["access"] * out["lack_of_access"]
    if used["homes"] > 0:
        score = score + used["homes"] * out["homes_pct"]
    out.insert(0, "priority", score)
    out.attrs["weights"] = used
    return out


def _priority_phrase(row: pd.Series, weights: Mapping[str, float], homes_label: str) -> str:
    parts = [
        f"need percentile {row['need_pct']:.2f} x {weights['need']:.0%}",
        f"lack of access {row['lack_of_access']:.2f} x {weights['access']:.0%}",
    ]
    if weights["homes"] > 0:
        parts.append(
            f"{homes_label} percentile {row['homes_pct']:.2f} x {weights['homes']:.0%} "
            f"({int(round(row['homes'])):,} in its best LSOA)"
        )
    return f"priority {row['priority']:.2f} = {' + '.join(parts)}"


def pilot_candidates(
    lsoas: gpd.GeoDataFrame,
    gap: pd.Series,
    *,
    ha_homes: pd.Series | None = None,
    n: int = 10,
    contiguity: bool = True,
    min_gap: float = 0.5,
    min_ha_homes: float = 1,
    max_lsoas: int = 5,
    priority: pd.DataFrame | None = None,
    homes_label: str = "housing association households",
) -> gpd.GeoDataFrame:
    """Top candidate neighbourhoods for a housing-association-led social prescribing pilot.

    Selection:

    1. eligible LSOAs have ``gap >= min_gap`` (high need relative to access; since the gap is
       a difference of percentile ranks, this also means access is at most in the
       ``1 - min_gap`` percentile, i.e. not already well served);
    2. if ``ha_homes`` is given, eligible LSOAs must also hold at least ``min_ha_homes``
       housing association homes; if it is None, HA presence is not considered and the
       reason says so;
    3. seeds are taken in order of gap (ties: more HA homes first). Each unassigned seed
       starts a candidate; with ``contiguity`` the candidate then grows greedily by the
       adjacent, still unassigned eligible LSOA with the highest gap, up to ``max_lsoas``
       LSOAs. Adjacent means sharing a stretch of boundary (the intersection is a line or an
       area; meeting at a single corner does not count: "rook" contiguity). Without
       ``contiguity`` every candidate is a single LSOA;
    4. candidates keep their seed order, so candidate 1 holds the eligible LSOA with the
       highest gap; the first ``n`` are returned (fewer if fewer LSOAs are eligible).

    The cap keeps candidates at a pilot-sized neighbourhood (5 LSOAs are about 8,000
    residents) instead of merging long chains of eligible LSOAs across a borough.

    Parameters
    ----------
    lsoas : geopandas.GeoDataFrame
        LSOA polygons indexed by ``lsoa_code``, with ``lsoa_name`` and ``borough_name``
        (``population`` is summed if present).
    gap : pandas.Series
        :func:`gap_score` per LSOA.
    ha_homes : pandas.Series, optional
        Housing association homes per LSOA (e.g. from an uploaded stock list); missing = 0.
    n : int, default 10
        Number of candidates.
    contiguity : bool, default True
        Group adjacent eligible LSOAs into one candidate.
    min_gap : float, default 0.5
        Minimum gap for an LSOA to be eligible, in [-1, 1].
    min_ha_homes : float, default 1
        Minimum HA homes for an LSOA to be eligible (only when ``ha_homes`` is given).
    max_lsoas : int, default 5
        Largest number of LSOAs in one candidate (with ``contiguity``).
    priority : pandas.DataFrame, optional
        :func:`pilot_priority` output. When given, seeds and growth follow ``priority``
        instead of the gap (eligibility still needs ``gap >= min_gap``), the candidate gets
        ``priority`` (its seed's) and ``ha_households`` (sum of ``priority["homes"]``), and
        the reason says how the priority is made up, so the order can be read off it.
    homes_label : str
        Words for ``priority["homes"]`` in the reason.

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``candidate`` (1 = best), columns ``n_lsoas``, ``lsoa_codes`` and
        ``lsoa_names`` (comma-separated, highest gap first), ``borough_name`` (all boroughs
        touched), ``gap_mean``, ``gap_max``, ``ha_homes`` (sum; NaN when not considered),
        ``population`` (sum, if available), ``reason``, and ``geometry`` (union of the
        LSOAs), in the CRS of ``lsoas``.
    """
    _check_lsoas(lsoas)
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not isinstance(max_lsoas, int) or max_lsoas < 1:
        raise ValueError(f"max_lsoas must be a positive integer, got {max_lsoas!r}")
    if not -1 <= min_gap <= 1:
        raise ValueError(f"min_gap must be between -1 and 1, got {min_gap!r}")
    g = pd.to_numeric(gap, errors="raise").reindex(lsoas.index)
    eligible = g >= min_gap
    homes = None
    if ha_homes is not None:
        homes = pd.to_numeric(ha_homes, errors="raise").reindex(lsoas.index).fillna(0.0)
        eligible &= homes >= min_ha_homes
    cand = lsoas.loc[eligible.to_numpy()]
    columns = [
        "n_lsoas", "lsoa_codes", "lsoa_names", "borough_name", "gap_mean", "gap_max",
        "ha_homes", "population", "reason",
    ]  # fmt: skip
    if cand.empty:
        empty = gpd.GeoDataFrame(
            {c: pd.Series(dtype=object) for c in columns}, geometry=[], crs=lsoas.crs
        )
        empty.index.name = "candidate"
        return empty

    cg = g.loc[cand.index].to_numpy(dtype=float)
    ch = homes.loc[cand.index].to_numpy(dtype=float) if homes is not None else None
    order_by = cg
    if priority is not None:
        pri = priority.reindex(cand.index)
        pri_weights = priority.attrs.get("weights", dict(PILOT_WEIGHTS))
        order_by = pri["priority"].fillna(-np.inf).to_numpy(dtype=float)
    size = max_lsoas if contiguity else 1
    adj = rook_adjacency(cand) if size > 1 else None
    groups = _grow_candidates(order_by, ch, adj, n=n, size=size)

    names = cand["lsoa_name"] if "lsoa_name" in cand.columns else pd.Series("", cand.index)
    boroughs = cand["borough_name"] if "borough_name" in cand.columns else pd.Series("", cand.index)
    records = []
    for idx in groups:
        idx = np.asarray(idx)
        bor = list(dict.fromkeys(str(b) for b in boroughs.iloc[idx] if pd.notna(b)))
        rec = {
            "n_lsoas": len(idx),
            "lsoa_codes": ", ".join(map(str, cand.index[idx])),
            "lsoa_names": ", ".join(str(x) for x in names.iloc[idx]),
            "borough_name": ", ".join(bor),
            "gap_mean": float(cg[idx].mean()),
            "gap_max": float(cg[idx].max()),
            "ha_homes": float(ch[idx].sum()) if ch is not None else np.nan,
            "population": (
                float(pd.to_numeric(cand["population"].iloc[idx]).sum())
                if "population" in cand.columns
                else np.nan
            ),
            "geometry": cand.geometry.iloc[idx].union_all(),
        }
        if len(bor) > 1:  # borough names contain "and": list them with semicolons
            where = f"across {len(bor)} boroughs ({'; '.join(bor)})"
        else:
            where = f"in {bor[0]}" if bor else ""
        if len(idx) == 1:
            size = f"Single LSOA {where}".strip()
        else:
            size = f"{len(idx)} adjacent LSOAs {where}".strip()
        gap_txt = f"gap score {rec['gap_mean']:.2f}" + (
            f" on average (highest {rec['gap_max']:.2f})" if len(idx) > 1 else ""
        )
        if ch is None:
            ha_txt = "housing association presence not considered because no stock data is loaded"
        else:
            k = int(round(rec["ha_homes"]))
            ha_txt = f"{k:,} housing association home{'s' if k != 1 else ''}"
        rec["reason"] = f"{size}; {gap_txt}; {ha_txt}"
        if priority is not None:
            seed = pri.iloc[idx[0]]
            rec["priority"] = float(seed["priority"])
            rec["ha_households"] = float(pri["homes"].iloc[idx].sum())
            k = int(round(rec["ha_households"])) if np.isfinite(rec["ha_households"]) else 0
            rec["reason"] = (
                f"Ranked by its first LSOA's {_priority_phrase(seed, pri_weights, homes_label)}"
                f"; {size}; {gap_txt}; {k:,} {homes_label}" + ("" if ch is None else f"; {ha_txt}")
            )
        records.append(rec)

    out = gpd.GeoDataFrame(records, geometry="geometry", crs=lsoas.crs)
    out.index = pd.RangeIndex(1, len(out) + 1, name="candidate")
    extra = ["priority", "ha_households"] if priority is not None else []
    return out[[*columns, *extra, "geometry"]]


def rook_adjacency(lsoas: gpd.GeoSeries | gpd.GeoDataFrame) -> pd.Series:
    """Which polygons share a stretch of boundary ("rook" contiguity), for :func:`pilot_candidates`.

    Two polygons are adjacent when their intersection is a line or an area; meeting at a
    single corner does not count. Read off the DE-9IM matrix (``shapely.relate``) of each
    pair whose envelopes meet: adjacent when the interiors meet in an area (``II = 2``) or the
    boundaries in a line (``BB = 1``); the same answer as the dimension of the intersection,
    without building the intersection (about 3x faster on London's LSOAs).

    Returns
    -------
    pandas.Series
        Aligned to ``lsoas``' index: for each polygon, the positions (``numpy`` int array, in
        ``lsoas``' row order) of its neighbours, ascending.
    """
    geoms = lsoas.geometry if isinstance(lsoas, gpd.GeoDataFrame) else lsoas
    m = len(geoms)
    left, right = geoms.sindex.query(geoms, predicate="intersects")
    values = geoms.to_numpy()
    matrix = shapely.relate(values[left], values[right]).astype("U9")
    inner = matrix.view("U1").reshape(len(matrix), 9)  # one DE-9IM cell per column
    edge = ((inner[:, 0] == "2") | (inner[:, 4] == "1")) & (left != right)  # not a corner
    adj = coo_matrix((np.ones(int(edge.sum())), (left[edge], right[edge])), shape=(m, m)).tocsr()
    adj.sort_indices()
    return pd.Series(
        [adj.indices[adj.indptr[i] : adj.indptr[i + 1]] for i in range(m)],
        index=lsoas.index,
        dtype=object,
    )


def _grow_candidates(
    gap: np.ndarray,
    homes: np.ndarray | None,
    adjacency: pd.Series | None,
    *,
    n: int,
    size: int,
) -> list[list[int]]:
    """Greedy seeded region growing over rook-adjacent eligible LSOAs (positions in ``gap``).

    Loops run over eligible LSOAs (at most a few thousand), never over pairs of them.
    """
    m = len(gap)
    ha = np.zeros(m) if homes is None else homes
    order = np.lexsort((np.arange(m), -ha, -gap))  # gap desc, then HA homes desc, then input
    neighbours = None if adjacency is None or size <= 1 else adjacency.to_numpy()
    assigned = np.zeros(m, dtype=bool)
    groups: list[list[int]] = []
    for seed in order:
        if assigned[seed]:
            continue
        members = [int(seed)]
        assigned[seed] = True
        frontier: set[int] = set()
        while neighbours is not None and len(members) < size:
            last = members[-1]
            frontier |= {int(k) for k in neighbours[last]}
            frontier = {k for k in frontier if not assigned[k]}
            if not frontier:
                break
            best = max(frontier, key=lambda k: (gap[k], ha[k], -k))
            frontier.discard(best)
            members.append(best)
            assigned[best] = True
        groups.append(sorted(members, key=lambda k: (-gap[k], -ha[k], k)))
        if len(groups) == n:
            break
    return groups
