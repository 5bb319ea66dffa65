"""The bundled service directory and the user's uploads as one directory, and what it reaches.

Pure functions (no streamlit) between the loaders (:mod:`geo.data.io`: ``load_services``,
``load_parks``, ``load_park_edges``, ``load_link_workers``) and the pages:

- :func:`bundled_directory` turns the bundled services and parks into one point layer with the
  columns every page uses (parks as a point inside each park, for maps and tables);
- :func:`combine` adds the user's uploaded services ("bundled and mine") or uses them alone
  ("mine only"); every row says where it came from (``source_label``: source and vintage, or
  "your upload");
- :func:`access_supply` is the same directory for access measures: each park replaced by the
  points along its edge, all sharing the park's ``facility`` id, so access to a park is to its
  nearest edge point and a park counts once (``facility_col`` of :mod:`geo.analysis.access`);
- :func:`census_baseline` and :func:`homes_vs_baseline` tabulate housing association
  households (Census 2021) and the user's homes beside each other, with the households beyond
  walking reach of each theme (:mod:`geo.analysis.beyond`).

A theme listed in :data:`geo.data.directory.NO_OPEN_DATA` (specialist and supported housing) is
never served by bundled rows: only a user's upload can cover it, and
until then it is reported as "no open data: upload yours", never as zero access.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.data.directory import GP_COLUMNS
from geo.data.themes import OTHER, THEMES

__all__ = [
    "MODES",
    "NO_DATA_TEXT",
    "SHORT_SOURCES",
    "UPLOAD",
    "access_supply",
    "borough_link_workers",
    "bundled_directory",
    "category_counts",
    "combine",
    "pcns_serving",
    "source_label",
    "theme_rows",
    "uncovered_themes",
]

#: How a user's upload is used: key -> words shown on every page that uses the directory.
MODES: dict[str, str] = {
    "both": "Bundled and mine",
    "mine": "Mine only",
}

#: ``source_label`` of uploaded rows.
UPLOAD = "your upload"

#: What a theme without bundled data shows instead of an access figure.
NO_DATA_TEXT = "no open data: upload yours"

#: Short publisher names for point tooltips (the full source is in geo.data.directory.CATEGORIES).
SHORT_SOURCES: dict[str, str] = {
    "gp_practice": "NHS England",
    "pharmacy": "NHS England ODS",
    "library": "Arts Council England",
    "community_centre": "GLA Cultural Infrastructure Map",
    "park": "OS Open Greenspace",
    "place_of_worship": "OpenStreetMap contributors",
    "jobcentre": "DWP",
    "food_bank": "Give Food",
    "credit_union": "Co-operatives UK",
}

#: The housing associations' themes a place can serve (not "Other").
SERVICE_THEMES: tuple[str, ...] = tuple(t for t in THEMES if t != OTHER)

_GP_COLUMNS = GP_COLUMNS
_COLUMNS = (
    "name",
    "category",
    "category_label",
    "theme",
    "themes",
    "kind",
    "origin",
    "source_label",
    "vintage",
    "vintage_year",
    "licence",
    "address",
    "postcode",
    "borough_code",
    "borough_name",
    "capacity",
    "facility",
    *_GP_COLUMNS,
)


def _old(vintage_year: object, today_year: int, max_age: int = 5) -> bool:
    try:
        return int(today_year) - int(vintage_year) > max_age
    except (TypeError, ValueError):
        return False


def source_label(category: str, vintage: str, vintage_year: object, today_year: int) -> str:
    """'NHS England, December 2025' or 'OpenStreetMap contributors, July 2019 (old data)'."""
    short = SHORT_SOURCES.get(category, category)
    old = " (old data)" if _old(vintage_year, today_year) else ""
    return f"{short}, {vintage}{old}"


def _theme_list(value: object, exclude: Iterable[str] = ()) -> list[str]:
    """'A; B' (or a list) as a list of known themes, without ``exclude``."""
    if isinstance(value, list | tuple | np.ndarray):
        items = [str(v) for v in value]
    elif value is None or (isinstance(value, float) and np.isnan(value)):
        items = []
    else:
        items = [t.strip() for t in str(value).split(";")]
    skip = set(exclude)
    return [t for t in dict.fromkeys(items) if t in SERVICE_THEMES and t not in skip]


def bundled_directory(
    services: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame | None = None,
    *,
    categories: Mapping[str, Mapping] | None = None,
    no_open_data: Iterable[str] = (),
    today_year: int | None = None,
) -> gpd.GeoDataFrame:
    """The bundled services and parks as one point layer (EPSG:27700), one row per place.

    Parameters
    ----------
    services
        ``io.load_services()``: points indexed by ``service_id`` (columns as in the data
        contract: name, category, theme, themes, kind, source, vintage, vintage_year, ...).
    parks
        ``io.load_parks()``: park polygons indexed by ``park_id``; each becomes a point inside
        the park (``representative_point``) with ``facility`` = its park id.
    categories
        ``geo.data.directory.CATEGORIES`` (labels); default: the category keys as labels.
    no_open_data
        Themes bundled rows must not serve (``geo.data.directory.NO_OPEN_DATA``): they are dropped
        from each row's ``themes``.
    today_year
        For the "(old data)" mark in ``source_label`` (default: this year).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns: name, category, category_label, theme (primary), themes (list of themes),
        kind, origin ("bundled"), source_label, vintage, vintage_year, licence, address,
        postcode, borough_code, borough_name, capacity, facility (the row's id) and the GP
        practice columns (NaN for other categories).
    """
    import datetime as _dt

    year = today_year or _dt.date.today().year
    frames = [services]
    if parks is not None and len(parks):
        pts = parks.copy()
        pts = pts.set_geometry(parks.geometry.representative_point())
        frames.append(pts)
    parts = []
    for frame in frames:
        f = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        f.index = frame.index.astype(str)
        f["geometry"] = frame.geometry.to_numpy()
        parts.append(f)
    df = pd.concat(parts, axis=0) if len(parts) > 1 else parts[0]
    df = df.copy()
    for col in _COLUMNS:
        if col not in df.columns:
            df[col] = np.nan
    labels = {k: str(v.get("label", k)) for k, v in (categories or {}).items()}
    df["category_label"] = df["category"].map(lambda c: labels.get(c, str(c)))
    excluded = tuple(no_open_data)
    df["themes"] = [
        _theme_list(ts, excluded) or _theme_list(t, excluded)
        for ts, t in zip(df["themes"], df["theme"], strict=True)
    ]
    df["theme"] = [ts[0] if ts else OTHER for ts in df["themes"]]
    df["origin"] = "bundled"
    df["source_label"] = [
        source_label(str(c), str(v), y, year)
        for c, v, y in zip(df["category"], df["vintage"], df["vintage_year"], strict=True)
    ]
    df["facility"] = df.index.to_numpy()
    cap = pd.to_numeric(df["capacity"], errors="coerce")
    df["capacity"] = cap.fillna(1.0)
    out = gpd.GeoDataFrame(df[[*_COLUMNS, "geometry"]], geometry="geometry", crs=services.crs)
    out.index.name = "service_id"
    return out


def _uploaded(mine: gpd.GeoDataFrame, crs: object) -> gpd.GeoDataFrame:
    """The session's uploaded services (``upload_ui.standardise``) in the directory's columns."""
    df = pd.DataFrame(index=[f"upload:{r}" for r in mine.get("row", range(len(mine)))])
    df["name"] = mine["name"].astype(object).to_numpy() if "name" in mine else "Your service"
    theme = (
        mine["theme"].astype(object).where(mine["theme"].notna(), OTHER)
        if "theme" in mine
        else pd.Series(OTHER, index=mine.index)
    )
    df["theme"] = theme.astype(str).to_numpy()
    df["themes"] = [[t] if t in SERVICE_THEMES else [] for t in df["theme"]]
    df["category"] = "upload"
    df["category_label"] = "Your services"
    df["kind"] = "service"
    df["origin"] = UPLOAD
    df["source_label"] = UPLOAD
    for col in ("borough_code", "borough_name", "capacity"):
        df[col] = mine[col].to_numpy() if col in mine else np.nan
    df["capacity"] = pd.to_numeric(df["capacity"], errors="coerce")
    for col in _COLUMNS:
        if col not in df.columns:
            df[col] = np.nan
    df["facility"] = df.index.to_numpy()
    geom = mine.geometry if mine.crs == crs or crs is None else mine.geometry.to_crs(crs)
    out = gpd.GeoDataFrame(df[list(_COLUMNS)], geometry=geom.to_numpy(), crs=crs or mine.crs)
    out.index.name = "service_id"
    return out


def combine(
    bundled: gpd.GeoDataFrame | None, mine: gpd.GeoDataFrame | None, mode: str = "both"
) -> gpd.GeoDataFrame | None:
    """The directory the pages use: bundled and the user's services, or the user's only.

    Parameters
    ----------
    bundled
        :func:`bundled_directory` output (or None when no bundled data is installed).
    mine
        The session's uploaded services (``st.session_state["services"]``) or None.
    mode
        ``"both"`` (bundled and mine) or ``"mine"`` (mine only); see :data:`MODES`.

    Returns
    -------
    geopandas.GeoDataFrame or None
        One row per place, bundled rows first; None when there is nothing ("mine only" with
        no upload, or no data at all). Uploaded rows have ``origin`` and ``source_label``
        "your upload" and the uploaded capacity (NaN when none); bundled rows capacity 1.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    parts = []
    crs = bundled.crs if bundled is not None else (mine.crs if mine is not None else None)
    if mode == "both" and bundled is not None and len(bundled):
        parts.append(bundled)
    if mine is not None and len(mine):
        parts.append(_uploaded(mine, crs))
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0].copy()
    out = pd.concat(parts, axis=0)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=crs)


