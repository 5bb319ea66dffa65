"""The Gap finder's walking-distance settings and the caption saying what is measured how."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from geo.analysis.walkaccess import AccessModel


def catchment_label(metres: int) -> str:
    """A walking catchment in words: ``800 m (~10 min)`` (80 m a minute)."""
    return f"{metres:,} m (~{round(metres / 80)} min)"


def settings(
    column: Any,
    covered_names: str,
    measured_detour: float,
    prefix: str = "gaps",
) -> None:
    """The "Walking distance" choice and the detour factor in ``column`` (widget keys
    ``{prefix}_distance`` and ``{prefix}_detour``: the Gap finder's, the Pilot planner's)."""
    column.radio(
        "Walking distance",
        options=["streets", "straight"],
        format_func={
            "streets": f"On the streets where mapped ({covered_names}), else straight x detour",
            "straight": "Straight line x detour everywhere",
        }.get,
        key=f"{prefix}_distance",
        help="Walking distances are measured on the OpenStreetMap street and footpath network "
        f"where the bundled extract covers both ends ({covered_names}); everywhere else they "
        "are the straight line times the detour factor.",
    )
    column.number_input(
        "Detour factor (where there is no street network)",
        min_value=1.0,
        max_value=3.0,
        step=0.01,
        format="%.3f",
        key=f"{prefix}_detour",
        help=f"Walking route / straight line. Default {measured_detour:.3f}: the median "
        f"measured on the streets of {covered_names} (each Output Area to the nearest place of "
        "each kind within 2 km; see Data and method). 1 = as the crow flies.",
    )


def caption(model: AccessModel, detour: float, distance: str, covered_names: str) -> None:
    """Where the figures are measured from, and which distances are network or straight."""
    st.caption(
        "Measured where people live: each neighbourhood's figures are the average over its "
        "Census 2021 Output Areas (population-weighted centroids), weighted by their residents. "
        + (
            f"Walking distances are on the OpenStreetMap street network where it covers both "
            f"ends ({covered_names}: {model.network_share:.0%} of the Output Area-place pairs "
            f"within 1,600 m); everywhere else they are the straight line x {detour:.2f}. "
            "Street network © OpenStreetMap contributors (ODbL)."
            if distance == "streets"
            else f"Walking distances are the straight line x {detour:.2f} everywhere "
            "(street network switched off in the settings)."
        )
    )


def reach_tooltips(
    layer: pd.DataFrame, table: pd.DataFrame, catchment: float, theme_words: str
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The gap map's layer with the residents' reach and walk (services only, not link
    workers), and their tooltip headings."""
    if "reach_share" not in table.columns:
        return layer, {}
    layer = layer.assign(
        reach_pct=(table["reach_share"].reindex(layer.index) * 100).round(),
        nearest_walk=table["nearest_m"].reindex(layer.index).round(-1),
    )
    return layer, {
        "reach_pct": f"Residents with a place within {catchment:,.0f} m ({theme_words}), %",
        "nearest_walk": f"Median resident's walk to the nearest place ({theme_words}), m",
    }
