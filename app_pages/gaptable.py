"""The Gap finder's tables: how each column is shown (formats and help texts)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

REASON_WIDTH = 640  # px: reasons are long and their end (the services) matters most


def column_config(frame: pd.DataFrame) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "Gap": st.column_config.NumberColumn(
            help="Need percentile minus access percentile (-1 to +1; higher = bigger gap)",
            format="%.2f",
        ),
        "Need index": st.column_config.NumberColumn(
            help="Weighted deprivation, in standard deviations from London's average",
            format="%.2f",
        ),
        "Need percentile": st.column_config.NumberColumn(
            help="Share of London neighbourhoods with lower need (0 to 1)", format="%.2f"
        ),
        "Access percentile": st.column_config.NumberColumn(
            help="Share of London neighbourhoods with lower access (0 to 1)", format="%.2f"
        ),
        "Neighbourhood": st.column_config.TextColumn(pinned=True),
        "Reason": st.column_config.TextColumn(width=REASON_WIDTH),
        "Why": st.column_config.TextColumn(width=REASON_WIDTH),
        "Gap class": st.column_config.TextColumn(width="medium"),
        "Population": st.column_config.NumberColumn(format="localized"),
        "Population 65+": st.column_config.NumberColumn(format="localized"),
        "Disabled residents": st.column_config.NumberColumn(format="localized"),
    }
    for col in frame.columns:
        if col.startswith("Access (per"):
            cfg[col] = st.column_config.NumberColumn(
                help="E2SFCA: services (or places) per 1,000 people sharing them in reach",
                format="%.3f",
            )
        elif col.startswith("Median resident's walk"):
            cfg[col] = st.column_config.NumberColumn(
                help="Walking metres from where the median resident lives (Output Areas "
                "weighted by residents) to the nearest place: on the streets where mapped, "
                "else straight line x detour",
                format="%d",
            )
        elif col.startswith("Residents with a place"):
            cfg[col] = st.column_config.NumberColumn(
                help="Share of the neighbourhood's residents (Output Areas) with at least one "
                "place within the walking catchment (0 to 1)",
                format="%.2f",
            )
        elif col.startswith("Places within"):
            cfg[col] = st.column_config.NumberColumn(
                help="Places within the walking catchment of the average resident "
                "(Output Areas weighted by residents)",
                format="%.1f",
            )
    return {k: v for k, v in cfg.items() if k in frame.columns}
