"""Neighbourhood indicators beyond deprivation: public transport access (PTAL 2015) and link
workers by GP registration, as map layers with their legends.

Built on :func:`geo.web.choropleth.add_categories` and :func:`geo.web.choropleth.add_choropleth`
(every text escaped there).
"""

from __future__ import annotations

import branca.utilities
import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.data.ptal import BAND_LABELS, BANDS
from geo.web.choropleth import add_categories, add_choropleth
from geo.web.staticgeom import WebLayer

__all__ = [
    "LW_REG_NOTE",
    "PTAL_COLOURS",
    "PTAL_PALETTE_NOTE",
    "SHARE_BREAKS",
    "SHARE_LABELS",
    "add_lw_registration_layer",
    "add_pcn_share_layer",
    "add_ptal_layer",
    "lw_registration_frame",
    "share_class",
]

#: One colour per PTAL band, 0 (lowest access) to 6b (highest), from ColorBrewer's RdBu
#: (colour-blind safe), reversed, so low access is blue and high access red, the direction of
#: TfL's PTAL maps: the 8 classes of RdBu for 1a-6b (the bands London has; 8 classes are further
#: apart than 9) and the darkest blue of its 11 classes for band 0. Not TfL's own colours,
#: which were not available to this project. Neighbouring bands differ by at least 7.5
#: CIEDE2000 with any colour vision (tests/web/test_indicators.py); every band is also named
#: in the legend and the tooltip.
PTAL_COLOURS: dict[str, str] = dict(
    zip(
        BANDS,
        [
            branca.utilities.color_brewer("RdBu", 11)[-1],
            *reversed(branca.utilities.color_brewer("RdBu", len(BANDS) - 1)),
        ],
        strict=True,
    )
)

#: Legend note of the PTAL layer: what the colours are, and are not.
PTAL_PALETTE_NOTE = (
    "TfL PTAL 2015, average of each neighbourhood; bands 0 and 1a are the lowest access. "
    "Colours: ColorBrewer RdBu (colour-blind safe), not TfL's own palette."
)

#: Legend note of the link-worker layer.
LW_REG_NOTE = (
    "Quintiles of the neighbourhoods shown. FTE of the PCNs its residents are registered with (July 2023 "
    "registrations; FTE November 2025). A lower bound where some residents' PCN has no "
    "workforce record (see the tooltip)."
)


def add_ptal_layer(
    m: folium.Map,
    lsoas: gpd.GeoDataFrame,
    *,
    show: bool = True,
    geometry: WebLayer | None = None,
) -> folium.map.Layer:
    """PTAL 2015 bands of the LSOAs (``ptal``; ``ptai`` and ``ptal_basis`` in the tooltip)."""
    frame = lsoas.assign(ptai_1dp=pd.to_numeric(lsoas["ptai"], errors="coerce").round(1))
    fields = {
        "lsoa_name": "Neighbourhood (LSOA)",
        "borough_name": "Borough",
        "ptai_1dp": "Average access index (PTAI 2015)",
        "ptal_basis": "How the value was obtained",
    }
    return add_categories(
        m,
        frame,
        "ptal",
        PTAL_COLOURS,
        {b: f"PTAL {label}" for b, label in BAND_LABELS.items()},
        title="Public transport access (PTAL 2015)",
        name="Public transport access (PTAL 2015, TfL)",
        tooltip_fields={k: v for k, v in fields.items() if k in frame.columns},
        note=PTAL_PALETTE_NOTE,
        show=show,
        geometry=geometry,
    )