def access_supply(
    directory: gpd.GeoDataFrame, park_edges: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """The directory for access measures: each park as the points along its edge.

    Parameters
    ----------
    directory
        :func:`combine` (or :func:`bundled_directory`) output.
    park_edges
        ``io.load_park_edges()``: points every <= 50 m along each park's boundary, column
        ``park_id``. Parks without edge points keep their inside point.

    Returns
    -------
    geopandas.GeoDataFrame
        The directory's columns, one row per point; all edge points of a park carry the park's
        attributes and its ``facility`` id, so :mod:`geo.analysis.access` functions called with
        ``facility_col="facility"`` reach a park at its nearest edge and count it once.
    """
    if park_edges is None or not len(park_edges):
        return directory
    is_park = directory["category"].eq("park").to_numpy()
    parks = directory[is_park]
    edges = park_edges[park_edges["park_id"].astype(str).isin(parks.index)]
    if edges.crs is not None and directory.crs is not None and edges.crs != directory.crs:
        edges = edges.to_crs(directory.crs)
    attrs = pd.DataFrame(parks.drop(columns=parks.geometry.name)).loc[
        edges["park_id"].astype(str).to_numpy()
    ]
    attrs.index = [f"{p}#{k}" for k, p in enumerate(edges["park_id"].astype(str))]
    edge_rows = gpd.GeoDataFrame(attrs, geometry=edges.geometry.to_numpy(), crs=directory.crs)
    without = parks[~parks.index.isin(set(edges["park_id"].astype(str)))]
    out = pd.concat([directory[~is_park], edge_rows, without], axis=0)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=directory.crs)


