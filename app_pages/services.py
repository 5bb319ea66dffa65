"""Service directory: upload community services (CSV, Excel or Open Referral UK JSON)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import common, mapping, upload_ui
from geo.selection import Selection
from geo.themes import OTHER, THEMES

sel: Selection = st.session_state["selection"]
st.title("Service directory")
st.markdown(
    "No official directory of social prescribing services covers London, so the app does not "
    "ship one. Upload yours (CSV, Excel, or Open Referral UK JSON) with a name, a theme or "
    "description, and a location. Each service is put in one of the themes housing "
    "associations work in; your file stays in this browser session only."
)
with st.expander("The themes"):
    st.markdown("\n".join(f"- {t}" for t in THEMES))

services = upload_ui.session_upload(
    "services", key="services", describe=lambda f: f"{len(f):,} services"
)
if services is None:
    st.info("No service directory loaded yet.")
    st.stop()

st.header("Services by theme")
counts = services["theme"].value_counts().reindex(list(THEMES), fill_value=0)
st.dataframe(
    pd.DataFrame({"Theme": counts.index, "Services": counts.to_numpy()}),
    hide_index=True,
    width="stretch",
)
other = services[services["theme"] == OTHER]
if len(other):
    st.warning(
        f"{len(other):,} services matched no theme and are listed as 'Other'. Add a theme column "
        "(e.g. 'Digital inclusion') to place them."
    )
    st.dataframe(other[["row", "name", "description"]].head(500), hide_index=True, width="stretch")

st.header("Map")
m = mapping.build_map(sel, stock=st.session_state.get("stock"), services=services)
mapping.show_map(m, key="services_map")
common.sources_caption()