def lw_registration_frame(lsoas: gpd.GeoDataFrame, lw: pd.DataFrame) -> gpd.GeoDataFrame:
    """The LSOAs with the link-worker measure's columns for the map (same index): ``lw_per_10k``
    (2 decimals), ``lw_fte`` (2 decimals), ``lw_unknown_pct`` (% of registered residents with
    a PCN without a workforce record) and ``patients_registered``."""
    part = lw.reindex(lsoas.index)
    return lsoas.assign(
        lw_per_10k=pd.to_numeric(part["lw_per_10k"], errors="coerce").round(2),
        lw_fte=pd.to_numeric(part["lw_fte"], errors="coerce").round(2),
        lw_unknown_pct=(pd.to_numeric(part["lw_unknown_share"], errors="coerce") * 100).round(1),
        patients_registered=pd.to_numeric(part["patients_registered"], errors="coerce").round(0),
    )


def add_lw_registration_layer(
    m: folium.Map,
    lsoas: gpd.GeoDataFrame,
    *,
    show: bool = True,
    geometry: WebLayer | None = None,
) -> folium.map.Layer:
    """Link-worker FTE serving each LSOA's residents per 10,000 residents, by registration.

    ``lsoas``: :func:`lw_registration_frame` output.
    """
    fields = {
        "lsoa_name": "Neighbourhood (LSOA)",
        "borough_name": "Borough",
        "lw_per_10k": "Link-worker FTE per 10,000 residents (by registration)",
        "lw_fte": "Link-worker FTE serving its residents",
        "lw_unknown_pct": "% of registered residents with a PCN with no workforce record "
        "(FTE unknown)",
        "patients_registered": "Residents registered at a GP practice (July 2023)",
    }
    return add_choropleth(
        m,
        lsoas,
        "lw_per_10k",
        kind="score",
        label="Link workers per 10,000 residents (by registration)",
        tooltip_fields={k: v for k, v in fields.items() if k in lsoas.columns},
        name="Link workers per 10,000 residents (by GP registration, NHS England)",
        palette="YlGnBu",
        show=show,
        note=LW_REG_NOTE,
        geometry=geometry,
    )


#: Classes of a PCN's share of a neighbourhood's registered patients (%, lower bound inclusive).
SHARE_BREAKS: tuple[float, ...] = (1.0, 10.0, 25.0, 50.0)

#: Their labels, lowest first.
SHARE_LABELS: tuple[str, ...] = (
    "under 1%",
    "1% to under 10%",
    "10% to under 25%",
    "25% to under 50%",
    "50% or more",
)


def share_class(pct: pd.Series) -> pd.Series:
    """The :data:`SHARE_LABELS` class of each share (%); missing stays missing."""
    edges = [-np.inf, *SHARE_BREAKS, np.inf]
    cls = pd.cut(pd.to_numeric(pct, errors="coerce"), bins=edges, right=False, labels=SHARE_LABELS)
    return cls.astype(object).where(cls.notna(), None)


def add_pcn_share_layer(
    m: folium.Map,
    lsoas: gpd.GeoDataFrame,
    tooltip_fields: dict[str, str],
    *,
    show: bool = True,
    geometry: WebLayer | None = None,
) -> folium.map.Layer:
    """Where a PCN's patients live: each neighbourhood shaded by the PCN's share of its
    registered patients (``pcn_pct``, %), in the fixed classes :data:`SHARE_LABELS` (ColorBrewer
    Purples, colour-blind safe), every class named in the legend and the tooltip."""
    frame = lsoas.assign(share_class=share_class(lsoas["pcn_pct"]))
    colours = dict(
        zip(SHARE_LABELS, branca.utilities.color_brewer("Purples", len(SHARE_LABELS)), strict=True)
    )
    return add_categories(
        m,
        frame,
        "share_class",
        colours,
        {k: k for k in SHARE_LABELS},
        title="This PCN's share of the neighbourhood's registered patients",
        name="Where the PCN's patients live (its share of each neighbourhood's patients)",
        tooltip_fields=tooltip_fields,
        note="Patients registered at its practices (July 2023) / all the neighbourhood's "
        "residents registered at a GP practice. Only neighbourhoods with at least one of its "
        "patients are shaded.",
        show=show,
        geometry=geometry,
    )
