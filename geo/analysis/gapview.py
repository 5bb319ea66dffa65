"""The Gap finder's computations: parameters, London-wide gap tables, display tables, exports.

Pure functions (no streamlit) used by ``app_pages/gaps.py``. Need and access are computed over
*all* London LSOAs of a vintage, so percentiles, gaps and ranks are London-wide; the page then
shows the rows of the selected boroughs.

Housing association share (the optional need boost) is homes per 1,000 residents divided by its
London maximum, so it runs from 0 (no homes) to 1 (the LSOA with the densest stock). There is no
count of households per LSOA in the app's data, so it is not a true share of homes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis import gap, oa_gaps
from geo.analysis.walkaccess import DISTANCES, AccessModel
from geo.data.indicators import DOMAIN_LABELS, DOMAINS, VINTAGES
from geo.data.themes import OTHER, THEMES

__all__ = [
    "ALL_THEMES",
    "CATCHMENTS",
    "DECAY_LABELS",
    "DEMAND_LABELS",
    "GapParams",
    "compute_gaps",
    "compute_need",
    "display_table",
    "frame_digest",
    "ha_share",
    "header_lines",
    "homes_per_lsoa",
    "metadata",
    "need_only_table",
    "normalise_weights",
    "pilot_display",
    "prepare_services",
    "themes_present",
]

#: The "no theme filter" value of the sidebar (same text as ``Selection.theme``'s default).
ALL_THEMES = "All themes"

#: Walking catchments offered, metres.
CATCHMENTS: tuple[int, ...] = (400, 800, 1200, 1600)

#: Distance-decay options of :func:`geo.analysis.access.e2sfca`, in plain words.
DECAY_LABELS: dict[str, str] = {
    "step": "Step: every service in the catchment counts fully",
    "gaussian": "Gaussian: nearer services count more (61% at the edge)",
    "gaussian_dai": "Gaussian to zero: falls smoothly to 0 at the edge (Dai 2010)",
}

#: Demand columns of the LSOA layers and their names. All residents are counted in Output
#: Areas (Census 2021); the others have no Output Area table, so each LSOA's count is spread
#: over its Output Areas in proportion to their residents.
DEMAND_LABELS: dict[str, str] = {
    "population": "All residents",
    "population_65plus": "Residents aged 65 and over",
    "disabled": "Disabled residents (Equality Act)",
}

_HIGH_GAP = 0.5

#: Heading of the table's demand column.
_DEMAND_COLUMNS = {
    "population": "Population",
    "population_65plus": "Population 65+",
    "disabled": "Disabled residents",
}


@dataclass(frozen=True)
class GapParams:
    """Everything the gap computation depends on besides the data (hashable: a cache key)."""

    vintage: str = "iod2025"
    theme: str = ALL_THEMES
    catchment: float = 800.0
    detour: float | None = None  # None: the factor measured by the build (the model's)
    distance: str = "streets"  # geo.analysis.walkaccess.DISTANCES
    decay: str = "step"
    demand: str = "population"
    weights: tuple[tuple[str, float], ...] = tuple(gap.DEFAULT_NEED_WEIGHTS.items())
    ha_boost: float = 0.0  # 0 = housing association homes not used in the need index
    use_capacity: bool = False

    @property
    def weights_dict(self) -> dict[str, float]:
        return dict(self.weights)


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------
def frame_digest(frame: pd.DataFrame | None) -> str:
    """A stable sha256 of a (Geo)DataFrame's content (index, columns, values and geometry).

    Used to key per-session results; ``None`` gives ``"none"``.
    """
    if frame is None:
        return "none"
    h = hashlib.sha256()
    h.update(repr((list(map(str, frame.columns)), str(frame.index.dtype), len(frame))).encode())
    geom_col = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    plain = frame.drop(columns=[c for c in frame.columns if c == geom_col])
    if len(plain.columns):
        as_object = plain.astype(object).where(plain.notna(), None).astype(str)
        h.update(pd.util.hash_pandas_object(as_object, index=True).to_numpy().tobytes())
    else:
        h.update(
            pd.util.hash_pandas_object(frame.index.to_series(), index=False).to_numpy().tobytes()
        )
    if geom_col is not None and geom_col in frame.columns:
        h.update(str(frame.crs).encode())
        wkb = frame.geometry.to_wkb()
        h.update(b"\x00".join(b"" if w is None else w for w in wkb))
    return h.hexdigest()


def prepare_services(services: gpd.GeoDataFrame, crs: int | str = 27700) -> gpd.GeoDataFrame:
    """Services ready for the access measures: located rows only, in ``crs``, theme as text.

    Rows with a missing or empty geometry are dropped; a missing theme becomes ``"Other"``.
    """
    svc = services[services.geometry.notna() & ~services.geometry.is_empty]
    if svc.crs is None:
        raise ValueError("services have no CRS; expected EPSG:27700")
    svc = (
        svc.to_crs(crs)
        if not svc.crs.equals(f"EPSG:{crs}" if isinstance(crs, int) else crs)
        else svc
    )
    theme = (
        svc["theme"].astype(object) if "theme" in svc.columns else pd.Series(OTHER, index=svc.index)
    )
    svc = svc.assign(theme=theme.where(theme.notna(), OTHER).astype(str))
    return svc


def themes_present(services: gpd.GeoDataFrame | None) -> list[str]:
    """The housing associations' themes (not "Other") that have at least one service.

    A service serves its ``themes`` (a list, bundled directory) or else its ``theme``.
    """
    if services is None or services.empty:
        return []
    if "themes" in services.columns:
        have = {t for ts in services["themes"] for t in ts}
    else:
        have = set(services["theme"].astype(str))
    return [t for t in THEMES if t != OTHER and t in have]


def _theme_column(services: gpd.GeoDataFrame) -> str:
    """The column holding each service's theme(s): ``themes`` (lists) when present."""
    return "themes" if "themes" in services.columns else "theme"


