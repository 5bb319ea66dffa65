"""Map layers of the bundled data: housing association homes, service categories, link workers.

Built only from :mod:`geo.web.maps`' public functions (``add_choropleth``, ``add_points``,
``legend_html``, ``add_legend``), so they follow however those draw (canvas circle markers,
clustering for thousands of points). Every layer's name in the layer control states its source
and vintage, and old layers (more than five years old) say so. Every text from data is escaped
by :mod:`geo.web.maps`; the few names built here are escaped with :func:`html.escape`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import branca
import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.provision import SHORT_SOURCES, UPLOAD
from geo.web.choropleth import NO_DATA_COLOUR, add_choropleth, add_legend, legend_html
from geo.web.points import add_points
from geo.web.staticgeom import WebLayer

__all__ = [
    "CATEGORY_COLOURS",
    "LW_NO_RECORD",
    "add_category_layers",
    "add_ha_layer",
    "add_ha_points",
    "add_link_worker_layer",
    "ha_percent",
    "lw_text",
    "point_tooltip_fields",
]

#: One colour per bundled category (Okabe-Ito based, distinct from the theme colours' order;
#: food banks and credit unions from Paul Tol's muted scheme, dark enough on the light basemap).
CATEGORY_COLOURS: dict[str, str] = {
    "gp_practice": "#0072B2",
    "pharmacy": "#56B4E9",
    "library": "#E69F00",
    "community_centre": "#CC79A7",
    "park": "#009E73",
    "place_of_worship": "#8C6D31",
    "jobcentre": "#D55E00",
    "food_bank": "#882255",
    "credit_union": "#332288",
}

#: Legend label of practices whose PCN has no workforce record.
LW_NO_RECORD = "No PCN workforce record (unknown)"

_LW_BREAKS = (0.25, 0.5, 0.75, 1.0)  # FTE per 10,000 patients
_OLD_YEARS = 5


def _swatch(colour: str, name: str) -> str:
    return f'<span style="color:{colour}">&#9679;</span> {html.escape(name)}'


def lw_text(practices: pd.DataFrame) -> pd.Series:
    """'0.42 FTE per 10,000 patients (PCN: 2.5 FTE)' or the unknown wording, per practice."""
    rate = pd.to_numeric(practices.get("pcn_lw_per_10k"), errors="coerce")
    fte = pd.to_numeric(practices.get("pcn_lw_fte"), errors="coerce")
    out = [
        f"{r:.2f} FTE per 10,000 patients (PCN total {f:,.1f} FTE)"
        if pd.notna(r)
        else "no PCN workforce record: unknown, not zero"
        for r, f in zip(rate, fte, strict=True)
    ]
    return pd.Series(out, index=practices.index, dtype=object)


def point_tooltip_fields(frame: pd.DataFrame) -> dict[str, str]:
    """Tooltip columns for directory points: name, type, GP details, source."""
    fields = {"name": "Place", "category_label": "Type"}
    if "theme" in frame.columns and frame["category"].eq("upload").any():
        fields["theme"] = "Theme"
    if "pcn_name" in frame.columns and frame["pcn_name"].notna().any():
        fields["pcn_name"] = "Primary Care Network"
        fields["lw_text"] = "Link workers (PCN)"
        fields["registered_patients"] = "Registered patients"
    fields["source_label"] = "Source"
    return {k: v for k, v in fields.items() if k in frame.columns or k == "lw_text"}


def _with_lw_text(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if "pcn_name" in frame.columns and frame["pcn_name"].notna().any():
        return frame.assign(lw_text=lw_text(frame))
    return frame


def _bundled_in(points: WebLayer | None, frame: pd.DataFrame) -> bool:
    """Whether the static file ``points`` can draw ``frame``: bundled rows only, all in it."""
    if points is None or not len(frame):
        return False
    if "origin" in frame.columns and frame["origin"].eq(UPLOAD).any():
        return False
    return bool((points.positions(frame.index) >= 0).all())


def _layer_name(meta: Mapping, category: str, today_year: int) -> str:
    label = str(meta.get("label", category))
    vintage = str(meta.get("vintage", ""))
    short = SHORT_SOURCES.get(category, str(meta.get("source", "")))
    year = meta.get("vintage_year")
    old = year is not None and today_year - int(year) > _OLD_YEARS
    return f"{label} ({short}, {vintage}{'; old data' if old else ''})"


def add_category_layers(
    m: folium.Map,
    directory: gpd.GeoDataFrame,
    categories: Mapping[str, Mapping],
    *,
    show: bool | Mapping[str, bool] = False,
    today_year: int | None = None,
    points: WebLayer | None = None,
) -> dict[str, folium.map.Layer]:
    """One points layer per bundled category (and one for the user's services).

    Parameters
    ----------
    m
        The map.
    directory
        :func:`geo.analysis.provision.combine` output (any CRS).
    categories
        ``geo.data.directory.CATEGORIES`` (label, source, vintage, vintage_year).
    show
        Whether layers start switched on (one value, or per category key; "upload" for the
        user's services).
    today_year
        For the "old data" mark (default: this year).
    points
        The static places file (:func:`geo.web.staticpoints.web_points` ``("places")``): a bundled
        category whose rows are all in it is drawn from it (positions and tooltip texts
        fetched once by the browser, not sent with every map update).

    Returns
    -------
    dict
        Category key -> layer. Layer names carry a swatch of the layer colour, the source and
        the vintage ("GP practices (NHS England, December 2025)"), so the layer control is the
        legend; tooltips name the place, its type, borough, source and vintage (or "your
        upload"), and for GP practices the PCN and its link-worker rate.
    """
    import datetime as _dt

    year = today_year or _dt.date.today().year
    pts = directory.to_crs(4326) if directory.crs is not None else directory
    pts = _with_lw_text(pts)
    layers: dict[str, folium.map.Layer] = {}
    present = list(dict.fromkeys(pts["category"].astype(str)))
    order = [c for c in categories if c in present] + [c for c in present if c not in categories]
    for cat in order:
        rows = pts[pts["category"].astype(str).eq(cat).to_numpy()]
        on = show.get(cat, False) if isinstance(show, Mapping) else bool(show)
        if cat == "upload":
            name = f"Your services ({UPLOAD})"
            colour = "#000000"
        else:
            name = _layer_name(categories.get(cat, {}), cat, year)
            colour = CATEGORY_COLOURS.get(cat, "#555555")
        sub = rows.drop(columns=[c for c in ("themes",) if c in rows.columns])
        fields = point_tooltip_fields(sub)
        if cat != "gp_practice":
            fields = {
                k: v
                for k, v in fields.items()
                if k not in ("pcn_name", "lw_text", "registered_patients")
            }
        # canvas circle markers, not clusters of DOM icons: lighter, and thousands stay fast
        layer = add_points(
            m, sub, name=name, tooltip_fields=fields, colour=colour, cluster=False,
            source=points if cat != "upload" and _bundled_in(points, sub) else None,
        )  # fmt: skip
        # A group holds the layer, so "off" works for clustered layers too (a marker cluster
        # adds itself to its parent whatever its own ``show``).
        group = folium.FeatureGroup(name=_swatch(colour, name), show=on)
        m._children.pop(layer.get_name(), None)
        group.add_child(layer)
        group.add_to(m)
        layers[cat] = group
    return layers


def add_ha_layer(
    m: folium.Map,
    lsoas: gpd.GeoDataFrame,
    *,
    census: str = "Census 2021",
    show: bool = False,
    name: str | None = None,
    geometry: WebLayer | None = None,
) -> folium.map.Layer | None:
    """Housing association households per LSOA: share of households (colour) and count (tooltip).

    ``lsoas`` needs ``ha_households``, ``households`` and ``ha_share`` (0..1). Classes are
    London quintiles of the share (mapclassify Quantiles). With ``geometry`` (the LSOA file of
    :func:`geo.web.staticgeom.web_layer`), the shapes come from that static file and the map carries
    only a class per area and the tooltip values, as in :func:`geo.web.add_choropleth`.
    Returns None when the columns are missing (bundled data not installed).
    """
    if not {"ha_households", "ha_share"} <= set(lsoas.columns):
        return None
    frame = lsoas.assign(
        ha_pct=ha_percent(lsoas),
        ha_hh=pd.to_numeric(lsoas["ha_households"], errors="coerce").round(0),
    )
    fields = {
        "lsoa_name": "Neighbourhood (LSOA)",
        "borough_name": "Borough",
        "ha_hh": f"Housing association households ({census})",
        "ha_pct": "% of households renting from a housing association",
    }
    if "households" in frame.columns:
        fields["households"] = "All households"
    return add_choropleth(
        m,
        frame,
        "ha_pct",
        kind="score",
        label=f"Housing association households, % of households ({census})",
        tooltip_fields={k: v for k, v in fields.items() if k in frame.columns},
        name=name or f"Housing association homes ({census}, ONS)",
        palette="BuGn",
        show=show,
        note="London quintiles; 'Social rented: other social rented' (ONS). Households, not "
        "dwellings.",
        legend_position="bottomleft",
        geometry=geometry,
    )


def ha_percent(lsoas: pd.DataFrame) -> pd.Series:
    """``ha_share`` (households renting from a housing association, 0..1) as a percentage of
    households with one decimal, as the maps show it (same index; missing stays missing)."""
    return (pd.to_numeric(lsoas["ha_share"], errors="coerce") * 100).round(1)


#: Tooltip columns of :func:`ha_point_frame` (stored in the static housing association file).
HA_POINT_COLUMNS = ("lsoa_name", "borough_name", "ha_hh", "ha_pct")


def ha_point_frame(lsoas: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """A point inside each LSOA (EPSG:4326, indexed by LSOA code) with its housing
    association households (``ha_hh``, whole households) and share (``ha_pct``, % of
    households, one decimal), or None when the columns are missing or there are no rows."""
    if not {"ha_households", "ha_share"} <= set(lsoas.columns) or lsoas.empty:
        return None
    pts = lsoas.to_crs(4326) if lsoas.crs is not None else lsoas
    return gpd.GeoDataFrame(
        {
            "lsoa_name": pts["lsoa_name"].to_numpy() if "lsoa_name" in pts else None,
            "borough_name": pts["borough_name"].to_numpy() if "borough_name" in pts else None,
            "ha_hh": pd.to_numeric(pts["ha_households"], errors="coerce").round(0).to_numpy(),
            "ha_pct": ha_percent(pts).to_numpy(),
        },
        index=pts.index,
        geometry=pts.geometry.representative_point().to_numpy(),
        crs=pts.crs,
    )


def add_ha_points(
    m: folium.Map,
    lsoas: gpd.GeoDataFrame,
    *,
    census: str = "Census 2021",
    show: bool = False,
    points: WebLayer | None = None,
) -> folium.FeatureGroup | None:
    """Housing association households as a dot per LSOA, coloured by their share of households.

    Drawn over the deprivation choropleth (so homes and need are seen together) as canvas circle
    markers at a point inside each LSOA, one class per London quintile of the share, with a
    legend; the tooltip gives the households and the share. Much lighter than a second polygon
    layer. With ``points`` (:func:`geo.web.staticpoints.web_points` ``("ha_points", vintage)``)
    holding every LSOA shown, the dots and their tooltip texts come from that static file and
    the map carries only which dots each class shows. Returns None when the columns are
    missing.
    """
    pts = ha_point_frame(lsoas)
    if pts is None:
        return None
    source = points if _bundled_in(points, pts) else None
    share = pd.to_numeric(pts["ha_pct"], errors="coerce")
    edges = np.unique(np.nanquantile(share, [0, 0.2, 0.4, 0.6, 0.8, 1.0]))
    # blues: distinct from the purple-green deprivation deciles and the link-worker browns
    colours = list(branca.utilities.color_brewer("Blues", max(len(edges) - 1, 3)))[
        -(len(edges) - 1) :
    ]
    cls = np.clip(np.searchsorted(edges, share, side="right") - 1, 0, len(edges) - 2)
    name = f"Housing association homes ({census}, ONS): share of households"
    group = folium.FeatureGroup(name=_swatch(colours[-1], name), show=show)
    fields = {
        "lsoa_name": "Neighbourhood (LSOA)",
        "borough_name": "Borough",
        "ha_hh": f"Housing association households ({census})",
        "ha_pct": "% of households renting from a housing association",
    }
    labels = []
    for k, colour in enumerate(colours):
        rows = pts[cls == k]
        label = f"{edges[k]:.1f}% to {edges[k + 1]:.1f}%"
        labels.append(label)
        if rows.empty:
            continue
        layer = add_points(
            m, rows, name=label, tooltip_fields=fields, colour=colour, cluster=False,
            source=source,
        )  # fmt: skip
        m._children.pop(layer.get_name(), None)
        group.add_child(layer)
    group.add_to(m)
    add_legend(
        m,
        legend_html(
            f"Housing association households, % of households ({census})",
            colours,
            labels,
            note="One dot per neighbourhood (LSOA); London quintiles. Households, not dwellings.",
        ),
        group,
        "bottomleft",
    )
    return group


def _lw_classes(rate: pd.Series) -> tuple[list[str], list[str], pd.Series]:
    """Labels, colours and the class label of each practice (unknown = grey class)."""
    # yellow to brown: stands out on the purple-green deprivation deciles under the points
    colours = list(branca.utilities.color_brewer("YlOrBr", len(_LW_BREAKS) + 1))
    edges = [0.0, *_LW_BREAKS, np.inf]
    labels = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        labels.append(f"{lo:.2f} or more" if not np.isfinite(hi) else f"{lo:.2f} to {hi:.2f}")
    cls = pd.cut(rate, bins=edges, right=False, labels=labels)
    out = cls.astype(object).where(rate.notna(), LW_NO_RECORD)
    return labels, colours, out


def add_link_worker_layer(
    m: folium.Map,
    practices: gpd.GeoDataFrame,
    *,
    show: bool = False,
    vintage: str = "November 2025",
    points: WebLayer | None = None,
) -> folium.FeatureGroup:
    """Social prescribing link workers: each GP practice coloured by its PCN's FTE per 10,000.

    One layer in the layer control (a group of one circle-marker layer per class) with its own
    legend. Tooltips: practice, PCN, the PCN's FTE per 10,000 registered patients and total
    FTE, registered patients, source. Practices of PCNs with no workforce record are grey and
    labelled unknown (not zero). With ``points`` (the static places file) holding every
    practice, the dots and tooltip texts come from that file (see
    :func:`add_category_layers`).
    """
    pts = practices.to_crs(4326) if practices.crs is not None else practices
    pts = pts.assign(lw_text=lw_text(pts))
    source = points if _bundled_in(points, pts) else None
    rate = pd.to_numeric(pts["pcn_lw_per_10k"], errors="coerce")
    labels, colours, cls = _lw_classes(rate)
    name = f"Link workers per 10,000 patients (PCN, NHS England, {vintage})"
    group = folium.FeatureGroup(name=_swatch(colours[-1], name), show=show)
    fields = {
        k: v
        for k, v in {
            "name": "GP practice",
            "pcn_name": "Primary Care Network",
            "lw_text": "Link workers (PCN)",
            "registered_patients": "Registered patients",
            "borough_name": "Borough",
            "source_label": "Source",
        }.items()
        if k in pts.columns
    }
    legend_colours, legend_labels = [], []
    for label, colour in [*zip(labels, colours, strict=True), (LW_NO_RECORD, NO_DATA_COLOUR)]:
        rows = pts[(cls == label).to_numpy()]
        if rows.empty:
            continue
        layer = add_points(
            m, rows.drop(columns=["themes"], errors="ignore"), name=label, tooltip_fields=fields,
            colour=colour, cluster=False, source=source,
        )  # fmt: skip
        m._children.pop(layer.get_name(), None)  # drawn inside the group, not on its own
        group.add_child(layer)
        legend_colours.append(colour)
        legend_labels.append(label)
    group.add_to(m)
    add_legend(
        m,
        legend_html(
            "Link-worker FTE per 10,000 registered patients (PCN)",
            legend_colours,
            legend_labels,
            note="Shown at each practice of the PCN; link workers employed elsewhere are not "
            "counted.",
        ),
        group,
        "bottomleft",
    )
    return group
