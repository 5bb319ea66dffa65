"""London social prescribing map: where need is high and provision is thin.

Run with ``streamlit run app.py``. This script only sets up the page and the navigation; each
page lives in ``app_pages/`` and the logic in the ``geo`` package.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import sidebar_selection, uploads_status, use_local_assets
from app_pages.server import tune_once
from geo.data.io import DataError

st.set_page_config(
    page_title="London social prescribing map",
    page_icon=":material/map:",
    layout="wide",
)
use_local_assets()
tune_once()  # once per server process: small responses without a 40 ms wait (server.py)

pages = {
    "Explore": [
        st.Page(
            "app_pages/overview.py", title="London overview", icon=":material/map:", default=True
        ),
        st.Page("app_pages/borough.py", title="Borough view", icon=":material/location_city:"),
        st.Page("app_pages/pcn.py", title="PCN view", icon=":material/groups:"),
        st.Page("app_pages/gaps.py", title="Gap finder", icon=":material/search:"),
    ],
    "Your data": [
        st.Page("app_pages/housing.py", title="Housing associations", icon=":material/home:"),
        st.Page("app_pages/services.py", title="Service directory", icon=":material/list:"),
    ],
    "About": [
        st.Page("app_pages/method.py", title="Data and method", icon=":material/info:"),
    ],
}
nav = st.navigation(pages)
try:
    st.session_state["selection"] = sidebar_selection()
except DataError as exc:
    st.error(f"The app's data could not be loaded. {exc}")
    st.stop()
try:
    nav.run()
finally:  # also after a page's st.stop(), so the sidebar always shows the current uploads
    uploads_status()