def theme_rows(directory: gpd.GeoDataFrame, theme: str) -> gpd.GeoDataFrame:
    """Rows serving ``theme`` (in their ``themes`` list); all rows for "All themes"."""
    if theme not in SERVICE_THEMES:
        return directory
    mask = directory["themes"].map(lambda ts: theme in ts)
    return directory[mask.to_numpy(dtype=bool)]


def uncovered_themes(
    directory: gpd.GeoDataFrame | None, no_open_data: Mapping[str, str]
) -> dict[str, str]:
    """Themes with no place in ``directory`` -> why (the no-open-data reason, or 'none loaded')."""
    have: set[str] = set()
    if directory is not None and len(directory):
        for ts in directory["themes"]:
            have.update(ts)
    return {
        t: no_open_data.get(t, "No place of this theme in the directory.")
        for t in SERVICE_THEMES
        if t not in have
    }


def category_counts(
    directory: gpd.GeoDataFrame, boroughs: Iterable[str] = (), label_col: str = "category_label"
) -> pd.DataFrame:
    """Places per category (and source), for all London or the given borough codes."""
    rows = directory
    codes = list(boroughs)
    if codes:
        rows = directory[directory["borough_code"].isin(codes)]
    out = (
        pd.DataFrame(rows.drop(columns=rows.geometry.name))
        .groupby([label_col, "source_label"], dropna=False)
        .size()
        .rename("places")
        .reset_index()
        .sort_values("places", ascending=False)
    )
    return out.reset_index(drop=True)


