"""Service directory: the bundled open directory, and your own (CSV, Excel or Open Referral UK)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import common, mapping, upload_ui
from geo.analysis import provision
from geo.analysis.selection import Selection
from geo.data.directory import CATEGORIES, LINK_WORKERS, NO_OPEN_DATA, age_warning
from geo.data.themes import OTHER, THEMES
from geo.outputs.export import safe_csv

sel: Selection = st.session_state["selection"]
st.title("Service directory")
st.markdown(
    "The app bundles an open directory of places that social prescribing draws on: GP "
    "practices, pharmacies, libraries, community centres, parks, places of worship and "
    "Jobcentre Plus offices, each with its source and vintage. No official directory of social "
    "prescribing services covers London, so add yours (CSV, Excel, or Open Referral UK JSON) "
    "with a name, a theme or description, and a location; it stays in this browser session "
    "only. Choose in the sidebar whether the pages use the bundled data and yours, or yours only."
)

bundled_dir = common.bundled_directory()
st.header("Bundled directory")
if bundled_dir is None:
    st.warning("The bundled directory is not installed; run `python -m geo build`.")
else:
    counts = bundled_dir.groupby("category").size()
    rows = []
    for key, meta in CATEGORIES.items():
        rows.append(
            {
                "Category": meta["label"],
                "Places": int(counts.get(key, 0)),
                "Themes": ", ".join(meta["themes"]),
                "Kind": meta["kind"],
                "Source": meta["source"],
                "Vintage": meta["vintage"],
                "Licence": meta["licence"],
                "Age": age_warning(key) or "",
                "Known gaps": meta["notes"],
            }
        )
    table = pd.DataFrame(rows)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "Source": st.column_config.TextColumn(width="large"),
            "Known gaps": st.column_config.TextColumn(width="large"),
        },
    )
    st.caption(
        f"Link workers: {LINK_WORKERS['label']}; {LINK_WORKERS['source']}, "
        f"{LINK_WORKERS['vintage']}. {LINK_WORKERS['notes']}"
    )
    st.markdown(
        "**Themes with no open data** (listed as *no open data: upload yours*, never scored "
        "as zero access):\n" + "\n".join(f"- **{t}**: {why}" for t, why in NO_OPEN_DATA.items())
    )
    plain = pd.DataFrame(bundled_dir.drop(columns="geometry")).assign(
        themes=lambda f: f["themes"].map("; ".join)
    )
    plain["easting"] = bundled_dir.geometry.x.round(0)
    plain["northing"] = bundled_dir.geometry.y.round(0)
    st.download_button(
        "Download the bundled directory (CSV, with source, vintage and licence per place)",
        data=lambda: safe_csv(
            plain.reset_index(),
            header_lines=[
                "London social prescribing map: bundled service directory",
                "coordinates=British National Grid (EPSG:27700); parks at a point inside the park",
                common.SOURCES_SHORT,
            ],
        ),
        file_name="bundled_service_directory.csv",
        mime="text/csv",
        on_click="ignore",
    )

st.header("Your directory")
with st.expander("The themes"):
    st.markdown("\n".join(f"- {t}" for t in THEMES))

services = upload_ui.session_upload(
    "services", key="services", describe=lambda f: f"{len(f):,} services"
)
if services is None:
    st.info(
        "No directory of yours loaded. The pages use the bundled directory"
        + (
            "; you chose *mine only* in the sidebar, so they have no services until you upload."
            if common.data_mode() == "mine"
            else "."
        )
    )
else:
    st.subheader("Your services by theme")
    counts = services["theme"].value_counts().reindex(list(THEMES), fill_value=0)
    st.dataframe(
        pd.DataFrame({"Theme": counts.index, "Services": counts.to_numpy()}),
        hide_index=True,
        width="stretch",
    )
    other = services[services["theme"] == OTHER]
    if len(other):
        st.warning(
            f"{len(other):,} services matched no theme and are listed as 'Other'. Add a theme "
            "column (e.g. 'Digital inclusion') to place them."
        )
        st.dataframe(
            other[["row", "name", "description"]].head(500), hide_index=True, width="stretch"
        )

st.header("Map")
common.mode_caption("services")
places = common.directory()
if places is not None:
    st.caption(
        "Places by category: "
        + ", ".join(
            f"{r['category_label']} {r['places']:,}"
            for _, r in provision.category_counts(places).iterrows()
        )
        + ". Switch categories on in the layer list (top right of the map)."
    )
m = mapping.build_map(
    sel, stock=st.session_state.get("stock"), bundled_layers=True, show_places={"upload": True}
)
mapping.show_map(
    m,
    key="services_map",
    description=mapping.describe_map(sel, stock=st.session_state.get("stock")),
    table=lambda: mapping.map_table(sel),
)
common.sources_caption()