def _facility_col(services: gpd.GeoDataFrame) -> str | None:
    return "facility" if "facility" in services.columns else None


def theme_mask(services: pd.DataFrame, theme: str) -> np.ndarray:
    """Which rows serve ``theme`` (every row for "All themes"), as a boolean array.

    The test runs once per distinct ``themes`` value (a few dozen), not once per row: the
    directory with its park edge points has tens of thousands of rows.
    """
    if theme == ALL_THEMES:
        return np.ones(len(services), dtype=bool)
    if "themes" in services.columns:
        # "; "-joined text (the directory) or lists (parsed uploads): tuples are hashable
        values = services["themes"]
        try:
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
        except TypeError:  # lists are not hashable: as tuples
            values = values.map(lambda v: tuple(v) if isinstance(v, list) else v)
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
        serves = np.array([isinstance(u, str | tuple) and theme in u for u in uniques], bool)
        return np.append(serves, False)[codes]  # code -1 (missing) -> False
    return (services["theme"] == theme).to_numpy(dtype=bool)


def in_theme(services: gpd.GeoDataFrame, theme: str) -> gpd.GeoDataFrame:
    """The services serving ``theme`` (all of them for "All themes")."""
    if theme == ALL_THEMES:
        return services
    return services[theme_mask(services, theme)]


def count_places(services: gpd.GeoDataFrame | None, theme: str = ALL_THEMES) -> int:
    """Places serving ``theme`` (facilities: a park with many edge points is one), not rows."""
    if services is None or services.empty:
        return 0
    mask = theme_mask(services, theme)
    col = _facility_col(services)
    if col is None:
        return int(mask.sum())
    return len(pd.unique(services[col].to_numpy()[mask]))


def homes_per_lsoa(stock: gpd.GeoDataFrame, lsoas: gpd.GeoDataFrame, *, by_code: bool) -> pd.Series:
    """Housing association homes per LSOA (``units`` summed, 1 per row if absent).

    Parameters
    ----------
    stock
        Accepted homes (points), with ``lsoa_code`` (LSOA 2021) and optional ``units``.
    lsoas
        LSOA polygons indexed by ``lsoa_code`` (any vintage).
    by_code
        Use the stock's ``lsoa_code`` (right for the 2021 LSOAs, i.e. IoD 2025); otherwise
        each home is placed in the LSOA polygon containing it (e.g. 2011 LSOAs for IoD 2019).

    Returns
    -------
    pandas.Series
        ``homes`` (float) aligned to ``lsoas.index``, 0 where there are none.
    """
    units = (
        pd.to_numeric(stock["units"], errors="coerce").fillna(1.0)
        if "units" in stock.columns
        else pd.Series(1.0, index=stock.index)
    )
    if by_code and "lsoa_code" in stock.columns:
        codes = stock["lsoa_code"]
    else:
        pts = (
            stock[["geometry"]].to_crs(lsoas.crs) if stock.crs != lsoas.crs else stock[["geometry"]]
        )
        polys = lsoas[[lsoas.geometry.name]].rename_axis("lsoa_code").reset_index()
        joined = gpd.sjoin(pts, polys, how="left", predicate="within")
        codes = joined[~joined.index.duplicated()]["lsoa_code"].reindex(stock.index)
    homes = units.groupby(codes.to_numpy()).sum()
    return homes.reindex(lsoas.index, fill_value=0.0).astype(float).rename("homes")