def borough_link_workers(practices: pd.DataFrame) -> pd.DataFrame:
    """Link-worker provision of the practices in each borough.

    FTE per 10,000 patients of a borough = sum of its practices' ``lw_fte_allocated`` /
    sum of their ``registered_patients`` x 10,000, over practices whose PCN has a workforce
    record. (A PCN can span boroughs; its FTE is shared among its practices by patients.)

    Returns
    -------
    pandas.DataFrame
        Indexed by ``borough_code``: ``practices``, ``patients`` (all practices),
        ``lw_fte`` (allocated FTE), ``lw_per_10k``, ``practices_unknown`` (PCN without a
        workforce record).
    """
    fte = pd.to_numeric(practices["lw_fte_allocated"], errors="coerce")
    pts = pd.to_numeric(practices["registered_patients"], errors="coerce").fillna(0.0)
    frame = pd.DataFrame(
        {
            "borough_code": practices["borough_code"].to_numpy(),
            "patients": pts.to_numpy(),
            "known_patients": pts.where(fte.notna(), 0.0).to_numpy(),
            "lw_fte": fte.fillna(0.0).to_numpy(),
            "unknown": fte.isna().to_numpy().astype(int),
        }
    )
    g = frame.groupby("borough_code")
    out = pd.DataFrame(
        {
            "practices": g.size(),
            "patients": g["patients"].sum(),
            "lw_fte": g["lw_fte"].sum(),
            "practices_unknown": g["unknown"].sum(),
        }
    )
    known = g["known_patients"].sum()
    out["lw_per_10k"] = (out["lw_fte"] / known.where(known > 0) * 10_000).astype(float)
    return out


def pcns_serving(link_workers: pd.DataFrame, borough_code: str) -> pd.DataFrame:
    """The PCNs with a member practice in ``borough_code`` (``borough_codes`` "; "-joined)."""
    codes = link_workers["borough_codes"].fillna("").astype(str).str.split("; ")
    mask = codes.map(lambda cs: borough_code in cs)
    return link_workers[mask.to_numpy(dtype=bool)].sort_values("lw_per_10k", ascending=False)


def _theme_cells(rec: dict, beyond: pd.DataFrame | None, code: str, uncovered: Iterable[str]):
    skip = set(uncovered)
    for theme in SERVICE_THEMES:
        count_col, share_col = f"{theme}: beyond reach", f"{theme}: share"
        if theme in skip or beyond is None or count_col not in beyond.columns:
            if theme in skip:
                rec[f"{theme}: beyond reach"] = NO_DATA_TEXT
            continue
        if code not in beyond.index:
            continue
        rec[f"{theme}: beyond reach"] = int(round(beyond.at[code, count_col]))
        share = beyond.at[code, share_col]
        rec[f"{theme}: % beyond reach"] = round(float(share) * 100, 1) if pd.notna(share) else None