def ha_share(homes: pd.Series, population: pd.Series) -> pd.Series:
    """Homes per 1,000 residents divided by the largest value: 0..1 (0 when there are none)."""
    pop = pd.to_numeric(population, errors="coerce").reindex(homes.index)
    per_1000 = (homes / pop.where(pop > 0) * 1000).fillna(0.0)
    top = float(per_1000.max()) if len(per_1000) else 0.0
    if top <= 0 or not np.isfinite(top):
        return per_1000 * 0.0
    return (per_1000 / top).clip(0, 1).rename("ha_share")


def normalise_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights above 0, scaled to sum to 1 (empty dict when they are all 0)."""
    used = {d: float(w) for d, w in weights.items() if d in DOMAINS and w > 0}
    total = sum(used.values())
    return {d: w / total for d, w in used.items()} if total > 0 else {}


# --------------------------------------------------------------------------------------------
# computation
# --------------------------------------------------------------------------------------------
def compute_need(
    lsoas: pd.DataFrame, params: GapParams, homes: pd.Series | None = None
) -> pd.Series:
    """The need index of every LSOA (London-relative), with the housing association boost."""
    share = None
    if homes is not None and params.ha_boost > 0:
        share = ha_share(homes, lsoas["population"])
    return gap.need_index(lsoas, params.weights_dict, ha_share=share, ha_boost=params.ha_boost)


def compute_gaps(
    lsoas: gpd.GeoDataFrame,
    model: AccessModel,
    params: GapParams,
    homes: pd.Series | None = None,
) -> pd.DataFrame:
    """London-wide gap table for one theme (or all), access measured where people live.

    Parameters
    ----------
    lsoas
        All LSOAs of ``params.vintage``.
    model
        The places and their walking distances to the Output Areas
        (:mod:`geo.analysis.walkaccess`), built with ``params.detour`` and ``params.distance``.
    params
        Catchment, detour, decay, demand, weights, theme, boost.
    homes
        Housing association homes per LSOA (:func:`homes_per_lsoa`), or None.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`geo.analysis.gap.gap_table` (sorted by gap, ``rank``
        London-wide), ``reach_share`` (share of residents with a place of the theme within
        the catchment; any place for all themes), ``nearest_m`` (walking metres of the median
        resident to the nearest such place), per theme ``within_*`` (places within reach of
        the average resident), ``reach_*`` and ``nearest_*_m``
        (:func:`geo.analysis.oa_gaps.theme_measures`), and ``borough_code``,
        ``bivariate_class``, ``class_label``, ``demand`` (the LSOA count used), ``homes``
        (when given). The reason names the theme.
    """
    if params.detour is not None and abs(params.detour - model.detour) > 1e-9:
        raise ValueError(
            f"the access model was built with detour {model.detour}, not {params.detour}"
        )
    if params.distance not in DISTANCES:
        raise ValueError(f"distance must be one of {', '.join(DISTANCES)}")
    need = compute_need(lsoas, params, homes)
    theme = None if params.theme == ALL_THEMES else params.theme
    measures = oa_gaps.theme_measures(
        lsoas,
        model,
        vintage=params.vintage,
        theme=theme,
        catchment=params.catchment,
        decay=params.decay,
        demand=params.demand,
        use_capacity=params.use_capacity,
    )
    empty = pd.DataFrame(index=lsoas.index)
    table = gap.gap_table(lsoas, need, measures.access, empty, empty, catchment=params.catchment)
    deprivation = table["reason"]
    table = table.drop(columns="reason").join(measures.columns)
    table["reason"] = oa_gaps.reasons(deprivation, measures.columns, theme, params.catchment)
    classes = gap.bivariate_class(need, measures.access)
    table["borough_code"] = lsoas["borough_code"].reindex(table.index)
    table["bivariate_class"] = classes.reindex(table.index)
    table["class_label"] = table["bivariate_class"].map(gap.BIVARIATE_LABELS)
    table["demand"] = pd.to_numeric(lsoas[params.demand], errors="coerce").reindex(table.index)
    if homes is not None:
        table["homes"] = homes.reindex(table.index).fillna(0.0)
    _add_census_homes(table, lsoas)
    return table


def _add_census_homes(table: pd.DataFrame, lsoas: pd.DataFrame) -> None:
    """Census housing association households and share, where the LSOA layer has them."""
    for col in ("ha_households", "ha_share"):
        if col in lsoas.columns:
            table[col] = pd.to_numeric(lsoas[col], errors="coerce").reindex(table.index)


def need_only_table(
    lsoas: pd.DataFrame, params: GapParams, homes: pd.Series | None = None
) -> pd.DataFrame:
    """London-wide need ranking when no services are loaded (nothing about access).

    Columns: ``rank`` (1 = highest need in London), ``lsoa_name``, ``borough_name``, ``need``,
    ``need_pct``, ``reason`` (deprivation only), ``borough_code``, ``demand``, ``homes`` (when
    given) and the ``{d}_decile`` of each weighted domain; sorted by need, highest first.
    """
    need = compute_need(lsoas, params, homes)
    flat = pd.Series(0.0, index=lsoas.index)
    empty = pd.DataFrame(index=lsoas.index)
    table = gap.gap_table(lsoas, need, flat, empty, empty, catchment=params.catchment)
    table = table.drop(columns=["access", "gap", "access_pct"])
    table["borough_code"] = lsoas["borough_code"].reindex(table.index)
    for d in normalise_weights(params.weights_dict):
        table[f"{d}_decile"] = lsoas[f"{d}_decile"].reindex(table.index)
    table["demand"] = pd.to_numeric(lsoas[params.demand], errors="coerce").reindex(table.index)
    if homes is not None:
        table["homes"] = homes.reindex(table.index).fillna(0.0)
    _add_census_homes(table, lsoas)
    return table


# --------------------------------------------------------------------------------------------
# presentation
# --------------------------------------------------------------------------------------------
def _theme_label(col: str) -> str:
    return "any theme" if col == "all" else col


def display_table(
    table: pd.DataFrame, params: GapParams, boroughs: tuple[str, ...] = ()
) -> pd.DataFrame:
    """The table the page shows and exports: readable column names, rows of ``boroughs``.

    Works on :func:`compute_gaps` and :func:`need_only_table` output. Rows keep the London
    order and London rank; with a borough selection a ``Rank in selection`` column is added.
    Numbers are rounded for reading (percentiles 0..1 to 3 places, distances to 10 m).
    """
    rows = table[table["borough_code"].isin(boroughs)] if boroughs else table
    c = f"{params.catchment:,.0f} m"
    demand = {"population": "residents", "population_65plus": "residents 65+"}.get(
        params.demand, "disabled residents"
    )
    has_gap = "gap" in rows.columns
    out = pd.DataFrame(index=rows.index.copy())
    out["London rank"] = rows["rank"]
    if boroughs:
        ranked = rows["rank"].notna()
        out["Rank in selection"] = pd.Series(pd.NA, index=rows.index, dtype="Int64")
        out.loc[ranked, "Rank in selection"] = np.arange(1, int(ranked.sum()) + 1)
    out["Neighbourhood"] = rows["lsoa_name"]
    out["Borough"] = rows["borough_name"]
    if has_gap:
        out["Gap"] = rows["gap"].round(3)
        out["Reason"] = rows["reason"]
        out["Gap class"] = rows["class_label"]
    out["Need index"] = rows["need"].round(3)
    if not has_gap:
        out["Why"] = rows["reason"]
    out["Need percentile"] = rows["need_pct"].round(3)
    if has_gap:
        out[f"Access (per 1,000 {demand})"] = (rows["access"] * 1000).round(3)
        out["Access percentile"] = rows["access_pct"].round(3)
        # the measure of the theme chosen (all themes: any place) first, then each theme
        if "reach_share" in rows.columns:
            out[f"Residents with a place within {c}"] = rows["reach_share"].round(3)
            out["Median resident's walk to the nearest place (m)"] = rows["nearest_m"].round(-1)
        for col in [k for k in rows.columns if k.startswith("within_")]:
            label = f"Places within {c} (average resident): {_theme_label(col[7:])}"
            out[label] = rows[col].round(1)
        for col in [k for k in rows.columns if k.startswith("reach_") and k != "reach_share"]:
            out[f"Residents with a place within {c}: {_theme_label(col[6:])}"] = rows[col].round(3)
        for col in [
            k for k in rows.columns if k.startswith("nearest_") and k.endswith("_m") and k[8:-2]
        ]:
            out[f"Median resident's walk to the nearest place (m): {_theme_label(col[8:-2])}"] = (
                rows[col].round(-1)
            )
    else:
        for d in DOMAINS:
            if f"{d}_decile" in rows.columns:
                out[f"{DOMAIN_LABELS[d]} decile"] = rows[f"{d}_decile"]
    if "lw_reg_per_10k" in rows.columns:  # geo.analysis.registration.add_registration
        out["Link-worker FTE per 10,000 residents (by registration)"] = rows[
            "lw_reg_per_10k"
        ].round(3)
        out["% of registered residents with a PCN of unknown FTE"] = (
            rows["lw_unknown_share"] * 100
        ).round(1)
    if "ha_households" in rows.columns:
        census = "Census 2021" if params.vintage == "iod2025" else "Census 2011"
        out[f"Housing association households ({census})"] = (
            rows["ha_households"].round(0).astype("Int64")
        )
        out["Housing association share of households"] = rows["ha_share"].round(3)
    if "homes" in rows.columns:
        out["Your homes"] = rows["homes"].round(0).astype("Int64")
    out[_DEMAND_COLUMNS.get(params.demand, "Demand")] = rows["demand"]
    return out.rename_axis("LSOA code")


def pilot_display(pilots: pd.DataFrame, has_stock: bool) -> pd.DataFrame:
    """The pilot candidates as shown (no geometry), index ``Candidate``."""
    out = pd.DataFrame(index=pilots.index.copy())
    out["Borough"] = pilots["borough_name"]
    out["Neighbourhoods"] = pilots["n_lsoas"]
    out["Mean gap"] = pd.to_numeric(pilots["gap_mean"]).round(3)
    out["Highest gap"] = pd.to_numeric(pilots["gap_max"]).round(3)
    if "priority" in pilots.columns:
        out["Priority"] = pd.to_numeric(pilots["priority"]).round(3)
        out["Housing association households"] = (
            pd.to_numeric(pilots["ha_households"]).round(0).astype("Int64")
        )
    if has_stock:
        out["Your homes"] = pd.to_numeric(pilots["ha_homes"]).round(0).astype("Int64")
    out["Population"] = pd.to_numeric(pilots["population"]).round(0).astype("Int64")
    out["Reason"] = pilots["reason"]
    out["LSOA names"] = pilots["lsoa_names"]
    out["LSOA codes"] = pilots["lsoa_codes"]
    return out.rename_axis("Candidate")


def metadata(
    params: GapParams,
    *,
    borough_names: Mapping[str, str],
    boroughs: tuple[str, ...],
    n_services: int,
    n_services_theme: int,
    n_homes: float | None,
    sources: str,
) -> dict:
    """Every parameter of the table, for the CSV header and the GeoJSON ``metadata``."""
    weights = normalise_weights(params.weights_dict)
    area = (
        "; ".join(f"{borough_names.get(b, b)} ({b})" for b in boroughs)
        if boroughs
        else "All London"
    )
    meta = {
        "title": "Gap finder: social prescribing need and access by neighbourhood (LSOA)",
        "vintage": params.vintage,
        "vintage_label": VINTAGES.get(params.vintage, {}).get("label", params.vintage),
        "boroughs": area,
        "theme": params.theme,
        "catchment_m": params.catchment,
        "detour_factor": params.detour,
        "distance": DISTANCES.get(params.distance, params.distance),
        "decay": params.decay,
        "demand": params.demand,
        "need_weights": {d: round(w, 4) for d, w in weights.items()},
        "housing_association_boost": params.ha_boost,
        "capacity_used": params.use_capacity,
        "services_loaded": n_services,
        "services_in_theme": n_services_theme,
        "housing_association_homes_loaded": "none loaded" if n_homes is None else n_homes,
        "ranks": "London-wide (need, access and gap percentiles over all London LSOAs)",
        "gap": "need percentile minus access percentile; +1 = highest need with no access in London",
        "access": "E2SFCA: places per resident in reach (x1,000 in the table), measured from the Census 2021 Output Areas' population-weighted centroids and weighted by their residents",
        "reach": "share of residents (Output Areas) with at least one place within the catchment; median resident's walking distance to the nearest place",
        "sources": sources,
    }
    if n_services == 0:
        meta["note"] = "No community services loaded: need only, nothing about access"
    return meta


def header_lines(meta: Mapping[str, object]) -> list[str]:
    """``key=value`` lines for :func:`geo.outputs.export.safe_csv` (dicts as ``k=v; k=v``)."""
    lines = []
    for key, value in meta.items():
        if isinstance(value, Mapping):
            value = "; ".join(f"{k}={v}" for k, v in value.items())
        lines.append(f"{key}={value}")
    return lines


def count_high_gap(table: pd.DataFrame, threshold: float = _HIGH_GAP) -> int:
    """LSOAs with gap at or above ``threshold`` (0.5 by default)."""
    return int((table["gap"] >= threshold).sum()) if "gap" in table.columns else 0