def census_baseline(
    boroughs: pd.DataFrame, beyond: pd.DataFrame | None, uncovered: Iterable[str] = ()
) -> pd.DataFrame:
    """The Census baseline table: London, then each borough (most HA households first).

    Parameters
    ----------
    boroughs
        ``io.load_boroughs("iod2025")`` with ``ha_households``, ``households``,
        ``ha_households_in_10``, ``ha_households_in_20``.
    beyond
        :func:`geo.analysis.beyond.ha_beyond_reach` output (or None when no places are used).
    uncovered
        Themes shown as :data:`NO_DATA_TEXT` instead of a count.

    Returns
    -------
    pandas.DataFrame
        ``Area``, ``Housing association households``, ``% of households``, ``In most
        deprived 10%``, ``% of them (10%)``, ``In most deprived 20%``, ``% of them (20%)`` and
        per theme ``"{theme}: beyond reach"`` and ``"{theme}: % beyond reach"``.
    """
    order = boroughs.sort_values("ha_households", ascending=False)
    london = {
        "borough_name": "London",
        "ha_households": boroughs["ha_households"].sum(),
        "households": boroughs["households"].sum(),
        "ha_households_in_10": boroughs["ha_households_in_10"].sum(),
        "ha_households_in_20": boroughs["ha_households_in_20"].sum(),
    }
    rows = []
    items = [("London", pd.Series(london))] + list(order.iterrows())
    for code, row in items:
        ha = float(row["ha_households"])
        rec = {
            "Area": row["borough_name"],
            "Housing association households": int(round(ha)),
            "% of households": round(ha / float(row["households"]) * 100, 1),
            "In most deprived 10%": int(round(row["ha_households_in_10"])),
            "% of them (10%)": round(float(row["ha_households_in_10"]) / ha * 100, 1)
            if ha
            else None,
            "In most deprived 20%": int(round(row["ha_households_in_20"])),
            "% of them (20%)": round(float(row["ha_households_in_20"]) / ha * 100, 1)
            if ha
            else None,
        }
        _theme_cells(rec, beyond, code, uncovered)
        rows.append(rec)
    return pd.DataFrame(rows)


def homes_vs_baseline(
    stock: pd.DataFrame,
    lsoas: pd.DataFrame,
    mine_beyond: pd.DataFrame,
    boroughs: pd.DataFrame,
    census_beyond: pd.DataFrame | None,
    uncovered: Iterable[str] = (),
) -> pd.DataFrame:
    """The user's homes beside the Census baseline, for each borough their homes are in.

    Two rows per borough ("Your homes", "Census 2021: housing association households"), with
    the columns of :func:`census_baseline` (count, in the most deprived 10% / 20% by IMD 2025
    decile of the home's LSOA, beyond reach of each theme).
    """
    units = pd.to_numeric(stock.get("units", 1), errors="coerce").fillna(1.0)
    units = units if isinstance(units, pd.Series) else pd.Series(1.0, index=stock.index)
    decile = lsoas["imd_decile"].reindex(stock["lsoa_code"]).to_numpy()
    frame = pd.DataFrame(
        {
            "b": stock["borough_code"].to_numpy(),
            "u": units.to_numpy(),
            "in10": np.where(decile == 1, units, 0.0),
            "in20": np.where(decile <= 2, units, 0.0),
        }
    )
    mine = frame.groupby("b").sum()
    base = census_baseline(boroughs, census_beyond, uncovered).set_index("Area")
    rows = []
    for code in mine.sort_values("u", ascending=False).index:
        name = boroughs.at[code, "borough_name"] if code in boroughs.index else code
        u = float(mine.at[code, "u"])
        rec = {
            "Borough": name,
            "Who": "Your homes",
            "Homes / households": int(round(u)),
            "In most deprived 10%": int(round(mine.at[code, "in10"])),
            "% of them (10%)": round(mine.at[code, "in10"] / u * 100, 1) if u else None,
            "In most deprived 20%": int(round(mine.at[code, "in20"])),
            "% of them (20%)": round(mine.at[code, "in20"] / u * 100, 1) if u else None,
        }
        _theme_cells(rec, mine_beyond, code, uncovered)
        rows.append(rec)
        if name in base.index:
            b = base.loc[name]
            census = {
                "Borough": name,
                "Who": "Census 2021: housing association households",
                "Homes / households": b["Housing association households"],
            }
            census.update(
                {k: v for k, v in b.items() if k not in ("Housing association households",)}
            )
            census.pop("% of households", None)
            rows.append(census)
    return pd.DataFrame(rows)
